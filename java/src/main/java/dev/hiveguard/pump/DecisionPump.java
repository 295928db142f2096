package dev.hiveguard.pump;

import dev.hiveguard.audit.AuditSink;
import dev.hiveguard.device.DeviceException;
import dev.hiveguard.device.HiveGuardDevice;
import dev.hiveguard.device.ImagePaths;
import dev.hiveguard.device.IoRequest;
import dev.hiveguard.device.IoResult;
import dev.hiveguard.device.Win32Error;
import dev.hiveguard.model.RegistryEvent;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
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
 * batch; the device's completion thread hands the request here, the whole batch is
 * decoded, queued for a decision thread, and the request is re-parked at once -
 * unless the queue already holds {@code handoffCapacity} batches, in which case it is
 * held back. That is the back-pressure: when the policy is slower than the registry,
 * requests stop going back to the driver, the driver's bounded backlog fills and it
 * applies its default or drops and counts, instead of this process queueing without
 * bound while callers wait in the kernel. A decision thread asks the {@link Policy}
 * about every event of the batch, sends all verdicts of the batch in one REPLY, and
 * only then writes the audit records, so audit I/O never sits between a waiting
 * registry caller and its answer. Nothing here touches the registry.
 *
 * <p>The device is owned by the caller; close the pump first, then the device.
 */
