package dev.hiveguard.eventlog;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/** Records every ReportEventW the EventLog makes; can hold the writer or fail chosen Event IDs. */
public final class RecordingEventLogBinding implements EventLogBinding {

    public record Reported(EventLogType type, int eventId, List<String> inserts) {
    }

    private final List<Reported> reported = new ArrayList<>();
    volatile CountDownLatch gate = new CountDownLatch(0);
    public volatile int failingEventId = -1;
    volatile boolean closed;

    @Override
    public void report(EventLogType type, int eventId, String[] inserts) {
        try {
            gate.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (eventId == failingEventId) {
            throw new IllegalStateException("ReportEventW(" + eventId + ") failed with Win32 error 1502");
        }
        synchronized (this) {
            reported.add(new Reported(type, eventId, List.of(inserts)));
        }
    }

    public synchronized List<Reported> reported() {
        return List.copyOf(reported);
    }

    @Override
    public void close() {
        closed = true;
    }
}
