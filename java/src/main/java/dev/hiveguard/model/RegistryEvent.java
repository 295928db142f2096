package dev.hiveguard.model;

import java.time.Instant;
import java.util.Objects;

/**
 * One registry operation as the driver reported it (the decoded
 * {@code HG_EVENT_HEADER} and its strings). Paths are in kernel form
 * ({@code \REGISTRY\MACHINE\...}); {@code RegistryPaths} renders them as admins write
 * them.
 *
 * @param id               verdict id, non-zero iff the caller waits for a verdict
 * @param sequence         driver sequence number (gaps mean drops)
 * @param timestamp        when the callback saw the operation
 * @param operation        operation class
 * @param flags            {@code HG_EVENT_F_*} bits, see the constants below
 * @param pid              caller process id
 * @param tid              caller thread id
 * @param sessionId        caller session
 * @param timeoutMs        the verdict budget the driver applies (0 when none is due)
 * @param keyPath          full kernel key path
 * @param valueName        value name, empty when not a value operation
 * @param newName          new name for renames, else empty
 * @param image            caller image path if the driver knew it, else empty
 * @param userSid          caller SID string if the driver knew it, else empty
 * @param valueType        REG_* type for set-value, else 0
 * @param data             captured value data (possibly truncated), never null
 * @param dataOriginalSize size of the data the caller passed
 */
public record RegistryEvent(
        long id,
        long sequence,
        Instant timestamp,
        Operation operation,
        int flags,
        long pid,
        long tid,
        int sessionId,
        int timeoutMs,
        String keyPath,
        String valueName,
        String newName,
        String image,
        String userSid,
        int valueType,
        byte[] data,
        int dataOriginalSize) {

    public static final int F_VERDICT_REQUESTED = 0x0001;
    public static final int F_DATA_TRUNCATED = 0x0002;
    public static final int F_NAME_TRUNCATED = 0x0004;
    public static final int F_KERNEL_CALLER = 0x0008;
    public static final int F_DEFAULT_APPLIED = 0x0010;
    public static final int F_DATA_UNREADABLE = 0x0020;

    public RegistryEvent {
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(operation, "operation");
        keyPath = keyPath == null ? "" : keyPath;
        valueName = valueName == null ? "" : valueName;
        newName = newName == null ? "" : newName;
        image = image == null ? "" : image;
        userSid = userSid == null ? "" : userSid;
        data = data == null ? new byte[0] : data;
    }

    public boolean verdictRequested() {
        return (flags & F_VERDICT_REQUESTED) != 0;
    }

    public boolean dataTruncated() {
        return (flags & F_DATA_TRUNCATED) != 0;
    }

    public boolean nameTruncated() {
        return (flags & F_NAME_TRUNCATED) != 0;
    }

    public boolean kernelCaller() {
        return (flags & F_KERNEL_CALLER) != 0;
    }

    public boolean defaultApplied() {
        return (flags & F_DEFAULT_APPLIED) != 0;
    }
}
