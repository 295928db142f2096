package dev.hiveguard.policy.sigma;

import dev.hiveguard.bench.PolicyBench;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.DatasetEvents;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.policy.PolicyLoader;
import java.util.Locale;

/**
 * Decisions per CPU second of the whole SigmaHQ registry snapshot (278 expression rules, none
 * indexed by prefix: most test contains/endswith) against the shipped protect.xml as the
 * baseline, side by side in one run, one thread, over every recorded dataset event. Run by
 * {@code mvn -Pbench -DskipTests verify} (BenchMain).
 */
public final class SigmaBench {

    private SigmaBench() {
    }

    public static void main(String[] args) throws Exception {
        RegistryEvent[] ev = DatasetEvents.allEvents().toArray(new RegistryEvent[0]);
        CompiledPolicy protect = PolicyLoader.loadResource("protect.xml");
        SigmaPolicyLoader.Loaded l = SigmaPolicyLoader.load("sigma", SigmaSettings.defaults(), SigmaTestData.ruleTrees());
        CompiledPolicy sigma = CompiledPolicy.compile(l.document());
        double base = PolicyBench.measure(protect, ev);
        double s = PolicyBench.measure(sigma, ev);
        System.out.println("## SigmaBench: decisions per CPU second, one thread, " + ev.length + " recorded events");
        System.out.println();
        System.out.println("| policy | rules | decisions/s (CPU) | ratio vs protect.xml |");
        System.out.println("|---|---:|---:|---:|");
        System.out.printf(Locale.ROOT, "| protect.xml (baseline) | %d | %,.0f | 1.00 |%n", protect.document().rules().size(), base);
        System.out.printf(Locale.ROOT, "| SigmaHQ registry snapshot | %d | %,.0f | %.2f |%n", sigma.document().rules().size(),
                s, s / base);
        System.out.println();
        System.out.println("Median of " + PolicyBench.ROUNDS + " rounds after " + PolicyBench.WARMUP_ROUNDS + " warm-up rounds.");
    }
}
