package dev.hiveguard.policy.sigma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.Decision;
import dev.hiveguard.policy.DatasetEvents;
import dev.hiveguard.policy.PolicyDocument;
import dev.hiveguard.policy.PolicyLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every registry rule of the SigmaHQ snapshot, loaded as one policy and one by one: nothing
 * throws, every rule is either enforced or listed with a reason, and the counts are pinned
 * so a change in what HiveGuard understands shows up here.
 */
class SigmaCorpusTest {

    @Test
    void theWholeSnapshotLoadsAndEveryRuleLeftOutCarriesAReason() throws Exception {
        List<Path> files = SigmaTestData.ruleFiles();
        SigmaPolicyLoader.Loaded l = SigmaPolicyLoader.load("sigma", SigmaSettings.defaults(), SigmaTestData.ruleTrees());

        assertEquals(files.size(), l.files());
        assertEquals(278, l.rules().size() + l.unsupported().size(), "one outcome per rule file (one rule each)");
        for (UnsupportedRule u : l.unsupported()) {
            assertFalse(u.reason().isBlank(), u::toString);
            assertTrue(u.line() >= 1, u::toString);
        }
        Map<String, Long> reasons = l.unsupported().stream().collect(Collectors.groupingBy(
                u -> u.reason().replaceAll("'[^']*'", "'...'"), TreeMap::new, Collectors.counting()));
        System.out.printf("Sigma snapshot: %d rule files, %d rules loaded, %d not loaded%n", l.files(), l.rules().size(),
                l.unsupported().size());
        reasons.forEach((r, n) -> System.out.printf("  %3d  %s%n", n, r));
        l.unsupported().forEach(u -> System.out.println("  " + u));

        // Pinned: a construct newly understood (or newly refused) changes these on purpose.
        assertEquals(278, l.rules().size(), () -> "loaded; not loaded: " + l.unsupported());
        assertEquals(0, l.unsupported().size());
        assertEquals(l.rules().size(), l.document().rules().size());
    }

    @Test
    void eachRuleFileAloneIsAPolicyThroughThePolicyLoader() throws Exception {
        int loaded = 0;
        for (Path f : SigmaTestData.ruleFiles()) {
            PolicyDocument d = PolicyLoader.parse(f);
            CompiledPolicy p = CompiledPolicy.compile(d);
            assertEquals(1, d.rules().size() + (int) d.notes().stream().filter(n -> n.contains(" not loaded: ")).count(),
                    f::toString);
            assertTrue(p.subscription().opMask() != 0 || d.rules().isEmpty(), f::toString);
            loaded += d.rules().size();
        }
        assertEquals(278, loaded);
    }

    /** The whole set decides every recorded dataset event without failing; how often each level fires is printed. */
    @Test
    void theWholeSetDecidesTheRecordedDatasets() throws Exception {
        SigmaPolicyLoader.Loaded l = SigmaPolicyLoader.load("sigma", SigmaSettings.defaults(), SigmaTestData.ruleTrees());
        CompiledPolicy p = CompiledPolicy.compile(l.document());
        Map<String, Integer> fired = new TreeMap<>();
        List<RegistryEvent> events = DatasetEvents.allEvents();
        for (RegistryEvent e : events) {
            Decision d = p.decide(e);
            if (d.ruleName() != null) {
                fired.merge(d.action() + " " + d.ruleName(), 1, Integer::sum);
            }
        }
        System.out.println("Sigma set on " + events.size() + " dataset events:");
        fired.forEach((r, n) -> System.out.printf("  %5d  %s%n", n, r));
        assertFalse(fired.isEmpty(), "the datasets hold persistence the Sigma rules know");
    }
}
