package dev.hiveguard.pump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    @Test
    void bucketsCoverEveryValueContiguously() {
        long previousUpper = -1;
        for (int i = 0; i < LatencyHistogram.index(Long.MAX_VALUE); i++) {
            long upper = LatencyHistogram.upperBound(i);
            assertEquals(i, LatencyHistogram.index(upper), "upper bound of bucket " + i);
            assertEquals(i, LatencyHistogram.index(previousUpper + 1), "first value of bucket " + i);
            previousUpper = upper;
        }
    }

    @Test
    void percentilesAreWithinTheBucketErrorOfTheExactOnes() {
        LatencyHistogram h = new LatencyHistogram();
        Random random = new Random(42);
        long[] samples = new long[100_000];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (long) Math.exp(8 + 4 * random.nextDouble()); // ~3 us .. 160 us, log-uniform
            h.record(samples[i]);
        }
        java.util.Arrays.sort(samples);
        for (double q : new double[] {0.5, 0.9, 0.99}) {
            long exact = samples[(int) Math.ceil(q * samples.length) - 1];
            long reported = h.percentile(q);
            assertTrue(reported >= exact && reported <= exact * 1.125 + 1, q + ": exact " + exact + " reported "
                    + reported);
        }
        LatencySummary s = h.summary();
        assertEquals(samples.length, s.count());
        assertEquals(samples[samples.length - 1], s.maxNanos());
    }

    @Test
    void emptyHistogramReportsZeros() {
        assertEquals(new LatencySummary(0, 0, 0, 0, 0), new LatencyHistogram().summary());
    }
}
