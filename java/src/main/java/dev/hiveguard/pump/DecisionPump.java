package dev.hiveguard.pump;

import dev.hiveguard.audit.AuditSink;
import dev.hiveguard.device.DeviceException;
import dev.hiveguard.device.HiveGuardDevice;
import dev.hiveguard.device.ImagePaths;
import dev.hiveguard.device.IoRequest;
import dev.hiveguard.device.IoResult;
import dev.hiveguard.device.Win32Error;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.Decision;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.wire.DriverStats;
import dev.hiveguard.wire.EventBatch;
import dev.hiveguard.wire.HelloReply;
import dev.hiveguard.wire.RegistryGuard;
import dev.hiveguard.wire.ReplyEntry;
import dev.hiveguard.wire.ReplyMessage;
import dev.hiveguard.wire.ReplyResult;
import dev.hiveguard.wire.Wire;
import dev.hiveguard.wire.WireFormatException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's decision loop over an open {@link HiveGuardDevice}.
 *
 * <p>Path of an event: the driver completes one of N parked GET_EVENTS requests with a
 * batch and the device's completion thread hands the request here; the completed bytes
 * are copied once onto the heap and their headers checked ({@link EventBatch#decode}),
 * after which the request's buffer is free again. Strings and data are decoded from that
 * copy only when first read: the policy pays for the fields its rules test, the audit
 * writer for what it writes, on its own thread. Then one of two paths:
 * <ul>
 * <li><b>Verdicts due</b> (some caller of the batch waits in the kernel): the policy is
 * asked about every event on this same thread, and the verdicts of every batch the same
 * dequeue returned go out in one REPLY that completes inside the call (no completion
 * packet, so no thread waits for a packet of its own); then those requests are
 * re-parked (the last parked one before deciding, so a request is always waiting). A
 * caller's answer therefore crosses no thread hand-off. Only then is the batch's audit work queued for
 * a decision thread; when that queue already holds {@link #AUDIT_BACKLOG_MAX_EVENTS}
 * events the audit records of the batch are shed, counted and reported, never the
 * verdicts: waiting callers come first.</li>
 * <li><b>Audit only</b> (a walk over the event headers finds no verdict due): the batch's
 * bytes are queued undecoded for a decision thread, which decodes, decides and audits
 * them, and the request is re-parked - unless {@code handoffCapacity} such batches are already queued, in
 * which case it is held back. That is the back-pressure: when the policy or the audit
 * trail is slower than the registry, requests stop going back to the driver, its
 * bounded backlog fills and it drops and counts, instead of this process queueing
 * without bound.</li>
 * </ul>
 * Audit records are written in arrival order by one thread at a time: a decided batch
 * is left for the writer, and no thread waits for another's batch ({@link #auditInOrder}).
 * Before serving, the policy and the decoding path are run on synthetic events so the
 * first real callers are not judged by the interpreter. Nothing here touches the registry.
 *
 * <p>The device is owned by the caller; close the pump first, then the device.
 */
public final class DecisionPump implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DecisionPump.class);

    /** Decision threads wake at least this often to re-park held requests and notice close(). */
    static final long WORKER_POLL_MS = 100;
    /**
     * While verdict audits arrive, the first decision thread looks for them this often (the
     * others are woken by audit-only batches): audit records trail their verdicts by at most
     * this, and a timed wake-up costs a context switch on a machine that is busy anyway.
     */
    static final long AUDIT_POLL_MS = 5;
    /** Idle polls after which the first decision thread falls back to WORKER_POLL_MS (one second). */
    static final int AUDIT_IDLE_POLLS = 200;

    private enum State { NEW, RUNNING, STOPPING, CLOSED }

    /**
     * Audit records of verdict batches received but not yet written, at most: they hold their
     * batches' byte copies (an event's wire size each, ~300 bytes typically), so tens of MiB,
     * a few seconds of a saturated audit trail. Beyond it the
     * records of plain allows are shed (counted) rather than holding a request back; blocks,
     * rule matches and would-blocks are kept up to twice this.
     */
    static final int AUDIT_BACKLOG_MAX_EVENTS = 65_536;
    /** Synthetic decisions run through the policy before serving: past the JIT's C2 threshold. */
    static final int WARMUP_DECISIONS = 30_000;

    /**
     * Work for a decision thread: an audit-only batch to decode, decide and audit
     * ({@code decided} null; {@code undecoded} holds its completed bytes, {@code events}
     * is null), or a verdict batch already decided and answered whose records are due.
     * {@code seq} orders the audit records: they are written in the order the batches
     * arrived, whichever thread handles them.
     */
    private record PendingBatch(long seq, List<RegistryEvent> events, byte[] undecoded, long receivedNanos,
                                Decision[] decided, boolean replied, long latencyNanos, boolean auditOnly) {
    }

    private static final PendingBatch STOP = new PendingBatch(-1, List.of(), null, 0, null, false, 0, false);

    private final HiveGuardDevice device;
    private final AuditSink audit;
    private final PumpOptions options;
    private final AtomicReference<Policy> policy;
    private final ImagePaths imagePaths;
    private final Duration volumePollInterval;
    /**
     * Rules and the audit trail speak C:\..., the kernel reports \Device\HarddiskVolumeN\...:
     * applied when an event's image is first read, so a policy that never tests the image
     * never decodes or translates it.
     */
    private final UnaryOperator<String> imageTranslation;
    private final Object policyLock = new Object();

    /** Guards parking decisions: state, held, and the hold-or-park choice after a hand-off. */
    private final Object parkLock = new Object();
    private final Deque<IoRequest> held = new ArrayDeque<>();
    private final List<IoRequest> getEventsRequests = new ArrayList<>();
    /**
     * The decision threads' work, in arrival order: audit-only batches (bounded by
     * auditOnlyQueued), audit records of answered verdict batches (bounded by
     * auditBacklogEvents), and STOP. An audit-only batch wakes a thread ({@link #workSignal});
     * verdict audit records are added without waking anyone - a wake-up per answered batch
     * would cost the completion thread a futex call and the machine a context switch per
     * verdict - and the first decision thread looks for them every {@link #AUDIT_POLL_MS}
     * while there is traffic.
     */
    private final ConcurrentLinkedQueue<PendingBatch> work = new ConcurrentLinkedQueue<>();
    private final Semaphore workSignal = new Semaphore(0);
    /** Orders additions to work with their seq. */
    private final Object workLock = new Object();
    private long nextSeq;
    /**
     * Audit records are written in arrival order (seq) by one thread at a time, and no
     * thread ever waits for another's batch: a decided batch is left in auditReady, and
     * whichever thread finds the writer role free writes every consecutive batch that is
     * ready. A batch decided ahead of an earlier one is simply left there for the thread
     * that finishes the earlier one. Guarded by auditOrderLock (held only to take or leave
     * a batch, never while writing).
     */
    private final Object auditOrderLock = new Object();
    private final Map<Long, PendingBatch> auditReady = new HashMap<>();
    private long auditNext;
    private boolean auditWriting;
    private final AtomicInteger verdictAuditBatches = new AtomicInteger();
    /** Audit-only batches queued (the back-pressure gauge), guarded by parkLock. */
    private int auditOnlyQueued;
    /** Events of verdict batches whose audit records are queued. */
    private final AtomicInteger auditBacklogEvents = new AtomicInteger();
    /** Used by the completion thread only: verdicts are answered there. */
    private IoRequest inlineReply;
    private final List<Thread> workers = new ArrayList<>();
    private final Object returnMonitor = new Object();
    private volatile State state = State.NEW;
    private volatile HelloReply hello;
    /**
     * The pump's periodic jobs on one daemon thread: the volume poll (every {@link #VOLUME_POLL};
     * a changed table re-sends CONFIGURE) and, when enabled, the metrics log line.
     */
    private ScheduledExecutorService timers;
    /**
     * How often the drive-letter table is re-read (26 QueryDosDevice calls): a volume mounted
     * meanwhile is "unmapped" for the driver - delivered, never hidden - so a short delay costs
     * only precision; a letter moved to another volume is corrected within this interval.
     */
    static final Duration VOLUME_POLL = Duration.ofSeconds(15);

    // ---- metrics ---------------------------------------------------------------
    private final LatencyHistogram latency = new LatencyHistogram();
    private final AtomicInteger parked = new AtomicInteger();
    /**
     * GET_EVENTS submitted whose completion handler has not finished. Not the same as
     * IoRequest.inFlight(): a request stops being in flight before its handler runs,
     * and close() must not queue STOP ahead of a batch that handler is about to hand off.
     */
    private final AtomicInteger outstanding = new AtomicInteger();
    private final LongAdder eventsReceived = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final LongAdder eventsWithoutVerdict = new LongAdder();
    private final LongAdder replies = new LongAdder();
    private final LongAdder repliesAccepted = new LongAdder();
    private final LongAdder repliesUnknown = new LongAdder();
    private final LongAdder repliesLate = new LongAdder();
    private final LongAdder repliesDuplicate = new LongAdder();
    private final LongAdder replyFailures = new LongAdder();
    private final LongAdder malformedBatches = new LongAdder();
    private final LongAdder policyErrors = new LongAdder();
    private final LongAdder auditErrors = new LongAdder();
    private final LongAdder auditShed = new LongAdder();
    private final Map<Action, LongAdder> decisions = new EnumMap<>(Action.class);
    private final Map<Verdict, LongAdder> verdicts = new EnumMap<>(Verdict.class);
    private volatile Instant startedAt;
    private volatile long startNanos;
    private volatile long rateSampleNanos;
    private volatile long rateSampleEvents;
    private volatile double lastRate = Double.NaN;

    public DecisionPump(HiveGuardDevice device, Policy policy, AuditSink audit, PumpOptions options) {
        this(device, policy, audit, options, ImagePaths.forThisMachine(), VOLUME_POLL);
    }

    /** The same with the drive-letter table and its poll interval given (tests move a letter). */
    DecisionPump(HiveGuardDevice device, Policy policy, AuditSink audit, PumpOptions options, ImagePaths imagePaths,
                 Duration volumePollInterval) {
        this.imagePaths = Objects.requireNonNull(imagePaths, "imagePaths");
        this.imageTranslation = imagePaths::toWin32;
        this.volumePollInterval = Objects.requireNonNull(volumePollInterval, "volumePollInterval");
        this.device = Objects.requireNonNull(device, "device");
        this.policy = new AtomicReference<>(Objects.requireNonNull(policy, "policy"));
        this.audit = Objects.requireNonNull(audit, "audit");
        this.options = Objects.requireNonNull(options, "options");
        for (Action a : Action.values()) {
            decisions.put(a, new LongAdder());
        }
        for (Verdict v : Verdict.values()) {
            verdicts.put(v, new LongAdder());
        }
    }

    /**
     * HELLO (the driver must speak this agent's wire major version), CONFIGURE with
     * the policy's subscription, then park the GET_EVENTS requests.
     *
     * @throws DeviceException          when the device refuses HELLO, CONFIGURE or a request
     * @throws IllegalStateException    on a wire version mismatch or a second start
     * @throws IllegalArgumentException when the options exceed the driver's limits
     */
    public synchronized void start() {
        if (state != State.NEW) {
            throw new IllegalStateException("decision pump already " + state.name().toLowerCase());
        }
        HelloReply h = device.hello();
        requireWireVersion(h.versionMajor(), h.versionMinor());
        RegistryGuard guard = RegistryGuard.of(h);
        if (!guard.canServe()) {
            throw new IllegalStateException("the driver reports no registered registry callback (HELLO capabilities 0x"
                    + Integer.toHexString(h.capabilities()) + "): it sees no registry operation, so this agent "
                    + "would guard nothing; refusing to serve. Check the driver's log (CmRegisterCallbackEx)");
        }
        if (guard == RegistryGuard.SIMULATOR) {
            LOG.warn("registry callback: {}", guard.description());
        }
        options.checkAgainst(h);
        Policy p = policy.get();
        device.configure(withVolumeMap(p));
        warmUp(p);
        device.onDequeueGroupEnd(this::answerDecided);
        inlineReply = newReplyRequest();
        hello = h;
        startedAt = Instant.now();
        startNanos = System.nanoTime();
        rateSampleNanos = startNanos;
        for (int i = 0; i < options.parkedRequests(); i++) {
            getEventsRequests.add(device.newRequest(0, options.bufferBytes()));
        }
        for (int i = 0; i < options.decisionThreads(); i++) {
            boolean pollsAudits = i == 0;
            Thread t = new Thread(() -> decisionLoop(pollsAudits), "hiveguard-decide-" + i);
            t.setDaemon(true);
            workers.add(t);
        }
        synchronized (parkLock) {
            state = State.RUNNING;
        }
        workers.forEach(Thread::start);
        synchronized (parkLock) {
            for (IoRequest r : getEventsRequests) {
                park(r);
            }
        }
        if (parked.get() == 0) {
            close();
            throw new DeviceException("parking GET_EVENTS", Win32Error.ERROR_NOT_READY.code(),
                    "- no request could be parked; see the log for the device's answer.");
        }
        timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "hiveguard-timers");
            t.setDaemon(true);
            return t;
        });
        timers.scheduleWithFixedDelay(this::resendIfVolumesChanged, volumePollInterval.toMillis(),
                volumePollInterval.toMillis(), TimeUnit.MILLISECONDS);
        Duration every = options.metricsLogInterval();
        if (!every.isZero()) {
            timers.scheduleAtFixedRate(this::logMetrics, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        }
        LOG.info("decision pump started: driver wire {}.{}, instance {}, capabilities 0x{}, policy {} ({}), "
                        + "{} parked x {} bytes, {} decision threads", h.versionMajor(), h.versionMinor(),
                Long.toHexString(h.instanceId()), Integer.toHexString(h.capabilities()), p.name(), p.hash(),
                options.parkedRequests(), options.bufferBytes(), options.decisionThreads());
    }

    /**
     * The driver must speak this agent's major version and at least its minor: CONFIGURE always
     * carries this minor's fields (the volume map since minor 2), which an older driver refuses
     * as reserved-but-set - better one clear message at start than a CONFIGURE error. A newer
     * driver serves this agent (what an older minor sends is valid in every later one).
     */
    static void requireWireVersion(int driverMajor, int driverMinor) {
        if (driverMajor != Wire.VERSION_MAJOR || driverMinor < Wire.VERSION_MINOR) {
            throw new IllegalStateException("the driver speaks wire version " + driverMajor + "." + driverMinor
                    + ", this agent " + Wire.VERSION_MAJOR + "." + Wire.VERSION_MINOR
                    + (driverMajor == Wire.VERSION_MAJOR ? " (its CONFIGURE needs a driver of at least this minor)" : "")
                    + ": install a matching agent and driver");
        }
    }

    /**
     * The policy's subscription with this machine's volume map (wire minor 2), so the driver
     * matches IMAGE entries against the image as Sysmon prints it.
     */
    private Subscription withVolumeMap(Policy p) {
        return p.subscription().withVolumes(imagePaths.volumes());
    }

    /** The volume poll: a changed drive-letter table makes the driver's map stale, so CONFIGURE again. */
    private void resendIfVolumesChanged() {
        try {
            if (!imagePaths.refresh()) {
                return;
            }
            synchronized (policyLock) {
                if (state == State.RUNNING) {
                    device.configure(withVolumeMap(policy.get()));
                    LOG.info("volume table changed: CONFIGURE re-sent with {} volume(s)", imagePaths.volumes().size());
                }
            }
        } catch (RuntimeException e) {
            // The previous configuration stays in force; an unmapped image is delivered, never hidden.
            LOG.warn("re-sending CONFIGURE after a volume change failed: {}", e.toString());
        }
    }

    /** Key paths of the warm-up events: machine and user hives, autostart and service keys. */
    private static final String[] WARMUP_KEYS = {
        "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
        "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\HiveGuardWarmUp\\Parameters",
        "\\REGISTRY\\USER\\S-1-5-21-1004336348-1177238915-682003330-1001\\Software\\Classes\\CLSID\\"
                + "{00000000-0000-0000-0000-000000000000}\\InprocServer32",
        "\\REGISTRY\\MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows Defender",
        "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options"
                + "\\notepad.exe",
    };
    private static final String[] WARMUP_IMAGES = {
        "\\Device\\HarddiskVolume3\\Windows\\System32\\reg.exe",
        "C:\\Program Files\\Vendor\\updater.exe",
        "",
    };

    /**
     * Runs {@code warmUpDecisions} synthetic events of every operation class through the
     * policy and the image-path normalisation, so the JIT has compiled them before the
     * first caller waits. Nothing is counted, audited or sent to the driver.
     */
    private void warmUp(Policy p) {
        int n = options.warmUpDecisions();
        if (n == 0) {
            return;
        }
        long t0 = System.nanoTime();
        Operation[] ops = Operation.values();
        List<RegistryEvent> batch = new ArrayList<>(ops.length);
        byte[] data = {1, 0, 0, 0};
        Instant now = Instant.now();
        int decided = 0;
        int failed = 0;
        for (int i = 0; decided < n; i++) {
            batch.clear();
            for (int k = 0; k < ops.length && decided + batch.size() < n; k++) {
                boolean verdict = ((i + k) & 1) == 0;
                // Built the way a driver batch is (strings decoded on first use, the image
                // translated then), so the compiled code is the code real events run.
                batch.add(warmUpEvent(verdict ? i * 64L + k + 1 : 0, i, now, ops[k],
                        verdict ? RegistryEvent.F_VERDICT_REQUESTED : 0, 4242 + k,
                        WARMUP_KEYS[(i + k) % WARMUP_KEYS.length], "Value" + (k & 3),
                        WARMUP_IMAGES[i % WARMUP_IMAGES.length], data));
            }
            for (RegistryEvent e : batch) {
                try {
                    Decision d = p.decide(e);
                    if (d == null) {
                        failed++;
                    }
                } catch (RuntimeException ex) {
                    failed++;
                }
            }
            decided += batch.size();
        }
        LOG.info("warm-up: {} synthetic decisions in {} ms{}", decided,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                failed == 0 ? "" : " (" + failed + " failed; the policy will be asked again for real events)");
    }

    private RegistryEvent warmUpEvent(long id, long sequence, Instant now, Operation op, int flags, long pid,
                                      String key, String valueName, String image, byte[] data) {
        byte[] k = key.getBytes(StandardCharsets.UTF_16LE);
        byte[] v = valueName.getBytes(StandardCharsets.UTF_16LE);
        byte[] img = image.getBytes(StandardCharsets.UTF_16LE);
        byte[] sid = "S-1-5-18".getBytes(StandardCharsets.UTF_16LE);
        byte[] all = new byte[k.length + v.length + img.length + sid.length + data.length];
        int at = 0;
        for (byte[] part : new byte[][] {k, v, img, sid, data}) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return RegistryEvent.fromWire(id, sequence, now, op, flags, pid, 7, 1, 5_000, 4, data.length, all, 0,
                k.length, v.length, 0, img.length, sid.length, data.length, imageTranslation);
    }

    /** The driver's HELLO reply, once started. */
    public HelloReply hello() {
        return hello;
    }

    public Policy policy() {
        return policy.get();
    }

    /**
     * Swaps the policy: the driver is re-CONFIGUREd with the new subscription first,
     * so a subscription the driver rejects leaves the old policy in force.
     */
    public void setPolicy(Policy next) {
        Objects.requireNonNull(next, "policy");
        synchronized (policyLock) {
            State s = state;
            if (s == State.STOPPING || s == State.CLOSED) {
                throw new IllegalStateException("decision pump is " + s.name().toLowerCase());
            }
            if (s == State.RUNNING) {
                device.configure(withVolumeMap(next));
            }
            Policy previous = policy.getAndSet(next);
            LOG.info("policy {} ({}) replaced by {} ({})", previous.name(), previous.hash(), next.name(),
                    next.hash());
        }
    }

    /** Caller holds parkLock. */
    private void park(IoRequest r) {
        parked.incrementAndGet();
        outstanding.incrementAndGet();
        try {
            device.submit(r, Wire.IOCTL_GET_EVENTS, 0, options.bufferBytes(), this::onEvents);
        } catch (DeviceException | IllegalStateException e) {
            parked.decrementAndGet();
            outstanding.decrementAndGet();
            LOG.error("cannot park GET_EVENTS: {}", e.getMessage());
        }
    }

    /**
     * Completion thread: decode; a batch with verdicts due is re-parked, decided and
     * answered here, an audit-only batch is handed off (re-park or hold). Blocks only as
     * long as the policy takes.
     */
    private void onEvents(IoRequest r, IoResult result) {
        parked.decrementAndGet();
        boolean answered = true;
        try {
            if (!result.succeeded()) {
                if (!result.cancelled()) {
                    LOG.error("GET_EVENTS completed with {}; request not re-parked", result);
                }
                return;
            }
            long received = System.nanoTime();
            // One bulk copy: the request's buffer is free from here on, whatever happens next.
            byte[] completed = EventBatch.copyOf(r.output(result.bytes()));
            List<RegistryEvent> events = null;
            byte[] handOff = null;
            if (!EventBatch.mayRequestVerdict(completed)) {
                // Nobody waits: the headers were walked; decoding, deciding and auditing are a
                // decision thread's work, so this thread re-parks at once.
                handOff = completed;
            } else {
                try {
                    events = EventBatch.decodeOwned(completed, imageTranslation).events();
                    batches.increment();
                    eventsReceived.add(events.size());
                } catch (WireFormatException e) {
                    malformedBatches.increment();
                    LOG.error("malformed GET_EVENTS completion of {} bytes dropped (its callers get the fail mode): {}",
                            result.bytes(), e.getMessage());
                }
            }
            if (events != null && anyVerdictDue(events)) {
                // The bytes were copied, so the request could go back at once. Answering first
                // shortens this batch's callers' wait by one DeviceIoControl; but when this was
                // the last parked request, park first, or the next caller would get the default.
                boolean parkFirst = parked.get() <= 1;
                if (parkFirst) {
                    reparkWhileRunning(r);
                }
                decideForReply(events, received, parkFirst ? null : r);
                answered = false; // answered, re-parked and counted as returned by answerDecided()
                return;
            }
            synchronized (parkLock) {
                if (handOff != null) {
                    enqueueUndecoded(handOff, received);
                    auditOnlyQueued++;
                    workSignal.release();
                }
                if (state == State.RUNNING) {
                    if (auditOnlyQueued < options.handoffCapacity()) {
                        park(r);
                    } else {
                        held.addLast(r);
                    }
                }
            }
        } finally {
            if (answered) {
                returned(1);
            }
        }
    }

    /** Handlers finished with {@code n} completed GET_EVENTS (close() waits for all of them). */
    private void returned(int n) {
        synchronized (returnMonitor) {
            outstanding.addAndGet(-n);
            returnMonitor.notifyAll();
        }
    }

    private void reparkWhileRunning(IoRequest r) {
        synchronized (parkLock) {
            if (state == State.RUNNING) {
                park(r);
            }
        }
    }

    private static boolean anyVerdictDue(List<RegistryEvent> events) {
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).verdictRequested()) {
                return true;
            }
        }
        return false;
    }

    /**
     * A batch's records are written: only now does it stop counting against the hand-off
     * and the audit backlog, so the batches decided but still waiting for the writer (in
     * auditReady) are bounded too, and shedding or holding back starts when the writer -
     * not the policy - is behind.
     */
    private void written(PendingBatch b) {
        if (b.auditOnly()) {
            releaseHeld(true);
        } else {
            verdictAuditBatches.decrementAndGet();
            auditBacklogEvents.addAndGet(-b.events().size());
        }
    }

    /** An audit-only batch is written (or none); re-park what was held while the hand-off was full. */
    private void releaseHeld(boolean wroteAuditOnly) {
        synchronized (parkLock) {
            if (wroteAuditOnly) {
                auditOnlyQueued--;
            }
            while (state == State.RUNNING && !held.isEmpty() && auditOnlyQueued < options.handoffCapacity()) {
                park(held.pollFirst());
            }
        }
    }

    private IoRequest newReplyRequest() {
        return device.newRequest(ReplyMessage.encodedSize(options.replyBatchMax()), Wire.REPLY_RESULT_BYTES);
    }

    /** Adds work with the next audit sequence number. */
    private void enqueueUndecoded(byte[] completed, long receivedNanos) {
        synchronized (workLock) {
            work.add(new PendingBatch(nextSeq++, null, completed, receivedNanos, null, false, 0, true));
        }
    }

    private void decisionLoop(boolean pollsAudits) {
        IoRequest reply = newReplyRequest();
        List<ReplyEntry> entries = new ArrayList<>();
        int idlePolls = AUDIT_IDLE_POLLS;
        while (true) {
            PendingBatch next = work.poll();
            if (next == null) {
                releaseHeld(false);
                try {
                    workSignal.tryAcquire(pollsAudits && idlePolls < AUDIT_IDLE_POLLS ? AUDIT_POLL_MS
                            : WORKER_POLL_MS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                idlePolls = Math.min(idlePolls + 1, AUDIT_IDLE_POLLS);
                continue;
            }
            if (next == STOP) {
                return;
            }
            idlePolls = 0;
            if (next.auditOnly()) {
                if (reply.inFlight()) {
                    // A REPLY whose call never returned cleanly: its memory stays with the device.
                    reply = newReplyRequest();
                }
                decide(next, reply, entries);
            } else {
                auditInOrder(next);
            }
        }
    }

    /**
     * Leaves {@code done} (decided, with its verdicts sent) for the audit trail and, unless
     * another thread is writing, writes every batch that is next in arrival order.
     */
    private void auditInOrder(PendingBatch done) {
        synchronized (auditOrderLock) {
            auditReady.put(done.seq(), done);
            if (auditWriting) {
                return;
            }
            auditWriting = true;
        }
        boolean released = false;
        try {
            while (true) {
                PendingBatch next;
                synchronized (auditOrderLock) {
                    next = auditReady.remove(auditNext);
                    if (next == null) {
                        auditWriting = false;
                        released = true;
                        return;
                    }
                    auditNext++;
                }
                auditAll(next.events(), next.decided(), next.replied(), next.latencyNanos());
                written(next);
            }
        } finally {
            if (!released) {
                // An Error out of the audit sink: give the role back so later batches are not stranded.
                synchronized (auditOrderLock) {
                    auditWriting = false;
                }
            }
        }
    }

    /**
     * A batch with verdicts due, decided on the completion thread and waiting for the
     * REPLY that answers every batch of the same dequeue ({@link #answerDecided}).
     *
     * @param repark the request to re-park after the REPLY, or null when it already was
     */
    private record Decided(long seq, List<RegistryEvent> events, long receivedNanos, Decision[] decisions,
                           IoRequest repark) {
    }

    /** Completion thread only: batches decided since the last REPLY, and their verdicts in order. */
    private final List<Decided> decidedBatches = new ArrayList<>();
    private final List<ReplyEntry> pendingEntries = new ArrayList<>();

    /**
     * Completion thread, verdicts due: asks the policy about every event and adds the
     * verdicts to the REPLY that goes out once every packet of this dequeue is handled -
     * one REPLY for all the batches the driver completed together, not one per batch.
     */
    private void decideForReply(List<RegistryEvent> events, long receivedNanos, IoRequest repark) {
        int due = 0;
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).verdictRequested()) {
                due++;
            }
        }
        if (pendingEntries.size() + due > options.replyBatchMax()) {
            answerDecided();
        }
        long seq;
        synchronized (workLock) {
            seq = nextSeq++; // the audit records keep this batch's place in arrival order
        }
        Decision[] decided = decideAll(events, pendingEntries);
        decidedBatches.add(new Decided(seq, events, receivedNanos, decided, repark));
    }

    /**
     * Completion thread, end of a dequeue (or a full REPLY): one REPLY with every verdict
     * decided since the last, then re-park those requests and queue their audit records
     * (or shed them, counted).
     */
    private void answerDecided() {
        if (decidedBatches.isEmpty()) {
            return;
        }
        try {
            if (inlineReply.inFlight()) {
                inlineReply = newReplyRequest();
            }
            boolean sent = sendReply(inlineReply, pendingEntries);
            long now = System.nanoTime();
            for (int i = 0; i < decidedBatches.size(); i++) {
                Decided d = decidedBatches.get(i);
                latency.record(now - d.receivedNanos(), d.decisions().length);
            }
            for (int i = 0; i < decidedBatches.size(); i++) {
                Decided d = decidedBatches.get(i);
                if (d.repark() != null) {
                    reparkWhileRunning(d.repark());
                }
            }
            for (int i = 0; i < decidedBatches.size(); i++) {
                Decided d = decidedBatches.get(i);
                queueVerdictAudit(d, sent, now - d.receivedNanos());
            }
        } finally {
            int n = decidedBatches.size();
            decidedBatches.clear();
            pendingEntries.clear();
            returned(n);
        }
    }

    private void queueVerdictAudit(Decided d, boolean sent, long latencyNanos) {
        List<RegistryEvent> events = d.events();
        Decision[] decisions = d.decisions();
        int n = events.size();
        if (auditBacklogEvents.addAndGet(n) > AUDIT_BACKLOG_MAX_EVENTS) {
            auditBacklogEvents.addAndGet(-n);
            // Shed the plain allows first: a block, an audit rule's match or a would-block is
            // what the trail is for, and it is rare; those are kept up to twice the bound.
            List<RegistryEvent> kept = new ArrayList<>();
            List<Decision> keptDecisions = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (worthKeeping(decisions[i])) {
                    // Detached: a kept record must not hold its whole shed batch's bytes.
                    kept.add(events.get(i).detached());
                    keptDecisions.add(decisions[i]);
                }
            }
            int keep = kept.size();
            if (keep > 0 && auditBacklogEvents.addAndGet(keep) > 2 * AUDIT_BACKLOG_MAX_EVENTS) {
                auditBacklogEvents.addAndGet(-keep);
                keep = 0;
            }
            long before = auditShed.sum();
            auditShed.add(n - keep);
            if (before == 0 && keep < n) {
                LOG.warn("the audit trail is behind the verdicts: audit records of answered events are being "
                        + "shed, plain allows first (counted as auditShed in the pump status)");
            }
            // The batch keeps its place in the order even when empty, or every later batch would wait for it.
            verdictAuditBatches.incrementAndGet();
            work.add(keep == 0
                    ? new PendingBatch(d.seq(), List.of(), null, d.receivedNanos(), new Decision[0], sent, latencyNanos,
                            false)
                    : new PendingBatch(d.seq(), kept, null, d.receivedNanos(), keptDecisions.toArray(new Decision[0]),
                            sent, latencyNanos, false));
            return;
        }
        verdictAuditBatches.incrementAndGet();
        work.add(new PendingBatch(d.seq(), events, null, d.receivedNanos(), decisions, sent, latencyNanos,
                false));
    }

    /** A record the trail must not lose to load: anything but an allow no rule asked to log. */
    private static boolean worthKeeping(Decision d) {
        return d.action() != Action.ALLOW || d.ruleName() != null || d.wouldBlock();
    }

    /** Decides every event, appending the verdicts due to {@code entries}. */
    private Decision[] decideAll(List<RegistryEvent> events, List<ReplyEntry> entries) {
        Policy p = policy.get();
        Decision[] decided = new Decision[events.size()];
        for (int i = 0; i < decided.length; i++) {
            RegistryEvent e = events.get(i);
            decided[i] = decideSafely(p, e);
            decisions.get(decided[i].action()).increment();
            if (e.verdictRequested()) {
                entries.add(new ReplyEntry(e.id(), verdictOf(decided[i])));
            } else {
                eventsWithoutVerdict.increment();
            }
        }
        return decided;
    }

    /** One REPLY for every verdict in entries; false when none was sent or the device refused it. */
    private boolean sendReply(IoRequest replyRequest, List<ReplyEntry> entries) {
        if (entries.isEmpty()) {
            return false;
        }
        try {
            ReplyResult rr = device.reply(replyRequest, entries);
            replies.increment();
            repliesAccepted.add(rr.accepted());
            repliesUnknown.add(rr.unknown());
            repliesLate.add(rr.late());
            repliesDuplicate.add(rr.duplicate());
            for (int i = 0; i < entries.size(); i++) {
                verdicts.get(entries.get(i).verdict()).increment();
            }
            return true;
        } catch (DeviceException | WireFormatException | IllegalStateException e) {
            replyFailures.increment();
            LOG.error("REPLY with {} verdicts failed; the driver applies the fail mode to them: {}",
                    entries.size(), e.getMessage());
            return false;
        }
    }

    /** Decision thread, audit-only batch (a verdict may still be in it on the close path). */
    private void decide(PendingBatch pending, IoRequest replyRequest, List<ReplyEntry> entries) {
        List<RegistryEvent> events = List.of();
        Decision[] decided = null;
        boolean sent = false;
        long latencyNanos = 0;
        try {
            events = pending.events();
            if (events == null) {
                events = decodeHandedOff(pending.undecoded());
            }
            entries.clear();
            decided = decideAll(events, entries);
            sent = sendReply(replyRequest, entries);
            latencyNanos = System.nanoTime() - pending.receivedNanos();
            latency.record(latencyNanos, decided.length);
        } finally {
            // Always leave the batch, so a failure here cannot hold up every later batch's records.
            auditInOrder(new PendingBatch(pending.seq(), decided == null ? List.of() : events, null,
                    pending.receivedNanos(), decided == null ? new Decision[0] : decided, sent, latencyNanos, true));
        }
    }

    /** Decision thread: the full decode of a batch the completion thread only walked; empty when malformed. */
    private List<RegistryEvent> decodeHandedOff(byte[] completed) {
        try {
            List<RegistryEvent> events = EventBatch.decodeOwned(completed, imageTranslation).events();
            batches.increment();
            eventsReceived.add(events.size());
            return events;
        } catch (WireFormatException e) {
            malformedBatches.increment();
            LOG.error("malformed GET_EVENTS completion of {} bytes dropped: {}", completed.length, e.getMessage());
            return List.of();
        }
    }

    private void auditAll(List<RegistryEvent> events, Decision[] decided, boolean replied, long latencyNanos) {
        for (int i = 0; i < decided.length; i++) {
            RegistryEvent e = events.get(i);
            Verdict applied = e.verdictRequested() && replied ? verdictOf(decided[i]) : null;
            try {
                audit.record(e, decided[i], applied, latencyNanos);
            } catch (RuntimeException ex) {
                auditErrors.increment();
                LOG.error("audit sink refused event {}: {}", e.sequence(), ex.toString());
            }
        }
    }

    private Decision decideSafely(Policy p, RegistryEvent e) {
        try {
            Decision d = p.decide(e);
            if (d != null) {
                return d;
            }
            LOG.error("policy {} returned no decision for event {}; allowing", p.name(), e.sequence());
        } catch (RuntimeException ex) {
            LOG.error("policy {} failed on event {}; allowing: {}", p.name(), e.sequence(), ex.toString());
        }
        policyErrors.increment();
        return new Decision(Action.ALLOW, "policy-error", false);
    }

    private static Verdict verdictOf(Decision d) {
        return d.blocks() ? Verdict.BLOCK : Verdict.ALLOW;
    }

    private void logMetrics() {
        try {
            long now = System.nanoTime();
            long events = eventsReceived.sum();
            lastRate = (events - rateSampleEvents) * 1e9 / Math.max(1, now - rateSampleNanos);
            rateSampleNanos = now;
            rateSampleEvents = events;
            LOG.info("pump: {}", status().summaryLine());
        } catch (RuntimeException e) {
            LOG.warn("metrics: {}", e.toString());
        }
    }

    /** Metrics of the pump and the driver's counters (null when the device cannot answer). */
    public PumpStatus status() {
        State s = state;
        long now = System.nanoTime();
        long events = eventsReceived.sum();
        long batchCount = batches.sum();
        double rate = lastRate;
        if (Double.isNaN(rate)) {
            rate = startNanos == 0 ? 0 : events * 1e9 / Math.max(1, now - startNanos);
        }
        DriverStats driver = null;
        if (s == State.RUNNING || s == State.STOPPING) {
            try {
                driver = device.stats();
            } catch (RuntimeException e) {
                LOG.debug("driver stats unavailable: {}", e.getMessage());
            }
        }
        Map<Action, Long> byAction = new EnumMap<>(Action.class);
        decisions.forEach((a, n) -> byAction.put(a, n.sum()));
        Map<Verdict, Long> byVerdict = new EnumMap<>(Verdict.class);
        verdicts.forEach((v, n) -> byVerdict.put(v, n.sum()));
        int heldNow;
        int queuedNow;
        synchronized (parkLock) {
            heldNow = held.size();
            queuedNow = auditOnlyQueued;
        }
        Policy p = policy.get();
        HelloReply h = hello;
        return new PumpStatus(s == State.RUNNING, startedAt,
                startNanos == 0 ? Duration.ZERO : Duration.ofNanos(now - startNanos), p.name(), p.hash(), events,
                rate, byAction, byVerdict, eventsWithoutVerdict.sum(), parked.get(), heldNow,
                queuedNow + verdictAuditBatches.get(),
                batchCount, batchCount == 0 ? 0 : (double) events / batchCount, latency.summary(), replies.sum(),
                repliesAccepted.sum(), repliesUnknown.sum(), repliesLate.sum(), repliesDuplicate.sum(),
                replyFailures.sum(), malformedBatches.sum(), policyErrors.sum(), auditErrors.sum(),
                auditShed.sum(), h == null ? 0 : h.instanceId(), driver);
    }

    /**
     * Graceful stop: no new parking, CancelIoEx on every parked request, wait for every
     * completion packet (aborted ones included), decide and reply what was already
     * delivered, stop the decision threads, flush the audit sink. Bounded by
     * {@code closeTimeout} at each wait. Does not close the device or the audit sink.
     */
    @Override
    public synchronized void close() {
        if (state == State.CLOSED || state == State.STOPPING) {
            return;
        }
        if (state == State.NEW) {
            state = State.CLOSED;
            return;
        }
        synchronized (parkLock) {
            state = State.STOPPING;
            held.clear();
        }
        long timeoutMs = options.closeTimeout().toMillis();
        for (IoRequest r : getEventsRequests) {
            if (r.inFlight()) {
                try {
                    device.cancel(r);
                } catch (DeviceException e) {
                    LOG.warn("CancelIoEx on a parked request: {}", e.getMessage());
                }
            }
        }
        if (!awaitRequestsReturned(timeoutMs)) {
            LOG.error("{} parked requests did not complete within {} ms of CancelIoEx; the device retires them",
                    getEventsRequests.stream().filter(IoRequest::inFlight).count(), timeoutMs);
        }
        device.onDequeueGroupEnd(null);
        // After every batch: the queue is FIFO, so each thread finishes the work before its STOP.
        for (int i = 0; i < workers.size(); i++) {
            work.add(STOP);
        }
        workSignal.release(workers.size());
        for (Thread t : workers) {
            try {
                t.join(timeoutMs);
                if (t.isAlive()) {
                    LOG.error("{} still deciding after {} ms (a policy that blocks?)", t.getName(), timeoutMs);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (timers != null) {
            timers.shutdownNow();
        }
        try {
            audit.flush();
        } catch (RuntimeException e) {
            LOG.error("audit flush on stop failed: {}", e.toString());
        }
        LOG.info("decision pump stopped: {}", status().summaryLine());
        state = State.CLOSED;
    }

    private boolean awaitRequestsReturned(long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (returnMonitor) {
            while (outstanding.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(returnMonitor, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }
}
