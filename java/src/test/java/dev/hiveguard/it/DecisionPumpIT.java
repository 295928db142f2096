package dev.hiveguard.it;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.audit.AuditSink;
import dev.hiveguard.device.HiveGuardDevice;
import dev.hiveguard.device.RegistrySimulator;
import dev.hiveguard.device.SimulatedOperation;
import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.Decision;
import dev.hiveguard.policy.DefaultPolicy;
import dev.hiveguard.pump.DecisionPump;
import dev.hiveguard.pump.PumpOptions;
import dev.hiveguard.pump.PumpStatus;
import dev.hiveguard.wire.DriverStats;
import dev.hiveguard.wire.HelloReply;
import dev.hiveguard.wire.NtStatus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent end to end on Linux: a real DecisionPump over the real host library
 * (the same core the kernel driver runs), with simulated registry callers on
 * several threads.
 */
class DecisionPumpIT {

    static final String RUN_PREFIX = "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run";
    static final String OTHER_KEY = "\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor\\App";
    static final int ALLOWED = NtStatus.SUCCESS.code();
    static final int DENIED = NtStatus.ACCESS_DENIED.code();
    /** Generous bound for anything that should take milliseconds; only hit when broken. */
    static final long BOUND_S = 30;
    static final int CALLERS = 4;

    private final ExecutorService callers = Executors.newFixedThreadPool(8);
    private final InMemoryAuditSink audit = new InMemoryAuditSink();

    @BeforeEach
    void freshDriver() {
        RegistrySimulator.reset(Verdict.ALLOW);
    }

    @AfterEach
    void stopCallers() throws InterruptedException {
        callers.shutdownNow();
        assertTrue(callers.awaitTermination(BOUND_S, TimeUnit.SECONDS), "a registry caller never returned");
    }

    /** No warm-up: these policies stall on demand, and a warm-up decision would stall with them. */
    static PumpOptions options(int parked) {
        return PumpOptions.defaults().withParkedRequests(parked).withMetricsLogInterval(Duration.ZERO)
                .withWarmUpDecisions(0);
    }

    static SimulatedOperation setValue(int caller, int i, String key) {
        byte[] data = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(i).array();
        long pid = 1000L * (caller + 1) + i;
        return new SimulatedOperation(Operation.SET_VALUE, 0x7000 + caller, pid, pid + 1, 1, false, key, "v" + i,
                null, "C:\\t\\caller" + caller + ".exe", "S-1-5-21-7-7-7-100" + caller, 4, data);
    }

    /** Raises every op of each list from its own thread; returns the statuses in the same shape. */
    List<List<Integer>> raiseConcurrently(List<List<SimulatedOperation>> perCaller) throws Exception {
        List<Future<List<Integer>>> futures = new ArrayList<>();
        for (List<SimulatedOperation> ops : perCaller) {
            Callable<List<Integer>> task = () -> {
                List<Integer> statuses = new ArrayList<>(ops.size());
                for (SimulatedOperation op : ops) {
                    statuses.add(RegistrySimulator.raise(op));
                }
                return statuses;
            };
            futures.add(callers.submit(task));
        }
        List<List<Integer>> out = new ArrayList<>();
        for (Future<List<Integer>> f : futures) {
            out.add(f.get(BOUND_S, TimeUnit.SECONDS));
        }
        return out;
    }

