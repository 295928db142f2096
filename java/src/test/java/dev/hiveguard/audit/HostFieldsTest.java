package dev.hiveguard.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryValueType;
import dev.hiveguard.model.ValueRendering;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.Decision;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ECS host.* detection for Windows and Linux inputs, and the fields on an audit line. */
class HostFieldsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void windowsUsesTheComputerNameAndTheMachineGuid() {
        HostFields h = HostFields.detect("Windows 11", "10.0", "amd64", Map.of("COMPUTERNAME", "WS-FINANCE-07"),
                () -> "unused", () -> "3f2504e0-4f89-11d3-9a0c-0305e82c3301", () -> "linux id", () -> "ID=debian");
        assertEquals(new HostFields("ws-finance-07", "WS-FINANCE-07", "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
                "x86_64", "windows", "windows", "Windows 11", "10.0", "windows", "10.0"), h);
    }

    @Test
    void linuxReadsOsReleaseAndMachineId() {
        String osRelease = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
                + "VERSION_ID=\"12\"\nID=debian\n# comment\n";
        HostFields h = HostFields.detect("Linux", "6.1.0-18-amd64", "amd64", Map.of(), () -> "builder",
                () -> null, () -> "0123456789abcdef0123456789abcdef\n", () -> osRelease);
        assertEquals(new HostFields("builder", "builder", "0123456789abcdef0123456789abcdef", "x86_64", "linux",
                "debian", "Debian GNU/Linux", "12", "debian", "6.1.0-18-amd64"), h);
    }

    @Test
    void unknownValuesAreLeftOutNotInvented() throws Exception {
        HostFields h = HostFields.detect("Linux", "6.1", "", Map.of(), () -> null, () -> null, () -> "  ",
                () -> null);
        assertNull(h.id());
        assertNull(h.name());
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.writeStartObject();
            h.write(g);
            g.writeEndObject();
        }
        JsonNode n = JSON.readTree(out.toString());
        assertFalse(n.has("host.id"));
        assertFalse(n.has("host.name"));
        assertFalse(n.has("host.architecture"));
        assertEquals("linux", n.get("host.os.type").asText());
    }

    @Test
    void everyAuditLineCarriesThisMachinesHostFields() throws Exception {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            EcsEventEncoder.write(g, AuditEvents.event(Operation.SET_VALUE, "\\REGISTRY\\MACHINE\\SOFTWARE\\X", "v",
                    RegistryValueType.REG_DWORD, ValueRendering.dword(1)), Decision.of(Action.ALLOW, null),
                    Verdict.ALLOW, 1_000, Instant.parse("2026-11-21T05:00:01Z"));
        }
        JsonNode line = JSON.readTree(out.toString());
        HostFields local = HostFields.local();
        assertEquals(local.osType(), line.get("host.os.type").asText());
        if (local.name() != null) {
            assertEquals(local.name(), line.get("host.name").asText());
        }
        if (local.id() != null) {
            assertEquals(local.id(), line.get("host.id").asText());
        }
    }
}
