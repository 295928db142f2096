package dev.hiveguard.bench;

import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.DatasetEvents;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.policy.PolicyDocument;
import dev.hiveguard.policy.PolicyLoader;
import dev.hiveguard.policy.RandomPolicies;
import dev.hiveguard.policy.ReferenceBaseline;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Decisions per second of the compiled policy engine against the straightforward
 * interpreter of the same rules, side by side in one run, on one thread, over every
 * recorded event of the shared datasets (paths as the driver would report them).
 *
 * <p>Rates are per CPU second of the measuring thread (ThreadMXBean), so a loaded shared
 * machine slows the run down but does not skew the numbers much.
 *
 * <p>Policies: the shipped protect.xml, and a generated policy of several hundred rules
 * over real registry locations (seeded, so every run measures the same policy). Each
 * cell is the median of {@value #ROUNDS} timed rounds after {@value #WARMUP_ROUNDS}
 * warm-up rounds; a round decides every event {@value #PASSES_PER_ROUND} times. Target:
 * at least 1,000,000 decisions/s for protect.xml.
 */
public final class PolicyBench {

    public static final int WARMUP_ROUNDS = 5;
    public static final int ROUNDS = 7;
    static final int PASSES_PER_ROUND = 3;
    static final int GENERATED_RULES = 500;
    static final long GENERATED_SEED = 20261121L;
    static final double TARGET_PER_SECOND = 1_000_000;

    private PolicyBench() {
    }

    public static void main(String[] args) throws Exception {
        List<RegistryEvent> events = DatasetEvents.allEvents();
        RegistryEvent[] ev = events.toArray(new RegistryEvent[0]);
        List<String[]> rows = new ArrayList<>();

        CompiledPolicy protect = PolicyLoader.loadResource("protect.xml");
        PolicyDocument generated = RandomPolicies.policy(new Random(GENERATED_SEED), GENERATED_RULES, false);
        CompiledPolicy gen = CompiledPolicy.compile(generated);

        boolean protectMeetsTarget = true;
        for (Object[] p : new Object[][] {
            {"protect.xml", protect, protect.document()},
            {"generated (seed " + GENERATED_SEED + ")", gen, generated}}) {
            CompiledPolicy compiled = (CompiledPolicy) p[1];
            Policy baseline = ReferenceBaseline.of((PolicyDocument) p[2]);
            // Both engines must agree before their speeds mean anything.
            for (RegistryEvent e : ev) {
                if (!compiled.decide(e).equals(baseline.decide(e))) {
                    throw new IllegalStateException("engines disagree on " + e);
                }
            }
            double base = measure(baseline, ev);
            double fast = measure(compiled, ev);
            int rules = compiled.document().rules().size();
            rows.add(new String[] {(String) p[0], Integer.toString(rules), "reference interpreter (baseline)", fmt(base), "1.00"});
            rows.add(new String[] {(String) p[0], Integer.toString(rules), "compiled engine", fmt(fast),
                String.format(Locale.ROOT, "%.2f", fast / base)});
            if (p[1] == protect) {
                protectMeetsTarget = fast >= TARGET_PER_SECOND;
            }
        }

        System.out.println("## PolicyBench: decisions per CPU second, one thread, " + ev.length + " recorded events ("
                + DatasetEvents.files().size() + " dataset files)");
        System.out.println();
        System.out.println("| policy | rules | engine | decisions/s (CPU) | ratio vs baseline |");
        System.out.println("|---|---:|---|---:|---:|");
        for (String[] r : rows) {
            System.out.println("| " + String.join(" | ", r) + " |");
        }
        System.out.println();
        System.out.println("Median of " + ROUNDS + " rounds after " + WARMUP_ROUNDS + " warm-up rounds; JVM "
                + System.getProperty("java.vm.name") + " " + System.getProperty("java.version") + ", "
                + Runtime.getRuntime().availableProcessors() + " CPUs visible.");
        System.out.println("Target >= " + fmt(TARGET_PER_SECOND) + " decisions/s for protect.xml: "
                + (protectMeetsTarget ? "met" : "NOT met"));
    }

    private static long sink;
    /**
     * Time is this thread's CPU time, not wall time: the build machines are shared and a
     * wall clock would measure the neighbours' load; "per second on one core" is per CPU second.
     */
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    /** Median decisions per CPU second of {@code p} over {@code ev} (also SigmaBench's measure). */
    public static double measure(Policy p, RegistryEvent[] ev) {
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

    private static String fmt(double perSecond) {
        return String.format(Locale.ROOT, "%,.0f", perSecond);
    }
}
