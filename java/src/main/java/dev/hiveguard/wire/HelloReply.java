package dev.hiveguard.wire;

import java.nio.ByteBuffer;

/**
 * {@code HG_HELLO_REPLY}: the driver's version, capabilities and the limits it
 * enforces. {@code instanceId} changes on every driver load, so an agent that sees a
 * different one after reconnecting knows the driver was restarted.
 */
public record HelloReply(
        int versionMajor,
        int versionMinor,
        int capabilities,
        int maxEventBytes,
        int getEventsMinBytes,
        int getEventsMaxBytes,
        int replyMaxEntries,
        int parkedMax,
        long instanceId) {

    private static final String TYPE = "HG_HELLO_REPLY";

    public boolean has(int capability) {
        return (capabilities & capability) == capability;
    }

    /**
     * Decodes and sanity-checks the reply: the limits must be positive and ordered
     * (a driver claiming a GET_EVENTS minimum above its maximum is broken, and the
     * pump sizes its buffers from these numbers).
     */
    public static HelloReply decode(ByteBuffer message) {
        WireReader r = WireReader.of(message, TYPE);
        if (r.length() < Wire.HELLO_REPLY_BYTES) {
            throw r.fail("size", 0, "is " + r.length() + " bytes, needs " + Wire.HELLO_REPLY_BYTES);
        }
        r.expectMagic(0);
        int min = r.u32Bounded(16, "get_events_min_bytes", 1, Integer.MAX_VALUE);
        int max = r.u32Bounded(20, "get_events_max_bytes", min, Integer.MAX_VALUE);
        return new HelloReply(
                r.u16(4, "version_major"),
                r.u16(6, "version_minor"),
                (int) r.u32(8, "capabilities"),
                r.u32Bounded(12, "max_event_bytes", Wire.EVENT_HEADER_BYTES, min),
                min,
                max,
                r.u32Bounded(24, "reply_max_entries", 1, Integer.MAX_VALUE),
                r.u32Bounded(28, "parked_max", 1, Integer.MAX_VALUE),
                r.u64(32, "instance_id"));
    }
}
