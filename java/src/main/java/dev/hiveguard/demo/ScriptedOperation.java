package dev.hiveguard.demo;

import dev.hiveguard.model.Operation;
import java.util.Objects;

/**
 * One registry operation the workload raises.
 *
 * @param process   who raises it
 * @param operation class
 * @param keyPath   kernel path ({@code \REGISTRY\...})
 * @param valueName value name, empty for key operations
 * @param newName   new name for renames, else empty
 * @param valueType REG_* type for set-value, else 0
 * @param data      value data as RegSetValueEx receives it, never null
 * @param tampering persistence or defence-tampering write (as opposed to ordinary noise)
 * @param label     what it is, for the live output (the ATT&CK technique for tampering)
 */
public record ScriptedOperation(SimulatedProcess process, Operation operation, String keyPath, String valueName,
                                String newName, int valueType, byte[] data, boolean tampering, String label) {

    public ScriptedOperation {
        Objects.requireNonNull(process, "process");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(keyPath, "keyPath");
        valueName = valueName == null ? "" : valueName;
        newName = newName == null ? "" : newName;
        data = data == null ? new byte[0] : data;
        label = label == null ? "" : label;
    }
}
