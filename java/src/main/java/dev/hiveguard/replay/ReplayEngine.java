package dev.hiveguard.replay;

import dev.hiveguard.audit.AuditSink;
import dev.hiveguard.device.HiveGuardDevice;
import dev.hiveguard.device.RegistrySimulator;
import dev.hiveguard.device.SimulatedOperation;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryPaths;
import dev.hiveguard.model.ValueRendering;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.Decision;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.pump.DecisionPump;
import dev.hiveguard.wire.DriverStats;
import dev.hiveguard.wire.NtStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Replays recorded operations through the same path a live operation takes: each becomes a
 * registry call in the user-mode host (the real driver core's subscription filter, queue and
 * bounded verdict wait), a real {@link DecisionPump} in this JVM serves the device with the
 * policy, and the audit trail is written by the same writer as live.
 *
 * <p>Order: each process's operations are raised in recorded order on one raiser thread;
 * processes are spread over {@link ReplayOptions#raisers()} threads so one caller's verdict
 * wait does not stall the others. The outcome of each operation depends only on the policy
 * and the operation, never on scheduling: the driver is never allowed to drop (raisers hold
 * back while its backlog is half full), verdict waits are stretched so machine load cannot
 * turn into fail-mode verdicts ({@link PatientPolicy}), and decisions are tied to operations
 * by content.
 */
public final class ReplayEngine {

    /** STATUS_SUCCESS / STATUS_ACCESS_DENIED as the host's raise returns them. */
    static final int STATUS_SUCCESS = 0;
    static final int STATUS_ACCESS_DENIED = 0xC0000022;

    /** Raisers look at the driver's backlog every this many raises. */
    private static final int BACKLOG_CHECK_EVERY = 64;
    /** Raisers pause while more than this fraction of the backlog is used, so nothing is ever dropped. */
    private static final int BACKLOG_HIGH_WATER_DIVISOR = 2;
    private static final long BACKLOG_PAUSE_NANOS = 200_000;
    private static final long DRAIN_POLL_NANOS = 200_000;
    /** Mismatch examples listed in the report; all are counted. */
    static final int MAX_MISMATCH_EXAMPLES = 20;
    /** Well-known SIDs of the accounts Sysmon's User field shows by name (live events carry the SID). */
    private static final Map<String, String> WELL_KNOWN_ACCOUNTS = Map.of(
            "NT AUTHORITY\\SYSTEM", "S-1-5-18",
            "NT AUTHORITY\\LOCAL SERVICE", "S-1-5-19",
            "NT AUTHORITY\\NETWORK SERVICE", "S-1-5-20");
    /** Windows' System process: its registry work runs in kernel-mode threads (PreviousMode KernelMode). */
    private static final long SYSTEM_PID = 4;

    private final Policy policy;
    private final AuditSink audit;
    private final ReplayOptions options;

    public ReplayEngine(Policy policy, AuditSink audit, ReplayOptions options) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.options = Objects.requireNonNull(options, "options");
    }

    /**
     * @param input      what the readers found
     * @param recordings the inputs' names, for the report
     * @param hkcuSid    the SID ProcMon HKCU paths were placed under, for the report
     */
    public ReplayReport replay(LoadedRecordings input, List<String> recordings, String hkcuSid)
            throws InterruptedException {
        ProcessIdentities identities = new ProcessIdentities(RegistrySimulator.currentProcessKey());
        List<RecordedOperation> ops = identities.resolvePids(input.operations());
        long[] processKeys = new long[ops.size()];
        for (int i = 0; i < ops.size(); i++) {
            processKeys[i] = identities.keyFor(ops.get(i));
        }
        long pidsUnknown = ops.stream().filter(o -> o.pid() == ProcessIdentities.PID_NONE).count();
        int[] statuses = new int[ops.size()];
        DecisionLedger ledger = new DecisionLedger(audit, policy.subscription().dataCap(), ops.size());

        DriverStats before;
        DriverStats after;
        long startNanos;
        long endNanos;
        try (HiveGuardDevice device = HiveGuardDevice.open()) {
            try (DecisionPump pump = new DecisionPump(device, PatientPolicy.of(policy), ledger, options.pump())) {
                pump.start();
                before = RegistrySimulator.stats();
                startNanos = System.nanoTime();
                raiseAll(ops, processKeys, statuses, ledger);
                long delivered = drain(ledger, before);
                endNanos = System.nanoTime();
                after = RegistrySimulator.stats();
                if (delivered < 0) {
                    throw new IllegalStateException("the decision pump did not decide every delivered event within "
                            + options.drainTimeout().toSeconds() + " s (decided " + ledger.recorded() + " of "
                            + (RegistrySimulator.stats().delivered() - before.delivered()) + ")");
                }
            }
        }
        ledger.flush();
        return report(input, recordings, hkcuSid, ops, statuses, ledger, before, after, identities.processCount(),
                pidsUnknown, (endNanos - startNanos) / 1e9);
    }

    // ------------------------------------------------------------------ raising

    private void raiseAll(List<RecordedOperation> ops, long[] processKeys, int[] statuses, DecisionLedger ledger)
            throws InterruptedException {
        int raisers = options.raisers();
        // Processes are dealt to raisers in order of first appearance: deterministic, and one
        // process never spans two threads.
        Map<Long, Integer> laneOfProcess = new LinkedHashMap<>();
        List<List<Integer>> lanes = new ArrayList<>();
        for (int i = 0; i < raisers; i++) {
            lanes.add(new ArrayList<>());
        }
        for (int i = 0; i < ops.size(); i++) {
            int lane = laneOfProcess.computeIfAbsent(processKeys[i], k -> laneOfProcess.size() % raisers);
            lanes.get(lane).add(i);
        }
        AtomicLong raised = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // Each recording keeps its own gaps and all start together: their clocks need not agree
        // (a ProcMon export without dates sits in 1970, a Sysmon one in its real year).
        Map<String, Instant> firstOfSource = new HashMap<>();
        for (RecordedOperation op : ops) {
            if (op.timestamp() != null) {
                firstOfSource.merge(op.source(), op.timestamp(), (a, b) -> a.isBefore(b) ? a : b);
            }
        }
        long clockStart = System.nanoTime();
        int highWater = Math.max(1, policy.subscription().maxBacklog() / BACKLOG_HIGH_WATER_DIVISOR);
        List<Thread> threads = new ArrayList<>();
        for (int l = 0; l < raisers; l++) {
            List<Integer> lane = lanes.get(l);
            if (lane.isEmpty()) {
                continue;
            }
            Thread t = new Thread(() -> {
                try {
                    int sinceCheck = 0;
                    for (int i : lane) {
                        RecordedOperation op = ops.get(i);
                        if (options.realtime() && op.timestamp() != null) {
                            Instant first = firstOfSource.get(op.source());
                            sleepUntil(clockStart + (long) (Duration.between(first, op.timestamp()).toNanos()
                                    / options.speed()));
                        }
                        if (++sinceCheck >= BACKLOG_CHECK_EVERY) {
                            sinceCheck = 0;
                            while (RegistrySimulator.stats().backlogEvents() > highWater) {
                                sleepNanos(BACKLOG_PAUSE_NANOS);
                            }
                        }
                        SimulatedOperation call = toSimulated(op, processKeys[i]);
                        ledger.expect(i, call);
                        statuses[i] = RegistrySimulator.raise(call);
                        raised.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "hiveguard-replay-raiser-" + l);
            t.setDaemon(true);
            threads.add(t);
        }
        ProgressBar bar = options.progress() ? new ProgressBar(System.err, ops.size(), raised::get) : null;
        if (bar != null) {
            bar.start();
        }
        try {
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
        } finally {
            if (bar != null) {
                bar.finish();
            }
        }
        if (failure.get() != null) {
            throw new IllegalStateException("replay raiser failed: " + failure.get(), failure.get());
        }
    }

    /**
     * The registry call a recorded operation stands for. Thread and session ids are not in the
     * recordings and are 0. Operations of the System process (pid 4, image "System") are
     * kernel-mode callers: its registry work runs in system threads whose PreviousMode is
     * KernelMode, which the driver delivers only when the policy asks for kernel callers.
     */
    public static SimulatedOperation toSimulated(RecordedOperation op, long processKey) {
        boolean kernel = op.pid() == SYSTEM_PID && op.image().equalsIgnoreCase("System");
        return new SimulatedOperation(op.operation(), processKey, op.pid(), 0, 0, kernel, op.keyPath(),
                op.valueName(), op.newName(), op.image(), userSid(op.user()), op.valueType(), op.data());
    }

    /**
     * The caller's SID as the driver would report it: service accounts by their well-known SID,
     * SIDs as they are; other account names stay names (resolving them needs the recorded
     * machine's LSA), which the policy's User condition compares as Sysmon prints them.
     */
    public static String userSid(String recordedUser) {
        if (recordedUser == null || recordedUser.isEmpty()) {
            return null;
        }
        String sid = WELL_KNOWN_ACCOUNTS.get(recordedUser.toUpperCase(Locale.ROOT));
        return sid != null ? sid : recordedUser;
    }

    /** Waits until the pump has recorded every event the driver delivered; -1 on timeout. */
    private long drain(DecisionLedger ledger, DriverStats before) throws InterruptedException {
        long deadline = System.nanoTime() + options.drainTimeout().toNanos();
        while (true) {
            DriverStats now = RegistrySimulator.stats();
            long delivered = now.delivered() - before.delivered();
            if (now.backlogEvents() == 0 && now.pendingWaiters() == 0 && ledger.recorded() >= delivered) {
                return delivered;
            }
            if (System.nanoTime() > deadline) {
                return -1;
            }
            sleepNanos(DRAIN_POLL_NANOS);
        }
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long wait = nanoTime - System.nanoTime();
        if (wait > 0) {
            sleepNanos(wait);
        }
    }

    private static void sleepNanos(long nanos) throws InterruptedException {
        Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    }

    // ------------------------------------------------------------------ report

    private ReplayReport report(LoadedRecordings input, List<String> recordings, String hkcuSid,
                                List<RecordedOperation> ops, int[] statuses, DecisionLedger ledger,
                                DriverStats before, DriverStats after, int processes, long pidsUnknown,
                                double seconds) {
        long blocked = 0;
        long audited = 0;
        long allowed = 0;
        long outside = 0;
        long raiseFailures = 0;
        long mismatches = 0;
        List<String> mismatchExamples = new ArrayList<>();
        Map<String, long[]> perRule = new TreeMap<>();
        Map<String, Long> outsideByOperation = new TreeMap<>();
        List<ReplayReport.WouldBlock> wouldBlock = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            RecordedOperation op = ops.get(i);
            int status = statuses[i];
            if (status != STATUS_SUCCESS && status != STATUS_ACCESS_DENIED) {
                raiseFailures++;
                note(mismatchExamples, op.location() + ": the host refused the operation ("
                        + NtStatus.describe(status) + ")");
                continue;
            }
            boolean denied = status == STATUS_ACCESS_DENIED;
            DecisionLedger.Outcome outcome = ledger.outcome(i);
            if (outcome == null) {
                outside++;
                outsideByOperation.merge(op.operation().eventType(), 1L, Long::sum);
                if (denied) {
                    mismatches++;
                    note(mismatchExamples, op.location() + ": denied by the driver without a policy decision "
                            + "(no client, or fail-closed default)");
                }
                continue;
            }
            Decision d = outcome.decision();
            String rule = d.ruleName() == null ? ReplayReport.DEFAULT_RULE : d.ruleName();
            long[] counts = perRule.computeIfAbsent(rule, k -> new long[3]);
            if (d.blocks() || d.wouldBlock()) {
                blocked++;
                counts[0]++;
                wouldBlock.add(wouldBlock(op, rule, denied, d.wouldBlock()));
            } else if (d.action() == Action.AUDIT) {
                audited++;
                counts[1]++;
            } else {
                allowed++;
                counts[2]++;
            }
            if (d.blocks() != denied) {
                mismatches++;
                note(mismatchExamples, op.location() + ": policy " + (d.blocks() ? "blocks" : "allows")
                        + " but the driver " + (denied ? "denied" : "allowed") + " the call"
                        + (outcome.verdictRequested() ? " (verdict timed out?)" : " (no verdict was requested)"));
            }
        }
        Map<String, ReplayReport.Verdicts> rules = new LinkedHashMap<>();
        perRule.forEach((k, v) -> rules.put(k, new ReplayReport.Verdicts(v[0], v[1], v[2], 0)));
        ReplayReport.DriverCounts driver = new ReplayReport.DriverCounts(
                after.raised() - before.raised(),
                after.filteredOut() - before.filteredOut(),
                after.delivered() - before.delivered(),
                after.dropped() - before.dropped(),
                after.verdictsRequested() - before.verdictsRequested(),
                after.timedOut() - before.timedOut(),
                after.defaultsApplied() - before.defaultsApplied(),
                after.blocked() - before.blocked());
        long raisedOk = ops.size() - raiseFailures;
        long uncounted = raisedOk - (driver.filteredOut() + driver.delivered() + driver.dropped());
        ReplayReport.Consistency consistency = new ReplayReport.Consistency(raiseFailures, ledger.unmatched(),
                mismatches, mismatchExamples, uncounted, driver.defaultsApplied() + driver.timedOut());
        return new ReplayReport(policy.name(), policy.hash(), recordings, ops.size(),
                new ReplayReport.Verdicts(blocked, audited, allowed, outside), outsideByOperation, rules, wouldBlock,
                input.unparseable(), input.outsideClasses(), driver, consistency, processes, pidsUnknown,
                ops.stream().filter(o -> o.operation() == Operation.SET_VALUE && !o.dataKnown()).count(), hkcuSid, seconds, seconds > 0 ? ops.size() / seconds : 0);
    }

    private static void note(List<String> examples, String text) {
        if (examples.size() < MAX_MISMATCH_EXAMPLES) {
            examples.add(text);
        }
    }

    private static ReplayReport.WouldBlock wouldBlock(RecordedOperation op, String rule, boolean enforced,
                                                      boolean auditOnly) {
        boolean valueOp = op.operation() == Operation.SET_VALUE || op.operation() == Operation.DELETE_VALUE;
        String details = op.operation() == Operation.SET_VALUE
                ? (op.dataKnown() ? ValueRendering.details(op.valueType(), op.data()) : ValueRendering.BINARY_DATA)
                : "";
        return new ReplayReport.WouldBlock(op.recordedTime(), op.location(), op.image(), op.pid(), op.processGuid(),
                op.operation().eventType(), RegistryPaths.targetObject(op.keyPath(), op.valueName(), valueOp),
                details, rule, enforced, auditOnly);
    }
}
