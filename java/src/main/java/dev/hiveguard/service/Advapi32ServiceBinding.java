package dev.hiveguard.service;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.WinNT;
import com.sun.jna.platform.win32.Winsvc;
import dev.hiveguard.win32.Advapi32;

/**
 * The SCM calls over JNA: StartServiceCtrlDispatcherW, RegisterServiceCtrlHandlerExW
 * and SetServiceStatus. The callbacks handed to native code are kept in fields for as
 * long as the dispatcher runs: JNA frees a callback's native stub when its Java
 * object is collected, and the SCM would then call freed memory.
 */
public final class Advapi32ServiceBinding implements ServiceControlBinding {

    private Winsvc.SERVICE_MAIN_FUNCTION mainCallback;
    private Winsvc.HandlerEx handlerCallback;
    private Winsvc.SERVICE_TABLE_ENTRY[] table;

    private record Handle(Winsvc.SERVICE_STATUS_HANDLE native_) implements StatusHandle {
    }

    @Override
    public void runDispatcher(String serviceName, ServiceMain main) {
        mainCallback = (argc, argv) -> main.run(argv == null || argc <= 0 ? new String[0]
                : argv.getWideStringArray(0, argc));
        // The table ends with an all-null entry; JNA lays the array out contiguously.
        table = (Winsvc.SERVICE_TABLE_ENTRY[]) new Winsvc.SERVICE_TABLE_ENTRY().toArray(2);
        table[0].lpServiceName = serviceName;
        table[0].lpServiceProc = mainCallback;
        table[1].lpServiceName = null;
        table[1].lpServiceProc = null;
        if (!Advapi32.INSTANCE.StartServiceCtrlDispatcher(table)) {
            throw new ServiceException("StartServiceCtrlDispatcherW", Native.getLastError());
        }
    }

    @Override
    public StatusHandle registerHandler(String serviceName, ControlHandler handler) {
        handlerCallback = (control, eventType, eventData, context) -> handler.control(control);
        Winsvc.SERVICE_STATUS_HANDLE h = Advapi32.INSTANCE.RegisterServiceCtrlHandlerEx(serviceName,
                handlerCallback, Pointer.NULL);
        if (h == null || h.getPointer() == null) {
            throw new ServiceException("RegisterServiceCtrlHandlerExW", Native.getLastError());
        }
        return new Handle(h);
    }

    @Override
    public void setStatus(StatusHandle handle, ServiceStatus status) {
        Winsvc.SERVICE_STATUS s = new Winsvc.SERVICE_STATUS();
        s.dwServiceType = WinNT.SERVICE_WIN32_OWN_PROCESS;
        s.dwCurrentState = status.currentState();
        s.dwControlsAccepted = status.controlsAccepted();
        s.dwWin32ExitCode = status.win32ExitCode();
        s.dwServiceSpecificExitCode = status.serviceSpecificExitCode();
        s.dwCheckPoint = status.checkPoint();
        s.dwWaitHint = status.waitHintMillis();
        if (!Advapi32.INSTANCE.SetServiceStatus(((Handle) handle).native_(), s)) {
            throw new ServiceException("SetServiceStatus", Native.getLastError());
        }
    }
}
