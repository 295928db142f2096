package dev.hiveguard.model;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * One registry operation as the driver reported it (the decoded
 * {@code HG_EVENT_HEADER} and its strings). Paths are in kernel form
 * ({@code \REGISTRY\MACHINE\...}); {@code RegistryPaths} renders them as admins write
 * them.
 *
 * <p>Immutable and thread-safe. An event of a driver batch ({@link #fromWire}) keeps the
 * batch's bytes and decodes each string and the data only when it is first asked for:
 * a policy that tests the key path never pays for the image, the SID or the data, and
 * the audit writer decodes what it writes on its own thread. Those bytes are the
 * agent's own heap copy of the completed request, never the request buffer the driver
 * writes again once it is re-parked: an event stays valid however long it lives (in the
 * audit queue, in a test). Two threads decoding the same field at once compute equal
 * strings; either result may be kept (a String is safely published through its final
 * fields), so no lock is taken.
 *
 * <p>The accessors and equality are those of the record this class was: every
 * component, compared by value ({@code data} by content).
 */
public final class RegistryEvent {

    public static final int F_VERDICT_REQUESTED = 0x0001;
    public static final int F_DATA_TRUNCATED = 0x0002;
    public static final int F_NAME_TRUNCATED = 0x0004;
    public static final int F_KERNEL_CALLER = 0x0008;
    public static final int F_DEFAULT_APPLIED = 0x0010;
    public static final int F_DATA_UNREADABLE = 0x0020;

    private static final byte[] NO_BYTES = new byte[0];

    private final long id;
    private final long sequence;
    private final Instant timestamp;
    private final Operation operation;
    private final int flags;
    private final long pid;
    private final long tid;
    private final int sessionId;
    private final int timeoutMs;
    private final int valueType;
    private final int dataOriginalSize;

    // Decoded on first use from wire (null until then); never null for an event built by value.
    private String keyPath;
    private String valueName;
    private String newName;
    private String image;
    private String userSid;
    private byte[] data;

    /** The undecoded variable part, or null for an event built by value. */
    private final WireStrings wire;
    /** Applied to the image when it is first decoded (NT to Win32 form), or null. */
    private final UnaryOperator<String> imageTranslation;

    /**
     * Where the variable part of one wire event lies in a batch copy: the strings one
     * after the other from {@code at}, then the data.
     */
    private record WireStrings(byte[] bytes, int at, int keyBytes, int valueBytes, int newNameBytes,
                               int imageBytes, int sidBytes, int dataBytes) {
    }

    /**
     * @param id               verdict id, non-zero iff the caller waits for a verdict
     * @param sequence         driver sequence number (gaps mean drops)
     * @param timestamp        when the callback saw the operation
     * @param operation        operation class
     * @param flags            {@code HG_EVENT_F_*} bits, see the constants above
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
    public RegistryEvent(long id, long sequence, Instant timestamp, Operation operation, int flags, long pid,
                         long tid, int sessionId, int timeoutMs, String keyPath, String valueName, String newName,
                         String image, String userSid, int valueType, byte[] data, int dataOriginalSize) {
        this(id, sequence, timestamp, operation, flags, pid, tid, sessionId, timeoutMs, valueType, dataOriginalSize,
                null, null);
        // Eager: the strings and data are given, nothing is left to decode.
        this.keyPath = keyPath == null ? "" : keyPath;
        this.valueName = valueName == null ? "" : valueName;
        this.newName = newName == null ? "" : newName;
        this.image = image == null ? "" : image;
        this.userSid = userSid == null ? "" : userSid;
        this.data = data == null ? NO_BYTES : data;
    }

    private RegistryEvent(long id, long sequence, Instant timestamp, Operation operation, int flags, long pid,
                          long tid, int sessionId, int timeoutMs, int valueType, int dataOriginalSize,
                          WireStrings wire, UnaryOperator<String> imageTranslation) {
        this.id = id;
        this.sequence = sequence;
        this.timestamp = Objects.requireNonNull(timestamp, "timestamp");
        this.operation = Objects.requireNonNull(operation, "operation");
        this.flags = flags;
        this.pid = pid;
        this.tid = tid;
        this.sessionId = sessionId;
        this.timeoutMs = timeoutMs;
        this.valueType = valueType;
        this.dataOriginalSize = dataOriginalSize;
        this.wire = wire;
        this.imageTranslation = imageTranslation;
    }

    /**
     * An event whose strings and data are decoded on first use from {@code bytes}: from
     * offset {@code at}, the key path, value name, new name, image and SID (UTF-16LE,
     * the given byte lengths, already checked to lie inside {@code bytes} and to be even),
     * then {@code dataBytes} of data. {@code bytes} must never change afterwards: pass a
     * copy the caller owns, never a buffer that is reused.
     *
     * @param imageTranslation applied once to the decoded image (e.g. NT path to
     *                         {@code C:\...}); null for none
     */
    public static RegistryEvent fromWire(long id, long sequence, Instant timestamp, Operation operation, int flags,
                                         long pid, long tid, int sessionId, int timeoutMs, int valueType,
                                         int dataOriginalSize, byte[] bytes, int at, int keyBytes, int valueBytes,
                                         int newNameBytes, int imageBytes, int sidBytes, int dataBytes,
                                         UnaryOperator<String> imageTranslation) {
        Objects.requireNonNull(bytes, "bytes");
        long end = (long) at + keyBytes + valueBytes + newNameBytes + imageBytes + sidBytes + dataBytes;
        if (at < 0 || keyBytes < 0 || valueBytes < 0 || newNameBytes < 0 || imageBytes < 0 || sidBytes < 0
                || dataBytes < 0 || end > bytes.length
                || ((keyBytes | valueBytes | newNameBytes | imageBytes | sidBytes) & 1) != 0) {
            throw new IllegalArgumentException("event strings [" + at + ", " + end + ") do not fit "
                    + bytes.length + " bytes or have an odd UTF-16 length");
        }
        return new RegistryEvent(id, sequence, timestamp, operation, flags, pid, tid, sessionId, timeoutMs,
                valueType, dataOriginalSize,
                new WireStrings(bytes, at, keyBytes, valueBytes, newNameBytes, imageBytes, sidBytes, dataBytes),
                imageTranslation);
    }

    /**
     * This event with every field decoded, holding no reference to the batch it came from:
     * for an event kept long while the rest of its batch is let go.
     */
    public RegistryEvent detached() {
        if (wire == null) {
            return this;
        }
        return new RegistryEvent(id, sequence, timestamp, operation, flags, pid, tid, sessionId, timeoutMs, keyPath(),
                valueName(), newName(), image(), userSid(), valueType, data(), dataOriginalSize);
    }

    /** This event with another image (already in the form rules expect); the rest stays lazy. */
    public RegistryEvent withImage(String newImage) {
        RegistryEvent e = new RegistryEvent(id, sequence, timestamp, operation, flags, pid, tid, sessionId, timeoutMs,
                valueType, dataOriginalSize, wire, null);
        e.keyPath = keyPath;
        e.valueName = valueName;
        e.newName = newName;
        e.userSid = userSid;
        e.data = data;
        e.image = newImage == null ? "" : newImage;
        return e;
    }

    public long id() {
        return id;
    }

    public long sequence() {
        return sequence;
    }

    public Instant timestamp() {
        return timestamp;
    }

    public Operation operation() {
        return operation;
    }

    public int flags() {
        return flags;
    }

    public long pid() {
        return pid;
    }

    public long tid() {
        return tid;
    }

    public int sessionId() {
        return sessionId;
    }

    public int timeoutMs() {
        return timeoutMs;
    }

    public int valueType() {
        return valueType;
    }

    public int dataOriginalSize() {
        return dataOriginalSize;
    }

    public String keyPath() {
        String s = keyPath;
        if (s == null) {
            s = utf16(wire.bytes, wire.at, wire.keyBytes);
            keyPath = s;
        }
        return s;
    }

    public String valueName() {
        String s = valueName;
        if (s == null) {
            s = utf16(wire.bytes, wire.at + wire.keyBytes, wire.valueBytes);
            valueName = s;
        }
        return s;
    }

    public String newName() {
        String s = newName;
        if (s == null) {
            s = utf16(wire.bytes, wire.at + wire.keyBytes + wire.valueBytes, wire.newNameBytes);
            newName = s;
        }
        return s;
    }

    public String image() {
        String s = image;
        if (s == null) {
            s = utf16(wire.bytes, wire.at + wire.keyBytes + wire.valueBytes + wire.newNameBytes, wire.imageBytes);
            if (imageTranslation != null) {
                s = imageTranslation.apply(s);
            }
            image = s;
        }
        return s;
    }

    public String userSid() {
        String s = userSid;
        if (s == null) {
            s = utf16(wire.bytes, wire.at + wire.keyBytes + wire.valueBytes + wire.newNameBytes + wire.imageBytes,
                    wire.sidBytes);
            userSid = s;
        }
        return s;
    }

    /** The captured value data (possibly truncated), never null; the same array on every call. */
    public byte[] data() {
        byte[] d = data;
        if (d == null) {
            int from = wire.at + wire.keyBytes + wire.valueBytes + wire.newNameBytes + wire.imageBytes + wire.sidBytes;
            d = wire.dataBytes == 0 ? NO_BYTES : Arrays.copyOfRange(wire.bytes, from, from + wire.dataBytes);
            data = d;
        }
        return d;
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

    /**
     * UTF-16LE to a String. Registry names are almost always surrogate-free: the chars
     * are assembled directly (the charset decoder loop costs several times more); anything
     * with a surrogate takes the charset path, which replaces unpaired ones with U+FFFD.
     */
    public static String utf16(byte[] raw, int offset, int bytes) {
        if (bytes == 0) {
            return "";
        }
        char[] chars = new char[bytes >> 1];
        for (int i = 0; i < chars.length; i++) {
            int at = offset + 2 * i;
            char c = (char) ((raw[at] & 0xFF) | (raw[at + 1] << 8));
            if (Character.isSurrogate(c)) {
                return new String(raw, offset, bytes, StandardCharsets.UTF_16LE);
            }
            chars[i] = c;
        }
        return new String(chars);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof RegistryEvent e)) {
            return false;
        }
        return id == e.id && sequence == e.sequence && timestamp.equals(e.timestamp) && operation == e.operation
                && flags == e.flags && pid == e.pid && tid == e.tid && sessionId == e.sessionId
                && timeoutMs == e.timeoutMs && valueType == e.valueType && dataOriginalSize == e.dataOriginalSize
                && keyPath().equals(e.keyPath()) && valueName().equals(e.valueName())
                && newName().equals(e.newName()) && image().equals(e.image()) && userSid().equals(e.userSid())
                && Arrays.equals(data(), e.data());
    }

    @Override
    public int hashCode() {
        int h = Long.hashCode(id);
        h = 31 * h + Long.hashCode(sequence);
        h = 31 * h + timestamp.hashCode();
        h = 31 * h + operation.hashCode();
        h = 31 * h + flags;
        h = 31 * h + Long.hashCode(pid);
        h = 31 * h + Long.hashCode(tid);
        h = 31 * h + sessionId;
        h = 31 * h + timeoutMs;
        h = 31 * h + keyPath().hashCode();
        h = 31 * h + valueName().hashCode();
        h = 31 * h + newName().hashCode();
        h = 31 * h + image().hashCode();
        h = 31 * h + userSid().hashCode();
        h = 31 * h + valueType;
        h = 31 * h + Arrays.hashCode(data());
        return 31 * h + dataOriginalSize;
    }

    @Override
    public String toString() {
        return "RegistryEvent[id=" + id + ", sequence=" + sequence + ", timestamp=" + timestamp + ", operation="
                + operation + ", flags=" + flags + ", pid=" + pid + ", tid=" + tid + ", sessionId=" + sessionId
                + ", timeoutMs=" + timeoutMs + ", keyPath=" + keyPath() + ", valueName=" + valueName()
                + ", newName=" + newName() + ", image=" + image() + ", userSid=" + userSid() + ", valueType="
                + valueType + ", data=" + data().length + " bytes, dataOriginalSize=" + dataOriginalSize + "]";
    }
}
