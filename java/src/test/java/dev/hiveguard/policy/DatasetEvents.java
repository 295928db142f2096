package dev.hiveguard.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.RegistryPaths;
import dev.hiveguard.model.ValueRendering;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Turns the recorded Sysmon events of the shared datasets into driver-style
 * {@link RegistryEvent}s: TargetObject back to a kernel key path (plus value name for value
 * operations, split at the last backslash, "(Default)" meaning the unnamed value), Details
 * back to a value type and data whose Sysmon rendering is the recorded text, User carried as
 * recorded (a name, where the driver would give a SID).
 */
public final class DatasetEvents {

    /** The system property pom.xml sets; relative fallback when a test runs outside Maven. */
    public static final String DATASETS_PROPERTY = "hiveguard.datasets.dir";
    private static final String FALLBACK = "../shared/datasets";

    private static final ObjectMapper JSON = new ObjectMapper();

    private DatasetEvents() {
    }

    /** One recorded event: the original fields and the rebuilt driver event. */
    public record Recorded(String file, int line, JsonNode json, RegistryEvent event) {
        public String targetObject() {
            return json.path("TargetObject").asText();
        }
    }

    public static Path directory() {
        String dir = System.getProperty(DATASETS_PROPERTY);
        Path p = Paths.get(dir != null && !dir.isBlank() ? dir : FALLBACK);
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("datasets not found at " + p.toAbsolutePath() + " (set -D" + DATASETS_PROPERTY + ")");
        }
        return p;
    }

    public static List<Path> files() {
        try (Stream<Path> s = Files.list(directory())) {
            return s.filter(f -> f.getFileName().toString().endsWith(".jsonl.gz")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Path file(String name) {
        return directory().resolve(name);
    }

    private static final java.util.Map<Path, List<Recorded>> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

    /** Every event of one recording, parsed once per test JVM (the files are read-only). */
    public static List<Recorded> read(Path file) {
        return CACHE.computeIfAbsent(file.toAbsolutePath().normalize(), DatasetEvents::load);
    }

    private static List<Recorded> load(Path file) {
        List<Recorded> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(file)),
                StandardCharsets.UTF_8))) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode j = JSON.readTree(line);
                out.add(new Recorded(file.getFileName().toString(), n, j, toEvent(j, n)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.copyOf(out);
    }

    public static List<RegistryEvent> allEvents() {
        List<RegistryEvent> all = new ArrayList<>();
        for (Path f : files()) {
            for (Recorded r : read(f)) {
                all.add(r.event());
            }
        }
        return all;
    }

    /** Sysmon's EventType; a few recordings lost it, then EventID says it (13 = SetValue, 14 = RenameKey). */
    static Operation operation(JsonNode j) {
        String et = j.path("EventType").asText("");
        Operation op = Operation.fromEventType(et);
        if (op != null) {
            return op;
        }
        switch (j.path("EventID").asInt()) {
            case 13:
                return Operation.SET_VALUE;
            case 14:
                return Operation.RENAME_KEY;
            default:
                throw new IllegalArgumentException("cannot tell the operation of event " + j);
        }
    }

    public static RegistryEvent toEvent(JsonNode j, long sequence) {
        Operation op = operation(j);
        String target = j.path("TargetObject").asText();
        String keySysmon = target;
        String valueName = "";
        if (op == Operation.SET_VALUE || op == Operation.DELETE_VALUE) {
            int cut = target.lastIndexOf('\\');
            keySysmon = target.substring(0, cut);
            valueName = target.substring(cut + 1);
            if (valueName.equals(RegistryPaths.DEFAULT_VALUE_NAME)) {
                valueName = "";
            }
        }
        int type = 0;
        byte[] data = new byte[0];
        if (op == Operation.SET_VALUE && j.has("Details")) {
            ValueRendering.Value v = ValueRendering.fromDetails(j.path("Details").asText());
            type = v.type();
            data = v.data();
        }
        String newName = j.path("NewName").asText("");
        long pid = j.path("ProcessId").asLong(0);
        return new RegistryEvent(0, sequence, Instant.EPOCH, op, 0, pid, 0, 0, 0, RegistryPaths.toKernel(keySysmon),
                valueName, newName, j.path("Image").asText(""), j.path("User").asText(""), type, data, data.length);
    }
}
