package dev.hiveguard.audit;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Decision;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail: one ECS JSON line per delivered event, in size-rolled files.
 *
 * <p>Each caller encodes its line into its own buffer without any lock, then takes
 * one short lock to append the finished line to a buffered file, so lines from the
 * pump's threads never interleave and the pump never waits on another thread's JSON
 * work. A daemon thread flushes every {@link AuditOptions#flushInterval()}; a crash
 * costs at most that much and leaves at most one partial line. {@link #close()} takes
 * the same lock, so every {@code record} that returned before it is on disk after it.
 *
 * <p>A write error (disk full, a failing device) must not stop registry decisions, and must
 * not corrupt the trail: the lines that could not be written are dropped - never written
 * again later, duplicated, split or glued to the next line (see {@link RollingAuditFile}) -
 * counted exactly in {@link Stats#failedLines()}, and writing resumes with the next line once
 * the disk takes it again. The log says so once when losses start, then at most once per
 * {@link #LOSS_REPORT_INTERVAL} with the count of that interval, and once when writing
 * resumes, instead of one error per lost line.
 */
public final class JsonAuditWriter implements AuditSink {

    private static final Logger LOG = LoggerFactory.getLogger(JsonAuditWriter.class);
    /** A line buffer that grew past this (a huge value) is dropped after use rather than kept per thread. */
    private static final int RETAINED_LINE_BUFFER_BYTES = 64 * 1024;
    private static final int INITIAL_LINE_BUFFER_BYTES = 2 * 1024;
    /** Longest silence about ongoing losses: one log line a minute while a disk stays full. */
    public static final Duration LOSS_REPORT_INTERVAL = Duration.ofSeconds(60);

    private final AuditOptions options;
    private final Clock clock;
    private final JsonFactory json = new JsonFactory();
    private final ReentrantLock lock = new ReentrantLock();
    private final RollingAuditFile file;
    private final ScheduledExecutorService flusher;
    private final ThreadLocal<LineBuffer> lineBuffers = ThreadLocal.withInitial(LineBuffer::new);
    private final AtomicLong unencodableLines = new AtomicLong();
    private final LongSupplier nanoTime;
    private volatile boolean closed;

    // Loss reporting, under the lock (see reportLosses).
    private boolean losing;
    private long lostSeen;
    private long lostReported;
    private long lostAtOutageStart;
    private long writtenAtLastLoss;
    private long lastReportNanos;
    private long lastErrorLogNanos;
    private boolean reportedYet;
    private boolean outageReported;
    private boolean errorLoggedYet;
    private IOException lastError;

    /**
     * Counters for status output.
     *
     * @param linesWritten lines that reached the file (buffered ones count once flushed)
     * @param bytesWritten their bytes
     * @param failedLines  lines that never will: dropped after a write error, or not encodable
     * @param rolls        files rolled
     */
    public record Stats(long linesWritten, long bytesWritten, long failedLines, long rolls) {
    }

    /** @throws UncheckedIOException when the directory or the active file cannot be opened */
    public JsonAuditWriter(AuditOptions options) {
        this(options, Clock.systemUTC());
    }

    JsonAuditWriter(AuditOptions options, Clock clock) {
        this(options, clock, RollingAuditFile.FILES, System::nanoTime);
    }

    /** With the file channel and the monotonic clock of the loss reports substituted (tests). */
    JsonAuditWriter(AuditOptions options, Clock clock, RollingAuditFile.ChannelOpener opener, LongSupplier nanoTime) {
        this.options = Objects.requireNonNull(options, "options");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        try {
            this.file = new RollingAuditFile(options, opener);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open audit file " + options.activeFile() + ": " + e.getMessage(), e);
        }
        this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "hiveguard-audit-flush");
            t.setDaemon(true);
            return t;
        });
        long period = options.flushInterval().toMillis();
        flusher.scheduleWithFixedDelay(this::flushQuietly, period, period, TimeUnit.MILLISECONDS);
    }

    public AuditOptions options() {
        return options;
    }

    /**
     * @throws IllegalStateException after {@link #close()}: a line recorded then would
     *                               silently vanish, which is worse than a loud caller bug
     */
    @Override
    public void record(RegistryEvent event, Decision decision, Verdict applied, long latencyNanos) {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(decision, "decision");
        LineBuffer line = lineBuffers.get();
        line.reset();
        try (JsonGenerator g = json.createGenerator(line, JsonEncoding.UTF8)) {
            EcsEventEncoder.write(g, event, decision, applied, latencyNanos, clock.instant());
        } catch (IOException e) {
            // Only a bug in the encoder can get here: the target is memory.
            unencodableLines.incrementAndGet();
            LOG.error("audit: cannot encode event sequence {}: {}", event.sequence(), e.toString());
            return;
        }
        line.write('\n');
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("audit trail " + options.activeFile() + " is closed");
            }
            file.append(line.array(), line.size());
            reportLosses();
        } finally {
            lock.unlock();
            if (line.capacity() > RETAINED_LINE_BUFFER_BYTES) {
                lineBuffers.remove();
            }
        }
    }

    @Override
    public void flush() {
        lock.lock();
        try {
            if (!closed) {
                file.flush();
                reportLosses();
            }
        } finally {
            lock.unlock();
        }
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (RuntimeException e) {
            // An exception would cancel the periodic task for good.
            LOG.error("audit: flush failed: {}", e.toString());
        }
    }

    /**
     * Logs what the last file operations lost, at most once per {@link #LOSS_REPORT_INTERVAL}
     * (a disk that stays full, or one that fills and frees again and again, cannot flood the
     * log): when losses start, then the lines lost since the previous report while any are
     * unreported, and the resumption of an outage whose start was reported. Called under the
     * lock after every file operation and by the periodic flush, so a summary comes due even
     * when no new line arrives.
     */
    private void reportLosses() {
        IOException e = file.takeError();
        if (e != null) {
            lastError = e;
        }
        long now = nanoTime.getAsLong();
        boolean reportDue = !reportedYet || now - lastReportNanos >= LOSS_REPORT_INTERVAL.toNanos();
        long lost = file.linesLost();
        long written = file.linesWritten();
        if (lost > lostSeen) {
            long before = lostSeen;
            lostSeen = lost;
            writtenAtLastLoss = written;
            if (!losing) {
                losing = true;
                lostAtOutageStart = before;
                outageReported = reportDue;
                if (reportDue) {
                    LOG.error("audit: cannot write to {} ({}); {} line(s) lost. Lines are dropped, counted and "
                            + "reported at most once every {} s until writing resumes", options.activeFile(),
                            String.valueOf(lastError), lost - lostReported, LOSS_REPORT_INTERVAL.toSeconds());
                    markReported(lost, now);
                }
                return;
            }
        }
        if (losing && written > writtenAtLastLoss) {
            // Lines reached the file after the last loss: the disk takes them again.
            losing = false;
            if (outageReported) {
                LOG.warn("audit: writing to {} resumed; {} line(s) lost during the failure ({} in all)",
                        options.activeFile(), lost - lostAtOutageStart, lost);
                markReported(lost, now);
            }
            return;
        }
        if (lost > lostReported && reportDue) {
            LOG.error("audit: {} more line(s) lost writing to {} ({} in all; last error: {})", lost - lostReported,
                    options.activeFile(), lost, String.valueOf(lastError));
            markReported(lost, now);
        } else if (e != null && !losing && lost == lostReported
                && (!errorLoggedYet || now - lastErrorLogNanos >= LOSS_REPORT_INTERVAL.toNanos())) {
            // An error that cost no line (a failed rename at roll time): worth a line, not a flood.
            errorLoggedYet = true;
            lastErrorLogNanos = now;
            LOG.warn("audit: {} on {}; no line lost", String.valueOf(e), options.activeFile());
        }
    }

    private void markReported(long lost, long now) {
        lostReported = lost;
        reportedYet = true;
        lastReportNanos = now;
    }

    /** Idempotent. Lines that cannot be written now are counted as lost and the count is logged. */
    @Override
    public void close() {
        flusher.shutdownNow();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            file.close();
        } catch (IOException e) {
            LOG.error("audit: cannot close {}: {}", options.activeFile(), e.toString());
        } finally {
            try {
                reportLosses();
                if (file.linesLost() > lostReported) {
                    // Closing: whatever was not reported yet is, whatever the interval.
                    LOG.error("audit: {} more line(s) lost writing to {} ({} in all; last error: {})",
                            file.linesLost() - lostReported, options.activeFile(), file.linesLost(),
                            String.valueOf(lastError));
                }
            } finally {
                lock.unlock();
            }
        }
    }

    public Stats stats() {
        lock.lock();
        try {
            return new Stats(file.linesWritten(), file.bytesWritten(), file.linesLost() + unencodableLines.get(),
                    file.rolls());
        } finally {
            lock.unlock();
        }
    }

    /** A ByteArrayOutputStream whose array can be handed to the file without a copy. */
    private static final class LineBuffer extends ByteArrayOutputStream {
        LineBuffer() {
            super(INITIAL_LINE_BUFFER_BYTES);
        }

        byte[] array() {
            return buf;
        }

        int capacity() {
            return buf.length;
        }
    }
}
