package dev.hiveguard.audit;

import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import java.time.Instant;

/** Builds RegistryEvents as the wire decoder would, for the audit tests. */
final class AuditEvents {

    static final Instant WHEN = Instant.parse("2026-11-21T05:00:00.123456700Z");
    static final String USER_SID = "S-1-5-21-3940915590-64593676-1414006259-500";
    static final String USER_ROOT = "\\REGISTRY\\USER\\" + USER_SID;

    private AuditEvents() {
    }

    static RegistryEvent event(Operation op, String keyPath, String valueName, int valueType, byte[] data) {
        return event(op, RegistryEvent.F_VERDICT_REQUESTED, 42, keyPath, valueName, "", valueType, data);
    }

    static RegistryEvent event(Operation op, int flags, long sequence, String keyPath, String valueName,
                               String newName, int valueType, byte[] data) {
        long id = (flags & RegistryEvent.F_VERDICT_REQUESTED) != 0 ? 1000 + sequence : 0;
        return new RegistryEvent(id, sequence, WHEN, op, flags, 5376, 6012, 1, 250, keyPath, valueName, newName,
                "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", USER_SID, valueType, data,
                data == null ? 0 : data.length);
    }
}
