package dev.hiveguard.bench;

import java.lang.reflect.Method;
import java.util.List;

/**
 * Runs every HiveGuard benchmark in one JVM, one after the other, so their
 * tables land in one report. Each benchmark is a class with a {@code main} that
 * measures its subject and a baseline side by side and prints a markdown table
 * with the ratio. A benchmark that is missing from the build is reported, not
 * skipped silently.
 */
public final class BenchMain {

    private static final List<String> BENCHMARKS = List.of(
            "dev.hiveguard.bench.PolicyBench",
            "dev.hiveguard.bench.PolicyCompileBench",
            "dev.hiveguard.policy.sigma.SigmaBench",
            "dev.hiveguard.bench.ReplayBench",
            "dev.hiveguard.bench.ReplayMemoryBench",
            "dev.hiveguard.audit.AuditBench",
            "dev.hiveguard.pump.PumpBench");

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        int failed = 0;
        // -Dhiveguard.bench=PumpBench runs that one alone (simple class names, comma-separated).
        String only = System.getProperty("hiveguard.bench", "").trim();
        List<String> chosen = only.isEmpty() ? BENCHMARKS : BENCHMARKS.stream()
                .filter(n -> List.of(only.split(",")).contains(n.substring(n.lastIndexOf('.') + 1))).toList();
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("no benchmark named " + only + " in " + BENCHMARKS);
        }
        for (String name : chosen) {
            System.out.println();
            System.out.println("## " + name.substring(name.lastIndexOf('.') + 1));
            System.out.println();
            Class<?> type;
            try {
                type = Class.forName(name);
            } catch (ClassNotFoundException e) {
                System.out.println("(not in this build)");
                failed++;
                continue;
            }
            Method main = type.getMethod("main", String[].class);
            main.invoke(null, (Object) args);
        }
        if (failed > 0) {
            System.out.println();
            System.out.println(failed + " benchmark(s) missing from the build");
        }
    }
}
