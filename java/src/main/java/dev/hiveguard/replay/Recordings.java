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
            readerFor(effective, paths).read(source, in, visitor);
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
            return new BufferedInputStream(new GZIPInputStream(raw, BUFFER_BYTES), BUFFER_BYTES);
        }
        return raw;
    }
}
