package dev.hiveguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentStatusFileTest {

    @TempDir
    Path dir;

    record Nested(long events, Instant since, Duration window) {
    }

    @Test
    void aFreshStatusFromThisLiveProcessReadsBackAsRunning() throws IOException {
        AgentStatusFile f = new AgentStatusFile(dir.resolve("state"));
        ObjectNode s = AgentStatusFile.newStatus();
        s.put("policy", "protect.xml");
        s.set("pump", AgentStatusFile.toTree(new Nested(12, Instant.parse("2026-11-21T05:00:00Z"),
                Duration.ofSeconds(5))));
        Instant now = Instant.now();
        f.write(s, now);

        AgentStatusFile.Snapshot snap = f.read(now.plusSeconds(1)).orElseThrow();
        assertTrue(snap.live(), snap.whyNotLive());
        assertEquals("protect.xml", snap.status().get("policy").asText());
        assertEquals(12, snap.status().at("/pump/events").asLong());
        assertEquals("2026-11-21T05:00:00Z", snap.status().at("/pump/since").asText());
        assertEquals("PT5S", snap.status().at("/pump/window").asText());
        assertEquals(ProcessHandle.current().pid(), snap.status().get("pid").asLong());
        assertFalse(Files.exists(f.path().resolveSibling(AgentStatusFile.FILE_NAME + ".tmp")));
    }

    @Test
    void staleStoppedOrDeadAgentsAreNotRunningAndSayWhy() throws IOException {
        AgentStatusFile f = new AgentStatusFile(dir);
        Instant now = Instant.now();
        f.write(AgentStatusFile.newStatus(), now);
        AgentStatusFile.Snapshot stale = f.read(now.plus(AgentStatusFile.STALE_AFTER).plusSeconds(1)).orElseThrow();
        assertFalse(stale.live());
        assertTrue(stale.whyNotLive().contains("no update"), stale.whyNotLive());

        ObjectNode s = AgentStatusFile.newStatus();
        f.markStopped(s, now);
        AgentStatusFile.Snapshot stopped = f.read(now).orElseThrow();
        assertFalse(stopped.live());
        assertTrue(stopped.whyNotLive().startsWith("stopped at"));

        // A pid no process has: what a killed agent leaves behind (pid_max is far below this).
        Files.writeString(f.path(), "{\"pid\": 4194304000, \"updated\": \"" + now + "\"}");
        AgentStatusFile.Snapshot dead = f.read(now).orElseThrow();
        assertFalse(dead.live());
        assertTrue(dead.whyNotLive().contains("gone"), dead.whyNotLive());
    }

    @Test
    void missingFileIsEmptyAndGarbageIsAnError() throws IOException {
        AgentStatusFile f = new AgentStatusFile(dir);
        assertTrue(f.read(Instant.now()).isEmpty());
        Files.writeString(f.path(), "[1,2]");
        assertThrows(IOException.class, () -> f.read(Instant.now()));
    }

    @Test
    void defaultStateDirectoryFollowsPlatformConventions() {
        assertEquals(Path.of("D:\\Data", "HiveGuard"),
                StateDirectory.defaultPath("Windows 11", Map.of("ProgramData", "D:\\Data"), "x"));
        assertEquals(Path.of("/var/state", "hiveguard"),
                StateDirectory.defaultPath("Linux", Map.of("XDG_STATE_HOME", "/var/state"), "/home/u"));
        assertEquals(Path.of("/home/u", ".local", "state", "hiveguard"),
                StateDirectory.defaultPath("Linux", Map.of("XDG_STATE_HOME", "relative"), "/home/u"));
    }
}
