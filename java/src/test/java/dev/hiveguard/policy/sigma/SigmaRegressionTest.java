package dev.hiveguard.policy.sigma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.DatasetEvents;
import dev.hiveguard.policy.Decision;
import dev.hiveguard.policy.PolicyLoader;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SigmaHQ's own regression data: each case's recorded events, decided by the policy engine
 * with the rule the case is for loaded alone from its file, must match exactly as often as
 * the case's info.yml says - and with every rule of the snapshot loaded together, the rule
 * still decides each of those events (nothing more severe takes them).
 */
class SigmaRegressionTest {

    /**
     * Cases whose recording holds more events that meet the rule than info.yml's match_count,
     * with the count each one really has. Not a difference of semantics: every event of these
     * files meets the rule as written, in the .evtx and in its .json alike (EvtxReaderTest
     * pins the records):
     * <ul>
     * <li>IE Change Domain Zone ({@code TargetObject|contains ...\ZoneMap\Domains\} and not
     * Details in DWORD 0 / DWORD 1 / (Empty)): EventRecordID 28344631, 28344632 and 28344633,
     * all EventID 13 SetValue by the same powershell.exe (pid 7460) under
     * {@code ...\ZoneMap\Domains\bad-domain.com\bad-subdomain\} with value names
     * {@code https}, {@code http} and {@code *}, each Details {@code DWORD (0x00000002)}
     * (Trusted Sites) - the atomic test adds the domain for three schemes.</li>
     * <li>Disable Administrative Share Creation ({@code ...\Services\LanmanServer\Parameters\}
     * ending in {@code \AutoShareWks} or {@code \AutoShareServer}, Details {@code DWORD (0x00000000)}):
     * EventRecordID 28656599 ({@code AutoShareServer}) and 28656618 ({@code AutoShareWks}), both
     * EventID 13 SetValue DWORD (0x00000000) by reg.exe - the atomic test runs reg add twice.</li>
     * </ul>
     * Sysmon renders Details the same way in both files and no field needs SigmaHQ's THOR
     * mapping (tests/thor.yml maps registry_set to EventID 13 and nothing else). SigmaHQ's
     * regression runner (tests/regression_tests_runner.py, run by
     * .github/workflows/regression-tests.yml with evtx-sigma-checker) counts the rule's matches
     * in the file and takes match_count as a floor: fewer fail, more only print "Got N matches
     * but only M expected - consider updating match_count". So match_count 1 is an understated
     * floor in those two info.yml files; here the exact count is pinned, so a change in either
     * the data or our semantics shows.
     */
    static final Map<String, Integer> MORE_EVENTS_THAN_MATCH_COUNT = Map.of(
            "45e112d0-7759-4c2a-aa36-9f8fb79d3393", 3,
            "c7dcacd0-cc59-4004-b0a4-1d6cdebe6f3e", 2);

    static Map<String, SigmaRule> rulesById() throws Exception {
        SigmaPolicyLoader.Loaded all = SigmaPolicyLoader.load("sigma", SigmaSettings.defaults(), SigmaTestData.ruleTrees());
        Map<String, SigmaRule> byId = new HashMap<>();
        for (SigmaRule r : all.rules()) {
            byId.put(r.id(), r);
        }
        return byId;
    }

    @Test
    void everyRuleWithRegressionDataFiresOnItsEventsAsOftenAsExpected() throws Exception {
        List<SigmaTestData.RegressionCase> cases = SigmaTestData.regressionCases();
        assertEquals(24, cases.size(), "the snapshot's registry regression cases");
        Map<String, SigmaRule> byId = rulesById();
        StringBuilder table = new StringBuilder();
        for (SigmaTestData.RegressionCase c : cases) {
            SigmaRule rule = byId.get(c.ruleId());
            assertNotNull(rule, () -> "no loaded rule for " + c);
            CompiledPolicy p = CompiledPolicy.compile(PolicyLoader.parse(Path.of(rule.file())));
            String name = SigmaPolicyLoader.ruleName(rule);
            int matches = 0;
            int n = 0;
            for (JsonNode ev : SigmaTestData.events(c.json())) {
                Decision d = p.decide(DatasetEvents.toEvent(SigmaTestData.flat(ev), ++n));
                if (name.equals(d.ruleName())) {
                    matches++;
                }
            }
            table.append(String.format("  %d/%d events  expected %d  %s%n", matches, n, c.matchCount(), c));
            int expected = MORE_EVENTS_THAN_MATCH_COUNT.getOrDefault(c.ruleId(), c.matchCount());
            assertEquals(expected, matches, () -> c + " on " + c.json());
            if (MORE_EVENTS_THAN_MATCH_COUNT.containsKey(c.ruleId())) {
                assertEquals(n, matches, () -> c + ": every event of the case meets the rule");
            }
        }
        System.out.print("Sigma regression cases (policy engine):\n" + table);
    }

    @Test
    void withTheWholeSnapshotLoadedTheRegressionEventsStillRaiseTheirRule() throws Exception {
        SigmaPolicyLoader.Loaded all = SigmaPolicyLoader.load("sigma", SigmaSettings.defaults(), SigmaTestData.ruleTrees());
        CompiledPolicy p = CompiledPolicy.compile(all.document());
        Map<String, SigmaRule> byId = rulesById();
        for (SigmaTestData.RegressionCase c : SigmaTestData.regressionCases()) {
            int n = 0;
            int decided = 0;
            for (JsonNode ev : SigmaTestData.events(c.json())) {
                Decision d = p.decide(DatasetEvents.toEvent(SigmaTestData.flat(ev), ++n));
                decided += d.ruleName() != null ? 1 : 0;
            }
            assertTrue(decided >= c.matchCount(), () -> c + ": only " + byId.get(c.ruleId()).title());
        }
    }
}
