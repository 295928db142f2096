package dev.hiveguard.bench;

import dev.hiveguard.model.Subscription;
import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.ManyPathPolicies;
import dev.hiveguard.policy.PolicyDocument;
import dev.hiveguard.policy.PolicyLoader;
import dev.hiveguard.policy.SubscriptionCompilers;
import dev.hiveguard.wire.ConfigMessage;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.ThreadMXBean;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What a large policy costs to compile and validate: the previous (quadratic) subscription
 * compiler against the current one side by side on the same generated policies of 2,000,
 * 8,000 and 20,000 rules (one distinct TargetObject each, the shape of a fleet-wide list),
 * then {@code hiveguard policy validate} on each policy in a fresh JVM capped at
 * {@code -Xmx256m}, which is the goal as an admin meets it: under 2 s and 256 MiB at 20,000 rules.
 *
 * <p>Times are CPU time of the compiling thread (the machines are shared); the current
 * compiler's cell is the median of {@value #ROUNDS} runs after one warm-up, the previous
 * compiler's a single run, by default only at 2,000 rules: it is quadratic and takes many
 * minutes at 8,000 of these rules on a shared machine (the issue measured 66 s at 8,000 and
 * over 300 s and 2.8 GB at 20,000); {@code -Dhiveguard.bench.previousMaxRules=N} runs it up to N.
 * Peak heap is the sum of the heap pools' peak usage during the run, garbage included.
 */
public final class PolicyCompileBench {

    static final int[] SIZES = {2_000, 8_000, 20_000};
    static final long SEED = 20261204L;
    static final int ROUNDS = 3;
    static final long CHILD_HEAP_MIB = 256;

    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private PolicyCompileBench() {
    }

    private record Cost(double cpuMs, double peakMiB, Object result) {
    }