public final class DecisionPump implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DecisionPump.class);

    /** Decision threads wake at least this often to re-park held requests and notice close(). */
    static final long WORKER_POLL_MS = 100;

    private enum State { NEW, RUNNING, STOPPING, CLOSED }

    /** A decoded batch and when its completion was dequeued (latency starts there). */
    private record PendingBatch(EventBatch batch, long receivedNanos) {
    }

    private static final PendingBatch STOP = new PendingBatch(null, 0);

    private final HiveGuardDevice device;
    private final AuditSink audit;
    private final PumpOptions options;
    private final AtomicReference<Policy> policy;
    private final ImagePaths imagePaths = ImagePaths.forThisMachine();
    private final Object policyLock = new Object();

    /** Guards parking decisions: state, held, and the hold-or-park choice after a hand-off. */
    private final Object parkLock = new Object();
    private final Deque<IoRequest> held = new ArrayDeque<>();
    private final List<IoRequest> getEventsRequests = new ArrayList<>();
    private final ArrayBlockingQueue<PendingBatch> handoff;
    private final List<Thread> workers = new ArrayList<>();
    private final Object returnMonitor = new Object();
    private volatile State state = State.NEW;
    private volatile HelloReply hello;
    private ScheduledExecutorService metricsLog;

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
    private final Map<Action, LongAdder> decisions = new EnumMap<>(Action.class);
    private final Map<Verdict, LongAdder> verdicts = new EnumMap<>(Verdict.class);
    private volatile Instant startedAt;
    private volatile long startNanos;
    private volatile long rateSampleNanos;
    private volatile long rateSampleEvents;
    private volatile double lastRate = Double.NaN;

    public DecisionPump(HiveGuardDevice device, Policy policy, AuditSink audit, PumpOptions options) {
        this.device = Objects.requireNonNull(device, "device");
        this.policy = new AtomicReference<>(Objects.requireNonNull(policy, "policy"));
        this.audit = Objects.requireNonNull(audit, "audit");
        this.options = Objects.requireNonNull(options, "options");
        // Never full by construction: at most handoffCapacity - 1 batches are queued when a
        // request is parked, each of the N requests adds at most one more, plus one STOP per thread.
        this.handoff = new ArrayBlockingQueue<>(
                options.handoffCapacity() + options.parkedRequests() + options.decisionThreads());
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
        if (h.versionMajor() != Wire.VERSION_MAJOR) {
            throw new IllegalStateException("the driver speaks wire version " + h.versionMajor() + "."
                    + h.versionMinor() + ", this agent " + Wire.VERSION_MAJOR + "." + Wire.VERSION_MINOR
                    + ": install a matching agent and driver");
        }
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
        device.configure(p.subscription());
        hello = h;
        startedAt = Instant.now();
        startNanos = System.nanoTime();
        rateSampleNanos = startNanos;
        for (int i = 0; i < options.parkedRequests(); i++) {
            getEventsRequests.add(device.newRequest(0, options.bufferBytes()));
        }
        for (int i = 0; i < options.decisionThreads(); i++) {
            Thread t = new Thread(this::decisionLoop, "hiveguard-decide-" + i);
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
        Duration every = options.metricsLogInterval();
        if (!every.isZero()) {
            metricsLog = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "hiveguard-metrics");
                t.setDaemon(true);
                return t;
            });
            metricsLog.scheduleAtFixedRate(this::logMetrics, every.toMillis(), every.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        LOG.info("decision pump started: driver wire {}.{}, instance {}, capabilities 0x{}, policy {} ({}), "
                        + "{} parked x {} bytes, {} decision threads", h.versionMajor(), h.versionMinor(),
                Long.toHexString(h.instanceId()), Integer.toHexString(h.capabilities()), p.name(), p.hash(),
                options.parkedRequests(), options.bufferBytes(), options.decisionThreads());
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
                device.configure(next.subscription());
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

    /** Completion thread: decode, hand off, re-park or hold. Must not block. */
    private void onEvents(IoRequest r, IoResult result) {
        parked.decrementAndGet();
        try {
            if (!result.succeeded()) {
                if (!result.cancelled()) {
                    LOG.error("GET_EVENTS completed with {}; request not re-parked", result);
                }
                return;
            }
            long received = System.nanoTime();
            EventBatch batch = null;
            try {
                batch = EventBatch.decode(r.output(result.bytes()));
                batches.increment();
                eventsReceived.add(batch.events().size());
            } catch (WireFormatException e) {
                malformedBatches.increment();
                LOG.error("malformed GET_EVENTS completion of {} bytes dropped (its callers get the fail mode): {}",
                        result.bytes(), e.getMessage());
            }
            synchronized (parkLock) {
                if (batch != null && !handoff.offer(new PendingBatch(batch, received))) {
                    LOG.error("hand-off queue overflow: {} events dropped", batch.events().size());
                }
                if (state == State.RUNNING) {
                    if (handoff.size() < options.handoffCapacity()) {
                        park(r);
                    } else {
                        held.addLast(r);
                    }
                }
            }
        } finally {
            synchronized (returnMonitor) {
                outstanding.decrementAndGet();
                returnMonitor.notifyAll();
            }
        }
    }

    /** Decision thread: re-park what was held while the queue was full. */
    private void releaseHeld() {
        synchronized (parkLock) {
            while (state == State.RUNNING && !held.isEmpty() && handoff.size() < options.handoffCapacity()) {
                park(held.pollFirst());
            }
        }
    }

    private IoRequest newReplyRequest() {
        return device.newRequest(ReplyMessage.encodedSize(options.replyBatchMax()), Wire.REPLY_RESULT_BYTES);
    }

    private void decisionLoop() {
        IoRequest reply = newReplyRequest();
        List<ReplyEntry> entries = new ArrayList<>();
        while (true) {
            PendingBatch next;
            try {
                next = handoff.poll(WORKER_POLL_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            releaseHeld();
            if (next == null) {
                continue;
            }
            if (next == STOP) {
                return;
            }
            if (reply.inFlight()) {
                // A REPLY whose packet never came (logged by the device): its memory stays with the device.
                reply = newReplyRequest();
            }
            decide(next, reply, entries);
        }
    }

    private void decide(PendingBatch pending, IoRequest replyRequest, List<ReplyEntry> entries) {
        // Rules and the audit trail speak C:\..., the kernel reports \Device\HarddiskVolumeN\...
        List<RegistryEvent> events = imagePaths.normalize(pending.batch().events());
        Policy p = policy.get();
        Decision[] decided = new Decision[events.size()];
        entries.clear();
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
        boolean sent = false;
        if (!entries.isEmpty()) {
            try {
                ReplyResult rr = device.reply(replyRequest, entries);
                sent = true;
                replies.increment();
                repliesAccepted.add(rr.accepted());
                repliesUnknown.add(rr.unknown());
                repliesLate.add(rr.late());
                repliesDuplicate.add(rr.duplicate());
                for (ReplyEntry entry : entries) {
                    verdicts.get(entry.verdict()).increment();
                }
            } catch (DeviceException | WireFormatException | IllegalStateException e) {
                replyFailures.increment();
                LOG.error("REPLY with {} verdicts failed; the driver applies the fail mode to them: {}",
                        entries.size(), e.getMessage());
            }
        }
        long latencyNanos = System.nanoTime() - pending.receivedNanos();
        latency.record(latencyNanos, decided.length); // one reply answered the whole batch
        for (int i = 0; i < decided.length; i++) {
            RegistryEvent e = events.get(i);
            Verdict applied = e.verdictRequested() && sent ? verdictOf(decided[i]) : null;
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
        synchronized (parkLock) {
            heldNow = held.size();
        }
        Policy p = policy.get();
        HelloReply h = hello;
        return new PumpStatus(s == State.RUNNING, startedAt,
                startNanos == 0 ? Duration.ZERO : Duration.ofNanos(now - startNanos), p.name(), p.hash(), events,
                rate, byAction, byVerdict, eventsWithoutVerdict.sum(), parked.get(), heldNow, handoff.size(),
                batchCount, batchCount == 0 ? 0 : (double) events / batchCount, latency.summary(), replies.sum(),
                repliesAccepted.sum(), repliesUnknown.sum(), repliesLate.sum(), repliesDuplicate.sum(),
                replyFailures.sum(), malformedBatches.sum(), policyErrors.sum(), auditErrors.sum(),
                h == null ? 0 : h.instanceId(), driver);
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
        for (int i = 0; i < workers.size(); i++) {
            try {
                if (!handoff.offer(STOP, timeoutMs, TimeUnit.MILLISECONDS)) {
                    LOG.error("decision threads are stuck; not all were told to stop");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
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
        if (metricsLog != null) {
            metricsLog.shutdownNow();
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
