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

    public int exitCode() {
        return exitCode;
    }
}
