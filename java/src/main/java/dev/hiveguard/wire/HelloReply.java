package dev.hiveguard.wire;

import java.nio.ByteBuffer;

/**
 * {@code HG_HELLO_REPLY}: the driver's version, capabilities and the limits it
 * enforces. {@code instanceId} changes on every driver load, so an agent that sees a
 * different one after reconnecting knows the driver was restarted. Since wire 1.1 it
 * also says which driver answers ({@code driverVersion}, major.minor.patch packed
 * 8.8.16), where its registry callback sits ({@code altitude}, 0 when not registered)
 * and what it applies while no agent is connected ({@code noClientVerdict}); a 1.0
 * driver's shorter reply decodes with those three 0 (unknown).
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
        long instanceId,
        int driverVersion,
        int altitude,
        int noClientVerdict) {

    /** A 1.0 reply (tests and older drivers): the 1.1 fields unknown. */
    public HelloReply(int versionMajor, int versionMinor, int capabilities, int maxEventBytes, int getEventsMinBytes,
                      int getEventsMaxBytes, int replyMaxEntries, int parkedMax, long instanceId) {
        this(versionMajor, versionMinor, capabilities, maxEventBytes, getEventsMinBytes, getEventsMaxBytes,
                replyMaxEntries, parkedMax, instanceId, 0, 0, 0);
    }

    /** "1.1.0", or "unknown" from a 1.0 driver. */
    public String driverVersionText() {
        if (driverVersion == 0) {
            return "unknown";
        }
        return (driverVersion >>> 24) + "." + ((driverVersion >>> 16) & 0xFF) + "." + (driverVersion & 0xFFFF);
    }

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
        if (r.length() < Wire.HELLO_REPLY_V1_0_BYTES) {
            throw r.fail("size", 0, "is " + r.length() + " bytes, needs " + Wire.HELLO_REPLY_V1_0_BYTES);
        }
        boolean v11 = r.length() >= Wire.HELLO_REPLY_BYTES;
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
                r.u64(32, "instance_id"),
                v11 ? (int) r.u32(40, "driver_version") : 0,
                v11 ? r.u32Bounded(44, "altitude", 0, 429_999) : 0,
                v11 ? r.u32Bounded(48, "no_client_verdict", 0, 2) : 0);
    }
}
