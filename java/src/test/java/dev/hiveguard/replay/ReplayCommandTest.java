package dev.hiveguard.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hiveguard.cli.CliRun;
import dev.hiveguard.cli.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replay command end to end, in process: real host, pump, audit writer. */
class ReplayCommandTest {

    @TempDir
    Path tmp;

    private static CliRun run(String... args) {
        return CliRun.execute("replay", args);
    }

    private String policy() {
        return ReplayTestData.fixture("replay-enforce.xml").toString();
    }

    @Test
    void missingRecordingIsAOneLineErrorNamingTheFile() {
        Path missing = tmp.resolve("nope.jsonl");
        CliRun r = run("--policy", policy(), "--audit-dir", tmp.resolve("audit").toString(),
                ReplayTestData.fixture("persistence.jsonl").toString(), missing.toString());
        assertEquals(ExitCodes.USAGE, r.exit());
        assertEquals("hiveguard replay: " + missing + ": no such file", r.err().strip());
        assertEquals("", r.out());
    }

    @Test
    void missingPolicyIsAPolicyError() {
        CliRun r = run("--policy", tmp.resolve("none.xml").toString(), ReplayTestData.fixture("persistence.jsonl")
                .toString());
        assertEquals(ExitCodes.POLICY_INVALID, r.exit());
        assertTrue(r.err().contains("none.xml"), r.err());
    }

    @Test
    void brokenLinesAreListedWithFileAndLineAndTheRestReplays() throws Exception {
        Path rec = tmp.resolve("mixed.jsonl");
        Files.writeString(rec, String.join("\n",
                "{\"EventID\": 13, \"EventType\": \"SetValue\", \"UtcTime\": \"2020-10-20 02:47:08.761\", "
                        + "\"ProcessId\": \"8684\", \"Image\": \"C:\\\\windows\\\\system32\\\\reg.exe\", "
                        + "\"TargetObject\": \"HKU\\\\S-1-5-21-1\\\\Environment\\\\UserInitMprLogonScript\", "
                        + "\"Details\": \"C:\\\\Temp\\\\art.bat\"}",
                "{\"EventID\": 13, \"EventType\": \"SetVal",
                "{\"EventID\": 12, \"EventType\": \"CreateKey\"}",
                ""));
        Path json = tmp.resolve("report.json");
        CliRun r = run("--policy", policy(), "--audit-dir", tmp.resolve("audit").toString(), "--json", json.toString(),
                "--no-progress", rec.toString());
        assertEquals(ExitCodes.OK, r.exit(), r.err());
        assertTrue(r.out().contains("unparseable records (2):"), r.out());
        assertTrue(r.out().contains(rec + ":2: not a JSON object"), r.out());
        assertTrue(r.out().contains(rec + ":3: missing TargetObject"), r.out());
        assertTrue(r.out().contains("rule LogonScriptPersistence, denied by the driver"), r.out());
        assertTrue(r.out().contains("events/s"), r.out());

        JsonNode report = new ObjectMapper().readTree(json.toFile());
        assertEquals(1, report.get("operations").asLong());
        assertEquals(1, report.get("verdicts").get("blocked").asLong());
        assertEquals(2, report.get("unparseable").size());
        assertEquals(3, report.get("unparseable").get(1).get("line").asLong());
        assertEquals("HKU\\S-1-5-21-1\\Environment\\UserInitMprLogonScript",
                report.get("wouldBlock").get(0).get("targetObject").asText());
        assertEquals(1, Files.readAllLines(tmp.resolve("audit").resolve("audit.jsonl")).size());
    }

    @Test
    void progressBarGoesToStderrWhenAsked() {
        CliRun r = run("--policy", policy(), "--audit-dir", tmp.resolve("audit").toString(), "--progress",
                ReplayTestData.fixture("persistence.xml").toString());
        assertEquals(ExitCodes.OK, r.exit(), r.err());
        // The engine draws on System.err, not picocli's writer; the report itself stays clean.
        assertTrue(r.out().startsWith("HiveGuard replay"), r.out());
        assertTrue(ProgressBar.line(7, 14, 0.5).startsWith("replay [####################                    ] 7/14"));
    }

    @Test
    void badOptionsAreUsageErrors() {
        CliRun r = run("--policy", policy(), "--format", "etl", ReplayTestData.fixture("persistence.xml").toString());
        assertEquals(ExitCodes.USAGE, r.exit());
        assertTrue(r.err().contains("unknown recording format 'etl'"), r.err());
        // evtx is a format now; forced on an XML export it is a one-line file error
        r = run("--policy", policy(), "--format", "evtx", ReplayTestData.fixture("persistence.xml").toString());
        assertEquals(ExitCodes.USAGE, r.exit());
        assertTrue(r.err().contains("persistence.xml: not an EVTX file"), r.err());
        r = run("--policy", policy(), "--realtime", "--speed", "0", ReplayTestData.fixture("persistence.xml")
                .toString());
        assertEquals(ExitCodes.USAGE, r.exit());
        r = run("--policy", policy(), "--hkcu-sid", "pgustavo", ReplayTestData.fixture("persistence.csv").toString());
        assertEquals(ExitCodes.USAGE, r.exit());
        assertTrue(r.err().contains("'pgustavo' is not a SID"), r.err());
    }
}
