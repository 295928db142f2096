package dev.hiveguard.replay;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Opens a recording, undoes gzip when the file starts with gzip's magic bytes (the datasets are
 * shipped compressed; a name ending in .gz is not trusted either way), picks the reader for its
 * format and feeds the visitor.
 */
public final class Recordings {

    /** gzip member header, RFC 1952 section 2.3.1. */
    private static final int GZIP_MAGIC_1 = 0x1F;
    private static final int GZIP_MAGIC_2 = 0x8B;
    /** Enough of the start to see a BOM, an XML prolog or ProcMon's header line. */
    private static final int SNIFF_BYTES = 512;
    private static final int BUFFER_BYTES = 1 << 16;

    private Recordings() {
    }

    /**
     * @param format null to detect it from the content
     * @throws RecordingException when the file is missing, unreadable or of no known format;
     *                            broken records inside a readable file go to the visitor instead
     */
    public static void read(Path file, RecordingFormat format, PathTranslator paths, RecordingVisitor visitor)
            throws RecordingException {
        String source = file.toString();
        if (!Files.exists(file)) {
            throw new RecordingException(source + ": no such file");
        }
        if (Files.isDirectory(file)) {
            throw new RecordingException(source + ": is a directory, not a recording");
        }
        try (InputStream in = open(file)) {
            RecordingFormat effective = format;
            if (effective == null) {
                in.mark(SNIFF_BYTES);
                byte[] head = in.readNBytes(SNIFF_BYTES);
                in.reset();
                effective = RecordingFormat.detect(head, head.length);
                if (effective == null) {
                    throw new RecordingException(source + ": not a recording replay reads (expected Sysmon JSON "
                            + "lines, a Sysmon XML export or a ProcMon CSV export)");
                }
            }
            FirstFindings findings = new FirstFindings(visitor);
            readerFor(effective, paths).read(source, in, findings);
            if (!findings.anyEvent) {
                // Not one record was an event: whatever this is, replaying it would report
                // "0 operations" as if the recorded machine had been quiet.
                throw new RecordingException(source + ": not a recording: no event in it was readable as "
                        + effective.cliName() + (findings.firstDamage == null ? " (empty)"
                        : " (" + findings.damaged + " unreadable records, the first: " + findings.firstDamage + ")"));
            }
        } catch (NoSuchFileException e) {
            throw new RecordingException(source + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new RecordingException(source + ": permission denied", e);
        } catch (RecordingException e) {
            throw e;
        } catch (IOException e) {
            throw new RecordingException(source + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Passes everything on, noting whether any record was an event at all. */
    private static final class FirstFindings implements RecordingVisitor {
        private final RecordingVisitor next;
        boolean anyEvent;
        long damaged;
        UnparseableRecord firstDamage;

        FirstFindings(RecordingVisitor next) {
            this.next = next;
        }

        @Override
        public void operation(RecordedOperation op) {
            anyEvent = true;
            next.operation(op);
        }

        @Override
        public void unparseable(UnparseableRecord record) {
            if (firstDamage == null) {
                firstDamage = record;
            }
            damaged++;
            next.unparseable(record);
        }

        @Override
        public void outsideOperationClasses(String source, long line, String toolOperation) {
            anyEvent = true;
            next.outsideOperationClasses(source, line, toolOperation);
        }
    }

    static RecordingReader readerFor(RecordingFormat format, PathTranslator paths) {
        return switch (format) {
            case SYSMON_JSON -> new SysmonJsonLinesReader(paths);
            case SYSMON_XML -> new SysmonXmlReader(paths);
            case PROCMON_CSV -> new ProcmonCsvReader(paths);
            case EVTX -> new EvtxReader(paths);
        };
    }

    /** The decompressed content, with mark/reset support for sniffing. */
    static InputStream open(Path file) throws IOException {
        BufferedInputStream raw = new BufferedInputStream(Files.newInputStream(file), BUFFER_BYTES);
        raw.mark(2);
        int b1 = raw.read();
        int b2 = raw.read();
        raw.reset();
        if (b1 == GZIP_MAGIC_1 && b2 == GZIP_MAGIC_2) {
            CountingInputStream compressed = new CountingInputStream(raw);
            return new BufferedInputStream(new InflationLimit(new GZIPInputStream(compressed, BUFFER_BYTES),
                    compressed, file.toString()), BUFFER_BYTES);
        }
        return raw;
    }

    /**
     * Most decompressed bytes per compressed byte. Event exports compress 20-60 to 1 (the
     * datasets: 22 to 1 up to 58 to 1); a run of one repeated byte compresses about 1000 to 1,
     * which is what a decompression bomb is made of.
     */
    static final long MAX_INFLATION_RATIO = 200;
    /** The ratio is judged only past this much output: tiny files have odd ratios. */
    static final long INFLATION_GRACE_BYTES = 16L << 20;
    /** Most decompressed bytes of one recording: far beyond any real export (661k events are ~1 GiB). */
    static final long MAX_INFLATED_BYTES = 64L << 30;

    /** Counts the compressed bytes gzip consumes. */
    private static final class CountingInputStream extends java.io.FilterInputStream {
        long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count += skipped;
            return skipped;
        }
    }

    /**
     * Stops decompression that grows out of proportion or beyond any real recording, with an
     * error naming the file, instead of spending hours (or memory) on a gzip bomb.
     */
    private static final class InflationLimit extends java.io.FilterInputStream {
        private final CountingInputStream compressed;
        private final String source;
        private long inflated;

        InflationLimit(InputStream in, CountingInputStream compressed, String source) {
            super(in);
            this.compressed = compressed;
            this.source = source;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                account(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                account(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            account(skipped);
            return skipped;
        }

        private void account(long n) throws RecordingException {
            inflated += n;
            if (inflated > MAX_INFLATED_BYTES) {
                throw new RecordingException(source + ": decompresses to more than " + (MAX_INFLATED_BYTES >> 30)
                        + " GiB; not read further (a decompression bomb?)");
            }
            if (inflated > INFLATION_GRACE_BYTES && inflated > MAX_INFLATION_RATIO * Math.max(1, compressed.count)) {
                throw new RecordingException(source + ": decompresses more than " + MAX_INFLATION_RATIO
                        + " to 1 (" + compressed.count + " bytes to " + inflated + "); not read further "
                        + "(a decompression bomb?)");
            }
        }
    }
}
