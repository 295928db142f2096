package dev.hiveguard.demo;

import dev.hiveguard.model.RegistryPaths;
import dev.hiveguard.device.RegistrySimulator;
import dev.hiveguard.device.SimulatedOperation;
import dev.hiveguard.metrics.LatencySamples;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.policy.Decision;
import dev.hiveguard.policy.Policy;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Plays the demo workload against a running agent: several simulated processes raise
 * their registry operations through the host's configuration-manager simulator, each
 * on its own thread and each blocked in its "registry call" until the agent answers,
 * exactly as callers wait inside the kernel on Windows. The tampering writes are
 * spread through the noise, so they compete with it for the agent's attention.
 *
 * <p>Every operation's NTSTATUS is compared with the policy's own decision for it,
 * which the demo asks directly: the round trip through driver core, device, pump and
 * back must not change a verdict.
 */
public final class DemoRun {

    /** Progress line for the noise at most this often, so it informs without scrolling. */
    static final long PROGRESS_INTERVAL_NANOS = 500_000_000L;
    /** Thread ids a noise process's operations rotate through, as a program's worker threads would. */
    static final int THREADS_PER_PROCESS = 4;
    /** The verdict budget the simulated events claim when the policy is asked directly. */
    private static final int EXPECTATION_TIMEOUT_MS = 250;

    private final DemoSettings settings;
    private final Policy policy;
    private final PrintWriter out;
    private final OutcomeTally outcomes = new OutcomeTally();
    private final LatencySamples callerLatency;
    private final AtomicLong noiseDone = new AtomicLong();
    private final AtomicLong noiseBlocked = new AtomicLong();
    private final AtomicLong lastProgress = new AtomicLong(System.nanoTime());
    private final AtomicLong expectationSequence = new AtomicLong();
    private volatile long startNanos;

    public DemoRun(DemoSettings settings, Policy policy, PrintWriter out) {
        this.settings = settings;
        this.policy = policy;
        this.out = out;
        this.callerLatency = new LatencySamples(Math.max(1, Math.min(settings.noiseOperations() + 16,
                LatencySamples.MAX_CAPACITY)));
    }

