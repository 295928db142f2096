package dev.hiveguard.cli;

import dev.hiveguard.model.ValueRendering;
import dev.hiveguard.model.RegistryValueType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hiveguard.audit.AuditOptions;
import dev.hiveguard.audit.AuditReader;
import dev.hiveguard.device.RegistrySimulator;
import dev.hiveguard.device.SimulatedOperation;
import dev.hiveguard.model.Verdict;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code hiveguard run} as the service runs it, over the real host library: it
 * publishes a live status, serves callers, and on stop drains, audits and marks
 * itself stopped.
 */
class RunCommandTest {

    private static final long WAIT_MS = 15_000;
    private static final String KEY = "\\REGISTRY\\MACHINE\\SOFTWARE\\HiveGuardRunTest";

    @TempDir
    Path dir;

    private final ExecutorService agentThread = Executors.newSingleThreadExecutor();

    @BeforeEach
    void freshDriver() {
        RegistrySimulator.reset(Verdict.ALLOW);
    }

    @AfterEach
    void stopThreadAndRestoreLogLevel() {
        agentThread.shutdownNow();
        // run raised the root level to INFO in this JVM; later test classes expect logback.xml's default.
        Logging.setLevel(ch.qos.logback.classic.Level.WARN);
    }

    @Test
    void servesPublishesStatusAndStopsGracefully() throws Exception {
        Path state = dir.resolve("state");
        StringWriter err = new StringWriter();
        CommandLine cl = Main.newCommandLine(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        RunCommand run = cl.getSubcommands().get("run").getCommand();
        Future<Integer> exit = agentThread.submit(() -> cl.execute("run", "--no-log-file", "--state-dir",
                state.toString(), "--parked", "4"));

        AgentStatusFile status = new AgentStatusFile(state);
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (status.read(Instant.now()).map(s -> !s.live()).orElse(true)) {
            assertTrue(System.currentTimeMillis() < deadline, "no live status within " + WAIT_MS + " ms; " + err);
            assertTrue(!exit.isDone(), "run ended early: " + (exit.isDone() ? exit.get() : "") + " " + err);
            Thread.sleep(20);
        }

        int n = 25;
        for (int i = 0; i < n; i++) {
            int st = RegistrySimulator.raise(SimulatedOperation.setValue(0x7E57_0000L + i, 4000 + i, KEY, "v" + i,
                    RegistryValueType.REG_DWORD, ValueRendering.dword(i), "C:\\Tools\\writer.exe"));
            assertEquals(0, st, "the default policy allows everything");
        }

        CliRun live = CliRun.execute("status", "--state-dir", state.toString());
        assertEquals(ExitCodes.OK, live.exitCode, live.toString());
        assertTrue(live.out.contains("agent: running"), live.out);
        assertTrue(live.out.contains("policy: default"), live.out);

        run.stopRequested.countDown();
        assertEquals(ExitCodes.OK, exit.get(WAIT_MS, TimeUnit.MILLISECONDS), err.toString());

        AgentStatusFile.Snapshot stopped = status.read(Instant.now()).orElseThrow();
        assertTrue(!stopped.live() && stopped.whyNotLive().startsWith("stopped at"), stopped.whyNotLive());
        CliRun after = CliRun.execute("status", "--state-dir", state.toString());
        assertEquals(ExitCodes.CHECK_FAILED, after.exitCode);
        assertTrue(after.out.contains("not running: stopped at"), after.out);

        AuditOptions trail = AuditOptions.in(state.resolve("audit"));
        assertTrue(Files.exists(trail.activeFile()));
        List<JsonNode> lines = AuditReader.readAll(trail);
        long ours = lines.stream().filter(l -> l.path("process.executable").asText().equals("C:\\Tools\\writer.exe"))
                .count();
        assertEquals(n, ours, "every operation raised while serving is in the audit trail after the stop");
        JsonNode driver = stopped.status().path("driver");
        assertTrue(driver.path("raised").asLong() >= n, stopped.status().toString());
        assertEquals(lines.size(), stopped.status().at("/audit/linesWritten").asLong());
    }

    @Test
    void stopsWithDeviceUnavailableWhenItsHandlesDieAndARestartServesAgain() throws Exception {
        Path state = dir.resolve("state");
        StringWriter err = new StringWriter();
        CommandLine cl = Main.newCommandLine(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        Future<Integer> exit = agentThread.submit(() -> cl.execute("run", "--no-log-file", "--state-dir",
                state.toString()));
        awaitLive(new AgentStatusFile(state), exit);

        // What the host does when the agent's process object goes away: every handle it opened is closed.
        RegistrySimulator.processExit(RegistrySimulator.currentProcessKey());
        long limit = WAIT_MS + RunCommand.NOT_SERVING_CHECKS * AgentStatusFile.WRITE_INTERVAL.toMillis();
        assertEquals(ExitCodes.DEVICE_UNAVAILABLE, exit.get(limit, TimeUnit.MILLISECONDS), err.toString());
        assertTrue(err.toString().contains("no longer serves this agent"), err.toString());
        assertTrue(new AgentStatusFile(state).read(Instant.now()).orElseThrow().whyNotLive().startsWith("stopped"));

        CommandLine again = Main.newCommandLine(new PrintWriter(new StringWriter(), true),
                new PrintWriter(new StringWriter(), true));
        RunCommand second = again.getSubcommands().get("run").getCommand();
        Future<Integer> exit2 = agentThread.submit(() -> again.execute("run", "--no-log-file", "--state-dir",
                state.toString()));
        try {
            awaitLive(new AgentStatusFile(state), exit2);
            assertEquals(0, RegistrySimulator.raise(SimulatedOperation.setValue(0x7E57_1000L, 4242, KEY, "after",
                    RegistryValueType.REG_DWORD, ValueRendering.dword(1), "C:\\Tools\\restarted.exe")));
        } finally {
            second.stopRequested.countDown();
        }
        assertEquals(ExitCodes.OK, exit2.get(WAIT_MS, TimeUnit.MILLISECONDS));
        List<JsonNode> lines = AuditReader.readAll(AuditOptions.in(state.resolve("audit")));
        assertTrue(lines.stream().anyMatch(l -> l.path("process.executable").asText().endsWith("restarted.exe")),
                "the restarted agent audits again");
    }

    private static void awaitLive(AgentStatusFile status, Future<Integer> exit) throws Exception {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (status.read(Instant.now()).map(s -> !s.live()).orElse(true)) {
            assertTrue(System.currentTimeMillis() < deadline, "no live status within " + WAIT_MS + " ms");
            assertTrue(!exit.isDone(), "run ended early: " + (exit.isDone() ? exit.get() : ""));
            Thread.sleep(20);
        }
    }
}
