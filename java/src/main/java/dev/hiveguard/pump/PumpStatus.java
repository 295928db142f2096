package dev.hiveguard.pump;

import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Action;
import dev.hiveguard.wire.DriverStats;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of the decision pump, for {@code hiveguard status} and the periodic
 * metrics log.
 *
 * @param eventsPerSecond     over the last metrics interval (since start until one passed)
 * @param decisions           events decided, by the policy's action
 * @param verdicts            verdicts sent to the driver, by verdict
 * @param eventsWithoutVerdict events delivered for audit only (no caller waited)
 * @param parkedRequests      GET_EVENTS requests parked in the driver now
 * @param heldRequests        requests held back because the decision threads are behind
 * @param queuedBatches       decoded batches waiting for a decision thread
 * @param meanEventsPerBatch  events / batches: above 1 when the driver batches under load
 * @param replies             REPLY IOCTLs sent
 * @param replyFailures       REPLYs the device rejected (their callers got the fail mode)
 * @param malformedBatches    completions that failed wire validation (logged with details)
 * @param policyErrors        events whose policy call threw (allowed, and logged)
 * @param auditErrors         audit records the sink refused
 * @param auditShed           audit records of answered verdict events dropped because the audit
 *                            queue was full: verdicts go first, the audit trail is shed (counted),
 *                            plain allows first (blocks, rule matches and would-blocks are kept
 *                            up to twice the queue's bound)
 * @param driverInstanceId    HELLO instance id: changes when the driver restarts
 * @param driver              the driver's counters, or null when they could not be read
 */
public record PumpStatus(
        boolean running,
        Instant startedAt,
        Duration uptime,
        String policyName,
        String policyHash,
        long eventsReceived,
        double eventsPerSecond,
        Map<Action, Long> decisions,
        Map<Verdict, Long> verdicts,
        long eventsWithoutVerdict,
        int parkedRequests,
        int heldRequests,
        int queuedBatches,
        long batches,
        double meanEventsPerBatch,
        LatencySummary latency,
        long replies,
        long repliesAccepted,
        long repliesUnknown,
        long repliesLate,
        long repliesDuplicate,
        long replyFailures,
        long malformedBatches,
        long policyErrors,
        long auditErrors,
        long auditShed,
        long driverInstanceId,
        DriverStats driver) {

    public PumpStatus {
        // EnumMap copies keep the enums' order, so log lines and status output read the same every time.
        decisions = decisions.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(decisions));
        verdicts = verdicts.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(verdicts));
    }

    /** One log line. */
    public String summaryLine() {
        StringBuilder sb = new StringBuilder(256);
        sb.append(String.format("%.1f ev/s, %d events in %d batches (%.2f/batch), decisions %s, verdicts %s, "
                        + "parked %d, held %d, queued %d, latency p50 %.1f us p90 %.1f us p99 %.1f us max %.1f us",
                eventsPerSecond, eventsReceived, batches, meanEventsPerBatch, decisions, verdicts, parkedRequests,
                heldRequests, queuedBatches, latency.p50Nanos() / 1e3, latency.p90Nanos() / 1e3,
                latency.p99Nanos() / 1e3, latency.maxNanos() / 1e3));
        if (replyFailures + malformedBatches + policyErrors + auditErrors > 0) {
            sb.append(String.format(", errors: reply %d, malformed %d, policy %d, audit %d", replyFailures,
                    malformedBatches, policyErrors, auditErrors));
        }
        if (auditShed > 0) {
            sb.append(String.format(", audit records shed %d", auditShed));
        }
        if (driver != null) {
            sb.append(String.format("; driver: raised %d, delivered %d, dropped %d, timed out %d (open %d, closed %d),"
                            + " defaults %d, late replies %d, blocked %d", driver.raised(), driver.delivered(),
                    driver.dropped(), driver.timedOut(), driver.failOpenApplied(), driver.failClosedApplied(),
                    driver.defaultsApplied(), driver.repliesLate(), driver.blocked()));
        }
        return sb.toString();
    }
}
