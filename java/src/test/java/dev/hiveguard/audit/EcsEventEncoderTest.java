package dev.hiveguard.audit;

import dev.hiveguard.model.ValueRendering;
import dev.hiveguard.model.RegistryValueType;
import static dev.hiveguard.audit.AuditEvents.USER_ROOT;
import static dev.hiveguard.audit.AuditEvents.USER_SID;
import static dev.hiveguard.audit.AuditEvents.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.Decision;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EcsEventEncoderTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String RUN_KEY = USER_ROOT + "\\Software\\Microsoft\\Windows\\CurrentVersion\\Run";
    private static final String EVENTLOG_KEY = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\EventLog";

    private static JsonNode encode(RegistryEvent e, Decision d, Verdict applied, long latencyNanos) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var g = new com.fasterxml.jackson.core.JsonFactory().createGenerator(out)) {
            EcsEventEncoder.write(g, e, d, applied, latencyNanos, Instant.parse("2026-11-21T05:00:01Z"));
        }
        String line = out.toString(StandardCharsets.UTF_8);
        assertFalse(line.contains("\n"), "one event is one line");
        return MAPPER.readTree(line);
    }

    @Test
    void blockedRunKeyWriteIsAFailedAlertWithEveryEcsField() throws IOException {
        String command = "C:\\Users\\wardog\\AppData\\Local\\Temp\\updater.exe -silent";
        RegistryEvent e = event(Operation.SET_VALUE, RUN_KEY, "Updater", RegistryValueType.REG_SZ,
                ValueRendering.sz(command));
        JsonNode j = encode(e, Decision.of(Action.BLOCK, "RunKeyPersistence"), Verdict.BLOCK, 184_999);

        assertEquals("2026-11-21T05:00:00.123456700Z", j.get("@timestamp").asText());
        assertEquals("alert", j.get("event.kind").asText());
        assertEquals(List.of("registry"), strings(j.get("event.category")));
        assertEquals(List.of("change"), strings(j.get("event.type")));
        assertEquals("SetValue", j.get("event.action").asText());
        assertEquals("failure", j.get("event.outcome").asText());
        assertEquals("HKU", j.get("registry.hive").asText());
        assertEquals(USER_SID + "\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", j.get("registry.key").asText());
        assertEquals("Updater", j.get("registry.value").asText());
        assertEquals("HKU\\" + USER_SID + "\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater",
                j.get("registry.path").asText());
        assertEquals("REG_SZ", j.get("registry.data.type").asText());
        assertEquals(List.of(command), strings(j.get("registry.data.strings")));
        assertEquals(command + "\0", new String(Base64.getDecoder().decode(j.get("registry.data.bytes").asText()),
                StandardCharsets.UTF_16LE));
        assertEquals(5376, j.get("process.pid").asLong());
        assertEquals(6012, j.get("process.thread.id").asLong());
        assertEquals("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                j.get("process.executable").asText());
        assertEquals(USER_SID, j.get("user.id").asText());
        assertEquals("RunKeyPersistence", j.get("rule.name").asText());
        assertEquals("block", j.get("hiveguard.verdict").asText());
        assertEquals("block", j.get("hiveguard.action").asText());
        assertEquals("RunKeyPersistence", j.get("hiveguard.rule").asText());
        assertEquals(184, j.get("hiveguard.latency_us").asLong());
        assertFalse(j.get("hiveguard.would_block").asBoolean());
        assertFalse(j.get("hiveguard.truncated").asBoolean());
        assertEquals(42, j.get("hiveguard.sequence").asLong());
        assertEquals(42, j.get("event.sequence").asLong());
        assertFalse(j.get("hiveguard.default_applied").asBoolean());
        assertEquals(1042, j.get("hiveguard.event_id").asLong());
        assertEquals(EcsEventEncoder.ECS_VERSION, j.get("ecs.version").asText());
    }

    @Test
    void allowedNoiseIsAnOrdinarySuccessfulEventWithNullRule() throws IOException {
        RegistryEvent e = event(Operation.SET_VALUE, EVENTLOG_KEY, "Start", RegistryValueType.REG_DWORD,
                ValueRendering.dword(2));
        JsonNode j = encode(e, Decision.of(Action.ALLOW, null), Verdict.ALLOW, 0);
        assertEquals("event", j.get("event.kind").asText());
        assertEquals("success", j.get("event.outcome").asText());
        assertEquals("HKLM", j.get("registry.hive").asText());
        assertEquals("System\\CurrentControlSet\\Services\\EventLog", j.get("registry.key").asText());
        assertEquals("REG_DWORD", j.get("registry.data.type").asText());
        assertEquals(List.of("2"), strings(j.get("registry.data.strings")));
        assertTrue(j.get("hiveguard.rule").isNull());
        assertTrue(j.get("rule.name") == null);
        assertEquals("allow", j.get("hiveguard.verdict").asText());
    }

    @Test
    void wouldBlockInAuditModeIsASuccessfulAlert() throws IOException {
        RegistryEvent e = event(Operation.SET_VALUE, EVENTLOG_KEY, "Start", RegistryValueType.REG_DWORD,
                ValueRendering.dword(4));
        JsonNode j = encode(e, new Decision(Action.AUDIT, "EventLogDisabled", true), Verdict.ALLOW, 0);
        assertEquals("alert", j.get("event.kind").asText());
        assertEquals("success", j.get("event.outcome").asText());
        assertTrue(j.get("hiveguard.would_block").asBoolean());
        assertEquals("audit", j.get("hiveguard.action").asText());
        assertEquals(List.of("4"), strings(j.get("registry.data.strings")));
    }

    @Test
    void eventWithoutVerdictHasVerdictNoneAndNoEventId() throws IOException {
        RegistryEvent e = event(Operation.CREATE_KEY, 0, 7, EVENTLOG_KEY + "\\Parameters", "", "", 0, null);
        JsonNode j = encode(e, Decision.of(Action.ALLOW, null), null, 0);
        assertEquals(List.of("creation"), strings(j.get("event.type")));
        assertEquals("CreateKey", j.get("event.action").asText());
        assertEquals("none", j.get("hiveguard.verdict").asText());
        assertEquals("success", j.get("event.outcome").asText());
        assertTrue(j.get("hiveguard.event_id") == null);
        assertTrue(j.get("registry.value") == null, "key operations carry no value name");
        assertTrue(j.get("registry.data.type") == null, "key operations carry no data");
        assertEquals("HKLM\\System\\CurrentControlSet\\Services\\EventLog\\Parameters", j.get("registry.path").asText());
    }

    @Test
    void defaultAppliedByTheDriverHasAnUnknownOutcome() throws IOException {
        RegistryEvent e = event(Operation.DELETE_VALUE, RegistryEvent.F_DEFAULT_APPLIED, 9, RUN_KEY, "OneDrive", "",
                0, null);
        JsonNode j = encode(e, Decision.of(Action.ALLOW, null), null, 0);
        assertEquals("unknown", j.get("event.outcome").asText());
        assertTrue(j.get("hiveguard.default_applied").asBoolean());
        assertEquals(List.of("deletion"), strings(j.get("event.type")));
        assertEquals("OneDrive", j.get("registry.value").asText());
    }

    @Test
    void renameCarriesTheNewName() throws IOException {
        RegistryEvent e = event(Operation.RENAME_KEY, 0, 3, RUN_KEY, "", "RunOld", 0, null);
        JsonNode j = encode(e, Decision.of(Action.AUDIT, "RunKeyRename"), null, 0);
        assertEquals("RenameKey", j.get("event.action").asText());
        assertEquals("RunOld", j.get("hiveguard.new_name").asText());
        assertEquals(List.of("change"), strings(j.get("event.type")));
    }

    @Test
    void truncatedDataIsFlaggedAndItsOriginalSizeKept() throws IOException {
        byte[] cut = new byte[16];
        RegistryEvent e = new RegistryEvent(0, 5, AuditEvents.WHEN, Operation.SET_VALUE,
                RegistryEvent.F_DATA_TRUNCATED, 4, 8, 0, 0, EVENTLOG_KEY, "Blob", "", "", "",
                RegistryValueType.REG_BINARY, cut, 70_000);
        JsonNode j = encode(e, Decision.of(Action.ALLOW, null), null, 0);
        assertTrue(j.get("hiveguard.truncated").asBoolean());
        assertEquals(70_000, j.get("hiveguard.data.original_size").asLong());
        assertEquals("REG_BINARY", j.get("registry.data.type").asText());
        assertTrue(j.get("registry.data.strings") == null, "binary data has no string rendering");
        assertEquals(16, Base64.getDecoder().decode(j.get("registry.data.bytes").asText()).length);
        assertTrue(j.get("process.executable") == null, "an unknown image is left out, not written empty");
        assertTrue(j.get("user.id") == null);
    }

    @Test
    void multiStringAndQwordRenderAsEcsStrings() throws IOException {
        RegistryEvent multi = event(Operation.SET_VALUE, EVENTLOG_KEY, "DependOnService",
                RegistryValueType.REG_MULTI_SZ, ValueRendering.multiSz(List.of("RpcSs", "Tcpip")));
        assertEquals(List.of("RpcSs", "Tcpip"),
                strings(encode(multi, Decision.of(Action.ALLOW, null), null, 0).get("registry.data.strings")));
        RegistryEvent q = event(Operation.SET_VALUE, EVENTLOG_KEY, "T", RegistryValueType.REG_QWORD,
                ValueRendering.qword(0x01d68292_3f2eebc3L));
        assertEquals(List.of(Long.toString(0x01d68292_3f2eebc3L)),
                strings(encode(q, Decision.of(Action.ALLOW, null), null, 0).get("registry.data.strings")));
    }

    private static final Map<Operation, String> EXPECTED_TYPE = Map.ofEntries(
            Map.entry(Operation.CREATE_KEY, "creation"), Map.entry(Operation.OPEN_KEY, "access"),
            Map.entry(Operation.SET_VALUE, "change"), Map.entry(Operation.DELETE_VALUE, "deletion"),
            Map.entry(Operation.DELETE_KEY, "deletion"), Map.entry(Operation.RENAME_KEY, "change"),
            Map.entry(Operation.SET_KEY_SECURITY, "change"), Map.entry(Operation.SET_INFORMATION, "change"),
            Map.entry(Operation.LOAD_KEY, "change"), Map.entry(Operation.UNLOAD_KEY, "change"),
            Map.entry(Operation.SAVE_KEY, "access"), Map.entry(Operation.RESTORE_KEY, "change"),
            Map.entry(Operation.REPLACE_KEY, "change"), Map.entry(Operation.FLUSH_KEY, "access"));

    @ParameterizedTest
    @EnumSource(Operation.class)
    void everyOperationClassMapsToARegistryEventTypeAndItsSysmonAction(Operation op) throws IOException {
        RegistryEvent e = event(op, 0, 1, RUN_KEY, "", "", 0, null);
        JsonNode j = encode(e, Decision.of(Action.ALLOW, null), null, 0);
        assertEquals(List.of(EXPECTED_TYPE.get(op)), strings(j.get("event.type")));
        assertEquals(op.eventType(), j.get("event.action").asText());
        assertEquals(List.of("registry"), strings(j.get("event.category")));
    }

    private static List<String> strings(JsonNode array) {
        assertTrue(array != null && array.isArray(), "expected an array, got " + array);
        List<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
