package dev.hiveguard.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LatencySamplesTest {

    @Test
    void keepsEverySampleUpToTheCapacity() {
        LatencySamples s = new LatencySamples(4);
        for (int i = 1; i <= 100; i++) {
            s.record(i);
        }
        LatencySamples.Summary sum = s.summary();
        assertEquals(100, sum.count());
        assertEquals(0, s.dropped());
        assertEquals(50, sum.p50());
        assertEquals(99, sum.p99());
        assertEquals(100, sum.max());
        assertEquals(1, sum.min());
    }

    @Test
    void beyondTheCapacityPercentilesComeFromAUniformSampleOfTheWholeRun() {
        // A rising sequence is the hard case: keeping the first (or last) samples would put
        // the median at one end. Three times the capacity, so two thirds are not kept.
        long n = 3L * LatencySamples.MAX_CAPACITY;
        LatencySamples s = new LatencySamples(1024);
        for (long i = 0; i < n; i++) {
            s.record(i);
        }
        LatencySamples.Summary sum = s.summary();
        assertEquals(n, sum.count());
        assertEquals(n - LatencySamples.MAX_CAPACITY, s.dropped());
        assertEquals(n - 1, sum.max(), "the extremes are exact");
        assertEquals(0, sum.min());
        assertTrue(Math.abs(sum.p50() - n / 2.0) < n * 0.005, "p50 " + sum.p50() + " of " + n);
        assertTrue(Math.abs(sum.p99() - n * 0.99) < n * 0.005, "p99 " + sum.p99() + " of " + n);
    }
}