    @Test
    void callersGetThePolicysVerdictAndEveryEventIsAuditedAfterIt() throws Exception {
        PrefixBlockPolicy policy = new PrefixBlockPolicy(RUN_PREFIX, 5000, FailMode.OPEN);
        int perCaller = 40;
        List<List<SimulatedOperation>> work = new ArrayList<>();
        Map<Long, SimulatedOperation> byPid = new HashMap<>();
        for (int c = 0; c < CALLERS; c++) {
            List<SimulatedOperation> ops = new ArrayList<>();
            for (int i = 0; i < perCaller; i++) {
                ops.add(setValue(c, i, i % 2 == 0 ? RUN_PREFIX + "\\Persist" + i : OTHER_KEY));
            }
            // A key creation under the blocked prefix: delivered for audit only, nobody waits.
            ops.add(new SimulatedOperation(Operation.CREATE_KEY, 0x7000 + c, 900 + c, 901 + c, 1, false,
                    RUN_PREFIX + "\\New" + c, null, null, "C:\\t\\caller" + c + ".exe", null, 0, null));
            ops.forEach(op -> byPid.put(op.pid(), op));
            work.add(ops);
        }

        List<List<Integer>> statuses;
        PumpStatus status;
        DriverStats driver;
        // A caller whose verdict is due while no request is parked gets the default at once
        // (driver design). Requests out of the driver at any moment are at most the waiting
        // callers plus the one being re-parked, so CALLERS + 2 parked keeps one always parked.
        try (HiveGuardDevice device = HiveGuardDevice.open();
             DecisionPump pump = new DecisionPump(device, policy, audit, options(CALLERS + 2))) {
            pump.start();
            statuses = raiseConcurrently(work);
            pump.close();
            status = pump.status();
            driver = device.stats();
        }

        for (int c = 0; c < CALLERS; c++) {
            for (int i = 0; i < perCaller; i++) {
                assertEquals(i % 2 == 0 ? DENIED : ALLOWED, (int) statuses.get(c).get(i),
                        "caller " + c + " op " + i + " " + work.get(c).get(i).keyPath());
            }
            assertEquals(ALLOWED, (int) statuses.get(c).get(perCaller), "key creation is never blocked");
        }
        int total = CALLERS * (perCaller + 1);
        List<InMemoryAuditSink.Entry> entries = audit.entries();
        assertEquals(total, entries.size(), "one audit record per delivered event");
        assertTrue(audit.flushes() >= 1, "close() flushes the audit sink");
        for (InMemoryAuditSink.Entry e : entries) {
            RegistryEvent ev = e.event();
            SimulatedOperation raised = byPid.remove(ev.pid());
            assertNotNull(raised, "audited an event nobody raised, or twice: pid " + ev.pid());
            assertEquals(raised.operation(), ev.operation());
            assertEquals(raised.keyPath(), ev.keyPath());
            assertEquals(raised.image(), ev.image());
            assertEquals(raised.tid(), ev.tid());
            assertTrue(e.latencyNanos() > 0);
            if (raised.operation() == Operation.SET_VALUE) {
                boolean blocked = raised.keyPath().startsWith(RUN_PREFIX);
                assertTrue(ev.verdictRequested());
                assertNotEquals(0, ev.id());
                assertEquals(raised.valueName(), ev.valueName());
                assertEquals(raised.userSid(), ev.userSid());
                assertEquals(4, ev.valueType());
                assertArrayEquals(raised.data(), ev.data());
                assertEquals(5000, ev.timeoutMs());
                assertEquals(blocked ? Verdict.BLOCK : Verdict.ALLOW, e.applied());
                assertEquals(blocked ? Action.BLOCK : Action.ALLOW, e.decision().action());
                assertEquals(blocked ? PrefixBlockPolicy.RULE : null, e.decision().ruleName());
            } else {
                assertFalse(ev.verdictRequested());
                assertEquals(0, ev.id());
                assertNull(e.applied(), "no verdict was due");
            }
        }
        assertTrue(byPid.isEmpty(), "raised but never audited: " + byPid.keySet());

        int blocked = CALLERS * perCaller / 2;
        assertEquals(blocked, driver.blocked());
        assertEquals(CALLERS * perCaller, driver.verdictsRequested());
        assertEquals(CALLERS * perCaller, driver.repliesAccepted());
        assertEquals(0, driver.timedOut());
        assertEquals((long) blocked, status.verdicts().get(Verdict.BLOCK));
        assertEquals((long) blocked, status.verdicts().get(Verdict.ALLOW));
        assertEquals((long) CALLERS, status.eventsWithoutVerdict());
        assertEquals(total, status.eventsReceived());
        assertTrue(status.latency().count() == total && status.latency().p99Nanos() > 0, status.toString());
    }

