package dev.hiveguard.cli;

/**
 * Process exit codes of every {@code hiveguard} command, listed in {@code --help} and in the
 * README's "Exit codes" table (MainTest keeps the three in agreement) so that a service
 * manager or a script can tell the failure classes apart. No command exits 1 for anything
 * but {@link #CHECK_FAILED}: the JVM's own 1 for an uncaught Throwable is replaced by
 * {@link #JVM_ERROR} or {@link #INTERNAL_ERROR}.
 */
public final class ExitCodes {

    public static final int OK = 0;
    /** demo: a caller's NTSTATUS did not match the policy's decision; status: no agent is running. */
    public static final int CHECK_FAILED = 1;
    /** Bad command line (picocli's own code for usage errors). */
    public static final int USAGE = 2;
    /**
     * The device (driver, or the host library on Linux) cannot be opened or refused the
     * protocol, or {@code run} lost it while serving.
     */
    public static final int DEVICE_UNAVAILABLE = 3;
    /** The policy file is unreadable or invalid. */
    public static final int POLICY_INVALID = 4;
    /** The audit trail, state or log directory cannot be created or opened for writing. */
    public static final int IO_ERROR = 5;
    /** install/uninstall: a system change failed part-way (sysexits EX_IOERR: a
     * registry, service or file operation failed); install undid its changes. */
    public static final int SYSTEM_CHANGE_FAILED = 74;
    /** install/uninstall: not elevated, nothing changed (sysexits EX_NOPERM). */
    public static final int NOT_PERMITTED = 77;
    /** A bug: an unexpected exception or error (sysexits EX_SOFTWARE). */
    public static final int INTERNAL_ERROR = 70;
    /**
     * The Java runtime failed (a {@link VirtualMachineError}: out of memory, stack overflow),
     * in the command or in any agent thread (sysexits EX_OSERR).
     */
    public static final int JVM_ERROR = 71;

    /** The {@code exitCodeList} of the top-level command's help. */
    static final String[] HELP_LIST = {
        OK + ":success",
        CHECK_FAILED + ":demo: a verdict did not match the policy; status: no agent is running",
        USAGE + ":invalid command line",
        DEVICE_UNAVAILABLE + ":the HiveGuard device cannot be opened (driver not loaded, another agent connected, "
                + "version mismatch), or run lost it while serving",
        POLICY_INVALID + ":the policy file is unreadable or invalid",
        IO_ERROR + ":the audit trail, state or log directory cannot be created or opened for writing",
        INTERNAL_ERROR + ":internal error (a bug; the log has the stack trace)",
        JVM_ERROR + ":the Java runtime failed (out of memory, stack overflow); the log has the details",
        SYSTEM_CHANGE_FAILED + ":install/uninstall: a system change failed (install undid what it had done)",
        NOT_PERMITTED + ":install/uninstall: not running as an elevated Administrator; nothing changed",
    };

    private ExitCodes() {
    }
}
