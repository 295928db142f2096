package dev.hiveguard.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** {@code HG_HELLO_REQUEST}: the agent's first message, binding it as the single client. */
public record HelloRequest(int magic, int versionMajor, int versionMinor, int flags, int reserved) {

    private static final String TYPE = "HG_HELLO_REQUEST";

    /** What this agent sends: its own wire version, no flags. */
    public static HelloRequest current() {
        return new HelloRequest(Wire.MAGIC, Wire.VERSION_MAJOR, Wire.VERSION_MINOR, 0, 0);
    }

    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(Wire.HELLO_REQUEST_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(magic).putShort((short) versionMajor).putShort((short) versionMinor).putInt(flags).putInt(reserved);
        return b.array();
    }

    /** Strict decode: exact size, magic, reserved fields zero. */
    public static HelloRequest decode(ByteBuffer message) {
        WireReader r = WireReader.of(message, TYPE);
        if (r.length() != Wire.HELLO_REQUEST_BYTES) {
            throw r.fail("size", 0, "is " + r.length() + " bytes, must be " + Wire.HELLO_REQUEST_BYTES);
        }
        r.expectMagic(0);
        r.expectZero32(8, "flags");
        r.expectZero32(12, "reserved");
        return new HelloRequest(Wire.MAGIC, r.u16(4, "version_major"), r.u16(6, "version_minor"), 0, 0);
    }
}
