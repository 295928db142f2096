package dev.hiveguard.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.audit.AuditOptions;
import dev.hiveguard.audit.JsonAuditWriter;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.policy.PolicyLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replays through the real host library (driver core), a real DecisionPump and the real audit
 * writer; nothing is mocked.
 */
class ReplayEngineTest {

    private static final PathTranslator FIXTURE_PATHS = new PathTranslator(ReplayTestData.FIXTURE_USER_SID);
    private static final String USER_HIVE = "HKU\\" + ReplayTestData.FIXTURE_USER_SID;

    @TempDir
    Path tmp;

    /** What the replay tests' own policy must decide on the persistence fixture, by hand. */
    private static final List<String> EXPECTED_WOULD_BLOCK = List.of(
            "SetValue " + USER_HIVE + "\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater RunKeyPersistence",
            "SetValue " + USER_HIVE + "\\Environment\\UserInitMprLogonScript LogonScriptPersistence",
            "SetValue HKLM\\System\\CurrentControlSet\\Services\\EventLog\\Start EventLogDisabled",
            "SetValue HKLM\\System\\CurrentControlSet\\Services\\Fax\\ImagePath ServiceImagePathToShell",
            "SetValue HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\WindowsDefender RunKeyPersistence",
            "DeleteValue HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\WindowsDefender RunKeyPersistence");

    private ReplayReport replay(String policyFixture, String recordingFixture, Path auditDir) throws Exception {
        Policy policy = PolicyLoader.load(ReplayTestData.fixture(policyFixture));
        Path recording = ReplayTestData.fixture(recordingFixture);
        LoadedRecordings input = LoadedRecordings.load(List.of(recording), null, FIXTURE_PATHS);
        Files.createDirectories(auditDir);
        try (JsonAuditWriter audit = new JsonAuditWriter(AuditOptions.in(auditDir))) {
            return new ReplayEngine(policy, audit, ReplayOptions.defaults()).replay(input,
                    List.of(recording.toString()), FIXTURE_PATHS.hkcuSid());
        }
    }

    private static List<String> wouldBlock(ReplayReport r) {
        return r.wouldBlock().stream().map(w -> w.operation() + " " + w.targetObject() + " " + w.rule()).toList();
    }

    @Test
    void persistenceFixtureIsBlockedByTheDriverInEnforceMode() throws Exception {
        Path auditDir = tmp.resolve("audit");
        ReplayReport r = replay("replay-enforce.xml", "persistence.jsonl", auditDir);
        assertTrue(r.consistency().sound(), r.consistency().toString());
        assertEquals(14, r.operations());
        assertEquals(new ReplayReport.Verdicts(6, 3, 2, 3), r.verdicts());
        assertEquals(EXPECTED_WOULD_BLOCK, wouldBlock(r));
        assertTrue(r.wouldBlock().stream().allMatch(ReplayReport.WouldBlock::enforced));
        assertFalse(r.wouldBlock().stream().anyMatch(ReplayReport.WouldBlock::auditOnly));
        assertEquals(6, r.driver().blocked(), "the driver itself denied the six calls");
        assertEquals(14, r.driver().raised());
        assertEquals(3, r.driver().filteredOut());
        assertEquals(11, r.driver().delivered());
        assertEquals(0, r.driver().dropped());
        assertEquals(0, r.driver().timedOut());
        assertEquals(1, r.valuesHidden(), "Explorer's VirtualDesktop value is 'Binary Data'");
        // DiagTrack's CreateKey and SetValue, and the txtfile command's SetValue
        assertEquals(Map.of("CreateKey", 1L, "SetValue", 2L), r.outsideSubscriptionByOperation());
        assertEquals(Map.of("EventLogDisabled", new ReplayReport.Verdicts(1, 0, 0, 0),
                "LogonScriptPersistence", new ReplayReport.Verdicts(1, 0, 0, 0),
                "RunKeyPersistence", new ReplayReport.Verdicts(3, 0, 0, 0),
                "ServiceImagePathToShell", new ReplayReport.Verdicts(1, 0, 0, 0),
                "ServicesChanged", new ReplayReport.Verdicts(0, 3, 0, 0),
                // HKCU rules widen the subscription to every user hive: Explorer's two writes there
                // are delivered and fall to the default
                ReplayReport.DEFAULT_RULE, new ReplayReport.Verdicts(0, 0, 2, 0)), r.rules());

        ReplayReport.WouldBlock runKey = r.wouldBlock().get(0);
        assertEquals("2020-09-04 07:06:21.311", runKey.time());
        assertEquals(5376, runKey.pid());
        assertEquals("C:\\windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", runKey.image());
        assertTrue(runKey.location().endsWith("persistence.jsonl:4"), runKey.location());
        assertTrue(runKey.details().endsWith("-enc $x\""), runKey.details());

        List<String> audit = Files.readAllLines(auditDir.resolve("audit.jsonl"));
        assertEquals(11, audit.size(), "one audit line per delivered operation, as live");
        assertTrue(audit.stream().anyMatch(l -> l.contains("UserInitMprLogonScript")));
    }

