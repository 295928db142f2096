package dev.hiveguard.replay;

import java.io.IOException;

/**
 * A recording that cannot be read at all (missing, unreadable, not a format we know). The
 * message is one line naming the file, ready to print as the CLI's error.
 */
public class RecordingException extends IOException {

    private static final long serialVersionUID = 1L;

    public RecordingException(String message) {
        super(message);
    }

    public RecordingException(String message, Throwable cause) {
        super(message, cause);
    }
}
