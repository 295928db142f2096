package dev.hiveguard.replay;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Windows event log files ({@code .evtx}, what Event Viewer's "Save All Events As" and
 * {@code wevtutil epl} write), read directly: the 4 KiB file header, then 64 KiB chunks, each a
 * 512-byte header, event records and the chunk's string and template tables. Written from the
 * public format description (libyal's "Windows XML Event Log (EVTX)", [MS-EVEN6]).
 *
 * <p>One chunk is in memory at a time, so memory does not grow with the file. Each chunk's
 * header and record area carry CRC32 checksums; a chunk whose checksums fail, or a record whose
 * framing or Binary XML is broken, is reported as unparseable at its byte offset in the file
 * and skipped, and reading goes on with the next record or chunk.
 *
 * <p>Records of Sysmon's channel go through {@link SysmonEventFields} like the text exports
 * (registry events 12/13/14 replay, other Sysmon events are counted); records of any other
 * provider are counted as outside the operation classes. The {@code line} of what this reader
 * reports is the record's byte offset in the file.
 */
final class EvtxReader implements RecordingReader {

    /** "ElfFile\0", the file header's signature. */
    static final byte[] FILE_SIGNATURE = "ElfFile\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHUNK_SIGNATURE = "ElfChnk\0".getBytes(StandardCharsets.US_ASCII);
    /** "**\0\0", the start of every event record. */
    private static final int RECORD_SIGNATURE = 0x00002A2A;

    static final int FILE_HEADER_BYTES = 4096;
    static final int CHUNK_BYTES = 65536;
    private static final int CHUNK_HEADER_BYTES = 512;
    /** File header: checksum over its first 120 bytes, stored at 124. */
    private static final int FILE_HEADER_CHECKED_BYTES = 120;
    private static final int FILE_HEADER_CHECKSUM = 124;
    /** Chunk header fields. */
    private static final int CHUNK_FREE_SPACE_OFFSET = 48;
    private static final int CHUNK_RECORDS_CHECKSUM = 52;
    private static final int CHUNK_HEADER_CHECKSUM = 124;
    /** The header checksum covers bytes [0, 120) and [128, 512). */
    private static final int CHUNK_HEADER_CHECKED_FIRST = 120;
    private static final int CHUNK_HEADER_CHECKED_SECOND = 128;
    /** Record header: signature, size, record number, written time; then Binary XML; then the size again. */
    private static final int RECORD_HEADER_BYTES = 24;
    private static final int RECORD_TRAILER_BYTES = 4;

    private static final String SYSMON_PROVIDER = "Microsoft-Windows-Sysmon";

    private final PathTranslator paths;

    EvtxReader(PathTranslator paths) {
        this.paths = paths;
    }

    static boolean hasSignature(byte[] head, int length) {
        return length >= FILE_SIGNATURE.length
                && Arrays.equals(head, 0, FILE_SIGNATURE.length, FILE_SIGNATURE, 0, FILE_SIGNATURE.length);
    }

    /** Receives each decoded event record with its byte offset in the file. */
    interface EventSink {
        void event(long offset, BinaryXml.Element event);
    }

    @Override
    public void read(String source, InputStream in, RecordingVisitor visitor) throws IOException {
        decode(source, in, visitor, (offset, event) -> interpret(source, offset, event, visitor));
    }

    /**
     * Every record's root element, in file order; damage goes to {@code visitor} as unparseable.
     *
     * @throws RecordingException when the stream is not an EVTX file at all
     */
    static void decode(String source, InputStream in, RecordingVisitor visitor, EventSink sink) throws IOException {
        byte[] header = in.readNBytes(FILE_HEADER_BYTES);
        if (!hasSignature(header, header.length)) {
            throw new RecordingException(source + ": not an EVTX file (no ElfFile signature)");
        }
        if (header.length < FILE_HEADER_BYTES) {
            throw new RecordingException(source + ": EVTX file header is truncated (" + header.length + " of "
                    + FILE_HEADER_BYTES + " bytes)");
        }
        if (crc(header, 0, FILE_HEADER_CHECKED_BYTES) != u32(header, FILE_HEADER_CHECKSUM)) {
            // The header only says where the chunks are, which the fixed layout says too: go on.
            visitor.unparseable(new UnparseableRecord(source, 0, "EVTX file header checksum mismatch (read on)"));
        }
        byte[] chunk = new byte[CHUNK_BYTES];
        long offset = FILE_HEADER_BYTES;
        while (true) {
            int n = in.readNBytes(chunk, 0, CHUNK_BYTES);
            if (n == 0) {
                return;
            }
            if (n < CHUNK_BYTES) {
                if (!allZero(chunk, n)) {
                    visitor.unparseable(new UnparseableRecord(source, offset, "truncated EVTX chunk (" + n + " of "
                            + CHUNK_BYTES + " bytes)"));
                }
                return;
            }
            readChunk(source, offset, chunk, visitor, sink);
            offset += CHUNK_BYTES;
        }
    }

    private static void readChunk(String source, long fileOffset, byte[] chunk, RecordingVisitor visitor,
                                  EventSink sink) {
        if (!Arrays.equals(chunk, 0, CHUNK_SIGNATURE.length, CHUNK_SIGNATURE, 0, CHUNK_SIGNATURE.length)) {
            if (!allZero(chunk, CHUNK_BYTES)) { // an all-zero chunk is space the log preallocated
                visitor.unparseable(new UnparseableRecord(source, fileOffset, "not an EVTX chunk (no ElfChnk "
                        + "signature); chunk skipped"));
            }
            return;
        }
        CRC32 headerCrc = new CRC32();
        headerCrc.update(chunk, 0, CHUNK_HEADER_CHECKED_FIRST);
        headerCrc.update(chunk, CHUNK_HEADER_CHECKED_SECOND, CHUNK_HEADER_BYTES - CHUNK_HEADER_CHECKED_SECOND);
        if ((int) headerCrc.getValue() != u32(chunk, CHUNK_HEADER_CHECKSUM)) {
            visitor.unparseable(new UnparseableRecord(source, fileOffset, "EVTX chunk header checksum mismatch; "
                    + "chunk skipped"));
            return;
        }
        int freeSpace = u32(chunk, CHUNK_FREE_SPACE_OFFSET);
        if (freeSpace < CHUNK_HEADER_BYTES || freeSpace > CHUNK_BYTES) {
            visitor.unparseable(new UnparseableRecord(source, fileOffset, "EVTX chunk free-space offset "
                    + Integer.toUnsignedString(freeSpace) + " is outside the chunk; chunk skipped"));
            return;
        }
        if (crc(chunk, CHUNK_HEADER_BYTES, freeSpace - CHUNK_HEADER_BYTES) != u32(chunk, CHUNK_RECORDS_CHECKSUM)) {
            visitor.unparseable(new UnparseableRecord(source, fileOffset, "EVTX chunk records checksum mismatch; "
                    + "chunk skipped"));
            return;
        }
        BinaryXml xml = new BinaryXml(chunk, CHUNK_BYTES);
        int pos = CHUNK_HEADER_BYTES;
        while (pos + RECORD_HEADER_BYTES + RECORD_TRAILER_BYTES <= freeSpace) {
            long recordOffset = fileOffset + pos;
            int size = u32(chunk, pos + 4);
            if (u32(chunk, pos) != RECORD_SIGNATURE || size < RECORD_HEADER_BYTES + RECORD_TRAILER_BYTES
                    || size > freeSpace - pos || u32(chunk, pos + size - RECORD_TRAILER_BYTES) != size) {
                visitor.unparseable(new UnparseableRecord(source, recordOffset, "broken EVTX record framing "
                        + "(signature or size); looking for the next record"));
                int next = nextRecordStart(chunk, pos + 1, freeSpace);
                if (next < 0) {
                    return;
                }
                pos = next;
                continue;
            }
            try {
                BinaryXml.Element event = xml.decodeRecord(pos + RECORD_HEADER_BYTES, pos + size - RECORD_TRAILER_BYTES);
                sink.event(recordOffset, event);
            } catch (BinaryXml.FormatException e) {
                visitor.unparseable(new UnparseableRecord(source, recordOffset, "broken Binary XML: " + e.getMessage()));
            }
            pos += size;
        }
    }

    /** Next offset that starts a well-framed record, or -1. */
    private static int nextRecordStart(byte[] chunk, int from, int limit) {
        for (int p = from; p + RECORD_HEADER_BYTES + RECORD_TRAILER_BYTES <= limit; p++) {
            if (u32(chunk, p) == RECORD_SIGNATURE) {
                int size = u32(chunk, p + 4);
                if (size >= RECORD_HEADER_BYTES + RECORD_TRAILER_BYTES && size <= limit - p
                        && u32(chunk, p + size - RECORD_TRAILER_BYTES) == size) {
                    return p;
                }
            }
        }
        return -1;
    }

    private void interpret(String source, long offset, BinaryXml.Element event, RecordingVisitor visitor) {
        BinaryXml.Element system = event.child("System");
        BinaryXml.Element eventIdElement = system == null ? null : system.child("EventID");
        if (eventIdElement == null) {
            visitor.unparseable(new UnparseableRecord(source, offset, "event without System/EventID"));
            return;
        }
        String idText = eventIdElement.text.toString().strip();
        int eventId;
        try {
            eventId = Integer.parseInt(idText);
        } catch (NumberFormatException e) {
            visitor.unparseable(new UnparseableRecord(source, offset, "EventID '" + idText + "' is not a number"));
            return;
        }
        BinaryXml.Element provider = system.child("Provider");
        String providerName = provider == null ? "" : provider.attributes.getOrDefault("Name", "");
        if (!providerName.equals(SYSMON_PROVIDER)) {
            visitor.outsideOperationClasses(source, offset,
                    (providerName.isEmpty() ? "unnamed provider" : providerName) + " event " + eventId);
            return;
        }
        SysmonEventFields.interpret(source, offset, eventId, eventData(event), paths, visitor);
    }

    /** EventData's {@code <Data Name="...">} values by name. */
    static Map<String, String> eventData(BinaryXml.Element event) {
        Map<String, String> fields = new HashMap<>();
        BinaryXml.Element data = event.child("EventData");
        if (data != null) {
            for (BinaryXml.Element d : data.children) {
                String name = d.attributes.get("Name");
                if (d.name.equals("Data") && name != null) {
                    fields.put(name, d.text.toString());
                }
            }
        }
        return fields;
    }

    private static boolean allZero(byte[] b, int length) {
        for (int i = 0; i < length; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static int crc(byte[] b, int offset, int length) {
        CRC32 c = new CRC32();
        c.update(b, offset, length);
        return (int) c.getValue();
    }

    private static int u32(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8 | (b[o + 2] & 0xFF) << 16 | (b[o + 3] & 0xFF) << 24;
    }
}
