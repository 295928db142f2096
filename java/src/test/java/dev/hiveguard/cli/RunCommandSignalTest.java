package dev.hiveguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hiveguard run} in its own JVM, stopped the way a service manager stops it
 * (SIGTERM): the shutdown hook must hold the JVM until the graceful stop has written
 * the final status, and the log must be in the state directory.
 */
class RunCommandSignalTest {

    private static final long WAIT_MS = 20_000;
    /** The JVM's exit status after SIGTERM (128 + 15), whatever the hooks did. */
    private static final int EXIT_AFTER_SIGTERM = 143;

    @TempDir
    Path dir;

    @Test
    void sigtermStopsGracefullyAndLeavesAStoppedStatusAndALog() throws Exception {
        Path state = dir.resolve("state");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process agent = new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "run", "--state-dir", state.toString()))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("agent.out").toFile())
                .start();
        try {
            AgentStatusFile status = new AgentStatusFile(state);
            long deadline = System.currentTimeMillis() + WAIT_MS;
            while (status.read(Instant.now()).map(s -> !s.live()).orElse(true)) {
                assertTrue(agent.isAlive(), "agent exited early:\n" + output());
                assertTrue(System.currentTimeMillis() < deadline, "no live status:\n" + output());
                Thread.sleep(50);
            }
            assertEquals(agent.pid(), status.read(Instant.now()).orElseThrow().status().get("pid").asLong());

            agent.destroy(); // SIGTERM on Linux
            assertTrue(agent.waitFor(WAIT_MS, TimeUnit.MILLISECONDS), "no exit after SIGTERM:\n" + output());
            assertEquals(EXIT_AFTER_SIGTERM, agent.exitValue(), output());

            AgentStatusFile.Snapshot last = status.read(Instant.now()).orElseThrow();
            assertTrue(last.whyNotLive().startsWith("stopped at"), last.whyNotLive() + "\n" + output());
            assertTrue(last.status().has("driver"), "final driver counters are kept: " + last.status());
            Path log = state.resolve("hiveguard.log");
            assertTrue(Files.exists(log), "log file in the state directory");
            String logText = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(logText.contains("serving: policy default"), logText);
            assertTrue(logText.contains("decision pump stopped"), logText);
            assertTrue(Files.exists(state.resolve("audit" + File.separator + "audit.jsonl")));
        } finally {
            agent.destroyForcibly();
        }
    }

    private String output() {
        try {
            return Files.readString(dir.resolve("agent.out"));
        } catch (java.io.IOException e) {
            return "(no output: " + e + ")";
        }
    }
}
