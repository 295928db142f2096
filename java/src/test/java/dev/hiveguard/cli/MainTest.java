package dev.hiveguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hiveguard.wire.Wire;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line without a device: parsing, help, version, and every expected failure as one line. */
class MainTest {

    @TempDir
    Path dir;

    private static void assertOneLineError(CliRun r, int code, String fragment) {
        assertEquals(code, r.exitCode, r.toString());
        String[] lines = r.err.strip().split("\n");
        assertEquals(1, lines.length, "one line on stderr, no stack trace:\n" + r.err);
        assertTrue(lines[0].startsWith("hiveguard "), r.err);
        assertTrue(r.err.contains(fragment), "expected '" + fragment + "' in: " + r.err);
        assertFalse(r.err.contains("\tat "), r.err);
    }

    @Test
    void versionNamesTheAgentAndTheWireVersion() {
        CliRun r = CliRun.execute("--version");
        assertEquals(0, r.exitCode);
        assertTrue(r.out.startsWith("hiveguard "), r.out);
        assertTrue(r.out.contains("wire protocol " + Wire.VERSION_MAJOR + "." + Wire.VERSION_MINOR), r.out);
    }

    @Test
    void helpListsTheCommandsAndEveryExitCode() {
        CliRun r = CliRun.execute("--help");
        assertEquals(0, r.exitCode);
        for (String cmd : new String[] {"run", "status", "demo", "policy", "replay"}) {
            assertTrue(r.out.contains("  " + cmd + " "), cmd + " missing from:\n" + r.out);
        }
        assertTrue(r.out.contains("Exit codes:"), r.out);
        for (String entry : ExitCodes.HELP_LIST) {
            String code = entry.substring(0, entry.indexOf(':'));
            assertTrue(r.out.matches("(?s).*\\n\\s+" + code + "\\s+\\S.*"), "exit code " + code + " undocumented");
        }
    }

