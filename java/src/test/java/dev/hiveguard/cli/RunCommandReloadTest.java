package dev.hiveguard.cli;

import dev.hiveguard.model.ValueRendering;
import dev.hiveguard.model.RegistryValueType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.device.RegistrySimulator;
import dev.hiveguard.device.SimulatedOperation;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.wire.NtStatus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
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
 * Hot reload under {@code hiveguard run --policy FILE}, over the real host library: a
 * valid new version of the file changes what the driver's callers get; an invalid one
 * is ignored and the policy in force stays.
 */
class RunCommandReloadTest {

    private static final long WAIT_MS = 15_000;
    private static final String KEY = "\\REGISTRY\\MACHINE\\SOFTWARE\\HiveGuardReloadTest";
    private static final String TARGET = "HKLM\\SOFTWARE\\HiveGuardReloadTest\\";

    @TempDir
    Path dir;

    private final ExecutorService agentThread = Executors.newSingleThreadExecutor();
    private long nextProcess = 0x5E10_0000L;

    @BeforeEach
    void freshDriver() {
        RegistrySimulator.reset(Verdict.ALLOW);
    }

    @AfterEach
    void stopThreadAndRestoreLogLevel() {
        agentThread.shutdownNow();
        Logging.setLevel(ch.qos.logback.classic.Level.WARN);
    }

    private static String policy(String action) {
        return OneRulePolicy.xml("ReloadTestRule", action, TARGET);
    }

    /** Replaces the file the way deployment tools do: write aside, then rename over it. */
    private void deploy(Path file, String content) throws Exception {
        Path staged = file.resolveSibling(file.getFileName() + ".new");
        Files.writeString(staged, content, StandardCharsets.UTF_8);
        Files.move(staged, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private int write(String value) {
        long process = nextProcess++;
        return RegistrySimulator.raise(SimulatedOperation.setValue(process, (int) (process & 0xFFFF), KEY, value,
                RegistryValueType.REG_DWORD, ValueRendering.dword(1), "C:\\Tools\\writer.exe"));
    }

    /** Raises writes until one gets {@code expected}, or fails after WAIT_MS. */
    private void awaitStatus(int expected, String why) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        int last;
        while ((last = write("probe")) != expected) {
            assertTrue(System.currentTimeMillis() < deadline,
                    why + ": still 0x" + Integer.toHexString(last) + " after " + WAIT_MS + " ms");
            Thread.sleep(25);
        }
    }

    @Test
    void validNewVersionTakesEffectAndInvalidOneIsIgnored() throws Exception {
        Path policyFile = dir.resolve("policy.xml");
        Files.writeString(policyFile, policy("audit"), StandardCharsets.UTF_8);
        Path state = dir.resolve("state");
        StringWriter err = new StringWriter();
        CommandLine cl = Main.newCommandLine(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        RunCommand run = cl.getSubcommands().get("run").getCommand();
        Future<Integer> exit = agentThread.submit(() -> cl.execute("run", "--no-log-file", "--state-dir",
                state.toString(), "--policy", policyFile.toString(), "--reload-ms", "50"));

        AgentStatusFile status = new AgentStatusFile(state);
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (status.read(Instant.now()).map(s -> !s.live()).orElse(true)) {
            assertTrue(System.currentTimeMillis() < deadline, "no live status within " + WAIT_MS + " ms; " + err);
            assertTrue(!exit.isDone(), "run ended early: " + (exit.isDone() ? exit.get() : "") + " " + err);
            Thread.sleep(20);
        }
        assertEquals(NtStatus.SUCCESS.code(), write("before"), "the audit rule lets the write through");

        deploy(policyFile, policy("block"));
        awaitStatus(NtStatus.ACCESS_DENIED.code(), "the reloaded block rule never took effect");

        // Not well-formed: the reloader logs the located error and keeps the block policy.
        deploy(policyFile, policy("block").replace("</Sysmon>", ""));
        Thread.sleep(500); // ten poll periods: ample time for a (wrong) swap to happen
        for (int i = 0; i < 5; i++) {
            assertEquals(NtStatus.ACCESS_DENIED.code(), write("after-invalid-" + i),
                    "an invalid file must leave the block policy in force");
        }

        deploy(policyFile, policy("allow"));
        awaitStatus(NtStatus.SUCCESS.code(), "the next valid version never took effect");

        run.stopRequested.countDown();
        assertEquals(ExitCodes.OK, exit.get(WAIT_MS, TimeUnit.MILLISECONDS), err.toString());
    }
}
