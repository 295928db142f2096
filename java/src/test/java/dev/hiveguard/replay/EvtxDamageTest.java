package dev.hiveguard.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged .evtx files, made from a real Sigma regression recording: a failing checksum, broken
 * record framing or Binary XML, a truncated file - each is reported as unparseable with the
 * file offset and the rest is read; nothing ends in anything but a one-line file error.
 */
class EvtxDamageTest {

    /** The damaged chunk: the second; the first stays intact, so the file is still a recording. */
    private static final int CHUNK = EvtxReader.FILE_HEADER_BYTES + EvtxReader.CHUNK_BYTES;
    private static final int RECORDS = CHUNK + 512;
    /** Fixed seeds: a failure reproduces. */
    private static final long[] SEEDS = {1, 2, 3, 42, 1337, 20261204};
    private static final int MUTATIONS_PER_SEED = 60;

    @TempDir
    Path tmp;

    /** The three-event recording (change security zones): one chunk of three records. */
    private static byte[] oneChunk() throws Exception {
        Path evtx = ReplayTestData.sigmaRegressionEvtx().stream()
                .filter(p -> p.getFileName().toString().startsWith("45e112d0")).findFirst().orElseThrow();
        return Files.readAllBytes(evtx);
    }

    /** The recording with its chunk twice: the damage goes into the second. */
    private static byte[] original() throws Exception {
        byte[] one = oneChunk();
        byte[] two = Arrays.copyOf(one, one.length + EvtxReader.CHUNK_BYTES);
        System.arraycopy(one, EvtxReader.FILE_HEADER_BYTES, two, one.length, EvtxReader.CHUNK_BYTES);
        return two;
    }

    private LoadedRecordings read(byte[] content) throws Exception {
        Path file = tmp.resolve("damaged.evtx");
        Files.write(file, content);
        LoadedRecordings r = new LoadedRecordings();
        Recordings.read(file, null, PathTranslator.defaults(), r);
        return r;
    }

    private static int u32(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8 | (b[o + 2] & 0xFF) << 16 | (b[o + 3] & 0xFF) << 24;
    }

    private static void putU32(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >>> 8);
        b[o + 2] = (byte) (v >>> 16);
        b[o + 3] = (byte) (v >>> 24);
    }

    /** Makes the chunk's checksums agree with its (damaged) content, so the damage reaches the decoder. */
    private static void fixChecksums(byte[] b) {
        int free = u32(b, CHUNK + 48);
        CRC32 records = new CRC32();
        records.update(b, RECORDS, free - 512);
        putU32(b, CHUNK + 52, (int) records.getValue());
        CRC32 header = new CRC32();
        header.update(b, CHUNK, 120);
        header.update(b, CHUNK + 128, 512 - 128);
        putU32(b, CHUNK + 124, (int) header.getValue());
    }

    @Test
    void intactFileHasSixOperations() throws Exception {
        LoadedRecordings r = read(original());
        assertEquals(List.of(), r.unparseable());
        assertEquals(6, r.operations().size());
    }

    @Test
    void aFileWhoseOnlyChunkIsDamagedIsNoRecording() throws Exception {
        byte[] b = oneChunk();
        b[EvtxReader.FILE_HEADER_BYTES + 600] ^= 0x55;
        RecordingException e = org.junit.jupiter.api.Assertions.assertThrows(RecordingException.class, () -> read(b));
        assertTrue(e.getMessage().contains("not a recording"), e.getMessage());
        assertTrue(e.getMessage().contains("damaged.evtx:4096: EVTX chunk records checksum mismatch"), e.getMessage());
    }

    @Test
    void aFlippedRecordByteFailsTheChunkChecksumAndIsReportedAtTheChunk() throws Exception {
        byte[] b = original();
        b[RECORDS + 100] ^= 0x55;
        LoadedRecordings r = read(b);
        assertEquals(3, r.operations().size());
        assertEquals(1, r.unparseable().size());
        assertEquals(CHUNK, r.unparseable().get(0).line());
        assertTrue(r.unparseable().get(0).reason().contains("records checksum mismatch"), r.unparseable().toString());
        assertTrue(r.unparseable().get(0).location().endsWith("damaged.evtx:" + CHUNK));
    }

    @Test
    void aDamagedChunkHeaderIsReported() throws Exception {
        byte[] b = original();
        b[CHUNK + 30] ^= 0x01;
        LoadedRecordings r = read(b);
        assertEquals(3, r.operations().size());
        assertTrue(r.unparseable().get(0).reason().contains("chunk header checksum mismatch"));
    }

    @Test
    void brokenRecordFramingSkipsToTheNextRecord() throws Exception {
        byte[] b = original();
        b[RECORDS] = 0; // first record's signature
        fixChecksums(b);
        LoadedRecordings r = read(b);
        assertEquals(3 + 2, r.operations().size(), "the second and third records still read");
        assertEquals(RECORDS, r.unparseable().get(0).line());
        assertTrue(r.unparseable().get(0).reason().contains("framing"));
    }

    @Test
    void aTruncatedFileReportsTheTruncatedChunk() throws Exception {
        byte[] b = Arrays.copyOf(original(), CHUNK + 2000);
        LoadedRecordings r = read(b);
        assertEquals(3, r.operations().size());
        assertEquals(CHUNK, r.unparseable().get(0).line());
        assertTrue(r.unparseable().get(0).reason().contains("truncated"));
    }

    @Test
    void chunksAfterTheFirstAreRead() throws Exception {
        LoadedRecordings r = read(original());
        assertEquals(r.operations().get(0).line() + EvtxReader.CHUNK_BYTES, r.operations().get(3).line());
    }

    /**
     * Random byte damage inside the records, checksums made to agree so the Binary XML decoder
     * meets it: every outcome is an operation, an unparseable record or a counted non-registry
     * event, never an exception.
     */
    @Test
    void randomDamageBehindValidChecksumsNeverCrashes() throws Exception {
        byte[] intact = original();
        int free = u32(intact, CHUNK + 48);
        int reported = 0;
        for (long seed : SEEDS) {
            Random rnd = new Random(seed);
            for (int i = 0; i < MUTATIONS_PER_SEED; i++) {
                byte[] b = intact.clone();
                int edits = 1 + rnd.nextInt(6);
                for (int e = 0; e < edits; e++) {
                    int at = RECORDS + rnd.nextInt(free - 512);
                    b[at] = rnd.nextInt(3) == 0 ? (byte) rnd.nextInt(256) : (byte) (b[at] ^ (1 << rnd.nextInt(8)));
                }
                fixChecksums(b);
                LoadedRecordings r = read(b);
                long seen = r.operations().size() - 3 + r.unparseable().size() + r.outsideClassesTotal();
                assertTrue(seen >= 1 || Arrays.equals(b, intact), "seed " + seed + " mutation " + i);
                for (UnparseableRecord u : r.unparseable()) {
                    assertFalse(u.reason().contains("\n"), u.reason());
                    assertTrue(u.line() >= CHUNK && u.line() < CHUNK + EvtxReader.CHUNK_BYTES, u.toString());
                }
                reported += r.unparseable().size();
            }
        }
        assertTrue(reported > 0, "the damage was seen at least once");
    }
}
