package dev.hiveguard.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * {@code HG_INJECT_HEADER} + key_path, value_name, new_name (UTF-16LE) + data: the
 * test build's way to run the driver's real RegistryCallback on a synthesized
 * operation (Wine never calls registry callbacks). The agent never sends it on its
 * decision path; it is mirrored so that the Java side can drive the test driver and
 * so the golden vector proves this layout too.
 */
public record InjectMessage(int operation, int flags, int valueType, long pid, String keyPath,
                            String valueName, String newName, byte[] data) {

    private static final String TYPE = "HG_INJECT";

    public byte[] encode() {
        byte[] key = keyPath.getBytes(StandardCharsets.UTF_16LE);
        byte[] value = valueName.getBytes(StandardCharsets.UTF_16LE);
        byte[] renamed = newName.getBytes(StandardCharsets.UTF_16LE);
        int total = Wire.INJECT_HEADER_BYTES + key.length + value.length + renamed.length + data.length;
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(Wire.MAGIC).putInt(total).putShort((short) operation).putShort((short) flags)
                .putInt(valueType).putLong(pid).putInt(data.length)
                .putShort((short) key.length).putShort((short) value.length).putShort((short) renamed.length)
                .putShort((short) 0).putInt(0);
        b.put(key).put(value).put(renamed).put(data);
        return b.array();
    }

    public static InjectMessage decode(ByteBuffer message) {
        WireReader r = WireReader.of(message, TYPE);
        if (r.length() < Wire.INJECT_HEADER_BYTES) {
            throw r.fail("size", 0, "is " + r.length() + " bytes, needs " + Wire.INJECT_HEADER_BYTES);
        }
        r.expectMagic(0);
        long total = r.u32(4, "total_bytes");
        if (total != r.length()) {
            throw r.fail("total_bytes", 4, "declares " + total + " bytes, the buffer is " + r.length());
        }
        int op = r.u16Bounded(8, "operation", 1, Wire.OP_COUNT - 1);
        int flags = r.u16(10, "flags");
        if ((flags & ~Wire.INJECT_F_ALL) != 0) {
            throw r.fail("flags", 10, String.format("unknown bits 0x%X", flags & ~Wire.INJECT_F_ALL));
        }
        int dataBytes = r.u32Bounded(24, "data_bytes", 0, Wire.DATA_CAP_MAX);
        int keyBytes = r.u16Bounded(28, "key_path_bytes", 2, Wire.KEY_PATH_MAX_BYTES);
        int valueBytes = r.u16Bounded(30, "value_name_bytes", 0, Wire.VALUE_NAME_MAX_BYTES);
        int newNameBytes = r.u16Bounded(32, "new_name_bytes", 0, Wire.NEW_NAME_MAX_BYTES);
        r.expectZero16(34, "reserved0");
        r.expectZero32(36, "reserved1");
        long expected = (long) Wire.INJECT_HEADER_BYTES + keyBytes + valueBytes + newNameBytes + dataBytes;
        if (expected != total) {
            throw r.fail("total_bytes", 4, "is " + total + " but header, strings and data take " + expected);
        }
        int at = Wire.INJECT_HEADER_BYTES;
        String key = r.utf16(at, keyBytes, "key_path");
        at += keyBytes;
        String value = r.utf16(at, valueBytes, "value_name");
        at += valueBytes;
        String renamed = r.utf16(at, newNameBytes, "new_name");
        at += newNameBytes;
        return new InjectMessage(op, flags, (int) r.u32(12, "value_type"), r.u64(16, "pid"), key, value, renamed,
                r.bytes(at, dataBytes, "data"));
    }
}
