package dev.hiveguard.it;

import dev.hiveguard.audit.AuditSink;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Decision;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Keeps every record in memory so tests can assert on exactly what the pump audited. */
final class InMemoryAuditSink implements AuditSink {

    record Entry(RegistryEvent event, Decision decision, Verdict applied, long latencyNanos) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private int flushes;

    @Override
    public synchronized void record(RegistryEvent event, Decision decision, Verdict applied, long latencyNanos) {
        entries.add(new Entry(event, decision, applied, latencyNanos));
        notifyAll();
    }

    @Override
    public synchronized void flush() {
        flushes++;
    }

    @Override
    public void close() {
        flush();
    }

    synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }

    synchronized int flushes() {
        return flushes;
    }

    /** Waits until at least {@code n} records arrived; returns how many there are. */
    synchronized int awaitAtLeast(int n, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (entries.size() < n) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return entries.size();
    }
}
