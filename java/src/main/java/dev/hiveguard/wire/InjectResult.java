package dev.hiveguard.wire;

import java.nio.ByteBuffer;

/** {@code HG_INJECT_RESULT}: the NTSTATUS the injected registry call would return. */
public record InjectResult(int status) {

    private static final String TYPE = "HG_INJECT_RESULT";

    public static InjectResult decode(ByteBuffer message) {
        WireReader r = WireReader.of(message, TYPE);
        if (r.length() != Wire.INJECT_RESULT_BYTES) {
            throw r.fail("size", 0, "is " + r.length() + " bytes, must be " + Wire.INJECT_RESULT_BYTES);
        }
        r.expectZero32(4, "reserved");
        return new InjectResult((int) r.u32(0, "status"));
    }
}
