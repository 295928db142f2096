package dev.hiveguard.replay;

import java.io.IOException;
import java.io.Reader;

/**
 * Lines of a text recording with a bound on each line's length, so one endless line (a
 * decompression bomb of a single line, binary junk without newlines) cannot grow a buffer
 * without limit the way {@link java.io.BufferedReader#readLine} would. A longer line is
 * reported as such and its remaining characters are skipped, not kept. Line ends are
 * {@code \n}, {@code \r\n} or {@code \r}, as BufferedReader counts them.
 */
final class BoundedLineReader {

    private static final int BUFFER_CHARS = 1 << 16;

    private final Reader in;
    private final int maxChars;
    private final char[] buffer = new char[BUFFER_CHARS];
    private int pos;
    private int limit;
    private boolean skipLineFeed;
    private long lineNumber;
    private boolean truncated;

    BoundedLineReader(Reader in, int maxChars) {
        this.in = in;
        this.maxChars = maxChars;
    }

    /** The next line without its end, or null at the end of input; see {@link #truncated()}. */
    String readLine() throws IOException {
        StringBuilder line = null;
        truncated = false;
        while (true) {
            if (pos >= limit) {
                limit = in.read(buffer, 0, BUFFER_CHARS);
                pos = 0;
                if (limit <= 0) {
                    limit = 0;
                    if (line == null) {
                        return null;
                    }
                    lineNumber++;
                    return line.toString();
                }
            }
            char c = buffer[pos++];
            if (skipLineFeed) {
                skipLineFeed = false;
                if (c == '\n') {
                    continue;
                }
            }
            if (line == null) {
                line = new StringBuilder();
            }
            if (c == '\n' || c == '\r') {
                skipLineFeed = c == '\r';
                lineNumber++;
                return line.toString();
            }
            if (line.length() < maxChars) {
                line.append(c);
            } else {
                truncated = true;
            }
        }
    }

    /** 1-based number of the line last returned. */
    long lineNumber() {
        return lineNumber;
    }

    /** The line last returned was longer than the bound; what it returned is its start. */
    boolean truncated() {
        return truncated;
    }
}
