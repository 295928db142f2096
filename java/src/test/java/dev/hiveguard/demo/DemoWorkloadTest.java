package dev.hiveguard.demo;

import dev.hiveguard.model.RegistryValueType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hiveguard.audit.RegistryLocation;
import dev.hiveguard.audit.RegistryValueFormat;
import dev.hiveguard.model.Operation;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The demo workload is anchored in real telemetry: its tampering writes and its noise
 * keys are the ones the Sysmon recordings in the shared datasets show.
 */
class DemoWorkloadTest {

    private static final Set<String> TARGETS = new HashSet<>();

    @BeforeAll
    static void loadRecordedTargets() throws IOException {
        Path dir = datasetsDir();
        ObjectMapper mapper = new ObjectMapper();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".jsonl.gz"))::iterator) {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(
                        new GZIPInputStream(Files.newInputStream(f)), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        JsonNode n = mapper.readTree(line);
                        if (n.hasNonNull("TargetObject")) {
                            TARGETS.add(normalise(n.get("TargetObject").asText()));
                        }
                    }
                }
            }
        }
        assertTrue(TARGETS.size() > 1000, "datasets read from " + dir);
    }

    static Path datasetsDir() {
        String prop = System.getProperty("hiveguard.datasets.dir");
        Path dir = prop != null ? Path.of(prop) : Path.of("..", "shared", "datasets");
        assertTrue(Files.isDirectory(dir), "datasets directory " + dir.toAbsolutePath() + " is missing");
        return dir;
    }

    /** Sysmon form, any user SID, CurrentControlSet for ControlSet001, case-insensitive. */
    private static String normalise(String sysmonPath) {
        return sysmonPath.toLowerCase(Locale.ROOT)
                .replaceFirst("^hku\\\\s-1-5-21-[0-9-]+\\\\", "hku\\\\<user>\\\\")
                .replace("\\system\\controlset001\\", "\\system\\currentcontrolset\\");
    }

    private static String sysmonPath(ScriptedOperation op, boolean withValue) {
        return normalise(RegistryLocation.of(op.keyPath(), withValue ? op.valueName() : "").path());
    }

    @Test
    void tamperingWritesAreTheOnesTheRecordingsShow() {
        List<ScriptedOperation> ops = DemoWorkload.tampering();
        assertEquals(5, ops.size());
        for (ScriptedOperation op : ops) {
            assertTrue(op.tampering());
            assertEquals(Operation.SET_VALUE, op.operation());
            if (op.valueName().equals("Debugger")) {
                // IFEO is not in these recordings as a write; its parent key is.
                String parent = normalise(RegistryLocation.of(op.keyPath(), "").path());
                String ifeo = parent.substring(0, parent.lastIndexOf('\\'));
                assertTrue(TARGETS.contains(ifeo), ifeo);
            } else {
                assertTrue(TARGETS.contains(sysmonPath(op, true)), "not in the recordings: " + sysmonPath(op, true));
            }
        }
    }

    @Test
    void noiseKeysAreTheOnesTheRecordingsShowExceptOfficeMru() {
        for (SimulatedProcess p : DemoWorkload.NOISE_PROCESSES) {
            List<ScriptedOperation> ops = DemoWorkload.noise(p, 24, 1);
            assertEquals(24, ops.size());
            for (ScriptedOperation op : ops) {
                assertTrue(!op.tampering() && op.process() == p);
                if (p == DemoWorkload.WORD) {
                    continue; // the recordings have no Office session
                }
                String key = sysmonPath(op, false);
                assertTrue(TARGETS.stream().anyMatch(t -> t.startsWith(key)), "no recorded target under " + key);
            }
        }
    }

    @Test
    void noiseIsDeterministicPerSeedAndCarriesRealValueTypes() {
        List<ScriptedOperation> a = DemoWorkload.noise(DemoWorkload.EXPLORER, 40, 7);
        List<ScriptedOperation> b = DemoWorkload.noise(DemoWorkload.EXPLORER, 40, 7);
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).valueName(), b.get(i).valueName());
            assertTrue(java.util.Arrays.equals(a.get(i).data(), b.get(i).data()));
        }
        assertTrue(a.stream().anyMatch(o -> o.valueType() == RegistryValueType.REG_BINARY
                && o.data().length == DemoWorkload.USER_ASSIST_ENTRY_BYTES));
        assertTrue(a.stream().anyMatch(o -> o.valueType() == RegistryValueType.REG_DWORD));
    }

    @Test
    void everyProcessHasADistinctPidAndProcessKey() {
        Set<Long> pids = new HashSet<>();
        Set<Long> keys = new HashSet<>();
        for (SimulatedProcess p : DemoWorkload.NOISE_PROCESSES) {
            assertTrue(pids.add(p.pid()) && keys.add(p.processKey()));
        }
        for (ScriptedOperation op : DemoWorkload.tampering()) {
            pids.add(op.process().pid());
            keys.add(op.process().processKey());
        }
        assertEquals(pids.size(), keys.size());
    }
}
