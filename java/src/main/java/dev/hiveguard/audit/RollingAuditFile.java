package dev.hiveguard.audit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

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
 *
 * <p>Write errors (a full disk, a failing device) never duplicate, split or glue lines, and
 * never stop the trail. Lines are buffered with their boundaries known; a write that fails
 * keeps the whole lines that reached the file, cuts the file back to the end of the last of
 * them (a partial line written before the error is removed, so the next line starts clean),
 * and drops the rest of the buffer, counted exactly in {@link #linesLost()} - a dropped
 * line is never written again later, where it would repeat or interleave with newer lines.
 * These methods therefore do not throw on a failed write; the caller reads
 * {@link #takeError()} and the counters. Only lines that reached the file count as written.
 */
final class RollingAuditFile implements AutoCloseable {

    /** 64 KiB: a few dozen lines per write(2), small enough that a crash loses little. */
    static final int BUFFER_BYTES = 64 * 1024;

    /** How the active file is opened for writing; tests substitute a channel that fails like a full disk. */
    @FunctionalInterface
    interface ChannelOpener {
        FileChannel open(Path file) throws IOException;
    }

    static final ChannelOpener FILES = f -> FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.READ);

    private final AuditOptions options;
    private final ChannelOpener opener;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
    /** End offset in {@link #buffer} of each pending line. */
    private int[] lineEnds = new int[128];
    private int pendingLines;
    /** Null while the active file is not open (a reopen failed): lines are then lost, counted. */
    private FileChannel channel;
    /** Bytes of whole lines in the active file: where the next line goes. */
    private long size;
    private long rolls;
    private long linesWritten;
    private long bytesWritten;
    private long linesLost;
    private IOException error;

    RollingAuditFile(AuditOptions options) throws IOException {
        this(options, FILES);
    }

    RollingAuditFile(AuditOptions options, ChannelOpener opener) throws IOException {
        this.options = options;
        this.opener = opener;
        Files.createDirectories(options.directory());
        open();
    }

    /** Opens the active file at its end; a partial last line (a crash) is closed with a newline. */
    private void open() throws IOException {
        FileChannel ch = opener.open(options.activeFile());
        try {
            long length = ch.size();
            if (length > 0 && !endsWithNewline(ch, length)) {
                writeFully(ch, ByteBuffer.wrap(new byte[] {'\n'}), length);
                length++;
            }
            size = length;
            channel = ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static boolean endsWithNewline(FileChannel ch, long length) throws IOException {
        ByteBuffer last = ByteBuffer.allocate(1);
        ch.read(last, length - 1);
        return last.get(0) == '\n';
    }

    private static void writeFully(FileChannel ch, ByteBuffer src, long at) throws IOException {
        long pos = at;
        while (src.hasRemaining()) {
            pos += ch.write(src, pos);
        }
    }

    /**
     * Appends one whole line (the bytes must end with '\n'), rolling first if it would not
     * fit. A write failure on the way (of earlier buffered lines) is accounted, not thrown.
     */
    void append(byte[] line, int length) {
        if (size + buffer.position() > 0 && size + buffer.position() + length > options.maxFileBytes()) {
            flush();
            roll();
        }
        if (length > buffer.remaining()) {
            flush();
        }
        if (length > buffer.capacity()) {
            // A line larger than the buffer (a huge value) goes out on its own, as one batch.
            writeBatch(ByteBuffer.wrap(line, 0, length), new int[] {length}, 1);
            return;
        }
        buffer.put(line, 0, length);
        if (pendingLines == lineEnds.length) {
            lineEnds = Arrays.copyOf(lineEnds, pendingLines * 2);
        }
        lineEnds[pendingLines++] = buffer.position();
    }

    /** Writes the buffered lines; returns false when some were lost (see {@link #takeError()}). */
    boolean flush() {
        if (pendingLines == 0) {
            return true;
        }
        buffer.flip();
        boolean ok = writeBatch(buffer, lineEnds, pendingLines);
        buffer.clear();
        pendingLines = 0;
        return ok;
    }

    /**
     * Writes {@code lines} whole lines ending at {@code ends} (offsets from the batch start)
     * at the end of the active file. On failure the whole lines that reached the file stay,
     * the file is cut back to the end of the last of them, and the others are lost.
     */
    private boolean writeBatch(ByteBuffer batch, int[] ends, int lines) {
        if (channel == null && !reopen()) {
            linesLost += lines;
            return false;
        }
        int start = batch.position();
        long written = 0;
        try {
            while (batch.hasRemaining()) {
                written += channel.write(batch, size + written);
            }
            size += written;
            linesWritten += lines;
            bytesWritten += written;
            return true;
        } catch (IOException e) {
            error = e;
            int kept = 0;
            while (kept < lines && ends[kept] - start <= written) {
                kept++;
            }
            long keptBytes = kept == 0 ? 0 : ends[kept - 1] - start;
            size += keptBytes;
            linesWritten += kept;
            bytesWritten += keptBytes;
            linesLost += lines - kept;
            if (keptBytes != written) {
                cutBackToLastWholeLine();
            }
            return false;
        }
    }

    /** Removes a partial line left by a failed write; if even that fails, reopens before the next write. */
    private void cutBackToLastWholeLine() {
        try {
            channel.truncate(size);
        } catch (IOException e) {
            closeQuietly();
        }
    }

    /**
     * Reopens the active file after a failure closed it, cutting it back to the whole lines this
     * writer knows it wrote (the file may end in a fragment of a failed write).
     */
    private boolean reopen() {
        long whole = size;
        try {
            FileChannel ch = opener.open(options.activeFile());
            try {
                if (ch.size() > whole) {
                    ch.truncate(whole);
                }
                size = Math.min(whole, ch.size());
                channel = ch;
                return true;
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        } catch (IOException e) {
            error = e;
            return false;
        }
    }

    private void roll() {
        // Rename, not copy-truncate: no line is lost or duplicated between a copy and a
        // truncate. On Windows a rename succeeds only if every open handle allows
        // FILE_SHARE_DELETE. Ours does (java.nio opens with FILE_SHARE_READ | WRITE |
        // DELETE unless told otherwise: sun.nio.fs.WindowsChannelFactory.Flags, while
        // java.io.FileOutputStream does not), but is closed first anyway; log shippers
        // open with FILE_SHARE_DELETE too (Filebeat's and Elastic Agent's filestream do),
        // keep reading the renamed file to its end and then pick up the new one.
        closeQuietly();
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
        } catch (IOException e) {
            error = e;
        }
        // Reopen even when a rename failed (a reader that opened the file without
        // FILE_SHARE_DELETE on Windows, a full disk): the trail keeps growing past the limit
        // rather than stopping.
        try {
            open();
        } catch (IOException e) {
            error = e; // the next write retries the open; until then lines are lost, counted
        }
    }

    private void closeQuietly() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                error = e;
            }
            channel = null;
        }
    }

    /** The last write, open or roll error since the previous call, or null; clears it. */
    IOException takeError() {
        IOException e = error;
        error = null;
        return e;
    }

    long rolls() {
        return rolls;
    }

    /** Lines that reached the file. */
    long linesWritten() {
        return linesWritten;
    }

    long bytesWritten() {
        return bytesWritten;
    }

    /** Lines dropped after a write error; never written later. */
    long linesLost() {
        return linesLost;
    }

    /** Writes what is buffered (losses accounted as in {@link #flush()}), then closes the file. */
    @Override
    public void close() throws IOException {
        flush();
        FileChannel ch = channel;
        channel = null;
        if (ch != null) {
            ch.close();
        }
    }
}
