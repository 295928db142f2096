package dev.hiveguard.demo;

import java.time.Duration;

/**
 * How big the demo run is.
 *
 * @param noiseOperations ordinary operations to raise in total (ignored when duration is set)
 * @param duration        raise noise for this long instead of a fixed count; null for a count
 * @param processes       simulated noise processes, each its own thread
 * @param seed            makes the noise reproducible
 * @param liveOutput      print notable decisions and the progress line while running
 */
public record DemoSettings(int noiseOperations, Duration duration, int processes, long seed, boolean liveOutput) {

    /** Two thousand operations finish in a few seconds even on a loaded two-core machine. */
    public static final int DEFAULT_NOISE_OPERATIONS = 2_000;
    public static final int MIN_NOISE_OPERATIONS = 0;
    /** Every caller's latency is kept for exact percentiles (8 bytes each): 40 MB at this bound. */
    public static final int MAX_NOISE_OPERATIONS = 5_000_000;
    public static final int DEFAULT_PROCESSES = 5;
    public static final int MAX_PROCESSES = 64;
    public static final Duration MAX_DURATION = Duration.ofHours(1);
    public static final long DEFAULT_SEED = 20201022L;

    public DemoSettings {
        if (noiseOperations < MIN_NOISE_OPERATIONS || noiseOperations > MAX_NOISE_OPERATIONS) {
            throw new IllegalArgumentException("--operations " + noiseOperations + " is outside ["
                    + MIN_NOISE_OPERATIONS + ", " + MAX_NOISE_OPERATIONS + "]");
        }
        if (duration != null && (duration.isNegative() || duration.isZero() || duration.compareTo(MAX_DURATION) > 0)) {
            throw new IllegalArgumentException("--duration " + duration.toMillis() + " ms is outside (0, "
                    + MAX_DURATION.toMinutes() + " min]");
        }
        if (processes < 1 || processes > MAX_PROCESSES) {
            throw new IllegalArgumentException("--processes " + processes + " is outside [1, " + MAX_PROCESSES + "]");
        }
    }

    public static DemoSettings defaults() {
        return new DemoSettings(DEFAULT_NOISE_OPERATIONS, null, DEFAULT_PROCESSES, DEFAULT_SEED, true);
    }
}
