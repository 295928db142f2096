package dev.hiveguard.wire;

import java.nio.ByteBuffer;

/**
 * {@code HG_REPLY_RESULT}: how the driver took each entry of one REPLY. Late and
 * duplicate ids are normal under timeouts and are counted, never an error.
 */
public record ReplyResult(int accepted, int unknown, int late, int duplicate) {

    private static final String TYPE = "HG_REPLY_RESULT";

    public static ReplyResult decode(ByteBuffer message) {
        WireReader r = WireReader.of(message, TYPE);
        if (r.length() != Wire.REPLY_RESULT_BYTES) {
            throw r.fail("size", 0, "is " + r.length() + " bytes, must be " + Wire.REPLY_RESULT_BYTES);
        }
        int max = Wire.REPLY_MAX_ENTRIES;
        return new ReplyResult(
                r.u32Bounded(0, "accepted", 0, max),
                r.u32Bounded(4, "unknown", 0, max),
                r.u32Bounded(8, "late", 0, max),
                r.u32Bounded(12, "duplicate", 0, max));
    }
}
