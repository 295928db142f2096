package dev.hiveguard.wire;

import dev.hiveguard.model.Verdict;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** {@code HG_REPLY_HEADER} + entries: many verdicts in one IOCTL. */
public final class ReplyMessage {

    private static final String TYPE = "HG_REPLY";

    private ReplyMessage() {
    }

    public static int encodedSize(int entries) {
        return Wire.REPLY_HEADER_BYTES + entries * Wire.REPLY_ENTRY_BYTES;
    }

    /**
     * Writes the message at {@code dst}'s position (the pump writes straight into the
     * native buffer of its REPLY request) and returns its length.
     */
    public static int encodeInto(List<ReplyEntry> entries, ByteBuffer dst) {
        int count = entries.size();
        if (count < 1 || count > Wire.REPLY_MAX_ENTRIES) {
            throw new IllegalArgumentException(
                    "a REPLY carries 1.." + Wire.REPLY_MAX_ENTRIES + " entries, not " + count);
        }
        int size = encodedSize(count);
        if (dst.remaining() < size) {
            throw new IllegalArgumentException("REPLY of " + count + " entries needs " + size
                    + " bytes, buffer has " + dst.remaining());
        }
        ByteBuffer b = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(Wire.MAGIC).putInt(count);
        for (ReplyEntry e : entries) {
            b.putLong(e.id()).putInt(e.verdict().code()).putInt(0);
        }
        return size;
    }

    public static byte[] encode(List<ReplyEntry> entries) {
        ByteBuffer b = ByteBuffer.allocate(encodedSize(entries.size()));
        encodeInto(entries, b);
        return b.array();
    }

    /** Strict decode with the driver's checks: exact size, count range, verdicts, reserved. */
    public static List<ReplyEntry> decode(ByteBuffer message) {
        WireReader r = WireReader.of(message, TYPE);
        if (r.length() < Wire.REPLY_HEADER_BYTES) {
            throw r.fail("size", 0, "is " + r.length() + " bytes, needs " + Wire.REPLY_HEADER_BYTES);
        }
        r.expectMagic(0);
        int count = r.u32Bounded(4, "count", 1, Wire.REPLY_MAX_ENTRIES);
        if (r.length() != encodedSize(count)) {
            throw r.fail("count", 4, count + " entries need " + encodedSize(count)
                    + " bytes, the message is " + r.length());
        }
        List<ReplyEntry> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int at = Wire.REPLY_HEADER_BYTES + i * Wire.REPLY_ENTRY_BYTES;
            long id = r.u64(at, "entries[" + i + "].id");
            if (id == 0) {
                throw r.fail("entries[" + i + "].id", at, "id 0 is never issued");
            }
            int verdict = r.u32Bounded(at + 8, "entries[" + i + "].verdict",
                    Verdict.ALLOW.code(), Verdict.BLOCK.code());
            r.expectZero32(at + 12, "entries[" + i + "].reserved");
            out.add(new ReplyEntry(id, Verdict.fromCode(verdict)));
        }
        return out;
    }
}
