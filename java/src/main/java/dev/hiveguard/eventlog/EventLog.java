package dev.hiveguard.eventlog;

import dev.hiveguard.service.ServiceNames;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's Event Log writer. Two guards keep it from hurting the agent or
 * flooding the log:
 * <ul>
 * <li>a rate limit per Event ID: at most {@code maxPerWindow} events of one ID per
 *     window; the rest are counted, and the next event of that ID after the window
 *     (or the close) is preceded by one EVENTS_SUPPRESSED event with the count - a
 *     malware loop hammering a protected key yields a handful of events a minute,
 *     not thousands;</li>
 * <li>the write itself (ReportEventW is an RPC to the Event Log service) happens on
 *     one daemon thread behind a bounded queue, so the decision pump never waits on
 *     it; a full queue counts as suppressed too.</li>
 * </ul>
 * Thread-safe. {@link #disabled()} is a writer that writes nothing (not Windows, or
 * the source could not be opened).
 */
public final class EventLog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EventLog.class);

    public static final int DEFAULT_MAX_PER_WINDOW = 20;
    public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(1);
    /** ReportEventW accepts insertion strings up to 31,839 characters; longer ones are cut here. */
    static final int MAX_INSERT_CHARS = 8_192;
    static final int QUEUE_CAPACITY = 1_024;
    static final long CLOSE_WAIT_MS = 2_000;

    private record Pending(EventLogType type, int eventId, String[] inserts) {
    }

    /** Per-ID window state; guarded by the EventLog's lock. */
    private static final class Window {
        long start;
        int written;
        long suppressed;
    }

    private final EventLogBinding binding;
    private final int maxPerWindow;
    private final long windowMillis;
    private final LongSupplier clockMillis;
    private final Map<EventLogMessage, Window> windows = new EnumMap<>(EventLogMessage.class);
    private final BlockingQueue<Pending> queue;
    private final Thread writer;
    private long suppressedTotal;
    private long failures;
    private volatile boolean closed;

    /**
     * @param binding     where events go; null for a writer that writes nothing
     * @param clockMillis a monotonic millisecond clock (tests pass their own)
     */
    public EventLog(EventLogBinding binding, int maxPerWindow, Duration window, LongSupplier clockMillis) {
        if (maxPerWindow < 1 || window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("rate limit must allow at least one event per positive window");
        }
        this.binding = binding;
        this.maxPerWindow = maxPerWindow;
        this.windowMillis = window.toMillis();
        this.clockMillis = clockMillis;
        this.queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
        if (binding != null) {
            writer = new Thread(this::drain, "hiveguard-eventlog");
            writer.setDaemon(true);
            writer.start();
        } else {
            writer = null;
        }
    }

    /** A writer that accepts everything and writes nothing. */
    public static EventLog disabled() {
        return new EventLog(null, DEFAULT_MAX_PER_WINDOW, DEFAULT_WINDOW, () -> 0L);
    }

    /**
     * The HiveGuard source on Windows; {@link #disabled()} elsewhere, or when the
     * source cannot be opened (logged: the agent runs on without the Event Log).
     */
    public static EventLog forThisPlatform() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows")) {
            return disabled();
        }
        try {
            return new EventLog(Advapi32EventLogBinding.open(ServiceNames.EVENT_SOURCE), DEFAULT_MAX_PER_WINDOW,
                    DEFAULT_WINDOW, () -> System.nanoTime() / 1_000_000L);
        } catch (IllegalStateException | LinkageError e) {
            LOG.warn("no Windows Event Log output: {}", e.getMessage());
            return disabled();
        }
    }

    /** True when events go somewhere. */
    public boolean enabled() {
        return binding != null;
    }

    /**
     * Queues one event unless its ID is over the rate limit. Never blocks.
     *
     * @param inserts exactly {@link EventLogMessage#inserts()} strings; null becomes "-"
     * @return true when queued, false when suppressed (counted) or disabled
     */
    public boolean write(EventLogMessage message, String... inserts) {
        if (inserts.length != message.inserts()) {
            throw new IllegalArgumentException(message + " takes " + message.inserts() + " insertion strings, not "
                    + inserts.length);
        }
        if (binding == null || closed) {
            return false;
        }
        String[] clean = new String[inserts.length];
        for (int i = 0; i < inserts.length; i++) {
            clean[i] = clean(inserts[i]);
        }
        Pending summary;
        boolean overLimit;
        synchronized (this) {
            long now = clockMillis.getAsLong();
            Window w = windows.computeIfAbsent(message, m -> {
                Window fresh = new Window();
                fresh.start = now;
                return fresh;
            });
            summary = null;
            if (now - w.start >= windowMillis) {
                summary = summaryOf(message, w, now);
                w.start = now;
                w.written = 0;
                w.suppressed = 0;
            }
            overLimit = w.written >= maxPerWindow;
            if (overLimit) {
                w.suppressed++;
                suppressedTotal++;
            } else {
                w.written++;
            }
        }
        if (summary != null) {
            offer(summary);
        }
        return !overLimit && offer(new Pending(message.type(), message.eventId(), clean));
    }

    /** Events not written because of the rate limit or a full queue, since start. */
    public synchronized long suppressedTotal() {
        return suppressedTotal;
    }

    /** Writes the binding refused (logged once each at WARN). */
    public synchronized long failures() {
        return failures;
    }

    /**
     * Reports what is still suppressed, writes what is queued (bounded wait) and
     * releases the source.
     */
    @Override
    public void close() {
        if (binding == null || closed) {
            return;
        }
        synchronized (this) {
            long now = clockMillis.getAsLong();
            for (Map.Entry<EventLogMessage, Window> e : windows.entrySet()) {
                Pending summary = summaryOf(e.getKey(), e.getValue(), now);
                if (summary != null) {
                    offer(summary);
                }
                e.getValue().suppressed = 0;
            }
            closed = true;
        }
        writer.interrupt();
        try {
            writer.join(CLOSE_WAIT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            LOG.warn("the Event Log writer did not finish within {} ms; {} event(s) not written", CLOSE_WAIT_MS,
                    queue.size());
        } else {
            binding.close();
        }
    }

    // Lock held by the caller.
    private Pending summaryOf(EventLogMessage message, Window w, long now) {
        if (w.suppressed == 0) {
            return null;
        }
        long seconds = Math.max(1, (now - w.start + 999) / 1000);
        return new Pending(EventLogMessage.EVENTS_SUPPRESSED.type(), EventLogMessage.EVENTS_SUPPRESSED.eventId(),
                new String[] {Long.toString(w.suppressed), Integer.toString(message.eventId()),
                    Long.toString(seconds)});
    }

    private boolean offer(Pending p) {
        if (queue.offer(p)) {
            return true;
        }
        synchronized (this) {
            suppressedTotal++;
        }
        return false;
    }

    private void drain() {
        boolean stopping = false;
        while (true) {
            Pending p;
            try {
                p = stopping ? queue.poll() : queue.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                stopping = true; // close(): write what is queued, then end
                continue;
            }
            if (p == null) {
                if (stopping || closed) {
                    return;
                }
                continue;
            }
            try {
                binding.report(p.type(), p.eventId(), p.inserts());
            } catch (RuntimeException e) {
                boolean first;
                synchronized (this) {
                    first = failures++ == 0;
                }
                if (first) {
                    LOG.warn("cannot write to the Event Log: {} (further failures are counted only)", e.getMessage());
                }
            }
        }
    }

    private static String clean(String s) {
        if (s == null || s.isEmpty()) {
            return "-";
        }
        // Event Viewer replaces "%%N" inside an insertion string with parameter message
        // N; a registry value or path that contains "%%" must stay literal.
        String t = s.replace("%%", "% %");
        return t.length() <= MAX_INSERT_CHARS ? t : t.substring(0, MAX_INSERT_CHARS - 1) + "\u2026";
    }
}
