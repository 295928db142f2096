package dev.hiveguard.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.RegistryValueType;
import dev.hiveguard.model.ValueRendering;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.Decision;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit trail on a real full disk: a 256 KiB tmpfs filled by another file, then freed.
 * Needs Linux, root and {@code mount -t tmpfs}; anywhere else it is reported as skipped
 * (the same behaviour is proven everywhere by {@link AuditDiskFullTest}).
 */
class AuditTmpfsTest {

    private static final String KEY = "\\REGISTRY\\MACHINE\\SOFTWARE\\HiveGuardTmpfs";

    @TempDir
    Path dir;

    private Path mounted;

    private static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted != null) {
            run("umount", mounted.toString());
        }
    }

    @Test
    void aRealFullDiskLosesWholeLinesOnlyAndWritingResumes() throws Exception {
        assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "tmpfs test: not Linux");
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        int rc;
        try {
            rc = run("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt.toString());
        } catch (IOException e) {
            rc = -1;
        }
        assumeTrue(rc == 0, "tmpfs test skipped: cannot mount a tmpfs here (needs root and mount)");
        mounted = mnt;

        Path filler = mnt.resolve("filler");
        Files.write(filler, new byte[200 * 1024]);
        AuditOptions opts = AuditOptions.in(mnt.resolve("audit")).withFlushInterval(AuditOptions.MAX_FLUSH_INTERVAL);
        JsonAuditWriter w = new JsonAuditWriter(opts);
        long seq = 0;
        while (w.stats().failedLines() == 0 && seq < 100_000) {
            record(w, ++seq);
            if (seq % 10 == 0) {
                w.flush();
            }
        }
        assertTrue(w.stats().failedLines() > 0, "the tmpfs filled up");
        for (int i = 0; i < 500; i++) {
            record(w, ++seq); // lost: the disk is still full
        }
        w.flush();
        Files.delete(filler);
        long resumedAt = seq + 1;
        for (int i = 0; i < 50; i++) {
            record(w, ++seq);
        }
        w.close();

        List<Long> written = new ArrayList<>();
        AuditReader.Summary s = AuditReader.readTrail(opts, n -> written.add(n.get("hiveguard.sequence").asLong()));
        assertEquals(0, s.malformedLines(), "no split or glued line");
        assertFalse(s.partialTrailingLine());
        for (int i = 1; i < written.size(); i++) {
            assertTrue(written.get(i) > written.get(i - 1), "no line repeated or reordered");
        }
        JsonAuditWriter.Stats end = w.stats();
        assertEquals(written.size(), end.linesWritten());
        assertEquals(seq, end.linesWritten() + end.failedLines(), "written + lost = recorded");
        assertEquals(Files.size(opts.activeFile()), end.bytesWritten());
        assertEquals(resumedAt, written.get(written.size() - 50), "writing resumed with the first line after space returned");
        assertTrue(new String(Files.readAllBytes(opts.activeFile()), StandardCharsets.UTF_8).endsWith("\n"));
    }

    private static void record(JsonAuditWriter w, long sequence) {
        w.record(AuditEvents.event(Operation.SET_VALUE, RegistryEvent.F_VERDICT_REQUESTED, sequence, KEY, "v" + sequence, "",
                RegistryValueType.REG_DWORD, ValueRendering.dword((int) sequence)), Decision.of(Action.ALLOW, null),
                Verdict.ALLOW, 1_000);
    }
}
