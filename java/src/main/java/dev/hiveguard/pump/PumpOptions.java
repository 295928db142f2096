package dev.hiveguard.pump;

import dev.hiveguard.wire.HelloReply;
import dev.hiveguard.wire.Wire;
import java.time.Duration;
import java.util.Objects;

/**
 * How the decision pump uses the device.
 *
 * @param parkedRequests     GET_EVENTS requests kept parked; [1, HG_PARKED_MAX]. A caller
 *                           whose verdict is due while none is parked gets the driver's
 *                           default at once, unjudged. Requests out of the driver at any
 *                           moment are at most the callers waiting for a verdict plus the one
 *                           being re-parked, so this should exceed the expected number of
 *                           concurrently waiting registry callers by two
 * @param bufferBytes        output buffer of each parked request, [HG_GET_EVENTS_MIN_BYTES,
 *                           largest buffer whose event count still fits one REPLY]
 * @param replyBatchMax      verdicts per REPLY, [1, HG_REPLY_MAX_ENTRIES]; must hold every
 *                           event a full buffer can carry, so one batch needs one REPLY
 * @param decisionThreads    threads asking the policy; [1, 64]
 * @param handoffCapacity    audit-only batches received but not yet audited (queued for a
 *                           decision thread, deciding, or waiting for the audit writer) before
 *                           the pump stops re-parking (back-pressure); [1, 1024]
 * @param metricsLogInterval how often metrics are logged; zero disables the log line
 * @param closeTimeout       how long close() waits for cancelled requests and queued batches
 * @param warmUpDecisions    synthetic events run through the policy (and the pump's decision
 *                           path) before the first request is parked, so the first real callers
 *                           are judged by compiled code, not the interpreter; 0 = none. Only for
 *                           policies whose decide() has no side effects and never blocks
 */
