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
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
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
 * <p>A write error (disk full, file removed under us) must not stop registry
 * decisions: it is logged, counted in {@link Stats#failedLines()}, and writing goes on.
 */
public final class JsonAuditWriter implements AuditSink {

    private static final Logger LOG = LoggerFactory.getLogger(JsonAuditWriter.class);
    /** A line buffer that grew past this (a huge value) is dropped after use rather than kept per thread. */
    private static final int RETAINED_LINE_BUFFER_BYTES = 64 * 1024;
    private static final int INITIAL_LINE_BUFFER_BYTES = 2 * 1024;

    private final AuditOptions options;
    private final Clock clock;
    private final JsonFactory json = new JsonFactory();
    private final ReentrantLock lock = new ReentrantLock();
    private final RollingAuditFile file;
    private final ScheduledExecutorService flusher;
    private final ThreadLocal<LineBuffer> lineBuffers = ThreadLocal.withInitial(LineBuffer::new);
    private final AtomicLong linesWritten = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();
    private final AtomicLong failedLines = new AtomicLong();
    private volatile boolean closed;

    /** Counters for status output. */
    public record Stats(long linesWritten, long bytesWritten, long failedLines, long rolls) {
    }

    /** @throws UncheckedIOException when the directory or the active file cannot be opened */
    public JsonAuditWriter(AuditOptions options) {
        this(options, Clock.systemUTC());
    }

    JsonAuditWriter(AuditOptions options, Clock clock) {
        this.options = Objects.requireNonNull(options, "options");
        this.clock = Objects.requireNonNull(clock, "clock");
        try {
            this.file = new RollingAuditFile(options);
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
            failedLines.incrementAndGet();
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
            linesWritten.incrementAndGet();
            bytesWritten.addAndGet(line.size());
        } catch (IOException e) {
            failedLines.incrementAndGet();
            LOG.error("audit: cannot write to {}: {}", options.activeFile(), e.toString());
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
            }
        } catch (IOException e) {
            LOG.error("audit: cannot flush {}: {}", options.activeFile(), e.toString());
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

    /** Idempotent. */
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
            lock.unlock();
        }
    }

    public Stats stats() {
        lock.lock();
        try {
            return new Stats(linesWritten.get(), bytesWritten.get(), failedLines.get(), file.rolls());
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
