package dev.hiveguard.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.audit.AuditOptions;
import dev.hiveguard.audit.JsonAuditWriter;
import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.policy.PolicyLoader;
import dev.hiveguard.policy.PolicyParser;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every shared recording replayed with the shipped protection policy through the host, a live
 * pump and the audit writer. The counts are checked three ways: against literal numbers, against
 * the policy asked directly without the driver (DirectEvaluation), and against the driver's own
 * counters.
 */
class ReplayDatasetsTest {

    @TempDir
    Path tmp;

    private static String entry(ReplayReport.WouldBlock w) {
        return w.time() + " | " + w.image() + " (" + w.pid() + ") | " + w.operation() + " " + w.targetObject()
                + " = " + w.details() + " | " + w.rule() + " | " + Path.of(w.location()).getFileName()
                + (w.enforced() ? " | denied" : " | not denied");
    }

    @Test
    void everyDatasetWithTheProtectionPolicy() throws Exception {
        Policy policy = PolicyLoader.loadResource("protect.xml");
        List<Path> files = ReplayTestData.datasets();
        LoadedRecordings input = LoadedRecordings.load(files, null, PathTranslator.defaults());
        ReplayReport r;
        try (JsonAuditWriter audit = new JsonAuditWriter(AuditOptions.in(tmp))) {
            r = new ReplayEngine(policy, audit, ReplayOptions.defaults()).replay(input,
                    files.stream().map(Path::toString).toList(), PathTranslator.UNKNOWN_USER_SID);
        }

        assertEquals(List.of(), r.unparseable());
        assertTrue(r.consistency().sound(), r.consistency().toString());
        assertEquals(968 + 13215 + 173 + 22, r.operations());
        assertEquals(0, r.pidsUnknown(), "the nine records without ProcessId take it from their ProcessGuid");
        // 13,713 operations are not delivered: 12,957 fall outside the subscription's entries and
        // classes, and 756 are the System process's (pid 4, kernel-mode callers), which the
        // protection policy leaves out with kernelCallers="exclude" whatever its rules say. Value
        // operations match the full name (key\value) since wire minor 1: 557 fewer allowed events
        // cross into user mode than with the key-path cut (1237 allowed, 1245 delivered); since wire
        // minor 3 its exclusions pairing Image with a path are EXCLUDE groups: 23 fewer (680 before).
        assertEquals(new ReplayReport.Verdicts(4, 4, 657, 12957, 756), r.verdicts());
        assertEquals(new ReplayReport.DriverCounts(14378, 13713, 665, 0, 662, 0, 0, 4), r.driver()); // 688 / 685 before minor 3

        assertEquals(List.of(
                "2022-08-04 15:37:04.864 | C:\\Windows\\system32\\services.exe (596) | SetValue "
                        + "HKLM\\System\\CurrentControlSet\\Services\\EventLog\\Start = DWORD (0x00000004) | "
                        + "security service start type changed | sysmon-registry-disable-eventlog-service.jsonl.gz:884 "
                        + "| denied",
                "2020-09-04 07:06:21.311 | C:\\windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe (5376) | "
                        + "SetValue HKU\\S-1-5-21-3125456671-949036322-3048627137-1104\\Software\\Microsoft\\Windows\\"
                        + "CurrentVersion\\Run\\Updater = \"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\"
                        + "powershell.exe\" -c \"$x=$((gp HKCU:Software\\Microsoft\\Windows\\CurrentVersion Debug)"
                        + ".Debug);powershell -Win Hidden -enc $x\" | Run key entry added or changed | "
                        + "sysmon-registry-run-keys-standard-user.jsonl.gz:25 | denied",
                "2020-10-22 00:45:33.681 | C:\\windows\\system32\\services.exe (716) | SetValue "
                        + "HKLM\\System\\CurrentControlSet\\Services\\Fax\\ImagePath = C:\\windows\\system32\\"
                        + "WindowsPowerShell\\v1.0\\powershell.exe -noexit -c \"write-host 'T1543.003 Test'\" | "
                        + "service binary points at a script host or user-writable path | "
                        + "sysmon-registry-service-mod-fax.jsonl.gz:7 | denied",
                "2020-10-20 02:47:08.761 | C:\\windows\\system32\\reg.exe (8684) | SetValue "
                        + "HKU\\S-1-5-21-3940915590-64593676-1414006259-500\\Environment\\UserInitMprLogonScript = "
                        + "C:\\Users\\wardog\\AppData\\Local\\Temp\\art.bat | UserInitMprLogonScript set | "
                        + "sysmon-registry-userinitmprlogonscript.jsonl.gz:15 | denied"),
                r.wouldBlock().stream().map(ReplayDatasetsTest::entry).toList());

        // The same decisions with the policy asked directly, without the driver in between.
        DirectEvaluation.Result direct = new DirectEvaluation(policy, input).evaluate();
        assertEquals(direct.verdicts(), r.verdicts());
        assertEquals(direct.rules(), new TreeMap<>(r.rules()));
        assertEquals(direct.wouldBlock(), r.wouldBlock().stream()
                .map(w -> w.operation() + " " + w.targetObject() + " " + w.rule()).toList());

        // One audit line per delivered event, as live.
        assertEquals(r.driver().delivered(), Files.readAllLines(tmp.resolve("audit.jsonl")).size());
    }

