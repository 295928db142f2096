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

    public UnparseableRecord {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(reason, "reason");
    }

    public String location() {
        return source + ":" + line;
    }

    @Override
    public String toString() {
        return location() + ": " + reason;
    }
}
