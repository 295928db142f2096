package dev.hiveguard.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.RegistryValueType;
import dev.hiveguard.model.ValueRendering;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.Decision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The audit trail through a full disk and a failing device, on a real file behind a channel
 * that fails as they do ({@link FullDiskChannel}): no record is duplicated, split or glued,
 * the lost ones are counted exactly, the log says so once per interval rather than once per
 * line, and writing resumes cleanly when space returns.
 */
class AuditDiskFullTest {

    private static final String KEY = "\\REGISTRY\\MACHINE\\SOFTWARE\\HiveGuardDiskFull";

    @TempDir
    Path dir;

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger writerLog = (Logger) LoggerFactory.getLogger(JsonAuditWriter.class);

    @BeforeEach
    void captureLog() {
        log.start();
        writerLog.addAppender(log);
    }

    @AfterEach
    void releaseLog() {
        writerLog.detachAppender(log);
    }

    private static void record(JsonAuditWriter w, long sequence) {
        w.record(AuditEvents.event(Operation.SET_VALUE, RegistryEvent.F_VERDICT_REQUESTED, sequence, KEY, "v" + sequence, "",
                RegistryValueType.REG_DWORD, ValueRendering.dword((int) sequence)), Decision.of(Action.ALLOW, null),
                Verdict.ALLOW, 1_000);
    }

    private List<ILoggingEvent> logged(Level level) {
        return log.list.stream().filter(e -> e.getLevel() == level).toList();
    }

    /** Every record of the trail, checked whole, with its sequence numbers in file order. */
    private static List<Long> sequences(AuditOptions opts) throws Exception {
        List<Long> out = new ArrayList<>();
        AuditReader.Summary s = AuditReader.readTrail(opts, n -> out.add(n.get("hiveguard.sequence").asLong()));
        assertEquals(0, s.malformedLines(), "no split or glued line");
        assertFalse(s.partialTrailingLine(), "no fragment at the end");
        return out;
    }

    private static void assertStrictlyIncreasing(List<Long> seq) {
        for (int i = 1; i < seq.size(); i++) {
            assertTrue(seq.get(i) > seq.get(i - 1), "duplicated or reordered at " + i + ": " + seq.get(i - 1)
                    + " then " + seq.get(i));
        }
    }

    @Test
    void aFullDiskLosesLinesCountedAndReportedOnceThenResumesCleanly() throws Exception {
        AuditOptions opts = AuditOptions.in(dir).withFlushInterval(AuditOptions.MAX_FLUSH_INTERVAL);
        FullDiskChannel.Disk disk = new FullDiskChannel.Disk();
        JsonAuditWriter w = new JsonAuditWriter(opts, Clock.systemUTC(), disk.opener(), nanos::get);
        long seq = 0;
        for (int i = 0; i < 200; i++) {
            record(w, ++seq);
        }
        w.flush();
        long before = Files.size(opts.activeFile());
        assertEquals(200, w.stats().linesWritten());
        // The disk fills up mid-line: 2.5 lines' worth of room left.
        long line = before / 200;
        disk.capacity = before + 2 * line + line / 2;
        // 8 seconds of a busy agent on a full disk, flushing every second.
        for (int s = 0; s < 8; s++) {
            for (int i = 0; i < 5_000; i++) {
                record(w, ++seq);
            }
            w.flush();
            nanos.addAndGet(1_000_000_000L);
        }
        JsonAuditWriter.Stats full = w.stats();
        assertEquals(202, full.linesWritten(), "the two whole lines that fitted, nothing more");
        assertEquals(seq - 202, full.failedLines(), "every other line counted as lost, exactly");
        assertEquals(Files.size(opts.activeFile()), full.bytesWritten() + 0, "the half line was cut off the file");
        assertEquals(1, logged(Level.ERROR).size(), "one error for 8 s of losses, not one per line: " + log.list);

        // A minute later, still full: one summary line.
        nanos.addAndGet(JsonAuditWriter.LOSS_REPORT_INTERVAL.toNanos());
        record(w, ++seq);
        w.flush();
        assertEquals(2, logged(Level.ERROR).size(), log.list.toString());
        assertTrue(logged(Level.ERROR).get(1).getFormattedMessage().contains("(39998 in all"),
                logged(Level.ERROR).get(1).getFormattedMessage());

        // Space returns: the next lines are written whole, after the last whole line.
        disk.capacity = Long.MAX_VALUE;
        long resumedAt = seq + 1;
        for (int i = 0; i < 300; i++) {
            record(w, ++seq);
        }
        w.close();
        List<ILoggingEvent> warns = logged(Level.WARN);
        assertEquals(1, warns.size(), log.list.toString());
        assertTrue(warns.get(0).getFormattedMessage().contains("resumed; 39999 line(s) lost"), warns.get(0).getFormattedMessage());

        List<Long> written = sequences(opts);
        assertStrictlyIncreasing(written);
        assertEquals(502, written.size());
        assertEquals(202L, written.get(201));
        assertEquals(resumedAt, written.get(202), "writing resumes with the first line recorded after space returned");
        JsonAuditWriter.Stats end = w.stats();
        assertEquals(written.size(), end.linesWritten());
        assertEquals(seq, end.linesWritten() + end.failedLines(), "written + lost = recorded");
        assertEquals(Files.size(opts.activeFile()), end.bytesWritten());
    }

