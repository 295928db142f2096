package dev.hiveguard.metrics;

import java.util.Arrays;

/**
 * Exact latency percentiles over a bounded run (the demo, a test): every sample is
 * kept, so p99 is a real observation rather than a bucket bound. Thread-safe;
 * recording is one synchronized array store. Long-lived agents use the pump's
 * histogram instead, whose memory does not grow with the run.
 */
public final class LatencySamples {

    /** Ten million samples are 80 MB: a hard ceiling for a bounded run, never reached by the demo. */
    public static final int MAX_CAPACITY = 10_000_000;

    private long[] nanos;
    private int count;
    private long dropped;

    public LatencySamples(int expected) {
        if (expected < 1 || expected > MAX_CAPACITY) {
            throw new IllegalArgumentException("expected sample count " + expected + " is outside [1, "
                    + MAX_CAPACITY + "]");
        }
        nanos = new long[expected];
    }

    public synchronized void record(long latencyNanos) {
        if (count == nanos.length) {
            if (nanos.length == MAX_CAPACITY) {
                dropped++;
                return;
            }
            nanos = Arrays.copyOf(nanos, (int) Math.min(MAX_CAPACITY, 2L * nanos.length));
        }
        nanos[count++] = latencyNanos;
    }

    public synchronized int count() {
        return count;
    }

    /** Samples beyond {@link #MAX_CAPACITY}, not reflected in the percentiles. */
    public synchronized long dropped() {
        return dropped;
    }

    /** Percentile summary, nearest-rank method; all zeros when empty. */
    public synchronized Summary summary() {
        if (count == 0) {
            return new Summary(0, 0, 0, 0, 0, 0);
        }
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        return new Summary(count, rank(sorted, 50), rank(sorted, 90), rank(sorted, 99), sorted[count - 1],
                sorted[0]);
    }

    private static long rank(long[] sorted, double percentile) {
        int index = (int) Math.ceil(percentile / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    /** Nanoseconds. */
    public record Summary(int count, long p50, long p90, long p99, long max, long min) {
    }
}
