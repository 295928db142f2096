package dev.hiveguard.device;

import dev.hiveguard.model.Operation;
import java.util.Objects;

/**
 * One registry operation for the host's configuration-manager simulator, as a
 * registry caller in process {@code processKey} would perform it. {@code keyPath} is
 * the full kernel path ({@code \REGISTRY\MACHINE\...}); null strings mean "absent".
 *
 * @param processKey identity of the calling process object (never a pid: the driver
 *                   binds its client by process object, and so does the simulator)
 */
public record SimulatedOperation(
        Operation operation,
        long processKey,
        long pid,
        long tid,
        int sessionId,
        boolean kernelCaller,
        String keyPath,
        String valueName,
        String newName,
        String image,
        String userSid,
        int valueType,
        byte[] data) {

    public SimulatedOperation {
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(keyPath, "keyPath");
        data = data == null ? new byte[0] : data;
    }

    /** This call with another caller image (replay hands the core the kernel form, see ImagePaths). */
    public SimulatedOperation withImage(String newImage) {
        return new SimulatedOperation(operation, processKey, pid, tid, sessionId, kernelCaller, keyPath, valueName,
                newName, newImage, userSid, valueType, data);
    }

    /** A SetValue from a user-mode caller in session 1 (tid = pid + 1), the common case in tests and the demo. */
    public static SimulatedOperation setValue(long processKey, long pid, String keyPath, String valueName,
                                              int valueType, byte[] data, String image) {
        return new SimulatedOperation(Operation.SET_VALUE, processKey, pid, pid + 1, 1, false, keyPath, valueName,
                null, image, null, valueType, data);
    }

    /** A key operation without a value (create, open, delete, flush...). */
    public static SimulatedOperation keyOperation(Operation operation, long processKey, long pid, String keyPath,
                                                  String image) {
        return new SimulatedOperation(operation, processKey, pid, pid + 1, 1, false, keyPath, null, null, image,
                null, 0, null);
    }
}
