package dev.hiveguard.replay;

import dev.hiveguard.pump.PumpOptions;
import dev.hiveguard.wire.Wire;
import java.time.Duration;
import java.util.Objects;

/**
 * How a replay runs.
 *
 * @param realtime      sleep the recorded gaps between operations instead of going flat out
 * @param speed         with realtime: 2.0 replays twice as fast as recorded
 * @param raisers       threads raising operations; each process's operations stay on one
 *                      thread, in recorded order
 * @param progressFrom  draw a progress bar on stderr when the replay has at least this many
 *                      operations (or runs in real time); 0 always, {@link #NO_PROGRESS} never
 * @param drainTimeout  longest wait, after the last raise, for the pump to decide what the
 *                      driver delivered
 * @param pump          the decision pump's options (as live)
 */
public record ReplayOptions(boolean realtime, double speed, int raisers, long progressFrom, Duration drainTimeout,
                            PumpOptions pump) {

    /**
     * Most raisers wait for a verdict round trip, not for the CPU. On the shared 2-core build
     * machine (load average ~18), the 13,215-event recording took 0.45-1.0 s with 4 raisers,
     * 0.8-1.4 s with 2, 1.3-3.0 s with 1 and 1.0-2.3 s with 8. The result is the same for any
     * count.
     */
    public static final int DEFAULT_RAISERS = 4;
    /**
     * A verdict-requesting operation that finds no GET_EVENTS request parked gets the driver's
     * default at once instead of the policy's answer. The replay parks the most requests the
     * driver allows and keeps the raisers (each has at most one verdict outstanding) to a
     * quarter of them, so completed-but-not-yet-re-parked requests can never use them all up.
     */
    public static final int PARKED_REQUESTS = Wire.PARKED_MAX;
    public static final int PARKED_PER_RAISER = 4;
    public static final int MAX_RAISERS = PARKED_REQUESTS / PARKED_PER_RAISER;
    public static final double MIN_SPEED = 0.001;
    public static final double MAX_SPEED = 1_000_000;
    /** A pump that has not decided a delivered event in this long is stuck, not slow. */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);

    /** {@link #progressFrom} for no progress bar. */
    public static final long NO_PROGRESS = -1;

    public ReplayOptions {
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        Objects.requireNonNull(pump, "pump");
        if (raisers < 1 || raisers > MAX_RAISERS) {
            throw new IllegalArgumentException("raisers " + raisers + " is outside [1, " + MAX_RAISERS + "]");
        }
        if (pump.parkedRequests() < raisers * PARKED_PER_RAISER) {
            throw new IllegalArgumentException(raisers + " raisers need at least " + raisers * PARKED_PER_RAISER
                    + " parked requests, the pump has " + pump.parkedRequests());
        }
        if (!(speed >= MIN_SPEED && speed <= MAX_SPEED)) {
            throw new IllegalArgumentException("speed " + speed + " is outside [" + MIN_SPEED + ", " + MAX_SPEED + "]");
        }
    }

    public static ReplayOptions defaults() {
        return new ReplayOptions(false, 1.0, DEFAULT_RAISERS, NO_PROGRESS, DEFAULT_DRAIN_TIMEOUT,
                PumpOptions.defaults().withParkedRequests(PARKED_REQUESTS));
    }

    public ReplayOptions withRealtime(boolean on, double factor) {
        return new ReplayOptions(on, factor, raisers, progressFrom, drainTimeout, pump);
    }

    public ReplayOptions withRaisers(int n) {
        return new ReplayOptions(realtime, speed, n, progressFrom, drainTimeout, pump);
    }

    public ReplayOptions withProgress(boolean on) {
        return withProgressFrom(on ? 0 : NO_PROGRESS);
    }

    /** A progress bar for replays of at least {@code operations} operations (or in real time). */
    public ReplayOptions withProgressFrom(long operations) {
        return new ReplayOptions(realtime, speed, raisers, operations, drainTimeout, pump);
    }

    /** Whether a replay of {@code operations} operations draws the bar. */
    public boolean progressFor(long operations) {
        return progressFrom >= 0 && (realtime || operations >= progressFrom);
    }
}
