package dev.hiveguard.replay;

import dev.hiveguard.audit.AuditSink;
import dev.hiveguard.device.SimulatedOperation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.RegistryPaths;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Decision;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sits between the decision pump and the real audit writer: every event is written to the
 * audit trail exactly as live, and the pump's decision is tied back to the recorded operation
 * that caused it.
 *
 * <p>The tie is by content, not by order: the pump decides batches on several threads, so
 * audit calls for one process may arrive out of raise order. An operation is expected under
 * (pid, class, key path, value name, new name, image, user, type, data as far as the driver
 * copies it); each audit call takes the oldest operation expected under its event's key.
 * Operations the driver filtered out are never claimed; since the driver's filter looks only
 * at fields in that key, identical keys are filtered alike and an unclaimed entry never
 * shadows a delivered one.
 *
 * <p>Operations are raised in windows ({@link #startWindow}); between windows everything
 * delivered has been decided, so the expectations left over are exactly the filtered-out
 * operations and are dropped: memory follows the window, not the recording.
 */
final class DecisionLedger implements AuditSink {

    /** What the pump made of one delivered operation. */
    record Outcome(Decision decision, Verdict sent, boolean verdictRequested) {
    }

    private record Key(long pid, int operation, String keyPath, String valueName, String newName, String image,
                       String userSid, int valueType, int dataLength, int dataHash) {
    }

    private final AuditSink delegate;
    private final int dataCap;
    private final Object outcomesLock = new Object();
    private Outcome[] outcomes;
    private final Map<Key, ArrayDeque<Integer>> expected = new HashMap<>();
    private final AtomicLong recorded = new AtomicLong();
    private final AtomicLong unmatched = new AtomicLong();

    /**
     * @param dataCap bytes of value data the driver copies per event (the subscription's cap)
     */
    DecisionLedger(AuditSink delegate, int dataCap) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.dataCap = dataCap;
        this.outcomes = new Outcome[0];
    }

    /**
     * Starts a window of {@code size} operations, indexed from 0. Only call when every event
     * delivered so far has been recorded (the replay drains between windows).
     */
    void startWindow(int size) {
        synchronized (expected) {
            expected.clear();
        }
        synchronized (outcomesLock) {
            outcomes = new Outcome[size];
        }
    }

    /** Called before operation {@code index} of the window is raised as {@code call}. */
    void expect(int index, SimulatedOperation call) {
        int len = Math.min(call.data().length, dataCap);
        // The driver reports the canonical spelling of the path it was given.
        Key key = new Key(call.pid(), call.operation().code(), RegistryPaths.canonicalKernelPath(call.keyPath()),
                orEmpty(call.valueName()),
                orEmpty(call.newName()), orEmpty(call.image()), orEmpty(call.userSid()), call.valueType(), len,
                Arrays.hashCode(Arrays.copyOf(call.data(), len)));
        synchronized (expected) {
            expected.computeIfAbsent(key, k -> new ArrayDeque<>()).addLast(index);
        }
    }

    @Override
    public void record(RegistryEvent event, Decision decision, Verdict applied, long latencyNanos) {
        delegate.record(event, decision, applied, latencyNanos);
        byte[] data = event.data();
        Key key = new Key(event.pid(), event.operation().code(), event.keyPath(), event.valueName(), event.newName(),
                event.image(), event.userSid(), event.valueType(), data.length, Arrays.hashCode(data));
        Integer index;
        synchronized (expected) {
            ArrayDeque<Integer> q = expected.get(key);
            index = q == null ? null : q.pollFirst();
        }
        if (index == null) {
            unmatched.incrementAndGet();
        } else {
            synchronized (outcomesLock) {
                outcomes[index] = new Outcome(decision, applied, event.verdictRequested());
            }
        }
        recorded.incrementAndGet();
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    /** Audit calls so far (matched or not). */
    long recorded() {
        return recorded.get();
    }

    /** Audit calls for which no raised operation was expected: must stay 0. */
    long unmatched() {
        return unmatched.get();
    }

    /** The outcome of operation {@code index} of the window, or null when the driver never delivered it. */
    Outcome outcome(int index) {
        synchronized (outcomesLock) {
            return outcomes[index];
        }
    }

    @Override
    public void flush() {
        delegate.flush();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
