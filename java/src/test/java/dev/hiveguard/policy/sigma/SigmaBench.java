package dev.hiveguard.policy.sigma;

import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.DatasetEvents;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.policy.PolicyLoader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * Decisions per CPU second of the whole SigmaHQ registry snapshot (278 expression rules, none
 * indexed by prefix: most test contains/endswith) against the shipped protect.xml as the
 * baseline, side by side in one run, one thread, over every recorded dataset event. Run by
 * {@code mvn -Pbench -DskipTests verify} (BenchMain).
 */
public final class SigmaBench {

    static final int WARMUP_ROUNDS = 5;
    static final int ROUNDS = 7;
    static final int PASSES_PER_ROUND = 3;

    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
    private static long sink;

    private SigmaBench() {
    }

    public static void main(String[] args) throws Exception {
        RegistryEvent[] ev = DatasetEvents.allEvents().toArray(new RegistryEvent[0]);
        CompiledPolicy protect = PolicyLoader.loadResource("protect.xml");
        SigmaPolicyLoader.Loaded l = SigmaPolicyLoader.load("sigma", SigmaSettings.defaults(), SigmaTestData.ruleTrees());
        CompiledPolicy sigma = CompiledPolicy.compile(l.document());
        double base = measure(protect, ev);
        double s = measure(sigma, ev);
        System.out.println("## SigmaBench: decisions per CPU second, one thread, " + ev.length + " recorded events");
        System.out.println();
        System.out.println("| policy | rules | decisions/s (CPU) | ratio vs protect.xml |");
        System.out.println("|---|---:|---:|---:|");
        System.out.printf(Locale.ROOT, "| protect.xml (baseline) | %d | %,.0f | 1.00 |%n", protect.document().rules().size(), base);
        System.out.printf(Locale.ROOT, "| SigmaHQ registry snapshot | %d | %,.0f | %.2f |%n", sigma.document().rules().size(),
                s, s / base);
        System.out.println();
        System.out.println("Median of " + ROUNDS + " rounds after " + WARMUP_ROUNDS + " warm-up rounds.");
    }

    private static double measure(Policy p, RegistryEvent[] ev) {
        for (int i = 0; i < WARMUP_ROUNDS; i++) {
            round(p, ev);
        }
        double[] rates = new double[ROUNDS];
        for (int i = 0; i < ROUNDS; i++) {
            long t0 = CPU.getCurrentThreadCpuTime();
            round(p, ev);
            long dt = CPU.getCurrentThreadCpuTime() - t0;
            rates[i] = (double) ev.length * PASSES_PER_ROUND / (dt / 1e9);
        }
        Arrays.sort(rates);
        if (sink == 42) {
            System.out.println(sink); // keeps the decisions observable to the JIT
        }
        return rates[ROUNDS / 2];
    }

    private static void round(Policy p, RegistryEvent[] ev) {
        long acc = 0;
        for (int pass = 0; pass < PASSES_PER_ROUND; pass++) {
            for (RegistryEvent e : ev) {
                acc += p.decide(e).action().ordinal();
            }
        }
        sink += acc;
    }
}