    public static void main(String[] args) throws Exception {
        int previousMax = Integer.getInteger("hiveguard.bench.previousMaxRules", 2_000);
        List<String[]> rows = new ArrayList<>();
        Path dir = Files.createTempDirectory("hiveguard-compile-bench");
        try {
            for (int n : SIZES) {
                String xml = ManyPathPolicies.policyXml(SEED, n);
                byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
                PolicyDocument doc = PolicyLoader.parse("bench.xml", bytes);
                Cost cur = median(() -> SubscriptionCompilers.current(doc));
                Subscription sub = (Subscription) cur.result;
                Cost old = n <= previousMax ? measure(() -> SubscriptionCompilers.previous(doc)) : null;
                if (old != null && ((Subscription) old.result).prefixes().size() <= 4096
                        && fitsOrNull((Subscription) old.result) != null && !old.result.equals(sub)) {
                    throw new IllegalStateException("compilers disagree on a table that fits at " + n + " rules");
                }
                Cost validate = median(() -> {
                    try {
                        return PolicyLoader.compile(PolicyLoader.parse("bench.xml", bytes));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                Path file = dir.resolve("policy-" + n + ".xml");
                Files.write(file, bytes);
                String child = validateInChildJvm(file);
                rows.add(new String[] {
                    String.format(Locale.ROOT, "%,d", doc.rules().size()),
                    old == null ? "not run (minutes)" : ms(old.cpuMs) + " / " + mib(old.peakMiB),
                    ms(cur.cpuMs) + " / " + mib(cur.peakMiB),
                    old == null ? "-" : String.format(Locale.ROOT, "%,.0f×", old.cpuMs / cur.cpuMs),
                    Integer.toString(sub.prefixes().size()) + (((CompiledPolicy) validate.result).subscriptionNotes().isEmpty()
                            ? "" : " (widened)"),
                    String.format(Locale.ROOT, "%,d", ConfigMessage.encode(sub).length),
                    ms(validate.cpuMs) + " / " + mib(validate.peakMiB),
                    child});
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
        System.out.println("## PolicyCompileBench: subscription compile, previous vs current, and validate under -Xmx"
                + CHILD_HEAP_MIB + "m");
        System.out.println();
        System.out.println("| rules | previous compiler CPU / peak heap | current compiler CPU / peak heap | speed-up "
                + "| prefixes | CONFIGURE bytes | parse+compile+check CPU / peak heap | `policy validate`, fresh JVM -Xmx"
                + CHILD_HEAP_MIB + "m: exit, wall |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (String[] r : rows) {
            System.out.println("| " + String.join(" | ", r) + " |");
        }
        System.out.println();
        System.out.println("Policies: ManyPathPolicies seed " + SEED + " (one begin-with TargetObject per rule, an exclusion"
                + " every 50); JVM " + System.getProperty("java.version") + ", " + Runtime.getRuntime().availableProcessors()
                + " CPUs visible, load average " + loadAverage() + " at the end (wall times stretch with it; CPU times"
                + " much less). Goal: 20,000 rules validate in < 2 s and < 256 MiB.");
    }

    private static Subscription fitsOrNull(Subscription s) {
        try {
            ConfigMessage.encode(s);
            return s;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Cost median(Supplier<Object> work) {
        measure(work); // warm-up
        Cost[] runs = new Cost[ROUNDS];
        for (int i = 0; i < ROUNDS; i++) {
            runs[i] = measure(work);
        }
        Arrays.sort(runs, (a, b) -> Double.compare(a.cpuMs, b.cpuMs));
        return runs[ROUNDS / 2];
    }

    private static Cost measure(Supplier<Object> work) {
        System.gc();
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        long t0 = CPU.getCurrentThreadCpuTime();
        Object result = work.get();
        double cpuMs = (CPU.getCurrentThreadCpuTime() - t0) / 1e6;
        long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        return new Cost(cpuMs, peak / (1024.0 * 1024.0), result);
    }

    /**
     * {@code hiveguard policy validate FILE} in a new JVM with the heap capped: exit code, wall
     * time and, where GNU time is installed, the process's CPU time (all threads: JIT and GC
     * included) and peak RSS (the whole JVM, not only the heap).
     */
    private static String validateInChildJvm(Path file) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>();
        Path timing = Files.createTempFile(file.getParent(), "time", ".txt");
        boolean gnuTime = Files.isExecutable(Path.of("/usr/bin/time"));
        if (gnuTime) {
            cmd.addAll(List.of("/usr/bin/time", "-o", timing.toString(), "-f", "%U %S %M"));
        }
        cmd.addAll(List.of(java, "-Xmx" + CHILD_HEAP_MIB + "m", "-cp", classPath(), "dev.hiveguard.cli.Main", "policy",
                "validate", file.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(true);
        long t0 = System.nanoTime();
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "timed out";
        }
        double s = (System.nanoTime() - t0) / 1e9;
        String text = new String(out, StandardCharsets.UTF_8);
        String cpu = "";
        if (gnuTime) {
            String[] f = Files.readString(timing).trim().split("\\s+");
            if (f.length >= 3) {
                cpu = String.format(Locale.ROOT, ", CPU %.2f s, max RSS %d MiB", Double.parseDouble(f[0])
                        + Double.parseDouble(f[1]), Long.parseLong(f[2]) / 1024);
            }
        }
        Files.deleteIfExists(timing);
        return "exit " + p.exitValue() + ", wall " + String.format(Locale.ROOT, "%.2f s", s) + cpu
                + (p.exitValue() == 0 ? "" : " (" + text.lines().findFirst().orElse("") + ")");
    }

    /** The classpath this class was loaded from (exec:java runs it in a URLClassLoader, not java.class.path). */
    private static String classPath() {
        List<String> parts = new ArrayList<>();
        for (ClassLoader l = PolicyCompileBench.class.getClassLoader(); l != null; l = l.getParent()) {
            if (l instanceof URLClassLoader u) {
                for (URL url : u.getURLs()) {
                    if ("file".equals(url.getProtocol())) {
                        parts.add(new File(url.getPath()).getPath());
                    }
                }
            }
        }
        String own = System.getProperty("java.class.path");
        if (own != null && !own.isEmpty()) {
            parts.add(own);
        }
        return String.join(File.pathSeparator, parts);
    }

    private static String loadAverage() {
        return String.format(Locale.ROOT, "%.1f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    private static String ms(double v) {
        return String.format(Locale.ROOT, "%,.0f ms", v);
    }

    private static String mib(double v) {
        return String.format(Locale.ROOT, "%,.0f MiB", v);
    }
}
