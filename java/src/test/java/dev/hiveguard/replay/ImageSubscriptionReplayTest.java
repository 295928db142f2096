package dev.hiveguard.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hiveguard.audit.AuditOptions;
import dev.hiveguard.audit.JsonAuditWriter;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.PolicyParser;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rule on {@code Image} alone (SwiftOnSecurity's "every write by regedit") through the real
 * driver core: replay hands the recorded Image to the core in kernel form with each operation
 * (the simulator's volume convention, which the pump's CONFIGURE carries as the volume map), the
 * core derives Sysmon's form, its EXACT IMAGE entry lets regedit's write cross and keeps the same
 * write by another process - or by a regedit.exe in another folder - in the kernel, and an
 * operation whose image is unknown is delivered.
 */
class ImageSubscriptionReplayTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "HKLM\\SOFTWARE\\Vendor\\Product\\Setting";

    @TempDir
    Path tmp;

    /** A recorded SetValue (disable-eventlog dataset, line 884) moved to KEY and given another image. */
    private static String write(String line, String image, int pid) throws Exception {
        ObjectNode o = (ObjectNode) JSON.readTree(line);
        o.put("TargetObject", KEY);
        o.put("Image", image);
        o.put("ProcessId", pid);
        o.put("ProcessGuid", String.format("{00000000-0000-0000-0000-%012d}", pid));
        o.remove("Message");
        return JSON.writeValueAsString(o);
    }

    @Test
    void theCallersImageDecidesInTheRealCore() throws Exception {
        String line;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(
                ReplayTestData.dataset("sysmon-registry-disable-eventlog-service.jsonl.gz"))), StandardCharsets.UTF_8))) {
            line = r.lines().skip(883).findFirst().orElseThrow();
        }
        Path file = tmp.resolve("images.jsonl");
        Files.writeString(file, write(line, "C:\\Windows\\regedit.exe", 5000) + "\n"
                + write(line, "C:\\Windows\\System32\\notepad.exe", 5001) + "\n"
                + write(line, "C:\\Users\\bob\\Windows\\regedit.exe", 5002) + "\n"
                + write(line, "", 5003) + "\n");
        CompiledPolicy p = CompiledPolicy.compile(PolicyParser.parse("regedit.xml", ("<Sysmon schemaversion=\"4.90\">"
                + "<EventFiltering><RuleGroup groupRelation=\"or\"><RegistryEvent onmatch=\"include\" action=\"audit\">"
                + "<Image condition=\"is\">C:\\Windows\\regedit.exe</Image></RegistryEvent></RuleGroup>"
                + "</EventFiltering></Sysmon>").getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of("EXACT IMAGE C:\\Windows\\regedit.exe"), p.subscription().prefixes().stream()
                .map(x -> x.match() + " " + x.target() + " " + x.prefix()).toList());
        assertTrue(p.subscription().prefixes().stream().allMatch(Subscription.Prefix::include));

        ReplayReport r;
        try (JsonAuditWriter w = new JsonAuditWriter(AuditOptions.in(Files.createDirectories(tmp.resolve("audit"))))) {
            r = new ReplayEngine(p, w, ReplayOptions.defaults()).replay(
                    new RecordingFiles(List.of(file), null, PathTranslator.defaults()), List.of("images"), "-");
        }
        assertTrue(r.consistency().sound(), r.consistency().toString());
        // The core is handed \Device\HarddiskVolume3\Windows\regedit.exe and derives C:\... with the
        // volume map the pump sent: regedit audited; the unknown image crosses but the policy allows
        // it (wider, never narrower); notepad and the same relative path in another folder stay in
        // the kernel (an EXACT entry, no longer a suffix after the drive).
        assertEquals(new ReplayReport.Verdicts(0, 1, 1, 2), r.verdicts());
        assertEquals(4, r.driver().raised());
        assertEquals(2, r.driver().filteredOut());
        assertEquals(2, r.driver().delivered());
    }
}
