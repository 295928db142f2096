package dev.hiveguard.service;

/**
 * One SERVICE_STATUS report, as the controller hands it to
 * {@link ServiceControlBinding#setStatus}. The service type is always
 * SERVICE_WIN32_OWN_PROCESS and is filled in by the binding.
 *
 * @param currentState            one of the {@code SERVICE_*} states below
 * @param controlsAccepted        {@code SERVICE_ACCEPT_*} bits; 0 while pending
 * @param win32ExitCode           0, or ERROR_SERVICE_SPECIFIC_ERROR with {@code serviceSpecificExitCode}
 * @param serviceSpecificExitCode the agent's exit code (cli.ExitCodes) when it failed
 * @param checkPoint              grows while a start or stop is pending; 0 otherwise
 * @param waitHintMillis          how long until the next report, while pending; 0 otherwise
 */
public record ServiceStatus(int currentState, int controlsAccepted, int win32ExitCode, int serviceSpecificExitCode,
                            int checkPoint, int waitHintMillis) {

    // winsvc.h service states
    public static final int SERVICE_STOPPED = 1;
    public static final int SERVICE_START_PENDING = 2;
    public static final int SERVICE_STOP_PENDING = 3;
    public static final int SERVICE_RUNNING = 4;

    // winsvc.h controls and the accept bits that enable them
    public static final int SERVICE_CONTROL_STOP = 0x1;
    public static final int SERVICE_CONTROL_INTERROGATE = 0x4;
    public static final int SERVICE_CONTROL_SHUTDOWN = 0x5;
    public static final int SERVICE_CONTROL_PARAMCHANGE = 0x6;
    public static final int SERVICE_CONTROL_PRESHUTDOWN = 0xF;
    public static final int SERVICE_ACCEPT_STOP = 0x1;
    public static final int SERVICE_ACCEPT_PARAMCHANGE = 0x8;
    public static final int SERVICE_ACCEPT_PRESHUTDOWN = 0x100;

    // winerror.h
    public static final int NO_ERROR = 0;
    public static final int ERROR_CALL_NOT_IMPLEMENTED = 120;
    public static final int ERROR_SERVICE_SPECIFIC_ERROR = 1066;
    public static final int ERROR_FAILED_SERVICE_CONTROLLER_CONNECT = 1063;

    public boolean pending() {
        return currentState == SERVICE_START_PENDING || currentState == SERVICE_STOP_PENDING;
    }

    public static String stateName(int state) {
        return switch (state) {
            case SERVICE_STOPPED -> "STOPPED";
            case SERVICE_START_PENDING -> "START_PENDING";
            case SERVICE_STOP_PENDING -> "STOP_PENDING";
            case SERVICE_RUNNING -> "RUNNING";
            default -> "state " + state;
        };
    }

    @Override
    public String toString() {
        return stateName(currentState) + " accepts=0x" + Integer.toHexString(controlsAccepted) + " exit="
                + win32ExitCode + "/" + serviceSpecificExitCode + " checkpoint=" + checkPoint + " hint="
                + waitHintMillis + "ms";
    }
}
