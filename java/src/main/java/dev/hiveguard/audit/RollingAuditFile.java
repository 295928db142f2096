package dev.hiveguard.audit;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The audit trail's files: an active {@code audit.jsonl} that is appended to and,
 * once the next line would take it past the size limit, renamed to
 * {@code audit.1.jsonl} (older ones shift up by one, the oldest beyond the retention
 * count is deleted), the logrotate numbering admins know. Not thread-safe: the writer
 * serialises calls.
 *
 * <p>Whole lines only: a line is never split across files, and the file is always a
 * prefix of the line stream, so a crash can leave at most one partial line, at the
 * end of the active file. On open, such a partial line is closed with a newline so
 * the next line is not glued to it; {@link AuditReader} counts it as malformed.
 */
final class RollingAuditFile implements AutoCloseable {

    /** 64 KiB: a few dozen lines per write(2), small enough that a crash loses little. */
    static final int BUFFER_BYTES = 64 * 1024;

    private final AuditOptions options;
    private OutputStream out;
    private long size;
    private long rolls;

    RollingAuditFile(AuditOptions options) throws IOException {
        this.options = options;
        Files.createDirectories(options.directory());
        open();
    }

    private void open() throws IOException {
        Path active = options.activeFile();
        boolean needsNewline = endsWithPartialLine(active);
        out = new BufferedOutputStream(Files.newOutputStream(active,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE), BUFFER_BYTES);
        size = Files.size(active);
        if (needsNewline) {
            out.write('\n');
            size++;
        }
    }

    private static boolean endsWithPartialLine(Path file) throws IOException {
        if (!Files.exists(file)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long length = ch.size();
            if (length == 0) {
                return false;
            }
            ByteBuffer last = ByteBuffer.allocate(1);
            ch.read(last, length - 1);
            return last.get(0) != '\n';
        }
    }

    /** Appends one whole line (the bytes must end with '\n'), rolling first if it would not fit. */
    void append(byte[] line, int length) throws IOException {
        if (size > 0 && size + length > options.maxFileBytes()) {
            roll();
        }
        out.write(line, 0, length);
        size += length;
    }

    void flush() throws IOException {
        out.flush();
    }

    long rolls() {
        return rolls;
    }

    private void roll() throws IOException {
        // Rename, not copy-truncate: no line is lost or duplicated between a copy and a
        // truncate. On Windows a rename succeeds only if every open handle allows
        // FILE_SHARE_DELETE. Ours does (java.nio opens with FILE_SHARE_READ | WRITE |
        // DELETE unless told otherwise: sun.nio.fs.WindowsChannelFactory.Flags, while
        // java.io.FileOutputStream does not), but is closed first anyway; log shippers
        // open with FILE_SHARE_DELETE too (Filebeat's and Elastic Agent's filestream do),
        // keep reading the renamed file to its end and then pick up the new one.
        out.close();
        try {
            int keep = options.retainedFiles();
            Files.deleteIfExists(options.rolledFile(keep));
            for (int n = keep - 1; n >= 1; n--) {
                Path from = options.rolledFile(n);
                if (Files.exists(from)) {
                    Files.move(from, options.rolledFile(n + 1), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.move(options.activeFile(), options.rolledFile(1), StandardCopyOption.REPLACE_EXISTING);
            rolls++;
        } finally {
            // Reopen even when a rename failed (a reader that opened the file without
            // FILE_SHARE_DELETE on Windows, a full disk): the trail keeps growing past the limit rather than stopping.
            open();
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