    @Test
    void aDeviceThatFailsWritesAndTruncatesLeavesNoFragmentBehind() throws Exception {
        AuditOptions opts = AuditOptions.in(dir).withFlushInterval(AuditOptions.MAX_FLUSH_INTERVAL);
        FullDiskChannel.Disk disk = new FullDiskChannel.Disk();
        JsonAuditWriter w = new JsonAuditWriter(opts, Clock.systemUTC(), disk.opener(), nanos::get);
        long seq = 0;
        for (int i = 0; i < 50; i++) {
            record(w, ++seq);
        }
        w.flush();
        // Half of every write lands, then the device errors; the cut back fails too.
        disk.broken = true;
        for (int i = 0; i < 40; i++) {
            record(w, ++seq);
        }
        w.flush();
        JsonAuditWriter.Stats broken = w.stats();
        assertTrue(broken.linesWritten() >= 50 && broken.linesWritten() < 90, broken.toString());
        assertEquals(seq, broken.linesWritten() + broken.failedLines());
        disk.broken = false;
        for (int i = 0; i < 10; i++) {
            record(w, ++seq);
        }
        w.close();
        assertTrue(disk.opens >= 2, "the file was reopened after the failed cut");
        List<Long> written = sequences(opts);
        assertStrictlyIncreasing(written);
        JsonAuditWriter.Stats end = w.stats();
        assertEquals(written.size(), end.linesWritten());
        assertEquals(seq, end.linesWritten() + end.failedLines());
        assertEquals(seq, (long) written.get(written.size() - 1));
        Set<Long> unique = new HashSet<>(written);
        assertEquals(written.size(), unique.size());
    }

    @Test
    void rollingOnAFullDiskNeitherSplitsNorRepeats() throws Exception {
        AuditOptions opts = AuditOptions.in(dir).withMaxFileBytes(AuditOptions.MIN_MAX_FILE_BYTES * 4)
                .withRetainedFiles(50).withFlushInterval(AuditOptions.MAX_FLUSH_INTERVAL);
        FullDiskChannel.Disk disk = new FullDiskChannel.Disk();
        JsonAuditWriter w = new JsonAuditWriter(opts, Clock.systemUTC(), disk.opener(), nanos::get);
        long seq = 0;
        for (int round = 0; round < 6; round++) {
            disk.capacity = round % 2 == 0 ? Long.MAX_VALUE : 5_000; // each new file has 5,000 bytes of room
            for (int i = 0; i < 100; i++) {
                record(w, ++seq);
                if (i % 7 == 0) {
                    w.flush();
                }
            }
        }
        w.close();
        List<Long> written = sequences(opts);
        assertStrictlyIncreasing(written);
        JsonAuditWriter.Stats end = w.stats();
        assertEquals(written.size(), end.linesWritten());
        assertEquals(seq, end.linesWritten() + end.failedLines());
        assertTrue(end.failedLines() > 0 && end.rolls() > 0, end.toString());
        // Three outages within a second: one report when the first started, one at close for the rest.
        assertEquals(2, logged(Level.ERROR).size(), log.list.toString());
        assertEquals(1, logged(Level.WARN).size(), log.list.toString());
    }
}
