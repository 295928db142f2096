package dev.hiveguard.audit;

import dev.hiveguard.model.ValueRendering;
import dev.hiveguard.model.RegistryValueType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.Decision;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonAuditWriterTest {

    private static final String KEY = "\\REGISTRY\\MACHINE\\SOFTWARE\\HiveGuardTest";
    /** Long enough that no periodic flush happens during a test that must not rely on one. */
    private static final Duration NO_PERIODIC_FLUSH = AuditOptions.MAX_FLUSH_INTERVAL;

    @TempDir
    Path dir;

    private static RegistryEvent numbered(long sequence) {
        return AuditEvents.event(Operation.SET_VALUE, RegistryEvent.F_VERDICT_REQUESTED, sequence, KEY,
                "v" + sequence, "", RegistryValueType.REG_DWORD, ValueRendering.dword((int) sequence));
    }

    private static void record(JsonAuditWriter w, long sequence) {
        w.record(numbered(sequence), Decision.of(Action.ALLOW, null), Verdict.ALLOW, 1_000);
    }

    @Test
    void closeDrainsEveryLineRecordedBeforeIt() throws IOException {
        AuditOptions opts = AuditOptions.in(dir).withFlushInterval(NO_PERIODIC_FLUSH);
        JsonAuditWriter w = new JsonAuditWriter(opts);
        for (int i = 1; i <= 500; i++) {
            record(w, i);
        }
        long beforeClose = Files.size(opts.activeFile());
        w.close();
        List<JsonNode> lines = AuditReader.readAll(opts.activeFile());
        assertEquals(500, lines.size());
        assertTrue(beforeClose < Files.size(opts.activeFile()), "the tail was still buffered before close");
        for (int i = 0; i < 500; i++) {
            assertEquals(i + 1, lines.get(i).get("hiveguard.sequence").asLong());
        }
        assertEquals(500, w.stats().linesWritten());
        assertEquals(Files.size(opts.activeFile()), w.stats().bytesWritten());
    }

    @Test
    void recordAfterCloseIsRefusedLoudlyAndCloseIsIdempotent() {
        JsonAuditWriter w = new JsonAuditWriter(AuditOptions.in(dir));
        w.close();
        w.close();
        assertThrows(IllegalStateException.class, () -> record(w, 1));
    }

    @Test
    void periodicFlushMakesLinesVisibleWithoutClose() throws Exception {
        AuditOptions opts = AuditOptions.in(dir).withFlushInterval(AuditOptions.MIN_FLUSH_INTERVAL);
        try (JsonAuditWriter w = new JsonAuditWriter(opts)) {
            record(w, 1);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (Files.size(opts.activeFile()) == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(1, AuditReader.readAll(opts.activeFile()).size());
        }
    }

    @Test
    void rollsBySizeKeepsTheRetentionCountAndNeverSplitsALine() throws IOException {
        AuditOptions opts = AuditOptions.in(dir).withMaxFileBytes(AuditOptions.MIN_MAX_FILE_BYTES)
                .withRetainedFiles(3).withFlushInterval(NO_PERIODIC_FLUSH);
        int total = 200;
        try (JsonAuditWriter w = new JsonAuditWriter(opts)) {
            for (int i = 1; i <= total; i++) {
                record(w, i);
            }
            assertTrue(w.stats().rolls() > 3, "enough lines to roll past the retention count");
        }
        assertTrue(Files.exists(opts.rolledFile(3)));
        assertFalse(Files.exists(opts.rolledFile(4)), "files beyond the retention count are deleted");

        List<Long> sequences = new ArrayList<>();
        AuditReader.Summary s = AuditReader.readTrail(opts, n -> sequences.add(n.get("hiveguard.sequence").asLong()));
        assertEquals(0, s.malformedLines());
        assertFalse(s.partialTrailingLine());
        assertEquals(4, s.files().size());
        for (Path f : s.files()) {
            assertTrue(Files.size(f) <= AuditOptions.MIN_MAX_FILE_BYTES, f + " exceeds the size limit");
        }
        // What survives is the newest, contiguous tail of the stream, in order.
        long first = sequences.get(0);
        assertTrue(first > 1, "oldest lines were deleted with their file");
        for (int i = 0; i < sequences.size(); i++) {
            assertEquals(first + i, sequences.get(i));
        }
        assertEquals(total, sequences.get(sequences.size() - 1));
    }

    @Test
    void partialTrailingLineIsSkippedAndTheNextWriterDoesNotGlueOntoIt() throws IOException {
        AuditOptions opts = AuditOptions.in(dir);
        try (JsonAuditWriter w = new JsonAuditWriter(opts)) {
            for (int i = 1; i <= 10; i++) {
                record(w, i);
            }
        }
        // A crash mid-write: cut the file in the middle of its last line.
        long size = Files.size(opts.activeFile());
        try (FileChannel ch = FileChannel.open(opts.activeFile(), StandardOpenOption.WRITE)) {
            ch.truncate(size - 37);
        }
        AuditReader.Summary s = AuditReader.read(opts.activeFile(), n -> { });
        assertEquals(9, s.records());
        assertTrue(s.partialTrailingLine());
        assertEquals(0, s.malformedLines());

        try (JsonAuditWriter w = new JsonAuditWriter(opts)) {
            record(w, 11);
            record(w, 12);
        }
        List<Long> sequences = new ArrayList<>();
        s = AuditReader.read(opts.activeFile(), n -> sequences.add(n.get("hiveguard.sequence").asLong()));
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 11L, 12L), sequences);
        assertEquals(1, s.malformedLines(), "the crash's partial line, now closed, is reported");
        assertFalse(s.partialTrailingLine());
    }

    @Test
    void concurrentWritersNeverInterleaveOrLoseALine() throws Exception {
        AuditOptions opts = AuditOptions.in(dir).withMaxFileBytes(256 * 1024).withRetainedFiles(100)
                .withFlushInterval(AuditOptions.MIN_FLUSH_INTERVAL);
        int threads = 8;
        int perThread = 2_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try (JsonAuditWriter w = new JsonAuditWriter(opts)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int base = t * 1_000_000;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        record(w, base + i);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        Set<Long> seen = new HashSet<>();
        AuditReader.Summary s = AuditReader.readTrail(opts, n -> {
            long seq = n.get("hiveguard.sequence").asLong();
            assertTrue(seen.add(seq), "duplicate line " + seq);
            assertEquals("v" + seq, n.get("registry.value").asText(), "fields of one line stay together");
        });
        assertEquals(0, s.malformedLines());
        assertEquals((long) threads * perThread, s.records());
        assertTrue(s.files().size() > 1, "the run also rolled under concurrency");
    }

    @Test
    void optionsRejectOutOfRangeValuesNamingTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AuditOptions.in(dir).withMaxFileBytes(10));
        assertTrue(e.getMessage().contains("max file size"));
        e = assertThrows(IllegalArgumentException.class, () -> AuditOptions.in(dir).withRetainedFiles(0));
        assertTrue(e.getMessage().contains("retained files"));
        e = assertThrows(IllegalArgumentException.class,
                () -> AuditOptions.in(dir).withFlushInterval(Duration.ofMillis(1)));
        assertTrue(e.getMessage().contains("flush interval"));
    }

    @Test
    void unopenableDirectoryIsAClearError() throws IOException {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> new JsonAuditWriter(AuditOptions.in(file.resolve("sub"))));
        assertTrue(e.getMessage().contains("cannot open audit file"), e.getMessage());
    }
}
