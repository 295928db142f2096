package dev.hiveguard.service;

/** A service-control-manager call failed; {@link #error()} is its Win32 error code. */
public final class ServiceException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final int error;

    public ServiceException(String call, int error) {
        super(call + " failed with Win32 error " + error + describe(error));
        this.error = error;
    }

    public int error() {
        return error;
    }

    private static String describe(int error) {
        return switch (error) {
            case 5 -> " (access denied)";
            case 1060 -> " (the service does not exist)";
            case 1063 -> " (not started by the service control manager: install the service and start it with "
                    + "'sc start HiveGuardAgent')";
            case 1073 -> " (the service already exists)";
            default -> "";
        };
    }
}
