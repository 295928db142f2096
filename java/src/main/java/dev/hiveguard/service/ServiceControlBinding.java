package dev.hiveguard.service;

/**
 * The three service-control-manager calls a service makes, as the controller needs
 * them. {@link Advapi32ServiceBinding} maps them to StartServiceCtrlDispatcherW,
 * RegisterServiceCtrlHandlerExW and SetServiceStatus; tests use a fake that records
 * every status report.
 */
public interface ServiceControlBinding {

    /** ServiceMain: runs on a thread of the dispatcher's choosing, for the whole life of the service. */
    interface ServiceMain {
        void run(String[] args);
    }

    /** HandlerEx: called on the dispatcher thread; must return quickly. Returns a Win32 error code. */
    interface ControlHandler {
        int control(int control);
    }

    /** An opaque SERVICE_STATUS_HANDLE. */
    interface StatusHandle {
    }

    /**
     * Connects the calling thread to the SCM and blocks until the service has
     * stopped. Fails with ERROR_FAILED_SERVICE_CONTROLLER_CONNECT when the process was
     * not started by the SCM (someone ran {@code hiveguard service} at a console).
     *
     * @throws ServiceException with the Win32 error code
     */
    void runDispatcher(String serviceName, ServiceMain main);

    /** @throws ServiceException with the Win32 error code */
    StatusHandle registerHandler(String serviceName, ControlHandler handler);

    /** @throws ServiceException with the Win32 error code */
    void setStatus(StatusHandle handle, ServiceStatus status);
}
