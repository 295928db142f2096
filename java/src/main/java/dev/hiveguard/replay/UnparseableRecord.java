package dev.hiveguard.replay;

import java.util.Objects;

/**
 * A record the replay could not turn into an operation. Always reported with its place, never
 * dropped silently: a policy dry run that quietly skipped input would under-report blocks.
 *
 * @param source file name as given
 * @param line   1-based line (or the line where the XML element starts)
 * @param reason one line saying what is wrong
 */
public record UnparseableRecord(String source, long line, String reason) {

    /** Longest reason kept; a reason quotes record content, which a damaged record can make huge. */
    static final int MAX_REASON_CHARS = 300;

    public UnparseableRecord {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(reason, "reason");
        reason = oneLine(reason);
    }

    /**
     * Control characters escaped and the length capped: a reason that quotes damaged content
     * still prints as one readable line.
     */
    private static String oneLine(String text) {
        StringBuilder b = new StringBuilder(Math.min(text.length(), MAX_REASON_CHARS + 8));
        for (int i = 0; i < text.length() && b.length() < MAX_REASON_CHARS; i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c) || Character.getType(c) == Character.LINE_SEPARATOR
                    || Character.getType(c) == Character.PARAGRAPH_SEPARATOR) {
                b.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (b.length() >= MAX_REASON_CHARS && text.length() > MAX_REASON_CHARS) {
            b.append("...");
        }
        return b.toString();
    }

    public String location() {
        return source + ":" + line;
    }

    @Override
    public String toString() {
        return location() + ": " + reason;
    }
}
