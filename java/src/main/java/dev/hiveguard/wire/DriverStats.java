package dev.hiveguard.wire;

import java.nio.ByteBuffer;

/**
 * {@code HG_STATS}: the driver's counters, one component per field in wire order.
 * Once nothing is in flight and the backlog is empty,
 * {@code raised == filteredOut + delivered + dropped} (selfExcluded and noClient are
 * parts of filteredOut; auditRefused, verdictUnqueued and nameUnresolved are parts of
 * dropped; lockdownBlocked and lockdownExempt are parts of noClient), which is what
 * makes drops exact rather than estimated. The five before configGeneration are
 * gauges, the rest monotonic counters. The last five were appended for issue 9: a
 * verdict-requested event no longer gets the default because nothing was parked, so
 * their non-zero values tell an operator which protection applied instead.
 */
public record DriverStats(
        long raised,
        long filteredOut,
        long selfExcluded,
        long noClient,
        long delivered,
        long dropped,
        long verdictsRequested,
        long repliesAccepted,
        long repliesUnknown,
        long repliesLate,
        long repliesDuplicate,
        long timedOut,
        long failOpenApplied,
        long failClosedApplied,
        long defaultsApplied,
        long blocked,
        long batches,
        long pendingWaiters,
        long parkedRequests,
        long backlogEvents,
        long backlogBytes,
        long clientBound,
        long configGeneration,
        long auditRefused,
        long verdictUnqueued,
        long nameUnresolved,
        long lockdownBlocked,
        long lockdownExempt) {

    private static final String TYPE = "HG_STATS";
    private static final String[] FIELDS = {
        "raised", "filtered_out", "self_excluded", "no_client", "delivered", "dropped",
        "verdicts_requested", "replies_accepted", "replies_unknown", "replies_late",
        "replies_duplicate", "timed_out", "fail_open_applied", "fail_closed_applied",
        "defaults_applied", "blocked", "batches", "pending_waiters", "parked_requests",
        "backlog_events", "backlog_bytes", "client_bound", "config_generation", "audit_refused",
        "verdict_unqueued", "name_unresolved", "lockdown_blocked", "lockdown_exempt"};
    private static final int COUNTERS_OFFSET = 8;

    /** The C field names in wire order (as in the golden vectors' text form). */
    public static String[] wireFieldNames() {
        return FIELDS.clone();
    }

    /** The counters in wire order, matching {@link #wireFieldNames()}. */
    public long[] toArray() {
        return new long[] {raised, filteredOut, selfExcluded, noClient, delivered, dropped,
            verdictsRequested, repliesAccepted, repliesUnknown, repliesLate, repliesDuplicate,
            timedOut, failOpenApplied, failClosedApplied, defaultsApplied, blocked, batches,
            pendingWaiters, parkedRequests, backlogEvents, backlogBytes, clientBound, configGeneration,
            auditRefused, verdictUnqueued, nameUnresolved, lockdownBlocked, lockdownExempt};
    }

    /**
     * Accepts a {@code size} field larger than this agent's HG_STATS (a newer minor
     * version may append counters) but never one smaller or beyond the buffer.
     */
    public static DriverStats decode(ByteBuffer message) {
        WireReader r = WireReader.of(message, TYPE);
        if (r.length() < Wire.STATS_BYTES) {
            throw r.fail("size", 0, "is " + r.length() + " bytes, needs " + Wire.STATS_BYTES);
        }
        r.expectMagic(0);
        r.u32Bounded(4, "size", Wire.STATS_BYTES, r.length());
        long[] v = new long[FIELDS.length];
        for (int i = 0; i < FIELDS.length; i++) {
            v[i] = r.u64(COUNTERS_OFFSET + 8 * i, FIELDS[i]);
        }
        return new DriverStats(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10],
                v[11], v[12], v[13], v[14], v[15], v[16], v[17], v[18], v[19], v[20], v[21], v[22],
                v[23], v[24], v[25], v[26], v[27]);
    }
}
