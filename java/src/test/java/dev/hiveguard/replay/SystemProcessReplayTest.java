package dev.hiveguard.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hiveguard.audit.AuditOptions;
import dev.hiveguard.audit.JsonAuditWriter;
import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.policy.PolicyLoader;
import dev.hiveguard.policy.PolicyParser;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sysmon shows registry writes of the System process (pid 4); HiveGuard's driver sees them as
 * kernel-mode callers, which a policy leaves out unless it says kernelCallers="include". The
 * replay says so in a count of its own instead of calling them "outside subscription".
 */
class SystemProcessReplayTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** The EventLog Start write protect.xml blocks (disable-eventlog dataset, line 884), by services.exe and by System. */
    private Path recording() throws Exception {
        String line;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(
                ReplayTestData.dataset("sysmon-registry-disable-eventlog-service.jsonl.gz"))), StandardCharsets.UTF_8))) {
            line = r.lines().skip(883).findFirst().orElseThrow();
        }
        ObjectNode byServices = (ObjectNode) JSON.readTree(line);
        ObjectNode bySystem = byServices.deepCopy();
        bySystem.put("ProcessId", 4);
        bySystem.put("Image", "System");
        bySystem.put("ProcessGuid", "{00000000-0000-0000-0000-000000000004}");
        bySystem.remove("Message");
        Path file = tmp.resolve("system.jsonl");
        Files.writeString(file, JSON.writeValueAsString(byServices) + "\n" + JSON.writeValueAsString(bySystem) + "\n");
        return file;
    }

    private ReplayReport replay(Policy policy, Path file, String name) throws Exception {
        Path audit = Files.createDirectories(tmp.resolve(name));
        try (JsonAuditWriter w = new JsonAuditWriter(AuditOptions.in(audit))) {
            return new ReplayEngine(policy, w, ReplayOptions.defaults()).replay(
                    new RecordingFiles(List.of(file), null, PathTranslator.defaults()), List.of(name), "-");
        }
    }

    @Test
    void systemProcessOperationsAreCountedAsKernelCallersNotOutsideTheSubscription() throws Exception {
        Path file = recording();
        Policy exclude = PolicyLoader.loadResource("protect.xml");
        ReplayReport r = replay(exclude, file, "exclude");
        assertTrue(r.consistency().sound(), r.consistency().toString());
        assertEquals(new ReplayReport.Verdicts(1, 0, 0, 0, 1), r.verdicts());
        assertTrue(ReplayReportText.render(r).contains("kernel callers"), ReplayReportText.render(r));

        String xml;
        try (InputStream in = PolicyLoader.class.getResourceAsStream("/policies/protect.xml")) {
            xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String including = xml.replace("kernelCallers=\"exclude\"", "kernelCallers=\"include\"");
        if (including.equals(xml)) {
            including = xml.replaceFirst("<HiveGuard ", "<HiveGuard kernelCallers=\"include\" ");
        }
        Policy include = CompiledPolicy.compile(PolicyParser.parse("protect-kernel.xml",
                including.getBytes(StandardCharsets.UTF_8)));
        ReplayReport k = replay(include, file, "include");
        assertTrue(k.consistency().sound(), k.consistency().toString());
        assertEquals(new ReplayReport.Verdicts(2, 0, 0, 0, 0), k.verdicts(), "with kernel callers included, System's "
                + "write is blocked too");
    }
}
