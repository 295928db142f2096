package dev.hiveguard.audit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where and how the audit trail is written. Every limit has a named range; the
 * constructor rejects values outside it with a message naming the setting.
 *
 * @param directory     where {@code <baseName>.jsonl} and its rolled files live
 * @param baseName      file name stem ({@code audit} gives audit.jsonl, audit.1.jsonl, ...)
 * @param maxFileBytes  the active file rolls before a line would take it past this size
 * @param retainedFiles rolled files kept besides the active one; older ones are deleted
 * @param flushInterval longest time a recorded line may sit in the buffer
 */
public record AuditOptions(Path directory, String baseName, long maxFileBytes, int retainedFiles,
                           Duration flushInterval) {

    public static final String DEFAULT_BASE_NAME = "audit";
    /** 64 MiB: a day of a busy endpoint's notable events, still openable in an editor. */
    public static final long DEFAULT_MAX_FILE_BYTES = 64L * 1024 * 1024;
    /** Small enough for tests to roll with a handful of lines; a line is ~1 KiB. */
    public static final long MIN_MAX_FILE_BYTES = 4L * 1024;
    public static final long MAX_MAX_FILE_BYTES = 4L * 1024 * 1024 * 1024;
    public static final int DEFAULT_RETAINED_FILES = 10;
    public static final int MIN_RETAINED_FILES = 1;
    public static final int MAX_RETAINED_FILES = 1000;
    /** One second: what a crash may cost, and a write rate any disk sustains. */
    public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofSeconds(1);
    public static final Duration MIN_FLUSH_INTERVAL = Duration.ofMillis(10);
    public static final Duration MAX_FLUSH_INTERVAL = Duration.ofSeconds(60);

    public AuditOptions {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(baseName, "baseName");
        Objects.requireNonNull(flushInterval, "flushInterval");
        if (baseName.isEmpty() || baseName.contains("/") || baseName.contains("\\")) {
            throw new IllegalArgumentException("audit base name must be a plain file name stem: '" + baseName + "'");
        }
        if (maxFileBytes < MIN_MAX_FILE_BYTES || maxFileBytes > MAX_MAX_FILE_BYTES) {
            throw new IllegalArgumentException("audit max file size " + maxFileBytes + " bytes is outside ["
                    + MIN_MAX_FILE_BYTES + ", " + MAX_MAX_FILE_BYTES + "]");
        }
        if (retainedFiles < MIN_RETAINED_FILES || retainedFiles > MAX_RETAINED_FILES) {
            throw new IllegalArgumentException("audit retained files " + retainedFiles + " is outside ["
                    + MIN_RETAINED_FILES + ", " + MAX_RETAINED_FILES + "]");
        }
        if (flushInterval.compareTo(MIN_FLUSH_INTERVAL) < 0 || flushInterval.compareTo(MAX_FLUSH_INTERVAL) > 0) {
            throw new IllegalArgumentException("audit flush interval " + flushInterval.toMillis() + " ms is outside ["
                    + MIN_FLUSH_INTERVAL.toMillis() + ", " + MAX_FLUSH_INTERVAL.toMillis() + "] ms");
        }
    }

    /** Defaults for everything but the directory. */
    public static AuditOptions in(Path directory) {
        return new AuditOptions(directory, DEFAULT_BASE_NAME, DEFAULT_MAX_FILE_BYTES, DEFAULT_RETAINED_FILES,
                DEFAULT_FLUSH_INTERVAL);
    }

    public AuditOptions withMaxFileBytes(long bytes) {
        return new AuditOptions(directory, baseName, bytes, retainedFiles, flushInterval);
    }

    public AuditOptions withRetainedFiles(int count) {
        return new AuditOptions(directory, baseName, maxFileBytes, count, flushInterval);
    }

    public AuditOptions withFlushInterval(Duration interval) {
        return new AuditOptions(directory, baseName, maxFileBytes, retainedFiles, interval);
    }

    /** The file being written. */
    public Path activeFile() {
        return directory.resolve(baseName + ".jsonl");
    }

    /** The n-th rolled file, 1 being the most recent. */
    public Path rolledFile(int n) {
        return directory.resolve(baseName + "." + n + ".jsonl");
    }
}
