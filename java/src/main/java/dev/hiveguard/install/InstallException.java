package dev.hiveguard.install;

/** An install or uninstall step failed; the message says which and why. */
public final class InstallException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What kind of failure, so the command can choose its exit code. */
    public enum Kind {
        /** Not running elevated: nothing was changed. */
        NOT_ELEVATED,
        /** An input (policy, altitude, a missing file of the package) is wrong: nothing was changed. */
        BAD_INPUT,
        /** A system call failed part-way. */
        SYSTEM
    }

    private final Kind kind;
    private final int win32Error;

    public InstallException(Kind kind, String message) {
        this(kind, message, 0);
    }

    public InstallException(Kind kind, String message, int win32Error) {
        super(message);
        this.kind = kind;
        this.win32Error = win32Error;
    }

    public Kind kind() {
        return kind;
    }

    /** The Win32 error of a failed system call, 0 when none. */
    public int win32Error() {
        return win32Error;
    }
}
