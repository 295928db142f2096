package dev.hiveguard.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.audit.AuditOptions;
import dev.hiveguard.audit.JsonAuditWriter;
import dev.hiveguard.cli.CliRun;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.policy.PolicyLoader;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What keeps replay bounded and honest on hostile or wrong input: a gzip bomb is refused with
 * a one-line error, lists in the report are capped (and the rest counted), a file that is no
 * recording is an error with a non-zero exit, and .evtx files replay exactly like their JSON.
 */
class ReplayLimitsTest {

    @TempDir
    Path tmp;

    private static CliRun cli(String... args) {
        return CliRun.execute(args);
    }

    /** The dataset line that protect.xml blocks (UserInitMprLogonScript set by reg.exe). */
    private static String blockedLine() throws Exception {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(
                ReplayTestData.dataset("sysmon-registry-userinitmprlogonscript.jsonl.gz"))), StandardCharsets.UTF_8))) {
            String line = null;
            for (int i = 0; i < 15; i++) {
                line = r.readLine();
            }
            return line;
        }
    }

    @Test
    void aGzipBombIsRefusedWithOneLineNamingTheFile() throws Exception {
        Path bomb = tmp.resolve("bomb.jsonl.gz");
        byte[] zeros = new byte[1 << 20];
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(bomb))) {
            out.write((blockedLine() + "\n").getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < 64; i++) { // 64 MiB of zeros in about 64 KiB
                out.write(zeros);
            }
        }
        assertTrue(Files.size(bomb) < 256 * 1024, "the bomb is small: " + Files.size(bomb));
        RecordingException e = assertThrows(RecordingException.class,
                () -> Recordings.read(bomb, null, PathTranslator.defaults(), new LoadedRecordings()));
        assertTrue(e.getMessage().startsWith(bomb + ": decompresses more than 200 to 1"), e.getMessage());
        assertTrue(e.getMessage().contains("decompression bomb"), e.getMessage());

        CliRun r = cli("replay", "--policy", ReplayTestData.fixture("replay-enforce.xml").toString(),
                "--audit-dir", tmp.resolve("audit").toString(), bomb.toString());
        assertEquals(dev.hiveguard.cli.ExitCodes.USAGE, r.exit());
        assertTrue(r.err().contains("decompression bomb"), r.err());
    }

    @Test
    void aRealDatasetIsWellWithinTheInflationLimit() throws Exception {
        LoadedRecordings r = LoadedRecordings.load(ReplayTestData.datasets(), null, PathTranslator.defaults());
        assertEquals(968 + 13215 + 173 + 22, r.operations().size());
    }

    @Test
    void filesThatAreNoRecordingAreErrorsWithANonZeroExit() throws Exception {
        Path empty = tmp.resolve("empty.jsonl");
        Files.writeString(empty, "");
        Path junk = tmp.resolve("junk.json");
        byte[] bytes = new byte[4096];
        new java.util.Random(7).nextBytes(bytes);
        bytes[0] = '{';
        Files.write(junk, bytes);
        Path html = tmp.resolve("page.xml");
        Files.writeString(html, "<html><body><p>Event log export failed</p></body></html>\n");
        Path otherJson = tmp.resolve("package.json");
        Files.writeString(otherJson, "{\"name\": \"x\", \"version\": \"1.0.0\"}\n");
        for (Path p : List.of(empty, junk, html, otherJson)) {
            CliRun r = cli("replay", "--policy", ReplayTestData.fixture("replay-enforce.xml").toString(),
                    "--audit-dir", tmp.resolve("audit-" + p.getFileName()).toString(), p.toString());
            assertEquals(dev.hiveguard.cli.ExitCodes.USAGE, r.exit(), p + ": " + r.out() + r.err());
            assertTrue(r.err().contains(p + ": not a recording"), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(!Files.exists(tmp.resolve("audit-" + p.getFileName())), "nothing written for " + p);
        }
    }

    @Test
    void listsAreCappedAndTheRestCounted() throws Exception {
        String line = blockedLine();
        Path many = tmp.resolve("many.jsonl");
        StringBuilder b = new StringBuilder();
        int blocks = ReplayReport.MAX_LISTED + 200;
        for (int i = 0; i < blocks; i++) {
            b.append(line).append('\n');
        }
        int broken = ReplayReport.MAX_LISTED + 50;
        for (int i = 0; i < broken; i++) {
            b.append("{\"EventID\": 13, \"EventType\": \"SetValue\"}\n");
        }
        Files.writeString(many, b);
        Policy policy = PolicyLoader.loadResource("protect.xml");
        ReplayReport r;
        try (JsonAuditWriter audit = new JsonAuditWriter(AuditOptions.in(tmp))) {
            r = new ReplayEngine(policy, audit, ReplayOptions.defaults()).replay(
                    new RecordingFiles(List.of(many), null, PathTranslator.defaults()), List.of("many"), "-");
        }
        assertTrue(r.consistency().sound(), r.consistency().toString());
        assertEquals(blocks, r.verdicts().blocked());
        assertEquals(ReplayReport.MAX_LISTED, r.wouldBlock().size());
        assertEquals(200, r.wouldBlockNotListed());
        assertEquals(ReplayReport.MAX_LISTED, r.unparseable().size());
        assertEquals(broken, r.unparseableTotal());
        String text = ReplayReportText.render(r);
        assertTrue(text.contains("would block (" + blocks + ", the first 1000 listed)"), text);
        assertTrue(text.contains("unparseable records (" + broken + ", the first 1000 listed)"), text);
    }

    /**
     * Every Sigma regression .evtx and its evtx-dump JSON twin, replayed with the protection
     * policy through the host: the same decisions, driver counts and per-rule counts.
     */
    @Test
    void sigmaRegressionEvtxReplaysLikeItsJson() throws Exception {
        List<Path> evtx = ReplayTestData.sigmaRegressionEvtx();
        List<Path> json = new ArrayList<>();
        evtx.forEach(p -> json.add(ReplayTestData.jsonTwin(p)));
        Policy policy = PolicyLoader.loadResource("protect.xml");
        List<ReplayReport> reports = new ArrayList<>();
        for (List<Path> files : List.of(evtx, json)) {
            Path audit = Files.createDirectories(tmp.resolve("audit-" + reports.size()));
            try (JsonAuditWriter w = new JsonAuditWriter(AuditOptions.in(audit))) {
                reports.add(new ReplayEngine(policy, w, ReplayOptions.defaults()).replay(
                        new RecordingFiles(files, null, PathTranslator.defaults()), List.of("sigma"), "-"));
            }
        }
        ReplayReport fromEvtx = reports.get(0);
        ReplayReport fromJson = reports.get(1);
        assertTrue(fromEvtx.consistency().sound(), fromEvtx.consistency().toString());
        assertEquals(30, fromEvtx.operations());
        assertEquals(0, fromEvtx.unparseableTotal());
        assertEquals(fromJson.verdicts(), fromEvtx.verdicts());
        assertEquals(fromJson.rules(), fromEvtx.rules());
        assertEquals(fromJson.driver(), fromEvtx.driver());
        assertEquals(fromJson.wouldBlock().stream().map(w -> w.targetObject() + " " + w.rule()).toList(),
                fromEvtx.wouldBlock().stream().map(w -> w.targetObject() + " " + w.rule()).toList());
        assertTrue(fromEvtx.verdicts().blocked() > 0, "protect.xml blocks some of the attacks: "
                + fromEvtx.verdicts());
    }
}
