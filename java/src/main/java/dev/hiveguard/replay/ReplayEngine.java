package dev.hiveguard.replay;

import dev.hiveguard.audit.AuditSink;
import dev.hiveguard.device.HiveGuardDevice;
import dev.hiveguard.device.ImagePaths;
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
 *
 * <p>Memory: the input is read twice and never held whole (see {@link #replay}); only a window
 * of operations, one entry per process and the capped lists of the report are in memory.
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
    /**
     * Operations raised between two drains. Large enough that the drain's pause is noise
     * (13,215 operations take about half a second), small enough that a window of operations
     * with their data is a few MiB.
     */
    static final int WINDOW_OPERATIONS = 8192;
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
     * @param input      the recordings; read twice (a survey, then the replay), never held whole
     * @param recordings the inputs' names, for the report
     * @param hkcuSid    the SID ProcMon HKCU paths were placed under, for the report
     * @throws RecordingException when an input cannot be read at all (before anything is raised)
     */
    public ReplayReport replay(RecordingSource input, List<String> recordings, String hkcuSid)
            throws InterruptedException, RecordingException {
        return replay(input, RecordingSurvey.of(input), recordings, hkcuSid);
    }

    /**
     * @param survey {@link RecordingSurvey#of} the same input, taken first so a file that is no
     *               recording is refused before anything (an audit trail) is created
     */
    public ReplayReport replay(RecordingSource input, RecordingSurvey survey, List<String> recordings,
                               String hkcuSid) throws InterruptedException, RecordingException {
        ProcessIdentities identities = survey.identities;

        Tally tally = new Tally();
        DecisionLedger ledger = new DecisionLedger(audit, policy.subscription().dataCap());
        DriverStats before;
        DriverStats after;
        long startNanos;
        long endNanos;
        try (HiveGuardDevice device = HiveGuardDevice.open()) {
            try (DecisionPump pump = new DecisionPump(device, PatientPolicy.of(policy), ledger, options.pump())) {
                pump.start();
                before = RegistrySimulator.stats();
                Raising raising = new Raising(identities, survey, ledger, tally, before);
                ProgressBar bar = options.progressFor(survey.operations)
                        ? new ProgressBar(System.err, survey.operations, raising.raised::get) : null;
                if (bar != null) {
                    bar.start();
                }
                startNanos = System.nanoTime();
                raising.clockStart = startNanos;
                try {
                    raising.run(input);
                } finally {
                    if (bar != null) {
                        bar.finish();
                    }
                }
                endNanos = System.nanoTime();
                after = RegistrySimulator.stats();
            }
        }
        ledger.flush();
        return report(survey, tally, recordings, hkcuSid, ledger, before, after, identities.processCount(),
                (endNanos - startNanos) / 1e9);
    }

    /** What the operations came to, added up window by window. */
    private static final class Tally {
        long operations;
        long blocked;
        long audited;
        long allowed;
        long outside;
        long kernelCallers;
        long raiseFailures;
        long mismatches;
        long pidsUnknown;
        long valuesHidden;
        long wouldBlockNotListed;
        final List<String> mismatchExamples = new ArrayList<>();
        final Map<String, long[]> perRule = new TreeMap<>();
        final Map<String, Long> outsideByOperation = new TreeMap<>();
        final List<ReplayReport.WouldBlock> wouldBlock = new ArrayList<>();
    }

    /** Exits the reader's callback with an interrupt, to be rethrown outside it. */
    private static final class Interrupted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Interrupted(InterruptedException cause) {
            super(cause);
        }
    }

    /**
     * Second pass: operations are gathered into windows of {@link #WINDOW_OPERATIONS}; each
     * window is raised, drained (every delivered event decided) and tallied before the next is
     * read, so at most one window of operations is in memory at a time.
     */
    private final class Raising implements RecordingVisitor {
        private final ProcessIdentities identities;
        private final RecordingSurvey survey;
        private final DecisionLedger ledger;
        private final Tally tally;
        private final DriverStats before;
        private final List<RecordedOperation> window = new ArrayList<>();
        private final List<Long> windowKeys = new ArrayList<>();
        /** Processes are dealt to raisers in order of first appearance: deterministic, one process one thread. */
        private final Map<Long, Integer> laneOfProcess = new HashMap<>();
        final AtomicLong raised = new AtomicLong();
        long clockStart;

        Raising(ProcessIdentities identities, RecordingSurvey survey, DecisionLedger ledger, Tally tally, DriverStats before) {
            this.identities = identities;
            this.survey = survey;
            this.ledger = ledger;
            this.tally = tally;
            this.before = before;
        }

        void run(RecordingSource input) throws InterruptedException, RecordingException {
            try {
                input.read(this);
                flushWindow();
            } catch (Interrupted e) {
                throw (InterruptedException) e.getCause();
            }
        }

        @Override
        public void operation(RecordedOperation recorded) {
            RecordedOperation op = identities.resolvePid(recorded);
            window.add(op);
            windowKeys.add(identities.keyFor(op));
            if (window.size() >= WINDOW_OPERATIONS) {
                try {
                    flushWindow();
                } catch (InterruptedException e) {
                    throw new Interrupted(e);
                }
            }
        }

        @Override
        public void unparseable(UnparseableRecord record) {
            // counted by the survey
        }

        @Override
        public void outsideOperationClasses(String source, long line, String toolOperation) {
            // counted by the survey
        }

        private void flushWindow() throws InterruptedException {
            if (window.isEmpty()) {
                return;
            }
            int n = window.size();
            int[] statuses = new int[n];
            ledger.startWindow(n);
            raiseAll(statuses);
            if (drain(ledger, before) < 0) {
                throw new IllegalStateException("the decision pump did not decide every delivered event within "
                        + options.drainTimeout().toSeconds() + " s (decided " + ledger.recorded() + " of "
                        + (RegistrySimulator.stats().delivered() - before.delivered()) + ")");
            }
            for (int i = 0; i < n; i++) {
                tally(window.get(i), windowKeys.get(i), statuses[i], ledger.outcome(i), tally);
            }
            window.clear();
            windowKeys.clear();
        }

        private void raiseAll(int[] statuses) throws InterruptedException {
            int raisers = options.raisers();
            List<List<Integer>> lanes = new ArrayList<>();
            for (int i = 0; i < raisers; i++) {
                lanes.add(new ArrayList<>());
            }
            for (int i = 0; i < window.size(); i++) {
                int lane = laneOfProcess.computeIfAbsent(windowKeys.get(i), k -> laneOfProcess.size() % raisers);
                lanes.get(lane).add(i);
            }
            AtomicReference<Throwable> failure = new AtomicReference<>();
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
                            RecordedOperation op = window.get(i);
                            if (options.realtime() && op.timestamp() != null) {
                                // Each recording keeps its own gaps and all start together: their clocks
                                // need not agree (a ProcMon export without dates sits in 1970).
                                Instant first = survey.firstOfSource.get(op.source());
                                sleepUntil(clockStart + (long) (Duration.between(first, op.timestamp()).toNanos()
                                        / options.speed()));
                            }
                            if (++sinceCheck >= BACKLOG_CHECK_EVERY) {
                                sinceCheck = 0;
                                while (RegistrySimulator.stats().backlogEvents() > highWater) {
                                    sleepNanos(BACKLOG_PAUSE_NANOS);
                                }
                            }
                            SimulatedOperation call = toSimulated(op, windowKeys.get(i));
                            ledger.expect(i, call);
                            // The core gets the image as a kernel would report it, so its volume map
                            // (the pump sends ImagePaths' simulated one) derives Sysmon's form itself;
                            // the pump turns the delivered event's image back into the recorded one.
                            statuses[i] = RegistrySimulator.raise(
                                    call.withImage(ImagePaths.simulatedKernelPath(call.image())));
                            raised.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "hiveguard-replay-raiser-" + l);
                t.setDaemon(true);
                threads.add(t);
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
            if (failure.get() != null) {
                throw new IllegalStateException("replay raiser failed: " + failure.get(), failure.get());
            }
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

    /** One operation of a window, with what the driver and the pump made of it. */
    private void tally(RecordedOperation op, long processKey, int status, DecisionLedger.Outcome outcome, Tally t) {
        t.operations++;
        if (op.pid() == ProcessIdentities.PID_NONE) {
            t.pidsUnknown++;
        }
        if (op.operation() == Operation.SET_VALUE && !op.dataKnown()) {
            t.valuesHidden++;
        }
        if (status != STATUS_SUCCESS && status != STATUS_ACCESS_DENIED) {
            t.raiseFailures++;
            note(t.mismatchExamples, op.location() + ": the host refused the operation ("
                    + NtStatus.describe(status) + ")");
            return;
        }
        boolean denied = status == STATUS_ACCESS_DENIED;
        if (outcome == null) {
            if (toSimulated(op, processKey).kernelCaller() && !policy.subscription().includeKernelCallers()) {
                t.kernelCallers++;
            } else {
                t.outside++;
                t.outsideByOperation.merge(op.operation().eventType(), 1L, Long::sum);
            }
            if (denied) {
                t.mismatches++;
                note(t.mismatchExamples, op.location() + ": denied by the driver without a policy decision "
                        + "(no client, or fail-closed default)");
            }
            return;
        }
        Decision d = outcome.decision();
        String rule = d.ruleName() == null ? ReplayReport.DEFAULT_RULE : d.ruleName();
        long[] counts = t.perRule.computeIfAbsent(rule, k -> new long[3]);
        if (d.blocks() || d.wouldBlock()) {
            t.blocked++;
            counts[0]++;
            if (t.wouldBlock.size() < ReplayReport.MAX_LISTED) {
                t.wouldBlock.add(wouldBlock(op, rule, denied, d.wouldBlock()));
            } else {
                t.wouldBlockNotListed++;
            }
        } else if (d.action() == Action.AUDIT) {
            t.audited++;
            counts[1]++;
        } else {
            t.allowed++;
            counts[2]++;
        }
        if (d.blocks() != denied) {
            t.mismatches++;
            note(t.mismatchExamples, op.location() + ": policy " + (d.blocks() ? "blocks" : "allows")
                    + " but the driver " + (denied ? "denied" : "allowed") + " the call"
                    + (outcome.verdictRequested() ? " (verdict timed out?)" : " (no verdict was requested)"));
        }
    }

    private ReplayReport report(RecordingSurvey survey, Tally t, List<String> recordings, String hkcuSid,
                                DecisionLedger ledger, DriverStats before, DriverStats after, int processes,
                                double seconds) {
        Map<String, ReplayReport.Verdicts> rules = new LinkedHashMap<>();
        t.perRule.forEach((k, v) -> rules.put(k, new ReplayReport.Verdicts(v[0], v[1], v[2], 0)));
        ReplayReport.DriverCounts driver = new ReplayReport.DriverCounts(
                after.raised() - before.raised(),
                after.filteredOut() - before.filteredOut(),
                after.delivered() - before.delivered(),
                after.dropped() - before.dropped(),
                after.verdictsRequested() - before.verdictsRequested(),
                after.timedOut() - before.timedOut(),
                after.defaultsApplied() - before.defaultsApplied(),
                after.blocked() - before.blocked());
        long raisedOk = t.operations - t.raiseFailures;
        long uncounted = raisedOk - (driver.filteredOut() + driver.delivered() + driver.dropped());
        ReplayReport.Consistency consistency = new ReplayReport.Consistency(t.raiseFailures, ledger.unmatched(),
                t.mismatches, t.mismatchExamples, uncounted, driver.defaultsApplied() + driver.timedOut());
        return new ReplayReport(policy.name(), policy.hash(), recordings, t.operations,
                new ReplayReport.Verdicts(t.blocked, t.audited, t.allowed, t.outside, t.kernelCallers),
                t.outsideByOperation, rules, t.wouldBlock, t.wouldBlockNotListed, survey.unparseable,
                survey.unparseableTotal, survey.outsideClasses, driver, consistency, processes, t.pidsUnknown,
                t.valuesHidden, hkcuSid, seconds, seconds > 0 ? t.operations / seconds : 0);
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
