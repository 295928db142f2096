package dev.hiveguard.pump;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Lock-free log-linear latency histogram: each power of two is split into
 * {@value #SUB_BUCKETS} linear sub-buckets, so a percentile is reported within 12.5%
 * of the true value while memory stays fixed however long the agent runs. The
 * maximum is exact.
 */
final class LatencyHistogram {

    private static final int SUB_BITS = 3;
    static final int SUB_BUCKETS = 1 << SUB_BITS;
    /** Enough buckets for any non-negative long. */
    private static final int BUCKETS = (64 - SUB_BITS + 1) * SUB_BUCKETS;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong max = new AtomicLong();

    void record(long nanos) {
        record(nanos, 1);
    }

    /** {@code samples} samples of the same value: a whole batch is answered at one moment. */
    void record(long nanos, long samples) {
        if (samples <= 0) {
            return;
        }
        long v = Math.max(0, nanos);
        counts.addAndGet(index(v), samples);
        total.addAndGet(samples);
        max.accumulateAndGet(v, Math::max);
    }

    static int index(long v) {
        if (v < SUB_BUCKETS) {
            return (int) v;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(v);
        int sub = (int) (v >>> (exponent - SUB_BITS)) & (SUB_BUCKETS - 1);
        return (exponent - SUB_BITS + 1) * SUB_BUCKETS + sub;
    }

    /** Largest value that falls into bucket {@code index}. */
    static long upperBound(int index) {
        if (index < SUB_BUCKETS) {
            return index;
        }
        int exponent = index / SUB_BUCKETS + SUB_BITS - 1;
        long sub = index % SUB_BUCKETS;
        long lower = (1L << exponent) + (sub << (exponent - SUB_BITS));
        return lower + (1L << (exponent - SUB_BITS)) - 1;
    }

    long count() {
        return total.get();
    }

    /** The bucket bound below which {@code quantile} of the samples fall (capped at the exact max). */
    long percentile(double quantile) {
        long n = total.get();
        if (n == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(quantile * n));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts.get(i);
            if (seen >= rank) {
                return Math.min(upperBound(i), max.get());
            }
        }
        return max.get();
    }

    LatencySummary summary() {
        return new LatencySummary(count(), percentile(0.50), percentile(0.90), percentile(0.99), max.get());
    }
}
