package dev.hiveguard.replay;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a replay found: the policy's decisions on the recorded operations as the real driver
 * core, queue and verdict wait carried them out. Plain data; {@link ReplayReportText} renders
 * it for people and Jackson serialises it for {@code --json}.
 *
 * @param policy                  policy name
 * @param policyHash              policy content hash, to tie a report to the exact policy
 * @param recordings              the inputs, as given
 * @param operations              operations replayed (records that became a registry operation)
 * @param verdicts                how many operations got each outcome
 * @param outsideSubscriptionByOperation the operations the driver filtered out, by class
 *                                (Sysmon-style EventType), so an admin sees what the policy ignores
 * @param rules                   per rule (by name; "(default)" when no rule matched), outcome counts
 * @param wouldBlock              the operations the policy blocks, in recorded order: the first
 *                                {@link #MAX_LISTED}; all are counted in {@link Verdicts#blocked}
 * @param wouldBlockNotListed     blocked operations beyond the listed ones
 * @param unparseable             the records that could not be read, with file and line: the
 *                                first {@link #MAX_LISTED}
 * @param unparseableTotal        every record that could not be read
 * @param outsideOperationClasses well-formed records HiveGuard never sees (ProcMon reads,
 *                                non-registry events), by the tool's operation name
 * @param driver                  the driver's counters over the replay (after minus before)
 * @param consistency             cross-checks between what was raised, what the driver counted and
 *                                what the pump decided; all zero on a sound replay
 * @param processes               distinct processes replayed
 * @param pidsUnknown             operations whose pid no record revealed (replayed with pid 0)
 * @param valuesHidden            set-value operations whose data the recording hid (Sysmon's
 *                                "Binary Data"): rules on Details saw only that rendering
 * @param hkcuSid                 the SID ProcMon HKCU paths were placed under
 * @param seconds                 wall time from the first raise until the last decision was recorded
 * @param eventsPerSecond         operations / seconds
 */
public record ReplayReport(
        String policy,
        String policyHash,
        List<String> recordings,
        long operations,
        Verdicts verdicts,
        Map<String, Long> outsideSubscriptionByOperation,
        Map<String, Verdicts> rules,
        List<WouldBlock> wouldBlock,
        long wouldBlockNotListed,
        List<UnparseableRecord> unparseable,
        long unparseableTotal,
        Map<String, Long> outsideOperationClasses,
        DriverCounts driver,
        Consistency consistency,
        int processes,
        long pidsUnknown,
        long valuesHidden,
        String hkcuSid,
        double seconds,
        double eventsPerSecond) {

    public ReplayReport {
        recordings = List.copyOf(recordings);
        rules = Collections.unmodifiableMap(new LinkedHashMap<>(rules)); // keep the caller's order
        outsideSubscriptionByOperation = Collections.unmodifiableMap(new TreeMap<>(outsideSubscriptionByOperation));
        wouldBlock = List.copyOf(wouldBlock);
        unparseable = List.copyOf(unparseable);
        outsideOperationClasses = Collections.unmodifiableMap(new TreeMap<>(outsideOperationClasses));
        Objects.requireNonNull(verdicts, "verdicts");
        Objects.requireNonNull(driver, "driver");
        Objects.requireNonNull(consistency, "consistency");
    }

    /**
     * Would-block entries and unparseable records listed at most; the rest are counted. A
     * report of a million blocks is not read line by line, and the list must not hold the
     * replay's memory hostage.
     */
    public static final int MAX_LISTED = 1000;

    /** Rule name used when no rule matched and the policy's default applied. */
    public static final String DEFAULT_RULE = "(default)";

    /**
     * @param blocked             the policy blocks it (enforced, or would be in audit-only mode)
     * @param audited             allowed and recorded as notable
     * @param allowed             allowed by a rule or the policy default
     * @param outsideSubscription the driver never delivered it: no rule can act on it, so the
     *                            subscription filtered it in the kernel and the caller went on
     * @param kernelCallers       the driver never delivered it because it was made by the System
     *                            process (pid 4, image "System"), whose registry work runs in
     *                            kernel-mode threads; the policy's {@code kernelCallers="exclude"}
     *                            (the default) leaves kernel-mode callers out whatever the rules say
     */
    public record Verdicts(long blocked, long audited, long allowed, long outsideSubscription, long kernelCallers) {

        /** Counts of an input without System-process operations (or per rule, where they never appear). */
        public Verdicts(long blocked, long audited, long allowed, long outsideSubscription) {
            this(blocked, audited, allowed, outsideSubscription, 0);
        }

        public long total() {
            return blocked + audited + allowed + outsideSubscription + kernelCallers;
        }
    }

    /**
     * One operation the policy blocks.
     *
     * @param time         as the recording wrote it
     * @param location     file:line of the record
     * @param image        caller image
     * @param pid          caller pid
     * @param processGuid  Sysmon ProcessGuid, "" when the recording has none
     * @param operation    Sysmon-style EventType (SetValue, CreateKey...)
     * @param targetObject the path as Sysmon and rules write it, value name included for value operations
     * @param details      the value as Sysmon renders it (set-value only)
     * @param rule         the rule that blocks it
     * @param enforced     true when the driver denied the call in this replay
     * @param auditOnly      the policy is in audit-only mode: the block was recorded, not applied
     */
    public record WouldBlock(String time, String location, String image, long pid, String processGuid,
                             String operation, String targetObject, String details, String rule, boolean enforced,
                             boolean auditOnly) {
    }

    /** The driver's counters over the replay; see HG_STATS in the wire contract. */
    public record DriverCounts(long raised, long filteredOut, long delivered, long dropped, long verdictsRequested,
                               long timedOut, long defaultsApplied, long blocked) {
    }

    /**
     * @param raiseFailures        raises the host refused outright (invalid or out of memory)
     * @param unmatchedAuditEvents audit records no raised operation accounts for
     * @param verdictMismatches    operations whose applied verdict differs from the policy's
     *                             decision (a timeout, or a block on an operation the driver did
     *                             not hold for a verdict)
     * @param mismatchExamples     the first few, as file:line and what happened
     * @param uncountedByDriver    raised minus what the driver's counters account for
     * @param verdictsNotAwaited   operations that were due a verdict but got the driver's default
     *                             (released at disconnect) or fail mode (timeout) instead of the
     *                             policy's answer: the decisions still count, but the driver did not
     *                             wait for them
     */
    public record Consistency(long raiseFailures, long unmatchedAuditEvents, long verdictMismatches,
                              List<String> mismatchExamples, long uncountedByDriver, long verdictsNotAwaited) {
        public Consistency {
            mismatchExamples = List.copyOf(mismatchExamples);
        }

        public boolean sound() {
            return raiseFailures == 0 && unmatchedAuditEvents == 0 && verdictMismatches == 0 && uncountedByDriver == 0
                    && verdictsNotAwaited == 0;
        }
    }
}
