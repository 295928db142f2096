package dev.hiveguard.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.RegistryValueType;
import dev.hiveguard.model.ValueRendering;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.Decision;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rollover while a log shipper holds the active file, the way Filebeat's filestream
 * input tails it: keep the open handle, read it to its end, and when the path names
 * a different file (by file key), finish the old handle and open the new file. The
 * trail's rename-based rollover must hand the shipper every line exactly once. (On
 * Windows the same holds because both sides open with FILE_SHARE_DELETE: see
 * RollingAuditFile.roll.)
 */
class RolloverWhileShippedTest {

    private static final String KEY = "\\REGISTRY\\MACHINE\\SOFTWARE\\HiveGuardShipTest";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A tailing reader holding one file open at a time. */
    private static final class Shipper {
        private final Path active;
        private FileChannel held;
        private Object heldKey;
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        final List<Long> sequences = new ArrayList<>();
        int filesFollowed;

        Shipper(Path active) {
            this.active = active;
        }

        void poll() throws IOException {
            if (held == null) {
                openActive();
            }
            drain();
            Object now = keyOf(active);
            if (now != null && !now.equals(heldKey)) { // rotated: the old file is complete, follow the path
                drain();
                held.close();
                openActive();
                drain();
            }
        }

        private static Object keyOf(Path p) throws IOException {
            try {
                return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
            } catch (NoSuchFileException e) {
                return null;
            }
        }

        private void openActive() throws IOException {
            held = FileChannel.open(active, StandardOpenOption.READ);
            heldKey = keyOf(active);
            filesFollowed++;
        }

        private void drain() throws IOException {
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (held.read(buf) > 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    byte b = buf.get();
                    if (b == '\n') {
                        String line = partial.toString(StandardCharsets.UTF_8);
                        partial.reset();
                        sequences.add(JSON.readTree(line).get("hiveguard.sequence").asLong());
                    } else {
                        partial.write(b);
                    }
                }
                buf.clear();
            }
        }
    }

    @Test
    void aTailingShipperReadsEveryLineOnceAcrossRollovers() throws IOException {
        AuditOptions opts = AuditOptions.in(dir).withMaxFileBytes(AuditOptions.MIN_MAX_FILE_BYTES)
                .withRetainedFiles(2).withFlushInterval(AuditOptions.MAX_FLUSH_INTERVAL);
        Shipper shipper = new Shipper(opts.activeFile());
        int total = 600;
        try (JsonAuditWriter w = new JsonAuditWriter(opts)) {
            for (int i = 1; i <= total; i++) {
                w.record(AuditEvents.event(Operation.SET_VALUE, RegistryEvent.F_VERDICT_REQUESTED, i, KEY, "v" + i, "",
                        RegistryValueType.REG_DWORD, ValueRendering.dword(i)), Decision.of(Action.ALLOW, null),
                        Verdict.ALLOW, 1_000);
                if (i % 3 == 0) { // the shipper lags: several lines, sometimes a rollover, between polls
                    w.flush();
                    shipper.poll();
                }
            }
            w.flush();
            shipper.poll();
        }
        shipper.poll();
        List<Long> expected = new ArrayList<>();
        for (long i = 1; i <= total; i++) {
            expected.add(i);
        }
        assertEquals(expected, shipper.sequences, "every line once, in order");
        assertTrue(shipper.filesFollowed > 10, "the trail rolled while held: " + shipper.filesFollowed);
    }
}
