package dev.hiveguard.policy.sigma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hiveguard.audit.AuditOptions;
import dev.hiveguard.audit.JsonAuditWriter;
import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.PolicyLoader;
import dev.hiveguard.replay.LoadedRecordings;
import dev.hiveguard.replay.PathTranslator;
import dev.hiveguard.replay.ReplayEngine;
import dev.hiveguard.replay.ReplayOptions;
import dev.hiveguard.replay.ReplayReport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The regression cases through the real replay engine (host library, driver core with the
 * Sigma policy's compiled subscription, live pump, audit writer): each rule, loaded alone
 * from its file, must be credited with the case's matches. The events go in as Sysmon JSON
 * lines (EventID beside the EventData fields), and as SigmaHQ ships them: the .evtx read
 * directly and its evtx-dump .json.
 */
class SigmaReplayTest {

    @TempDir
    Path tmp;

    /**
     * The same cases with the recordings exactly as SigmaHQ ships them, the .evtx and its
     * evtx-dump .json, format detected by replay itself. The count is info.yml's match_count
     * except for the two cases whose files hold more matching events (see
     * SigmaRegressionTest.MORE_EVENTS_THAN_MATCH_COUNT).
     */
    @Test
    void everyRegressionCaseThroughReplayOfTheEvtxAndItsJson() throws Exception {
        Map<String, SigmaRule> byId = SigmaRegressionTest.rulesById();
        int i = 0;
        for (SigmaTestData.RegressionCase c : SigmaTestData.regressionCases()) {
            SigmaRule rule = byId.get(c.ruleId());
            assertNotNull(rule, c::toString);
            CompiledPolicy policy = CompiledPolicy.compile(PolicyLoader.parse(Path.of(rule.file())));
            for (Path recording : List.of(c.evtx(), c.json())) {
                Path dir = Files.createDirectories(tmp.resolve("as-shipped" + (++i)));
                ReplayReport r;
                try (JsonAuditWriter audit = new JsonAuditWriter(AuditOptions.in(dir))) {
                    r = new ReplayEngine(policy, audit, ReplayOptions.defaults()).replay(
                            LoadedRecordings.load(List.of(recording), null, PathTranslator.defaults()),
                            List.of(recording.toString()), PathTranslator.UNKNOWN_USER_SID);
                }
                assertEquals(List.of(), r.unparseable(), () -> c + " " + recording);
                assertTrue(r.consistency().sound(), () -> c + ": " + r.consistency());
                ReplayReport.Verdicts v = r.rules().get(SigmaPolicyLoader.ruleName(rule));
                long credited = v == null ? 0 : v.blocked() + v.audited();
                int expected = SigmaRegressionTest.MORE_EVENTS_THAN_MATCH_COUNT.getOrDefault(c.ruleId(), c.matchCount());
                assertEquals(expected, credited, () -> c + " from " + recording + ": " + r.rules());
            }
        }
    }

    /**
     * The same through the command an admin runs, {@code hiveguard replay --policy RULE.yml
     * CASE.evtx --json REPORT}: the rule's file as the policy, the .evtx as shipped, the counts
     * read from the JSON report.
     */
    @Test
    void everyRegressionEvtxThroughTheReplayCommand() throws Exception {
        Map<String, SigmaRule> byId = SigmaRegressionTest.rulesById();
        int i = 0;
        for (SigmaTestData.RegressionCase c : SigmaTestData.regressionCases()) {
            SigmaRule rule = byId.get(c.ruleId());
            Path dir = Files.createDirectories(tmp.resolve("command" + (++i)));
            Path json = dir.resolve("report.json");
            java.io.StringWriter out = new java.io.StringWriter();
            java.io.StringWriter err = new java.io.StringWriter();
            picocli.CommandLine cl = new picocli.CommandLine(new dev.hiveguard.cli.ReplayCommand());
            cl.setOut(new java.io.PrintWriter(out));
            cl.setErr(new java.io.PrintWriter(err));
            int exit = cl.execute("--policy", rule.file(), "--audit-dir", dir.resolve("audit").toString(), "--json",
                    json.toString(), "--no-progress", c.evtx().toString());
            assertEquals(0, exit, () -> c + ": " + err + out);
            JsonNode report = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile());
            JsonNode v = report.path("rules").path(SigmaPolicyLoader.ruleName(rule));
            long credited = v.path("blocked").asLong() + v.path("audited").asLong();
            int expected = SigmaRegressionTest.MORE_EVENTS_THAN_MATCH_COUNT.getOrDefault(c.ruleId(), c.matchCount());
            assertEquals(expected, credited, () -> c + ": " + report.path("rules"));
            assertEquals(0, report.path("unparseable").size(), () -> c + ": " + report.path("unparseable"));
        }
    }

    @Test
    void everyRegressionCaseThroughReplay() throws Exception {
        Map<String, SigmaRule> byId = SigmaRegressionTest.rulesById();
        int i = 0;
        for (SigmaTestData.RegressionCase c : SigmaTestData.regressionCases()) {
            SigmaRule rule = byId.get(c.ruleId());
            assertNotNull(rule, c::toString);
            List<String> lines = new ArrayList<>();
            for (JsonNode ev : SigmaTestData.events(c.json())) {
                lines.add(SigmaTestData.toJsonLine(SigmaTestData.flat(ev)));
            }
            Path dir = Files.createDirectories(tmp.resolve("case" + (++i)));
            Path recording = dir.resolve(c.ruleId() + ".jsonl");
            Files.write(recording, lines, StandardCharsets.UTF_8);
            CompiledPolicy policy = CompiledPolicy.compile(PolicyLoader.parse(Path.of(rule.file())));
            ReplayReport r;
            try (JsonAuditWriter audit = new JsonAuditWriter(AuditOptions.in(dir))) {
                r = new ReplayEngine(policy, audit, ReplayOptions.defaults()).replay(
                        LoadedRecordings.load(List.of(recording), null, PathTranslator.defaults()),
                        List.of(recording.toString()), PathTranslator.UNKNOWN_USER_SID);
            }
            assertEquals(List.of(), r.unparseable(), c::toString);
            assertTrue(r.consistency().sound(), () -> c + ": " + r.consistency());
            ReplayReport.Verdicts v = r.rules().get(SigmaPolicyLoader.ruleName(rule));
            long credited = v == null ? 0 : v.blocked() + v.audited();
            int expected = SigmaRegressionTest.MORE_EVENTS_THAN_MATCH_COUNT.getOrDefault(c.ruleId(), c.matchCount());
            assertEquals(expected, credited, () -> c + ": " + r.rules());
        }
    }
}