    /** The README's table, the help and ExitCodes say the same thing. */
    @Test
    void theReadmeDocumentsExactlyTheExitCodesOfTheCode() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int at = readme.indexOf("### Exit codes");
        assertTrue(at >= 0, "README has an Exit codes section");
        java.util.Map<String, String> documented = new java.util.LinkedHashMap<>();
        for (String line : readme.substring(at).split("\n")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^\\| (\\d+) \\| (.+) \\|$").matcher(line);
            if (m.matches()) {
                documented.put(m.group(1), m.group(2));
            }
        }
        java.util.Map<String, String> code = new java.util.LinkedHashMap<>();
        for (String entry : ExitCodes.HELP_LIST) {
            code.put(entry.substring(0, entry.indexOf(':')), entry.substring(entry.indexOf(':') + 1));
        }
        assertEquals(code, documented);
    }

    /** A command that dies of {@code error}, to see what the process would exit with. */
    @CommandLine.Command(name = "die")
    static final class Dies implements java.util.concurrent.Callable<Integer> {
        private final Throwable error;

        Dies(Throwable error) {
            this.error = error;
        }

        @Override
        public Integer call() throws Exception {
            if (error instanceof Error e) {
                throw e;
            }
            throw (Exception) error;
        }
    }

    private static CliRun dying(Throwable error) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        CommandLine cl = Main.newCommandLine(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true));
        cl.addSubcommand("die", new Dies(error));
        cl.setOut(new java.io.PrintWriter(out, true)); // again, for the subcommand added after
        cl.setErr(new java.io.PrintWriter(err, true));
        return new CliRun(Main.execute(cl, "die"), out.toString(), err.toString(), cl);
    }

    @Test
    void jvmErrorsExitWithTheirOwnCodeNeverOne() {
        CliRun oom = dying(new OutOfMemoryError("Java heap space (thrown by the test)"));
        assertOneLineError(oom, ExitCodes.JVM_ERROR, "the Java runtime failed: java.lang.OutOfMemoryError");
        CliRun deep = dying(new StackOverflowError());
        assertOneLineError(deep, ExitCodes.JVM_ERROR, "java.lang.StackOverflowError");
        CliRun bug = dying(new AssertionError("a broken invariant"));
        assertOneLineError(bug, ExitCodes.INTERNAL_ERROR, "internal error: java.lang.AssertionError");
        CliRun npe = dying(new NullPointerException("x"));
        assertOneLineError(npe, ExitCodes.INTERNAL_ERROR, "internal error: java.lang.NullPointerException");
    }

    @Test
    void policyValidateIsReachableFromTheTopLevelCommand() throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.xml"), "<Sysmon><EventFiltering>");
        CliRun r = CliRun.execute("policy", "validate", bad.toString());
        assertEquals(ExitCodes.POLICY_INVALID, r.exitCode, r.toString());
    }

    @Test
    void noCommandAndUnknownOptionsAreUsageErrors() {
        CliRun none = CliRun.execute();
        assertEquals(ExitCodes.USAGE, none.exitCode);
        assertTrue(none.err.contains("missing command"), none.err);
        CliRun unknown = CliRun.execute("demo", "--frobnicate");
        assertEquals(ExitCodes.USAGE, unknown.exitCode);
        assertTrue(unknown.err.contains("--frobnicate"), unknown.err);
    }

    @Test
    void outOfRangeDemoSettingsAreOneLineUsageErrors() {
        assertOneLineError(CliRun.execute("demo", "--processes", "0"), ExitCodes.USAGE, "--processes 0");
        assertOneLineError(CliRun.execute("demo", "--operations", "-5"), ExitCodes.USAGE, "--operations -5");
        CliRun badDuration = CliRun.execute("demo", "--duration", "soon");
        assertEquals(ExitCodes.USAGE, badDuration.exitCode);
        assertTrue(badDuration.err.contains("'soon' is not a duration"), badDuration.err);
    }

    @Test
    void missingOrInvalidPolicyFilesFailBeforeTheDeviceIsTouched() throws IOException {
        assertOneLineError(CliRun.execute("run", "--no-log-file", "--state-dir", dir.toString(), "--policy",
                dir.resolve("nope.xml").toString()), ExitCodes.POLICY_INVALID, "does not exist");
        Path bad = Files.writeString(dir.resolve("bad.xml"), "<Sysmon schemaversion=\"4.90\"><EventFiltering>"
                + "<RuleGroup><RegistryEvent onmatch=\"include\"><TargetObject condition=\"sounds like\">HKLM"
                + "</TargetObject></RegistryEvent></RuleGroup></EventFiltering></Sysmon>");
        assertOneLineError(CliRun.execute("demo", "--policy", bad.toString()), ExitCodes.POLICY_INVALID,
                "policy bad.xml is invalid: bad.xml:");
        Path broken = Files.writeString(dir.resolve("broken.xml"), "<Sysmon><EventFiltering>");
        assertOneLineError(CliRun.execute("demo", "--policy", broken.toString()), ExitCodes.POLICY_INVALID,
                "policy broken.xml is invalid");
    }

    @Test
    void runRejectsATimeoutOutsideTheWireRange() {
        assertOneLineError(CliRun.execute("run", "--no-log-file", "--state-dir", dir.toString(), "--timeout-ms", "0"),
                ExitCodes.USAGE, "--timeout-ms 0 is outside [1, 30000]");
    }

    @Test
    void unwritableStateDirectoryIsAnIoError() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertOneLineError(CliRun.execute("run", "--no-log-file", "--state-dir", file.resolve("state").toString()),
                ExitCodes.IO_ERROR, "cannot create state directory");
    }

    @Test
    void statusWithoutAnAgentSaysSoAndExitsCheckFailed() {
        CliRun r = CliRun.execute("status", "--state-dir", dir.toString());
        assertEquals(ExitCodes.CHECK_FAILED, r.exitCode, r.toString());
        assertTrue(r.out.contains("agent: not running (no status file"), r.out);
    }

    @Test
    void statusShowsALiveAgentsPublishedMetricsAsTablesOrJson() throws IOException {
        AgentStatusFile file = new AgentStatusFile(dir);
        ObjectNode s = AgentStatusFile.newStatus();
        s.put("started", "2026-11-21T05:00:00Z");
        s.put("policy", "protect.xml");
        s.put("policyHash", "abc123");
        s.put("auditFile", "audit.jsonl");
        ObjectNode pump = s.putObject("pump");
        pump.put("eventsReceived", 1234);
        pump.putObject("latency").put("p99Nanos", 5000);
        s.putObject("driver").put("dropped", 0).put("delivered", 1234);
        file.write(s, Instant.now());

        CliRun r = CliRun.execute("status", "--state-dir", dir.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("agent: running (pid " + ProcessHandle.current().pid()), r.out);
        assertTrue(r.out.matches("(?s).*eventsReceived\\s+1234.*"), r.out);
        assertTrue(r.out.matches("(?s).*latency\\.p99Nanos\\s+5000.*"), r.out);
        assertTrue(r.out.matches("(?s).*delivered\\s+1234.*"), r.out);

        CliRun j = CliRun.execute("status", "--json", "--state-dir", dir.toString());
        assertEquals(0, j.exitCode);
        JsonNode n = new ObjectMapper().readTree(j.out);
        assertTrue(n.get("agentRunning").asBoolean());
        assertEquals(1234, n.at("/agent/pump/eventsReceived").asLong());
    }

    @Test
    void durationsAcceptTheUsualUnits() {
        Durations d = new Durations();
        assertEquals(Duration.ofMillis(500), d.convert("500ms"));
        assertEquals(Duration.ofSeconds(10), d.convert("10s"));
        assertEquals(Duration.ofMinutes(2), d.convert("2m"));
        assertEquals(Duration.ofHours(1), d.convert("1h"));
        assertEquals(Duration.ofSeconds(3), d.convert("PT3S"));
    }
}
