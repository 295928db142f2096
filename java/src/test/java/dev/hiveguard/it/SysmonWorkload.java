package dev.hiveguard.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hiveguard.device.SimulatedOperation;
import dev.hiveguard.model.Operation;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Registry operations replayed from real Sysmon telemetry (the shared datasets),
 * turned back into what the kernel callback sees: kernel-form key paths, the value
 * name split off TargetObject for value operations, Sysmon's Details as REG_SZ data.
 */
final class SysmonWorkload {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int REG_SZ = 1;
    /** Sysmon's root abbreviations and the kernel paths they stand for. */
    private static final Map<String, String> ROOTS = Map.of(
            "HKLM", "\\REGISTRY\\MACHINE",
            "HKU", "\\REGISTRY\\USER",
            "HKCR", "\\REGISTRY\\MACHINE\\SOFTWARE\\Classes");

    private SysmonWorkload() {
    }

    static Path datasets() {
        String dir = System.getProperty("hiveguard.datasets.dir");
        return dir != null ? Path.of(dir) : Path.of("..", "shared", "datasets");
    }

    /** Up to {@code limit} operations of {@code file}, in recording order. */
    static List<SimulatedOperation> load(String file, int limit) throws IOException {
        Path path = datasets().resolve(file);
        List<SimulatedOperation> ops = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(path)), StandardCharsets.UTF_8))) {
            String line;
            while (ops.size() < limit && (line = in.readLine()) != null) {
                SimulatedOperation op = toOperation(JSON.readTree(line));
                if (op != null) {
                    ops.add(op);
                }
            }
        }
        return ops;
    }

    private static SimulatedOperation toOperation(JsonNode n) {
        Operation op = Operation.fromEventType(n.path("EventType").asText(""));
        String target = n.path("TargetObject").asText("");
        int slash = target.indexOf('\\');
        if (op == null || slash < 0 || !ROOTS.containsKey(target.substring(0, slash))) {
            return null;
        }
        String kernel = ROOTS.get(target.substring(0, slash)) + target.substring(slash);
        String key = kernel;
        String valueName = null;
        byte[] data = null;
        int type = 0;
        if (op == Operation.SET_VALUE || op == Operation.DELETE_VALUE) {
            int last = kernel.lastIndexOf('\\');
            key = kernel.substring(0, last);
            valueName = kernel.substring(last + 1);
        }
        if (op == Operation.SET_VALUE) {
            data = n.path("Details").asText("").getBytes(StandardCharsets.UTF_16LE);
            type = REG_SZ;
        }
        long pid = n.path("ProcessId").asLong(4);
        return new SimulatedOperation(op, 0x10000 + pid, pid, n.path("ThreadID").asLong(pid + 1), 1, false, key,
                valueName, null, n.path("Image").asText(null), n.path("UserID").asText(null), type, data);
    }
}
