package dev.hiveguard.device;

/**
 * A failed device call, carrying the Win32 error code (as GetLastError reported it,
 * or as the completion's NTSTATUS maps to it) together with its name and meaning.
 * Unchecked so that completion callbacks and lambdas can propagate it.
 */
public class DeviceException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int win32Error;

    public DeviceException(String what, int win32Error) {
        this(what, win32Error, null);
    }

    public DeviceException(String what, int win32Error, String hint) {
        super(what + " failed: " + Win32Error.describe(win32Error) + (hint == null ? "" : " " + hint));
        this.win32Error = win32Error;
    }

    /** The Win32 error code. */
    public int win32Error() {
        return win32Error;
    }

    /** The named error, or null when the code is not one this agent knows by name. */
    public Win32Error error() {
        return Win32Error.fromCode(win32Error);
    }
}
