package dev.hiveguard.replay;

import dev.hiveguard.model.Operation;
import java.time.Instant;
import java.util.Objects;

/**
 * One registry operation as a recording describes it, already translated into the terms the
 * driver uses (operation class, kernel key path, REG_* type and raw data), but still carrying
 * where it came from so every outcome can be traced back to a line of the input.
 *
 * @param source           the recording's file name as given on the command line
 * @param line             1-based line (JSON lines, CSV) or line of the element start (XML)
 * @param timestamp        when the operation happened, or null when the recording does not say
 * @param recordedTime     the time as the recording wrote it, for the report (may be empty)
 * @param operation        operation class
 * @param keyPath          kernel key path ({@code \REGISTRY\MACHINE\...})
 * @param valueName        value name for value operations ("" for the default value and for key operations)
 * @param valueType        REG_* type for set-value, else 0
 * @param data             value data as far as the recording reveals it, never null
 * @param dataKnown        false when the recording hid the data (Sysmon's "Binary Data", a
 *                         ProcMon hex dump shorter than the length): rules on data cannot be judged
 * @param dataOriginalSize size of the data the caller passed, when known (else data.length)
 * @param newName          new key name for renames, else ""
 * @param pid              caller process id, or {@link #PID_UNKNOWN}
 * @param processGuid      Sysmon ProcessGuid when present, else ""
 * @param image            caller image path, "" when unknown
 * @param user             the user as the recording names it (DOMAIN\name or a SID), "" when unknown
 */
public record RecordedOperation(
        String source,
        long line,
        Instant timestamp,
        String recordedTime,
        Operation operation,
        String keyPath,
        String valueName,
        int valueType,
        byte[] data,
        boolean dataKnown,
        int dataOriginalSize,
        String newName,
        long pid,
        String processGuid,
        String image,
        String user) {

    /** ProcessId absent from the record (Sysmon drops it on some events). */
    public static final long PID_UNKNOWN = -1;

    public RecordedOperation {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(keyPath, "keyPath");
        recordedTime = recordedTime == null ? "" : recordedTime;
        valueName = valueName == null ? "" : valueName;
        data = data == null ? new byte[0] : data;
        newName = newName == null ? "" : newName;
        processGuid = processGuid == null ? "" : processGuid;
        image = image == null ? "" : image;
        user = user == null ? "" : user;
    }

    /** {@code file:line}, the way an admin finds the record again. */
    public String location() {
        return source + ":" + line;
    }

    /** The same operation with the pid filled in from elsewhere in the recording. */
    public RecordedOperation withPid(long newPid) {
        return new RecordedOperation(source, line, timestamp, recordedTime, operation, keyPath, valueName,
                valueType, data, dataKnown, dataOriginalSize, newName, newPid, processGuid, image, user);
    }
}
