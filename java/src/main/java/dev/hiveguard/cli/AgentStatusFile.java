package dev.hiveguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The running agent's published status: a JSON file in the state directory that
 * {@code run} rewrites every {@link #WRITE_INTERVAL} and {@code status} reads. A file
 * keeps the two processes decoupled - {@code status} never needs the device (which
 * admits one client, the agent) nor any IPC endpoint the agent would have to secure.
 *
 * <p>Writes go to a temporary file that is then renamed over the old one, so a reader
 * sees the previous or the next status, never a torn one. The agent's pid and the
 * {@code updated} time let a reader tell a live agent from a stale file left by one
 * that was killed.
 */
public final class AgentStatusFile {

    public static final String FILE_NAME = "agent-status.json";
    public static final Duration WRITE_INTERVAL = Duration.ofSeconds(2);
    /** Three missed writes: a loaded machine may delay one, not three. */
    public static final Duration STALE_AFTER = WRITE_INTERVAL.multipliedBy(3);

    /**
     * java.time values as their ISO-8601 strings: the jsr310 module would be one more
     * dependency for two types, and without a serializer Jackson refuses them.
     */
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new SimpleModule("hiveguard-time")
                    .addSerializer(Instant.class, ToStringSerializer.instance)
                    .addSerializer(Duration.class, ToStringSerializer.instance))
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private final Path file;

    public AgentStatusFile(Path stateDir) {
        this.file = stateDir.resolve(FILE_NAME);
    }

    public Path path() {
        return file;
    }

    /** A status object to fill; {@code pid} and {@code updated} are set by {@link #write}. */
    public static ObjectNode newStatus() {
        return MAPPER.createObjectNode();
    }

    /** Converts any record (pump status, driver stats, audit stats) into a JSON tree. */
    public static JsonNode toTree(Object value) {
        return MAPPER.valueToTree(value);
    }

    public void write(ObjectNode status, Instant now) throws IOException {
        status.put("pid", ProcessHandle.current().pid());
        status.put("updated", now.toString());
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        MAPPER.writeValue(tmp.toFile(), status);
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Marks the agent stopped (kept, not deleted, so status can show the final counters). */
    public void markStopped(ObjectNode lastStatus, Instant now) throws IOException {
        lastStatus.put("stopped", now.toString());
        write(lastStatus, now);
    }

    /** What a reader found. */
    public record Snapshot(JsonNode status, boolean live, String whyNotLive) {
    }

    /** Empty when no agent ever wrote here; a snapshot (live or not) otherwise. */
    public Optional<Snapshot> read(Instant now) throws IOException {
        JsonNode status;
        try {
            status = MAPPER.readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            return Optional.empty();
        }
        if (status == null || !status.isObject()) {
            throw new IOException(file + " is not a status object");
        }
        if (status.hasNonNull("stopped")) {
            return Optional.of(new Snapshot(status, false, "stopped at " + status.get("stopped").asText()));
        }
        long pid = status.path("pid").asLong(-1);
        boolean alive = pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        if (!alive) {
            return Optional.of(new Snapshot(status, false, "process " + pid + " is gone (killed or crashed)"));
        }
        Instant updated = Instant.parse(status.path("updated").asText(Instant.EPOCH.toString()));
        Duration age = Duration.between(updated, now);
        if (age.compareTo(STALE_AFTER) > 0) {
            return Optional.of(new Snapshot(status, false, "no update for " + age.toSeconds() + " s (hung?)"));
        }
        return Optional.of(new Snapshot(status, true, ""));
    }
}
