package dev.hiveguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hiveguard.audit.AuditReader;
import dev.hiveguard.demo.DemoReport;
import dev.hiveguard.demo.DemoWorkload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hiveguard demo} in-process over the real user-mode host library: the same
 * code path as {@code java -jar hiveguard.jar demo}.
 */
class DemoCommandTest {

    private static final int NOISE = 300;

    @TempDir
    Path dir;

    private static JsonNode lineFor(List<JsonNode> lines, String valueName) {
        JsonNode found = null;
        for (JsonNode l : lines) {
            if (valueName.equals(l.path("registry.value").asText())) {
                assertTrue(found == null, "one audit line for " + valueName);
                found = l;
            }
        }
        assertTrue(found != null, "no audit line for " + valueName);
        return found;
    }

    @Test
    void builtInProtectionBlocksEveryTamperingWriteAndNothingElse() throws IOException {
        CliRun r = CliRun.execute("demo", "--quiet", "--operations", Integer.toString(NOISE), "--processes", "3",
                "--audit-dir", dir.toString());
        assertEquals(0, r.exitCode, r.toString());
        DemoReport report = r.<DemoCommand>command("demo").report();

        assertEquals(NOISE + 5, report.raised());
        assertEquals(5, report.tamperingTotal());
        assertEquals(5, report.tamperingBlocked());
        assertEquals(5, report.blocked(), "ordinary noise is never blocked by the protection policy");
        assertEquals(NOISE, report.allowed());
        assertTrue(report.failures().isEmpty(), report.failures().toString());
        assertEquals(NOISE + 5, report.driver().raised());
        assertEquals(report.driver().delivered(), report.auditRecords());
        assertEquals(0, report.driver().dropped());
        assertEquals(5, report.driver().blocked());
        assertTrue(r.out.contains("result: PASS"), r.out);
        assertTrue(r.out.contains("audit trail: " + report.auditFile().toAbsolutePath()), r.out);
        assertFalse(r.out.contains("BLOCKED"), "--quiet prints no live lines");

        List<JsonNode> lines = AuditReader.readAll(report.auditFile());
        assertEquals(report.auditRecords(), lines.size());
        assertTrue(report.auditFile().startsWith(dir));

        JsonNode run = lineFor(lines, "Updater");
        assertEquals("alert", run.get("event.kind").asText());
        assertEquals("failure", run.get("event.outcome").asText());
        assertEquals("SetValue", run.get("event.action").asText());
        assertEquals("block", run.get("hiveguard.verdict").asText());
        assertEquals("Run key entry added or changed", run.get("hiveguard.rule").asText());
        assertEquals("HKU", run.get("registry.hive").asText());
        assertEquals(DemoWorkload.DROPPER.image(), run.get("process.executable").asText());
        assertEquals(DemoWorkload.DROPPER.pid(), run.get("process.pid").asLong());
        assertEquals(DemoWorkload.USER_SID, run.get("user.id").asText());
        assertEquals("REG_SZ", run.get("registry.data.type").asText());
        assertTrue(run.get("registry.data.strings").get(0).asText().endsWith("updater.exe\" /background"));

        JsonNode eventLog = lineFor(lines, "Start");
        assertEquals("REG_DWORD", eventLog.get("registry.data.type").asText());
        assertEquals("4", eventLog.get("registry.data.strings").get(0).asText());
        assertEquals("block", eventLog.get("hiveguard.verdict").asText());
        assertEquals("HKLM", eventLog.get("registry.hive").asText());

        long blockedLines = lines.stream().filter(l -> "block".equals(l.path("hiveguard.verdict").asText())).count();
        assertEquals(5, blockedLines);
        assertEquals(5, report.auditAlerts());
    }

    @Test
    void customPolicyFileDecidesAndLiveOutputNamesTheBlockedCaller() throws IOException {
        Path policy = Files.writeString(dir.resolve("runkey-only.xml"), String.join("\n",
                "<Sysmon schemaversion=\"4.90\">",
                "  <HiveGuard mode=\"enforce\" defaultAction=\"allow\" timeout=\"2000\" failmode=\"open\"/>",
                "  <EventFiltering>",
                "    <RuleGroup name=\"run keys\" groupRelation=\"or\" action=\"block\">",
                "      <RegistryEvent onmatch=\"include\">",
                "        <TargetObject name=\"RunKeyOnly\" condition=\"begin with\">"
                        + "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\</TargetObject>",
                "      </RegistryEvent>",
                "    </RuleGroup>",
                "  </EventFiltering>",
                "</Sysmon>"));
        CliRun r = CliRun.execute("demo", "--policy", policy.toString(), "--operations", "100", "--processes", "2",
                "--audit-dir", dir.resolve("audit").toString());
        assertEquals(0, r.exitCode, r.toString());
        DemoReport report = r.<DemoCommand>command("demo").report();
        assertEquals(1, report.blocked());
        assertEquals(1, report.tamperingBlocked());
        assertTrue(r.out.matches("(?s).*BLOCKED\\s+dropper\\s+pid 5376\\s+SetValue HKU\\\\S-1-5-21-[0-9-]+"
                + "\\\\Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run\\\\Updater.*"), r.out);
        assertTrue(r.out.contains("rule RunKeyOnly"), r.out);
        assertTrue(r.out.matches("(?s).*allowed\\s+powershell\\s+pid 7520.*"), r.out);
        assertTrue(r.out.contains("... noise: 100 operations from 2 processes, 0 blocked"), r.out);
        assertTrue(r.out.contains("result: PASS - every verdict matched the policy; 1 of 5"), r.out);

        List<String> rules = new ArrayList<>();
        AuditReader.read(report.auditFile(), l -> rules.add(l.path("hiveguard.rule").asText()));
        assertEquals(1, rules.stream().filter("RunKeyOnly"::equals).count());
    }

    @Test
    void durationBoundRunRaisesNoiseUntilTheDeadlineAndStillPlaysEveryTamperingWrite() {
        CliRun r = CliRun.execute("demo", "--quiet", "--duration", "400ms", "--processes", "2", "--audit-dir",
                dir.toString());
        assertEquals(0, r.exitCode, r.toString());
        DemoReport report = r.<DemoCommand>command("demo").report();
        assertTrue(report.raised() > 5, "some noise was raised: " + report.raised());
        assertEquals(5, report.tamperingTotal());
        assertEquals(5, report.tamperingBlocked());
        assertTrue(r.out.contains("workload: noise for 400 ms from 2 processes"), r.out);
    }

    @Test
    void backToBackRunsInOneDirectoryEachCheckOnlyTheirOwnTrail() {
        CliRun first = CliRun.execute("demo", "--quiet", "--operations", "50", "--audit-dir", dir.toString());
        CliRun second = CliRun.execute("demo", "--quiet", "--operations", "50", "--audit-dir", dir.toString());
        assertEquals(0, first.exitCode, first.toString());
        assertEquals(0, second.exitCode, second.toString());
        Path a = first.<DemoCommand>command("demo").report().auditFile();
        Path b = second.<DemoCommand>command("demo").report().auditFile();
        assertTrue(!a.equals(b), a + " reused");
        assertEquals(55, second.<DemoCommand>command("demo").report().raised());
    }
}
