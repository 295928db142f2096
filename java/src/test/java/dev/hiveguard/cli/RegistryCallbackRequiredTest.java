package dev.hiveguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.device.RegistrySimulator;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.wire.Wire;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The agent reports "serving" only where registry operations reach the driver: a driver
 * whose HELLO lacks both HG_CAP_REGISTRY_CALLBACK and the Linux stand-in HG_CAP_SIMULATOR is
 * refused; the simulator and a registered callback are served, and {@code hiveguard status}
 * says which. Over the real host library, whose test hook sets the capabilities it reports.
 */
class RegistryCallbackRequiredTest {

    private static final long WAIT_MS = 15_000;

    @TempDir
    Path dir;

    private final ExecutorService agentThread = Executors.newSingleThreadExecutor();

    @AfterEach
    void restoreTheHost() {
        agentThread.shutdownNow();
        RegistrySimulator.setCapabilitiesForTest(Wire.CAP_SIMULATOR);
        RegistrySimulator.reset(Verdict.ALLOW);
        Logging.setLevel(ch.qos.logback.classic.Level.WARN);
    }

    @Test
    void refusesToServeADriverWithoutRegistryCallback() throws Exception {
        RegistrySimulator.setCapabilitiesForTest(0);
        RegistrySimulator.reset(Verdict.ALLOW);
        Path state = dir.resolve("state");
        CliRun run = CliRun.execute("run", "--no-log-file", "--state-dir", state.toString());
        assertEquals(ExitCodes.DEVICE_UNAVAILABLE, run.exitCode, run.toString());
        assertTrue(run.err.contains("no registered registry callback") && run.err.contains("refusing to serve"),
                run.err);
        // It never claimed to serve: no live status was published.
        assertTrue(new AgentStatusFile(state).read(Instant.now()).map(s -> !s.live()).orElse(true));
        // The refusal left the device free: the next driver instance takes a client again.
        assertEquals(0L, RegistrySimulator.stats().clientBound());
    }

    @Test
    void statusShowsTheSimulatorAsTheLinuxStandIn() throws Exception {
        RegistrySimulator.reset(Verdict.ALLOW);
        assertTrue(statusWhileServing().contains("registry callback: simulator (Linux stand-in"));
    }

    @Test
    void statusShowsARegisteredCallback() throws Exception {
        RegistrySimulator.setCapabilitiesForTest(Wire.CAP_REGISTRY_CALLBACK);
        RegistrySimulator.reset(Verdict.ALLOW);
        assertTrue(statusWhileServing().contains("registry callback: registered"));
    }

    /** Runs the agent until it is live, returns `hiveguard status`'s output, stops it. */
    private String statusWhileServing() throws Exception {
        Path state = dir.resolve("state");
        StringWriter err = new StringWriter();
        CommandLine cl = Main.newCommandLine(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        RunCommand run = cl.getSubcommands().get("run").getCommand();
        Future<Integer> exit = agentThread.submit(() -> cl.execute("run", "--no-log-file", "--state-dir",
                state.toString()));
        try {
            AgentStatusFile status = new AgentStatusFile(state);
            long deadline = System.currentTimeMillis() + WAIT_MS;
            while (status.read(Instant.now()).map(s -> !s.live()).orElse(true)) {
                assertTrue(System.currentTimeMillis() < deadline, "no live status within " + WAIT_MS + " ms; " + err);
                assertTrue(!exit.isDone(), "run ended early: " + err);
                Thread.sleep(20);
            }
            CliRun live = CliRun.execute("status", "--state-dir", state.toString());
            assertEquals(ExitCodes.OK, live.exitCode, live.toString());
            return live.out;
        } finally {
            run.stopRequested.countDown();
            assertEquals(ExitCodes.OK, exit.get(WAIT_MS, TimeUnit.MILLISECONDS), err.toString());
        }
    }
}
