package dev.hiveguard.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a policy file and swaps a {@link PolicyHolder} to each new valid version.
 *
 * <p>It polls (modification time and size, then a SHA-256 of the bytes) rather than using a
 * WatchService: policy files are often replaced by deployment tools through rename or on
 * network shares, where change notifications are unreliable, and a poll of one file every
 * few seconds costs nothing. A file that does not parse leaves the previous policy in
 * force and logs every located error once; a file that is missing or unreadable does the
 * same. After a swap the listener is told, so the pump can send the driver the new
 * subscription.
 */
public final class PolicyReloader implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PolicyReloader.class);

    /** Default poll period: fast enough for an admin at a console, idle otherwise. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);
    public static final Duration MIN_INTERVAL = Duration.ofMillis(10);

    /** Called after each successful swap, on the reloader's thread. */
    @FunctionalInterface
    public interface Listener {
        void policyChanged(Policy previous, CompiledPolicy current);
    }

    /** Called when a changed file is invalid and the policy in force stays (the Event Log hears of it). */
    @FunctionalInterface
    public interface RejectionListener {
        void policyRejected(Path file, List<PolicyError> errors, String keptHash);
    }

    private final Path file;
    private final PolicyHolder holder;
    private final Listener listener;
    private final RejectionListener rejected;
    private final Duration interval;
    private ScheduledExecutorService timer;

    // Touched only by the polling thread (or a caller of checkNow, never both at once: synchronized).
    private long seenModified = Long.MIN_VALUE;
    private long seenSize = -1;
    private String seenBytesHash;
    private List<PolicyError> lastErrors = List.of();
    private String lastProblem;

    public PolicyReloader(Path file, PolicyHolder holder, Duration interval, Listener listener) {
        this(file, holder, interval, listener, null);
    }

    public PolicyReloader(Path file, PolicyHolder holder, Duration interval, Listener listener,
                          RejectionListener rejected) {
        this.rejected = rejected == null ? (f, e, h) -> { } : rejected;
        this.file = Objects.requireNonNull(file, "file");
        this.holder = Objects.requireNonNull(holder, "holder");
        this.listener = listener == null ? (p, c) -> { } : listener;
        this.interval = Objects.requireNonNull(interval, "interval");
        if (interval.compareTo(MIN_INTERVAL) < 0) {
            throw new IllegalArgumentException("poll interval below " + MIN_INTERVAL.toMillis() + " ms: " + interval);
        }
    }

    /** Starts polling on one daemon thread. */
    public synchronized PolicyReloader start() {
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "hiveguard-policy-reload");
                t.setDaemon(true);
                return t;
            });
            long ms = interval.toMillis();
            timer.scheduleWithFixedDelay(this::pollQuietly, ms, ms, TimeUnit.MILLISECONDS);
        }
        return this;
    }

    private void pollQuietly() {
        try {
            checkNow();
        } catch (Throwable e) {
            // Anything escaping here would cancel the schedule silently and every later edit would
            // be ignored: log it, keep the previous policy, and let the next poll retry.
            LOG.error("policy reload of {} failed unexpectedly; keeping policy {}", file, holder.hash(), e);
        }
    }

    /**
     * One poll: reloads if the file changed. Returns true when a new policy was installed.
     */
    public synchronized boolean checkNow() {
        BasicFileAttributes attrs;
        byte[] bytes;
        try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class);
            long modified = attrs.lastModifiedTime().toMillis();
            if (modified == seenModified && attrs.size() == seenSize) {
                return false;
            }
            bytes = Files.readAllBytes(file);
            seenModified = modified;
            seenSize = attrs.size();
        } catch (NoSuchFileException e) {
            problem("policy file " + file + " is missing; keeping policy " + holder.hash());
            seenModified = Long.MIN_VALUE;
            return false;
        } catch (IOException e) {
            problem("cannot read policy file " + file + " (" + e + "); keeping policy " + holder.hash());
            seenModified = Long.MIN_VALUE;
            return false;
        }
        String bytesHash = PolicyDescription.sha256(bytes);
        if (bytesHash.equals(seenBytesHash)) {
            return false; // touched, not changed
        }
        boolean firstRead = seenBytesHash == null;
        seenBytesHash = bytesHash;
        String name = PolicyLoader.displayName(file);
        CompiledPolicy next;
        try {
            next = PolicyLoader.compile(PolicyLoader.parse(file, bytes));
        } catch (StackOverflowError | RuntimeException e) {
            // A defect in parsing or compiling (a hostile file found one before): this version is
            // refused like an invalid one, once, and is not retried until the file changes again.
            lastErrors = List.of(new PolicyError(name, 1, 1, "cannot be compiled: " + e));
            lastProblem = "failed";
            LOG.error("policy file {} changed but could not be compiled; keeping policy {}", file, holder.hash(), e);
            return false;
        } catch (PolicyException e) {
            lastErrors = e.errors();
            lastProblem = "invalid";
            LOG.warn("policy file {} changed but is invalid ({} error(s)); keeping policy {}", file, e.errors().size(),
                    holder.hash());
            for (PolicyError err : e.errors()) {
                LOG.warn("  {}", err);
            }
            try {
                rejected.policyRejected(file, e.errors(), holder.hash());
            } catch (RuntimeException listenerFailure) {
                LOG.error("policy-rejection listener failed", listenerFailure);
            }
            return false;
        }
        lastErrors = List.of();
        lastProblem = null;
        if (next.hash().equals(holder.hash())) {
            if (!firstRead) { // the first read only records the file the caller already loaded
                LOG.info("policy file {} changed without changing the policy (hash {})", file, next.hash());
            }
            return false;
        }
        Policy previous = holder.swap(next);
        LOG.info("policy reloaded from {}: old hash {} -> new hash {} ({} rules)", file, previous.hash(), next.hash(),
                next.document().rules().size());
        for (String note : next.subscriptionNotes()) {
            LOG.warn("policy {}: driver subscription widened: {}", next.hash(), note);
        }
        try {
            listener.policyChanged(previous, next);
        } catch (RuntimeException e) {
            LOG.error("policy-change listener failed after loading {}", next.hash(), e);
        }
        return true;
    }

    private void problem(String message) {
        if (!message.equals(lastProblem)) {
            LOG.warn(message);
            lastProblem = message;
        }
    }

    /** The located errors of the last version that failed to load (empty after a good one). */
    public synchronized List<PolicyError> lastErrors() {
        return lastErrors;
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
            try {
                timer.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            timer = null;
        }
    }
}
