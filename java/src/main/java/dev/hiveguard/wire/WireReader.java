package dev.hiveguard.wire;

import dev.hiveguard.model.RegistryEvent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Bounds-checked little-endian reads at absolute offsets of one message. Every read
 * names its field, so a short or inconsistent buffer is reported as
 * {@link WireFormatException} with the field and offset instead of an
 * IndexOutOfBoundsException from deep inside ByteBuffer.
 */
final class WireReader {

    private final ByteBuffer buf;
    private final String messageType;
    /** Index of this element in its array ({@code HG_EVENT[i]}), or -1: kept as an int so a
     *  batch decode builds no name strings unless a message is actually malformed. */
    private final int index;
    private final int base;
    private final int limit;

    /** Reads {@code [base, limit)} of {@code source}; offsets are relative to base. */
    WireReader(ByteBuffer source, int base, int limit, String messageType) {
        this(source, base, limit, messageType, -1);
    }

    private WireReader(ByteBuffer source, int base, int limit, String messageType, int index) {
        this(source.duplicate().order(ByteOrder.LITTLE_ENDIAN), base, limit, messageType, index, true);
    }

    /** Shares {@code ownView} (already a little-endian duplicate of this reader's family): reads are absolute. */
    private WireReader(ByteBuffer ownView, int base, int limit, String messageType, int index, boolean shared) {
        this.buf = ownView;
        this.base = base;
        this.limit = limit;
        this.messageType = messageType;
        this.index = index;
    }

    static WireReader of(ByteBuffer source, String messageType) {
        return new WireReader(source, source.position(), source.limit(), messageType);
    }

    int length() {
        return limit - base;
    }

    String messageType() {
        return index < 0 ? messageType : messageType + "[" + index + "]";
    }

    WireReader slice(int offset, int length, String sliceType) {
        check(offset, length, sliceType);
        return new WireReader(buf, base + offset, base + offset + length, sliceType);
    }

    /** Element {@code index} of an array of {@code elementType}, named {@code elementType[index]} in errors. */
    WireReader element(int offset, int length, String elementType, int index) {
        if (offset < 0 || length < 0 || (long) offset + length > length()) {
            check(offset, length, elementType + "[" + index + "]"); // throws, with the element named
        }
        // A batch has up to thousands of elements: no ByteBuffer duplicate per element.
        return new WireReader(buf, base + offset, base + offset + length, elementType, index, true);
    }

    private void check(int offset, int width, String field) {
        if (offset < 0 || width < 0 || (long) offset + width > length()) {
            throw new WireFormatException(messageType(), field, offset,
                    "needs " + width + " bytes but the message is " + length() + " bytes long");
        }
    }

    int u16(int offset, String field) {
        check(offset, 2, field);
        return Short.toUnsignedInt(buf.getShort(base + offset));
    }

    /** Unsigned 32-bit value; callers compare it against limits as a long. */
    long u32(int offset, String field) {
        check(offset, 4, field);
        return Integer.toUnsignedLong(buf.getInt(base + offset));
    }

    /** A uint32 field that the contract bounds well below 2^31. */
    int u32Bounded(int offset, String field, long min, long max) {
        long v = u32(offset, field);
        if (v < min || v > max) {
            throw fail(field, offset, "value " + v + " outside [" + min + ", " + max + "]");
        }
        return (int) v;
    }

    int u16Bounded(int offset, String field, int min, int max) {
        int v = u16(offset, field);
        if (v < min || v > max) {
            throw fail(field, offset, "value " + v + " outside [" + min + ", " + max + "]");
        }
        return v;
    }

    /** Raw 64 bits; uint64 counters above 2^63 come back negative and are kept as is. */
    long u64(int offset, String field) {
        check(offset, 8, field);
        return buf.getLong(base + offset);
    }

    void expectZero32(int offset, String field) {
        long v = u32(offset, field);
        if (v != 0) {
            throw fail(field, offset, "reserved, must be 0 but is " + v);
        }
    }

    void expectZero16(int offset, String field) {
        int v = u16(offset, field);
        if (v != 0) {
            throw fail(field, offset, "reserved, must be 0 but is " + v);
        }
    }

    void expectMagic(int offset) {
        long v = u32(offset, "magic");
        if (v != Integer.toUnsignedLong(Wire.MAGIC)) {
            throw fail("magic", offset, String.format("0x%08X is not HG_WIRE_MAGIC 0x%08X", v, Wire.MAGIC));
        }
    }

    String utf16(int offset, int bytes, String field) {
        checkUtf16(offset, bytes, field);
        if (bytes == 0) {
            return "";
        }
        byte[] raw = new byte[bytes];
        buf.get(base + offset, raw);
        return RegistryEvent.utf16(raw, 0, bytes);
    }

    /** A UTF-16LE string's bounds: an even byte count inside this message. */
    void checkUtf16(int offset, int bytes, String field) {
        if ((bytes & 1) != 0) {
            throw fail(field, offset, "UTF-16 length " + bytes + " is odd");
        }
        check(offset, bytes, field);
    }

    /** The position of {@code offset} in the buffer this reader reads. */
    int absolute(int offset) {
        return base + offset;
    }

    void bytesInside(int offset, int count, String field) {
        check(offset, count, field);
    }

    byte[] bytes(int offset, int count, String field) {
        check(offset, count, field);
        byte[] raw = new byte[count];
        buf.get(base + offset, raw);
        return raw;
    }

    WireFormatException fail(String field, int offset, String problem) {
        return new WireFormatException(messageType(), field, offset, problem);
    }
}