    @Test
    void batchesCarryManyEventsWhenRealTelemetryOutpacesThePump() throws Exception {
        List<SimulatedOperation> recorded = SysmonWorkload.load("sysmon-registry-run-keys-standard-user.jsonl.gz",
                4000);
        assertEquals(4000, recorded.size());
        int threads = 8;
        List<List<SimulatedOperation>> work = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            work.add(recorded.subList(t * 500, (t + 1) * 500));
        }
        PumpStatus status;
        DriverStats driver;
        try (HiveGuardDevice device = HiveGuardDevice.open();
             DecisionPump pump = new DecisionPump(device, new DefaultPolicy(), audit, options(1))) {
            pump.start();
            List<List<Integer>> statuses = raiseConcurrently(work);
            statuses.forEach(s -> assertTrue(s.stream().allMatch(x -> x == ALLOWED), "the default policy blocks"));
            awaitBacklogDrained(device);
            pump.close();
            status = pump.status();
            driver = device.stats();
        }
        // With one parked request, events that arrive while the pump decodes pile up and
        // the next completion carries them together.
        assertTrue(status.meanEventsPerBatch() > 1.0, "mean events per batch " + status.meanEventsPerBatch());
        assertTrue(driver.batches() < driver.delivered(), driver.toString());
        assertEquals(driver.delivered(), status.eventsReceived(), status.summaryLine() + " / " + driver);
        assertEquals(driver.delivered(), audit.entries().size());
        assertEquals(4000, driver.raised());
        // Audit-only events stop at 3/4 of the backlog (the rest is kept for verdict events), so
        // a burst the pump cannot keep up with may lose some: each is counted as refused, none
        // is lost silently, and the watermark always admits at least 3,072 of the 4,000.
        assertEquals(driver.auditRefused(), driver.dropped(), driver.toString());
        assertEquals(4000, driver.delivered() + driver.dropped(), driver.toString());
        assertTrue(driver.delivered() >= 4096 * 3 / 4, driver.toString());
        assertEquals(0, driver.verdictsRequested(), "the default policy makes no caller wait");
        assertTrue(audit.entries().stream().anyMatch(e -> e.event().keyPath().startsWith(
                "\\REGISTRY\\MACHINE\\System\\CurrentControlSet\\Services")), "replayed paths arrive in kernel form");
    }

    /** Polls: the driver has no notification for "backlog empty". Bounded by BOUND_S. */
    private static void awaitBacklogDrained(HiveGuardDevice device) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_S);
        while (device.stats().backlogEvents() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(0, device.stats().backlogEvents(), "the pump never drained the backlog");
    }

    private int raiseOneWhileStalled(FailMode failMode, int timeoutMs) throws Exception {
        PrefixBlockPolicy policy = new PrefixBlockPolicy(RUN_PREFIX, timeoutMs, failMode);
        policy.stall();
        try (HiveGuardDevice device = HiveGuardDevice.open();
             DecisionPump pump = new DecisionPump(device, policy, audit, options(2))) {
            pump.start();
            long t0 = System.nanoTime();
            int status = RegistrySimulator.raise(setValue(0, 1, OTHER_KEY));
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(policy.awaitStalled(0), "the policy was asked and stalled");
            assertTrue(waitedMs >= timeoutMs - 5 && waitedMs < timeoutMs + 5_000,
                    "caller waited " + waitedMs + " ms for a " + timeoutMs + " ms timeout");
            DriverStats s = device.stats();
            assertEquals(1, s.timedOut());
            assertEquals(failMode == FailMode.OPEN ? 1 : 0, s.failOpenApplied());
            assertEquals(failMode == FailMode.CLOSED ? 1 : 0, s.failClosedApplied());
            policy.resume();
            // The agent answers after all: the driver counts the verdict as late, not as an error.
            assertEquals(1, audit.awaitAtLeast(1, BOUND_S * 1000));
            pump.close();
            assertEquals(1, device.stats().repliesLate());
            return status;
        } finally {
            policy.resume();
        }
    }

    @Test
    void failOpenAllowsWhenTheAgentIsPausedPastTheTimeout() throws Exception {
        assertEquals(ALLOWED, raiseOneWhileStalled(FailMode.OPEN, 200));
    }

    @Test
    void failClosedDeniesWhenTheAgentIsPausedPastTheTimeout() throws Exception {
        // OTHER_KEY would be allowed by the policy: the denial is the fail mode's.
        assertEquals(DENIED, raiseOneWhileStalled(FailMode.CLOSED, 200));
    }

    /** Starts callers that wait on a stalled policy; returns their futures once all are waiting. */
    private List<Future<Long>> callersWaitingOn(PrefixBlockPolicy policy, int count) throws Exception {
        List<Future<Long>> waiting = new ArrayList<>();
        for (int c = 0; c < count; c++) {
            SimulatedOperation op = setValue(c, 0, RUN_PREFIX + "\\Stuck" + c);
            waiting.add(callers.submit(() -> {
                long t0 = System.nanoTime();
                int status = RegistrySimulator.raise(op);
                return ((long) status << 32) | TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            }));
        }
        assertTrue(policy.awaitStalled(BOUND_S * 1000));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_S);
        while (RegistrySimulator.stats().pendingWaiters() < count && System.nanoTime() < deadline) {
            Thread.sleep(1); // polling: the driver offers no notification for "callers are waiting"
        }
        assertEquals(count, RegistrySimulator.stats().pendingWaiters());
        return waiting;
    }

    private static void assertReleasedWellBeforeTimeout(List<Future<Long>> waiting, int timeoutMs) throws Exception {
        for (Future<Long> f : waiting) {
            long packed = f.get(timeoutMs, TimeUnit.MILLISECONDS);
            int status = (int) (packed >>> 32);
            long waitedMs = packed & 0xFFFFFFFFL;
            assertEquals(ALLOWED, status, "released with the no-client default (allow)");
            assertTrue(waitedMs < timeoutMs, "waited " + waitedMs + " ms of a " + timeoutMs + " ms timeout");
        }
    }

    @Test
    void stoppingTheAgentReleasesEveryWaitingCallerBeforeTheTimeout() throws Exception {
        int timeoutMs = 20_000;
        PrefixBlockPolicy policy = new PrefixBlockPolicy(RUN_PREFIX, timeoutMs, FailMode.CLOSED);
        policy.stall();
        PumpOptions quickClose = new PumpOptions(4, PumpOptions.DEFAULT_BUFFER_BYTES, 4096, 1, 4, Duration.ZERO,
                Duration.ofMillis(500));
        try {
            HiveGuardDevice device = HiveGuardDevice.open();
            DecisionPump pump = new DecisionPump(device, policy, audit, quickClose);
            pump.start();
            List<Future<Long>> waiting = callersWaitingOn(policy, 3);
            pump.close();
            device.close();
            assertReleasedWellBeforeTimeout(waiting, timeoutMs);
            DriverStats s = RegistrySimulator.stats();
            assertEquals(0, s.pendingWaiters());
            assertEquals(0, s.clientBound());
            assertEquals(3, s.defaultsApplied());
            assertEquals(0, s.timedOut());
        } finally {
            policy.resume();
        }
    }

    @Test
    void killedAgentReleasesCallersAndARestartedAgentServesAgain() throws Exception {
        int timeoutMs = 20_000;
        PrefixBlockPolicy stalled = new PrefixBlockPolicy(RUN_PREFIX, timeoutMs, FailMode.CLOSED);
        stalled.stall();
        HiveGuardDevice first = HiveGuardDevice.open();
        DecisionPump dead = new DecisionPump(first, stalled, audit, options(4));
        dead.start();
        long firstInstance = dead.hello().instanceId();
        List<Future<Long>> waiting = callersWaitingOn(stalled, 3);

        // No graceful stop: the process "dies" and Windows closes its handles.
        RegistrySimulator.processExit(RegistrySimulator.currentProcessKey());
        assertReleasedWellBeforeTimeout(waiting, timeoutMs);
        assertEquals(0, RegistrySimulator.stats().clientBound());
        stalled.resume();
        dead.close();
        first.close();

        InMemoryAuditSink secondAudit = new InMemoryAuditSink();
        try (HiveGuardDevice device = HiveGuardDevice.open();
             DecisionPump pump = new DecisionPump(device,
                     new PrefixBlockPolicy(RUN_PREFIX, timeoutMs, FailMode.CLOSED), secondAudit, options(4))) {
            pump.start();
            HelloReply hello = pump.hello();
            assertEquals(firstInstance, hello.instanceId(), "same driver instance, new client");
            assertEquals(DENIED, RegistrySimulator.raise(setValue(0, 7, RUN_PREFIX + "\\Again")));
            assertEquals(ALLOWED, RegistrySimulator.raise(setValue(0, 8, OTHER_KEY)));
            pump.close();
            assertEquals(2, secondAudit.entries().size());
        }
    }

    @Test
    void setPolicySwapsTheDecisionAndReconfiguresTheDriver() throws Exception {
        SimulatedOperation persist = setValue(2, 1, RUN_PREFIX + "\\Swap");
        try (HiveGuardDevice device = HiveGuardDevice.open();
             DecisionPump pump = new DecisionPump(device, new DefaultPolicy(), audit, options(4))) {
            pump.start();
            long generation = device.stats().configGeneration();
            assertEquals(ALLOWED, RegistrySimulator.raise(persist), "the default policy blocks nothing");
            assertEquals(0, device.stats().verdictsRequested(), "and makes nobody wait");

            pump.setPolicy(new PrefixBlockPolicy(RUN_PREFIX, 5000, FailMode.OPEN));
            assertEquals(generation + 1, device.stats().configGeneration());
            assertEquals("test-prefix-block", pump.status().policyName());
            assertEquals(DENIED, RegistrySimulator.raise(persist));

            // A subscription the driver would reject is refused before it is sent: the policy stays.
            PrefixBlockPolicy invalid = new PrefixBlockPolicy(RUN_PREFIX, dev.hiveguard.wire.Wire.TIMEOUT_MAX_MS + 1,
                    FailMode.OPEN);
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> pump.setPolicy(invalid));
            assertEquals(generation + 1, device.stats().configGeneration());
            assertEquals(DENIED, RegistrySimulator.raise(persist));
        }
        List<InMemoryAuditSink.Entry> entries = audit.entries();
        assertEquals(3, entries.size());
        assertNull(entries.get(0).applied());
        assertEquals(Verdict.BLOCK, entries.get(1).applied());
        assertEquals(Verdict.BLOCK, entries.get(2).applied());
    }

    @Test
    void startWarmsThePolicyOnSyntheticEventsBeforeServingAndCountsNone() throws Exception {
        // A policy that only counts its calls: the warm-up must ask it before start()
        // returns, on events of every class, and leave no trace in metrics, audit or driver.
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        java.util.Set<Operation> classes = java.util.concurrent.ConcurrentHashMap.newKeySet();
        PrefixBlockPolicy rules = new PrefixBlockPolicy(RUN_PREFIX, 5000, FailMode.OPEN);
        dev.hiveguard.policy.Policy counting = new dev.hiveguard.policy.Policy() {
            @Override
            public dev.hiveguard.policy.Decision decide(RegistryEvent event) {
                asked.incrementAndGet();
                classes.add(event.operation());
                return rules.decide(event);
            }

            @Override
            public dev.hiveguard.model.Subscription subscription() {
                return rules.subscription();
            }

            @Override
            public String name() {
                return "counting";
            }

            @Override
            public String hash() {
                return "counting";
            }
        };
        int warmUp = 5_000;
        try (HiveGuardDevice device = HiveGuardDevice.open();
             DecisionPump pump = new DecisionPump(device, counting, audit, options(2).withWarmUpDecisions(warmUp))) {
            pump.start();
            assertEquals(warmUp, asked.get(), "every warm-up decision ran before start() returned");
            assertEquals(java.util.EnumSet.allOf(Operation.class), java.util.EnumSet.copyOf(classes));
            PumpStatus s = pump.status();
            assertEquals(0, s.eventsReceived());
            assertTrue(s.decisions().values().stream().allMatch(n -> n == 0), s.summaryLine());
            assertEquals(0, device.stats().raised());
            assertEquals(DENIED, RegistrySimulator.raise(setValue(1, 1, RUN_PREFIX + "\\AfterWarmUp")));
            assertEquals(warmUp + 1, asked.get());
        }
        assertEquals(1, audit.entries().size(), "only the real event is audited");
    }

    @Test
    void restartAfterAGracefulStopServesAgain() throws Exception {
        PrefixBlockPolicy policy = new PrefixBlockPolicy(RUN_PREFIX, 5000, FailMode.OPEN);
        for (int round = 0; round < 3; round++) {
            try (HiveGuardDevice device = HiveGuardDevice.open();
                 DecisionPump pump = new DecisionPump(device, policy, audit, options(2))) {
                pump.start();
                assertEquals(DENIED, RegistrySimulator.raise(setValue(1, round, RUN_PREFIX + "\\R" + round)));
            }
        }
        assertEquals(3, audit.entries().size());
        assertEquals(3, RegistrySimulator.stats().blocked());
    }

    @Test
    void batchesCompletedTogetherAreAnsweredByOneReplyAndAuditedInArrivalOrder() throws Exception {
        // The completion thread is held in the first decision while five more callers each
        // complete a parked request; their five packets then come out of one dequeue and
        // must be answered by one REPLY with five verdicts, not five REPLYs.
        PrefixBlockPolicy policy = new PrefixBlockPolicy(RUN_PREFIX, 5000, FailMode.OPEN);
        policy.stall();
        int later = 5;
        try (HiveGuardDevice device = HiveGuardDevice.open();
             DecisionPump pump = new DecisionPump(device, policy, audit, options(8))) {
            pump.start();
            Future<Integer> first = callers.submit(() -> RegistrySimulator.raise(setValue(0, 0, RUN_PREFIX + "\\F")));
            assertTrue(policy.awaitStalled(BOUND_S * 1000));
            List<Future<Integer>> rest = new ArrayList<>();
            for (int c = 1; c <= later; c++) {
                int caller = c;
                String key = (c % 2 == 0 ? RUN_PREFIX : OTHER_KEY) + "\\C" + c;
                rest.add(callers.submit(() -> RegistrySimulator.raise(setValue(caller, caller, key))));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_S);
            while (device.stats().delivered() < 1 + later && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(1 + later, device.stats().delivered(), "every caller's batch completed a parked request");
            policy.resume();
            assertEquals(DENIED, first.get(BOUND_S, TimeUnit.SECONDS));
            for (int c = 1; c <= later; c++) {
                assertEquals(c % 2 == 0 ? DENIED : ALLOWED, rest.get(c - 1).get(BOUND_S, TimeUnit.SECONDS), "caller " + c);
            }
            PumpStatus s = pump.status();
            assertEquals(1 + later, s.batches(), s.summaryLine());
            assertEquals(2, s.replies(), "one REPLY for the first batch, one for the five dequeued together: "
                    + s.summaryLine());
            assertEquals(1 + later, s.repliesAccepted(), s.summaryLine());
            assertEquals(1 + later, audit.awaitAtLeast(1 + later, BOUND_S * 1000));
            pump.close();
        } finally {
            policy.resume();
        }
        // The stalled first batch arrived before the five others (which may have reached the
        // port in any order among themselves): its record comes first.
        List<InMemoryAuditSink.Entry> entries = audit.entries();
        assertTrue(entries.get(0).event().keyPath().endsWith("\\F"), "audit records in arrival order: " + entries);
    }

    @Test
    void aStuckAuditTrailShedsPlainAllowsButKeepsEveryBlock() throws Exception {
        // The audit sink stops on its first record; the verdicts keep flowing, the audit
        // backlog passes its bound and records must be shed - plain allows only, counted.
        PrefixBlockPolicy policy = new PrefixBlockPolicy(RUN_PREFIX, 5000, FailMode.OPEN);
        CountDownLatch trailStuck = new CountDownLatch(1);
        AuditSink stuckSink = new AuditSink() {
            @Override
            public void record(RegistryEvent event, Decision decision, Verdict applied, long latencyNanos) {
                try {
                    trailStuck.await(BOUND_S, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                audit.record(event, decision, applied, latencyNanos);
            }

            @Override
            public void flush() {
                audit.flush();
            }

            @Override
            public void close() {
                audit.close();
            }
        };
        int perCaller = 18_000;
        int blockEvery = 3_000;
        List<List<SimulatedOperation>> work = new ArrayList<>();
        for (int c = 0; c < CALLERS; c++) {
            List<SimulatedOperation> ops = new ArrayList<>(perCaller);
            for (int i = 0; i < perCaller; i++) {
                ops.add(setValue(c, i, (i % blockEvery == blockEvery - 1 ? RUN_PREFIX : OTHER_KEY) + "\\K" + c));
            }
            work.add(ops);
        }
        int blocks = CALLERS * (perCaller / blockEvery);
        PumpStatus end;
        DriverStats driver;
        try (HiveGuardDevice device = HiveGuardDevice.open();
             DecisionPump pump = new DecisionPump(device, policy, stuckSink, options(8))) {
            pump.start();
            List<List<Integer>> statuses = raiseConcurrently(work);
            long denied = statuses.stream().flatMap(List::stream).filter(x -> x == DENIED).count();
            assertEquals(blocks, denied, "every Run key write blocked while the trail was stuck");
            assertTrue(pump.status().auditShed() > 0, "past the bound records are shed: " + pump.status().summaryLine());
            trailStuck.countDown();
            pump.close();
            end = pump.status();
            driver = device.stats();
        } finally {
            trailStuck.countDown();
        }
        List<InMemoryAuditSink.Entry> entries = audit.entries();
        assertEquals(0, driver.timedOut(), driver.toString());
        assertEquals(driver.delivered(), entries.size() + end.auditShed(), "every delivered event is a record or "
                + "counted as shed: " + end.summaryLine());
        assertEquals(blocks, entries.stream().filter(e -> e.decision().blocks()).count(),
                "no block is shed while plain allows can be");
        // A caller raises its next write only after its verdict, so its batches arrive in
        // the order it raised them, and so must its records (batches of different callers
        // may reach the port in either order).
        for (int c = 0; c < CALLERS; c++) {
            String mine = "\\K" + c;
            long last = -1;
            for (InMemoryAuditSink.Entry e : entries) {
                if (e.event().keyPath().endsWith(mine)) {
                    assertTrue(e.event().sequence() > last, "caller " + c + "'s records in the order raised");
                    last = e.event().sequence();
                }
            }
        }
    }

    @Test
    void dropsAreCountedExactlyUnderOverload() throws Exception {
        // The smallest backlog, and a pump whose decision thread is stuck: after the
        // first batch nothing is re-parked, the backlog fills and the rest must be dropped.
        int backlog = dev.hiveguard.wire.Wire.BACKLOG_MIN;
        PrefixBlockPolicy policy = new PrefixBlockPolicy("\\NOTHING", 5000, FailMode.OPEN, backlog);
        policy.stall();
        PumpOptions one = new PumpOptions(1, PumpOptions.DEFAULT_BUFFER_BYTES, 4096, 1, 1, Duration.ZERO,
                Duration.ofSeconds(10));
        int raisedCount = 500;
        List<List<SimulatedOperation>> work = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            List<SimulatedOperation> ops = new ArrayList<>();
            for (int i = 0; i < raisedCount / 4; i++) {
                ops.add(new SimulatedOperation(Operation.CREATE_KEY, 0x7100 + c, 2000 + c, 2001 + c, 1, false,
                        OTHER_KEY + "\\K" + c + "_" + i, null, null, null, null, 0, null));
            }
            work.add(ops);
        }
        DriverStats atPeak;
        DriverStats end;
        try (HiveGuardDevice device = HiveGuardDevice.open();
             DecisionPump pump = new DecisionPump(device, policy, audit, one)) {
            pump.start();
            raiseConcurrently(work);
            // Back-pressure: the stuck decision thread holds batch 1, batch 2 fills the hand-off
            // (capacity 1), so its request is held back instead of re-parked.
            assertTrue(policy.awaitStalled(BOUND_S * 1000));
            PumpStatus held = pump.status();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_S);
            while (held.heldRequests() < 1 && System.nanoTime() < deadline) {
                Thread.sleep(1); // polling: the hand-off happens on the completion thread
                held = pump.status();
            }
            assertEquals(1, held.heldRequests(), held.summaryLine());
            assertEquals(0, held.parkedRequests(), held.summaryLine());
            assertEquals(1, held.queuedBatches(), held.summaryLine());
            atPeak = device.stats();
            assertEquals(0, atPeak.parkedRequests());
            policy.resume();
            pump.close();
        }
        end = RegistrySimulator.stats();
        assertEquals(raisedCount, atPeak.raised());
        assertTrue(atPeak.dropped() > 0, "overload must drop: " + atPeak);
        assertTrue(atPeak.backlogEvents() <= backlog, atPeak.toString());
        assertEquals(0, end.backlogEvents());
        assertEquals(raisedCount, end.raised());
        assertEquals(end.raised(), end.filteredOut() + end.delivered() + end.dropped(), end.toString());
        assertEquals(end.delivered(), audit.entries().size(), "every delivered event was audited");
    }
}