public record PumpOptions(
        int parkedRequests,
        int bufferBytes,
        int replyBatchMax,
        int decisionThreads,
        int handoffCapacity,
        Duration metricsLogInterval,
        Duration closeTimeout,
        int warmUpDecisions) {

    /*
     * An endpoint sees bursts of concurrent registry writers (logon, installers, Explorer
     * and services at once); a verdict that falls due while nothing is parked waits in the
     * driver's backlog until a request takes it, so every registry caller of a burst is
     * held up by the slowest re-park. 32 requests of DEFAULT_BUFFER_BYTES are 4 MiB of
     * native memory: cheap next to callers waiting on the agent.
     */
    public static final int DEFAULT_PARKED_REQUESTS = 32;
    /** 128 KiB holds ~1600 minimal events: far more than a burst between two completions. */
    public static final int DEFAULT_BUFFER_BYTES = 128 * 1024;
    public static final int DEFAULT_DECISION_THREADS = 2;
    /**
     * Audit-only batches waiting for a decision thread before requests are held back. A
     * queued batch is the copy of its completed bytes (at most bufferBytes, usually a few
     * KiB), so 64 of them bound the hand-off at 8 MiB while absorbing the bursts of small
     * batches a fast re-park produces; past it the driver's backlog takes the excess and
     * drops (counted) what it cannot hold.
     */
    public static final int DEFAULT_HANDOFF_CAPACITY = 64;
    public static final Duration DEFAULT_METRICS_LOG_INTERVAL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(10);
    public static final int MAX_DECISION_THREADS = 64;
    public static final int MAX_HANDOFF_CAPACITY = 1024;
    /** Past the JIT's C2 compile threshold (10,000 invocations) for decide() and its callees. */
    public static final int DEFAULT_WARMUP_DECISIONS = 30_000;
    public static final int MAX_WARMUP_DECISIONS = 10_000_000;

    public PumpOptions {
        Objects.requireNonNull(metricsLogInterval, "metricsLogInterval");
        Objects.requireNonNull(closeTimeout, "closeTimeout");
        range("parkedRequests", parkedRequests, 1, Wire.PARKED_MAX);
        range("bufferBytes", bufferBytes, Wire.GET_EVENTS_MIN_BYTES, Wire.GET_EVENTS_MAX_BYTES);
        range("replyBatchMax", replyBatchMax, 1, Wire.REPLY_MAX_ENTRIES);
        range("decisionThreads", decisionThreads, 1, MAX_DECISION_THREADS);
        range("handoffCapacity", handoffCapacity, 1, MAX_HANDOFF_CAPACITY);
        range("warmUpDecisions", warmUpDecisions, 0, MAX_WARMUP_DECISIONS);
        if (maxEventsPerBatch(bufferBytes) > replyBatchMax) {
            throw new IllegalArgumentException("bufferBytes " + bufferBytes + " can carry "
                    + maxEventsPerBatch(bufferBytes) + " events, more than replyBatchMax " + replyBatchMax
                    + ": one batch would need several REPLYs");
        }
        if (metricsLogInterval.isNegative() || closeTimeout.isNegative() || closeTimeout.isZero()) {
            throw new IllegalArgumentException("metricsLogInterval must be >= 0 and closeTimeout > 0");
        }
    }

    /** Options without a warm-up (a policy that may block or count its calls cannot be warmed). */
    public PumpOptions(int parkedRequests, int bufferBytes, int replyBatchMax, int decisionThreads,
                       int handoffCapacity, Duration metricsLogInterval, Duration closeTimeout) {
        this(parkedRequests, bufferBytes, replyBatchMax, decisionThreads, handoffCapacity, metricsLogInterval,
                closeTimeout, 0);
    }

    public static PumpOptions defaults() {
        return new PumpOptions(DEFAULT_PARKED_REQUESTS, DEFAULT_BUFFER_BYTES, Wire.REPLY_MAX_ENTRIES,
                DEFAULT_DECISION_THREADS, DEFAULT_HANDOFF_CAPACITY, DEFAULT_METRICS_LOG_INTERVAL,
                DEFAULT_CLOSE_TIMEOUT, DEFAULT_WARMUP_DECISIONS);
    }

    public PumpOptions withParkedRequests(int n) {
        return new PumpOptions(n, bufferBytes, replyBatchMax, decisionThreads, handoffCapacity,
                metricsLogInterval, closeTimeout, warmUpDecisions);
    }

    public PumpOptions withDecisionThreads(int n) {
        return new PumpOptions(parkedRequests, bufferBytes, replyBatchMax, n, handoffCapacity,
                metricsLogInterval, closeTimeout, warmUpDecisions);
    }

    public PumpOptions withHandoffCapacity(int n) {
        return new PumpOptions(parkedRequests, bufferBytes, replyBatchMax, decisionThreads, n,
                metricsLogInterval, closeTimeout, warmUpDecisions);
    }

    public PumpOptions withMetricsLogInterval(Duration d) {
        return new PumpOptions(parkedRequests, bufferBytes, replyBatchMax, decisionThreads, handoffCapacity, d,
                closeTimeout, warmUpDecisions);
    }

    public PumpOptions withWarmUpDecisions(int n) {
        return new PumpOptions(parkedRequests, bufferBytes, replyBatchMax, decisionThreads, handoffCapacity,
                metricsLogInterval, closeTimeout, n);
    }

    /** Most events a completed buffer of this size can hold: every event is at least a header. */
    static int maxEventsPerBatch(int bufferBytes) {
        return (bufferBytes - Wire.BATCH_HEADER_BYTES) / Wire.EVENT_HEADER_BYTES;
    }

    /** Checks these options against the limits the driver announced in HELLO. */
    void checkAgainst(HelloReply hello) {
        if (parkedRequests > hello.parkedMax()) {
            throw new IllegalArgumentException("parkedRequests " + parkedRequests + " exceeds the driver's "
                    + hello.parkedMax());
        }
        if (bufferBytes < hello.getEventsMinBytes() || bufferBytes > hello.getEventsMaxBytes()) {
            throw new IllegalArgumentException("bufferBytes " + bufferBytes + " outside the driver's ["
                    + hello.getEventsMinBytes() + ", " + hello.getEventsMaxBytes() + "]");
        }
        if (replyBatchMax > hello.replyMaxEntries()) {
            throw new IllegalArgumentException("replyBatchMax " + replyBatchMax + " exceeds the driver's "
                    + hello.replyMaxEntries());
        }
    }

    private static void range(String name, long v, long min, long max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(name + " " + v + " outside [" + min + ", " + max + "]");
        }
    }
}
