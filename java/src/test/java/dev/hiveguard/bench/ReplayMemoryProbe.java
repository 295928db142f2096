package dev.hiveguard.bench;

import dev.hiveguard.audit.AuditOptions;
import dev.hiveguard.audit.JsonAuditWriter;
import dev.hiveguard.cli.Main;
import dev.hiveguard.policy.PolicyLoader;
import dev.hiveguard.replay.LoadedRecordings;
import dev.hiveguard.replay.PathTranslator;
import dev.hiveguard.replay.ReplayEngine;
import dev.hiveguard.replay.ReplayOptions;
import dev.hiveguard.replay.ReplayReport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs one replay in its own JVM (forked by {@link ReplayMemoryBench} with a heap limit) and
 * prints its outcome and the peak heap use: {@code streamed AUDIT_DIR POLICY FILE} through the
 * command line as an admin runs it, or {@code in-memory AUDIT_DIR POLICY FILE} the way replay
 * worked before it streamed (every record read into a list first), as the baseline.
 */
public final class ReplayMemoryProbe {

    private ReplayMemoryProbe() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path auditDir = Path.of(args[1]);
        String policy = args[2];
        Path file = Path.of(args[3]);
        long operations;
        int exit;
        long t0 = System.nanoTime();
        if (mode.equals("streamed")) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            exit = Main.newCommandLine(new PrintWriter(out), new PrintWriter(err)).execute("replay", "--policy", policy,
                    "--audit-dir", auditDir.toString(), "--no-progress", file.toString());
            operations = out.toString().lines().filter(l -> l.startsWith("records: ")).findFirst()
                    .map(l -> Long.parseLong(l.substring("records: ".length()).split(" ")[0])).orElse(-1L);
            if (exit != 0) {
                System.err.println(err);
            }
        } else {
            LoadedRecordings input = LoadedRecordings.load(List.of(file), null, PathTranslator.defaults());
            try (JsonAuditWriter audit = new JsonAuditWriter(AuditOptions.in(auditDir))) {
                ReplayReport r = new ReplayEngine(PolicyLoader.load(Path.of(policy)), audit,
                        ReplayOptions.defaults()).replay(input, List.of(file.toString()), "-");
                operations = r.operations();
            }
            exit = 0;
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        // Summed per-pool peaks: an upper bound of the peak of the whole heap.
        System.out.printf("probe exit=%d operations=%d peakHeapBytes=%d seconds=%.1f%n", exit, operations, peak,
                seconds);
    }
}
