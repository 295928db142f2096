package dev.hiveguard.cli;

/**
 * An expected failure (missing driver, bad policy file, unwritable directory): printed
 * as one line on stderr and turned into its exit code, never a stack trace.
 */
public final class CliException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** Lines of a library's message kept in a one-line error. */
    static final int LIBRARY_MESSAGE_LINES = 2;

    /**
     * The head of a library's message on one line: JNA, for one, puts the cause on its
     * second line and then every path it searched, which belongs in a debug log.
     */
    public static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        return String.join(" ", message.lines().limit(LIBRARY_MESSAGE_LINES).toList());
    }

    public int exitCode() {
        return exitCode;
    }
}