    @Test
    void auditOnlyModeReportsTheSameWouldBlockListButTheDriverAllows() throws Exception {
        ReplayReport r = replay("replay-audit-only.xml", "persistence.jsonl", tmp.resolve("audit"));
        assertTrue(r.consistency().sound(), r.consistency().toString());
        assertEquals(new ReplayReport.Verdicts(6, 3, 2, 3), r.verdicts());
        assertEquals(EXPECTED_WOULD_BLOCK, wouldBlock(r));
        assertFalse(r.wouldBlock().stream().anyMatch(ReplayReport.WouldBlock::enforced));
        assertTrue(r.wouldBlock().stream().allMatch(ReplayReport.WouldBlock::auditOnly));
        assertTrue(ReplayReportText.render(r).contains("rule RunKeyPersistence, audit-only policy: recorded, not denied"));
        assertEquals(0, r.driver().blocked());
        assertEquals(0, r.driver().verdictsRequested(), "audit-only: nothing waits in the kernel");
    }

    @Test
    void threeFormatsReplayWithIdenticalDecisions() throws Exception {
        ReplayReport json = replay("replay-enforce.xml", "persistence.jsonl", tmp.resolve("a"));
        ReplayReport xml = replay("replay-enforce.xml", "persistence.xml", tmp.resolve("b"));
        ReplayReport csv = replay("replay-enforce.xml", "persistence.csv", tmp.resolve("c"));
        for (ReplayReport other : List.of(xml, csv)) {
            assertTrue(other.consistency().sound(), other.consistency().toString());
            assertEquals(json.verdicts(), other.verdicts());
            assertEquals(json.rules(), other.rules());
            assertEquals(wouldBlock(json), wouldBlock(other));
            assertEquals(json.driver(), other.driver());
        }
        assertEquals(Map.of("CreateFile", 1L, "RegCloseKey", 1L, "RegEnumKey", 1L, "RegQueryValue", 1L),
                csv.outsideOperationClasses());
    }

    @Test
    void verdictWaitsAreStretchedButEverythingElseIsThePolicysOwn() throws Exception {
        Policy policy = PolicyLoader.load(ReplayTestData.fixture("replay-enforce.xml"));
        dev.hiveguard.model.Subscription own = policy.subscription();
        dev.hiveguard.model.Subscription patient = PatientPolicy.of(policy).subscription();
        assertEquals(dev.hiveguard.wire.Wire.TIMEOUT_MAX_MS, patient.timeoutMs());
        assertEquals(own.opMask(), patient.opMask());
        assertEquals(own.verdictOpMask(), patient.verdictOpMask());
        assertEquals(own.failMode(), patient.failMode());
        assertEquals(own.dataCap(), patient.dataCap());
        assertEquals(own.prefixes().stream().map(p -> p.prefix() + p.opMask() + p.verdict() + p.failMode()).toList(),
                patient.prefixes().stream().map(p -> p.prefix() + p.opMask() + p.verdict() + p.failMode()).toList());
    }

    @Test
    void realtimeKeepsTheRecordedGapsScaledBySpeed() throws Exception {
        Policy policy = PolicyLoader.load(ReplayTestData.fixture("replay-enforce.xml"));
        LoadedRecordings input = LoadedRecordings.load(List.of(ReplayTestData.fixture("persistence.jsonl")), null,
                FIXTURE_PATHS);
        // The fixture spans 120.319 s (07:06:09.681 .. 07:08:10.000); at 1000x that is 120 ms.
        Files.createDirectories(tmp.resolve("rt"));
        try (JsonAuditWriter audit = new JsonAuditWriter(AuditOptions.in(tmp.resolve("rt")))) {
            ReplayReport r = new ReplayEngine(policy, audit, ReplayOptions.defaults().withRealtime(true, 1000))
                    .replay(input, List.of("persistence.jsonl"), FIXTURE_PATHS.hkcuSid());
            assertTrue(r.seconds() >= 0.120, "replay took " + r.seconds() + " s, less than the scaled gaps");
            assertEquals(new ReplayReport.Verdicts(6, 3, 2, 3), r.verdicts());
        }
        // A ProcMon export (no date: 1970) next to a Sysmon one (2020): each keeps its own gaps and
        // both start together, instead of the Sysmon one waiting fifty years.
        LoadedRecordings mixed = LoadedRecordings.load(List.of(ReplayTestData.fixture("persistence.csv"),
                ReplayTestData.fixture("persistence.jsonl")), null, FIXTURE_PATHS);
        Files.createDirectories(tmp.resolve("rt2"));
        try (JsonAuditWriter audit = new JsonAuditWriter(AuditOptions.in(tmp.resolve("rt2")))) {
            ReplayReport r = new ReplayEngine(policy, audit, ReplayOptions.defaults().withRealtime(true, 1000))
                    .replay(mixed, List.of("persistence.csv", "persistence.jsonl"), FIXTURE_PATHS.hkcuSid());
            assertTrue(r.seconds() >= 0.120 && r.seconds() < 30, "replay took " + r.seconds() + " s");
            assertEquals(new ReplayReport.Verdicts(12, 6, 4, 6), r.verdicts());
        }
    }
}