    /** The same policy in audit-only mode: nothing waits in the kernel, the would-block list is the same. */
    @Test
    void auditOnlyProtectionPolicyReportsTheSameWouldBlockList() throws Exception {
        String xml;
        try (InputStream in = PolicyLoader.class.getResourceAsStream("/policies/protect.xml")) {
            xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String auditOnly = xml.replace("mode=\"enforce\"", "mode=\"audit-only\"");
        assertTrue(!auditOnly.equals(xml), "protect.xml no longer says mode=\"enforce\"");
        Policy enforce = PolicyLoader.loadResource("protect.xml");
        Policy audit = CompiledPolicy.compile(PolicyParser.parse(
                "protect-audit-only.xml", auditOnly.getBytes(StandardCharsets.UTF_8)));
        List<Path> files = ReplayTestData.datasets();
        LoadedRecordings input = LoadedRecordings.load(files, null, PathTranslator.defaults());
        ReplayReport e;
        ReplayReport a;
        Files.createDirectories(tmp.resolve("e"));
        Files.createDirectories(tmp.resolve("a"));
        try (JsonAuditWriter w = new JsonAuditWriter(AuditOptions.in(tmp.resolve("e")))) {
            e = new ReplayEngine(enforce, w, ReplayOptions.defaults()).replay(input, List.of("all"), "-");
        }
        try (JsonAuditWriter w = new JsonAuditWriter(AuditOptions.in(tmp.resolve("a")))) {
            a = new ReplayEngine(audit, w, ReplayOptions.defaults()).replay(input, List.of("all"), "-");
        }
        assertTrue(a.consistency().sound(), a.consistency().toString());
        assertEquals(e.verdicts(), a.verdicts());
        assertEquals(e.rules(), a.rules());
        assertEquals(e.wouldBlock().stream().map(w -> w.location() + " " + w.rule()).toList(),
                a.wouldBlock().stream().map(w -> w.location() + " " + w.rule()).toList());
        assertTrue(a.wouldBlock().stream().noneMatch(ReplayReport.WouldBlock::enforced));
        assertEquals(0, a.driver().blocked());
        assertEquals(0, a.driver().verdictsRequested());
        assertEquals(0, a.driver().dropped());
    }

    /** Scheduling must not show in the result: one raiser or eight, the report's decisions are the same. */
    @Test
    void resultDoesNotDependOnTheNumberOfRaisers() throws Exception {
        Policy policy = PolicyLoader.loadResource("protect.xml");
        List<Path> files = List.of(ReplayTestData.dataset("sysmon-registry-run-keys-standard-user.jsonl.gz"));
        LoadedRecordings input = LoadedRecordings.load(files, null, PathTranslator.defaults());
        ReplayReport first = null;
        for (int raisers : new int[] {1, 8}) {
            Path audit = tmp.resolve("audit-" + raisers);
            Files.createDirectories(audit);
            ReplayReport r;
            try (JsonAuditWriter writer = new JsonAuditWriter(AuditOptions.in(audit))) {
                r = new ReplayEngine(policy, writer, ReplayOptions.defaults().withRaisers(raisers)).replay(input,
                        List.of("run-keys"), PathTranslator.UNKNOWN_USER_SID);
            }
            assertTrue(r.consistency().sound(), raisers + " raisers: " + r.consistency());
            if (first == null) {
                first = r;
            } else {
                assertEquals(first.verdicts(), r.verdicts());
                assertEquals(first.rules(), r.rules());
                assertEquals(first.wouldBlock(), r.wouldBlock());
                assertEquals(first.driver(), r.driver());
            }
        }
    }
}