    /** Raises the whole workload and waits for every caller. */
    public OutcomeTally play() throws InterruptedException {
        startNanos = System.nanoTime();
        List<SimulatedProcess> noiseProcesses = new ArrayList<>();
        for (int i = 0; i < settings.processes(); i++) {
            noiseProcesses.add(DemoWorkload.noiseProcess(i));
        }
        ExecutorService threads = Executors.newFixedThreadPool(settings.processes() + 1, r -> {
            Thread t = new Thread(r, "demo-process");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> running = new ArrayList<>();
            int base = settings.noiseOperations() / settings.processes();
            int extra = settings.noiseOperations() % settings.processes();
            for (int i = 0; i < noiseProcesses.size(); i++) {
                SimulatedProcess p = noiseProcesses.get(i);
                int count = base + (i < extra ? 1 : 0);
                running.add(threads.submit(() -> {
                    playNoise(p, count);
                    return null;
                }));
            }
            running.add(threads.submit(() -> {
                playTampering();
                return null;
            }));
            for (Future<?> f : running) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    throw new IllegalStateException("a simulated process failed: " + e.getCause(), e.getCause());
                }
            }
        } finally {
            threads.shutdownNow();
        }
        for (SimulatedProcess p : noiseProcesses) {
            RegistrySimulator.processExit(p.processKey());
        }
        for (ScriptedOperation op : DemoWorkload.tampering()) {
            RegistrySimulator.processExit(op.process().processKey());
        }
        printProgress(true);
        return outcomes;
    }

    public LatencySamples callerLatency() {
        return callerLatency;
    }

    private void playNoise(SimulatedProcess p, int count) {
        Iterator<ScriptedOperation> source = DemoWorkload.noiseSource(p, settings.seed());
        long deadline = settings.duration() == null ? Long.MAX_VALUE
                : startNanos + settings.duration().toNanos();
        int thread = 0;
        for (int i = 0; settings.duration() != null ? System.nanoTime() < deadline : i < count; i++) {
            OperationOutcome o = raise(source.next(), thread++ % THREADS_PER_PROCESS);
            noiseDone.incrementAndGet();
            if (o.blocked()) {
                noiseBlocked.incrementAndGet();
                printDecision(o);
            }
            printProgress(false);
        }
    }

    /** Each tampering write waits until its share of the noise has gone by. */
    private void playTampering() throws InterruptedException {
        List<ScriptedOperation> ops = DemoWorkload.tampering();
        for (int k = 0; k < ops.size(); k++) {
            double due = (k + 1.0) / (ops.size() + 1.0);
            while (progress() < due) {
                Thread.sleep(1);
            }
            printDecision(raise(ops.get(k), 0));
        }
    }

    private double progress() {
        if (settings.duration() != null) {
            return (System.nanoTime() - startNanos) / (double) settings.duration().toNanos();
        }
        return settings.noiseOperations() == 0 ? 1.0 : noiseDone.get() / (double) settings.noiseOperations();
    }

    private OperationOutcome raise(ScriptedOperation op, int threadIndex) {
        SimulatedProcess p = op.process();
        long tid = p.threadId(threadIndex);
        Decision expected = policy.decide(expectedEvent(op, tid));
        SimulatedOperation sim = new SimulatedOperation(op.operation(), p.processKey(), p.pid(), tid, p.sessionId(),
                false, op.keyPath(), op.valueName(), op.newName(), p.image(), p.userSid(), op.valueType(), op.data());
        long t0 = System.nanoTime();
        int status = RegistrySimulator.raise(sim);
        long latency = System.nanoTime() - t0;
        callerLatency.record(latency);
        OperationOutcome o = new OperationOutcome(op, status, expected, latency);
        outcomes.add(o);
        return o;
    }

    /** The event the driver would deliver for {@code op}, to ask the policy what it should get. */
    private RegistryEvent expectedEvent(ScriptedOperation op, long tid) {
        SimulatedProcess p = op.process();
        long seq = expectationSequence.incrementAndGet();
        return new RegistryEvent(seq, seq, Instant.now(), op.operation(), RegistryEvent.F_VERDICT_REQUESTED, p.pid(),
                tid, p.sessionId(), EXPECTATION_TIMEOUT_MS, op.keyPath(), op.valueName(), op.newName(), p.image(),
                p.userSid(), op.valueType(), op.data(), op.data().length);
    }

    private void printDecision(OperationOutcome o) {
        if (!settings.liveOutput()) {
            return;
        }
        ScriptedOperation op = o.operation();
        String verdict = o.blocked() ? "BLOCKED" : o.ntStatus() == OperationOutcome.STATUS_SUCCESS ? "allowed"
                : String.format("0x%08X", o.ntStatus());
        String rule = o.expected().ruleName() == null ? "no rule" : "rule " + o.expected().ruleName();
        synchronized (out) {
            out.printf("  %-8s %-10s pid %-6d %s %s%n", verdict, op.process().name(), op.process().pid(),
                    op.operation().eventType(), RegistryPaths.fullPath(op.keyPath(), op.valueName()));
            out.printf("           %s; %s; caller held %d us%s%n", op.label().isEmpty() ? "noise" : op.label(), rule,
                    o.latencyNanos() / 1_000, o.matchesPolicy() ? "" : "  <-- DOES NOT MATCH THE POLICY");
            out.flush();
        }
    }

    private void printProgress(boolean last) {
        if (!settings.liveOutput()) {
            return;
        }
        long now = System.nanoTime();
        long prev = lastProgress.get();
        if (!last && (now - prev < PROGRESS_INTERVAL_NANOS || !lastProgress.compareAndSet(prev, now))) {
            return;
        }
        double seconds = Math.max(1e-9, (now - startNanos) / 1e9);
        synchronized (out) {
            out.printf("  ... noise: %d operations from %d processes, %d blocked, %.0f ops/s%s%n", noiseDone.get(),
                    settings.processes(), noiseBlocked.get(), noiseDone.get() / seconds, last ? " (done)" : "");
            out.flush();
        }
    }
}
