package dev.hiveguard.service;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A stand-in for the SCM side of the three service calls: records every status
 * report in order and lets a test send controls the way the SCM would (on another
 * thread than ServiceMain). {@link #runDispatcher} runs ServiceMain on its own thread
 * and returns once STOPPED was reported, as StartServiceCtrlDispatcherW does.
 */
public final class RecordingServiceBinding implements ServiceControlBinding {

    private final List<ServiceStatus> reports = new ArrayList<>();
    private ControlHandler handler;
    private String registeredName;
    private final StatusHandle handle = new StatusHandle() { };

    @Override
    public void runDispatcher(String serviceName, ServiceMain main) {
        Thread serviceMain = new Thread(() -> main.run(new String[] {serviceName}), "test-ServiceMain");
        serviceMain.setDaemon(true);
        serviceMain.start();
        try {
            awaitReport(s -> s.currentState() == ServiceStatus.SERVICE_STOPPED, 60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public synchronized StatusHandle registerHandler(String serviceName, ControlHandler handler) {
        this.registeredName = serviceName;
        this.handler = handler;
        return handle;
    }

    @Override
    public synchronized void setStatus(StatusHandle h, ServiceStatus status) {
        if (h != handle) {
            throw new ServiceException("SetServiceStatus", 6); // ERROR_INVALID_HANDLE
        }
        reports.add(status);
        notifyAll();
    }

    /** Sends a control as the SCM does and returns the handler's Win32 result. */
    public int control(int control) {
        ControlHandler h;
        synchronized (this) {
            h = handler;
        }
        return h.control(control);
    }

    public synchronized List<ServiceStatus> reports() {
        return List.copyOf(reports);
    }

    public synchronized String registeredName() {
        return registeredName;
    }

    public synchronized ServiceStatus awaitReport(Predicate<ServiceStatus> wanted, long timeoutMs)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            for (ServiceStatus s : reports) {
                if (wanted.test(s)) {
                    return s;
                }
            }
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                throw new AssertionError("no such status report within " + timeoutMs + " ms; reports: " + reports);
            }
            wait(left);
        }
    }
}
