package dev.hiveguard.metrics;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Latency percentiles over a run (the demo, a test): up to {@link #MAX_CAPACITY}
 * samples every sample is kept, so p99 is a real observation rather than a bucket
 * bound; beyond that the kept samples are a uniform random sample of all of them
 * (reservoir sampling), so a long saturated run still reports percentiles of the
 * whole run in bounded memory (16 MiB, plus as much while summarising). Thread-safe;
 * recording is one synchronized array store. Long-lived agents use the pump's
 * histogram instead.
 */
public final class LatencySamples {

    /** 2^21 samples are 16 MiB: enough for percentiles to within a fraction of a percent. */
    public static final int MAX_CAPACITY = 1 << 21;

    private long[] nanos;
    private int count;
    private long seen;
    /** Kept apart: the extremes must be exact even when their samples are not kept. */
    private long max = Long.MIN_VALUE;
    private long min = Long.MAX_VALUE;
    private final SplittableRandom random = new SplittableRandom(0x5EED);

    public LatencySamples(int expected) {
        if (expected < 1 || expected > MAX_CAPACITY) {
            throw new IllegalArgumentException("expected sample count " + expected + " is outside [1, "
                    + MAX_CAPACITY + "]");
        }
        nanos = new long[expected];
    }

    public synchronized void record(long latencyNanos) {
        seen++;
        max = Math.max(max, latencyNanos);
        min = Math.min(min, latencyNanos);
        if (count == nanos.length) {
            if (nanos.length == MAX_CAPACITY) {
                // Reservoir: keep this sample with probability MAX_CAPACITY / seen.
                long slot = random.nextLong(seen);
                if (slot < MAX_CAPACITY) {
                    nanos[(int) slot] = latencyNanos;
                }
                return;
            }
            nanos = Arrays.copyOf(nanos, (int) Math.min(MAX_CAPACITY, 2L * nanos.length));
        }
        nanos[count++] = latencyNanos;
    }

    /** Samples recorded (kept or not). */
    public synchronized long count() {
        return seen;
    }

    /** Samples recorded but not kept: the percentiles come from a uniform sample of the run. */
    public synchronized long dropped() {
        return seen - count;
    }

    /** Percentile summary, nearest-rank method over the kept samples; all zeros when empty. */
    public synchronized Summary summary() {
        if (count == 0) {
            return new Summary(0, 0, 0, 0, 0, 0);
        }
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        return new Summary(seen, rank(sorted, 50), rank(sorted, 90), rank(sorted, 99), max, min);
    }

    private static long rank(long[] sorted, double percentile) {
        int index = (int) Math.ceil(percentile / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    /** Nanoseconds; {@code count} is every sample recorded. */
    public record Summary(long count, long p50, long p90, long p99, long max, long min) {
    }
}
