package dev.hiveguard.cli;

import dev.hiveguard.audit.AuditOptions;
import dev.hiveguard.audit.AuditSink;
import dev.hiveguard.audit.JsonAuditWriter;
import dev.hiveguard.audit.TeeAuditSink;
import dev.hiveguard.device.DeviceException;
import dev.hiveguard.device.HiveGuardDevice;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.pump.DecisionPump;
import dev.hiveguard.pump.PumpOptions;
import dev.hiveguard.pump.PumpStatus;
import dev.hiveguard.wire.DriverStats;
import java.io.UncheckedIOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running agent: the audit trail, the device and the decision pump, started in
 * that order (the trail must accept lines before the first event can arrive) and
 * stopped in reverse (the pump drains into the trail before either closes). Used by
 * {@code run} and {@code demo}; every start failure becomes a one-line CliException
 * and leaves nothing open.
 */
final class AgentSession implements AutoCloseable {

    static final long DRAIN_POLL_MS = 5;
    private static final Logger LOG = LoggerFactory.getLogger(AgentSession.class);

    private final JsonAuditWriter audit;
    private final HiveGuardDevice device;
    private final DecisionPump pump;
    private boolean closed;
    private DriverStats finalDriverStats;

    private AgentSession(JsonAuditWriter audit, HiveGuardDevice device, DecisionPump pump) {
        this.audit = audit;
        this.device = device;
        this.pump = pump;
    }

    static AgentSession start(Policy policy, AuditOptions auditOptions, PumpOptions pumpOptions) {
        return start(policy, auditOptions, pumpOptions, null);
    }

    /** @param alsoTo a second sink after the audit trail (the Windows Event Log), or null */
    static AgentSession start(Policy policy, AuditOptions auditOptions, PumpOptions pumpOptions, AuditSink alsoTo) {
        JsonAuditWriter audit;
        try {
            audit = new JsonAuditWriter(auditOptions);
        } catch (UncheckedIOException e) {
            throw new CliException(ExitCodes.IO_ERROR, e.getMessage(), e);
        }
        HiveGuardDevice device;
        try {
            device = HiveGuardDevice.open();
        } catch (DeviceException e) {
            audit.close();
            throw new CliException(ExitCodes.DEVICE_UNAVAILABLE, e.getMessage(), e);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            // JNA could not load kernel32 or the host library (libhiveguard_host.so on Linux).
            audit.close();
            throw new CliException(ExitCodes.DEVICE_UNAVAILABLE, "cannot load the device library: "
                    + CliException.firstLine(e.getMessage()),
                    e);
        }
        DecisionPump pump = new DecisionPump(device, policy, alsoTo == null ? audit : new TeeAuditSink(audit, alsoTo),
                pumpOptions);
        try {
            pump.start();
        } catch (DeviceException | IllegalStateException e) {
            closeQuietly(pump, device, audit);
            throw new CliException(ExitCodes.DEVICE_UNAVAILABLE, e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            closeQuietly(pump, device, audit);
            throw new CliException(ExitCodes.USAGE, e.getMessage(), e);
        }
        return new AgentSession(audit, device, pump);
    }

    private static void closeQuietly(DecisionPump pump, HiveGuardDevice device, JsonAuditWriter audit) {
        try {
            pump.close();
        } finally {
            try {
                device.close();
            } finally {
                audit.close();
            }
        }
    }

    /** True when the device's handles vanished underneath the agent (its process object went away). */
    boolean handlesLost() {
        return device.handlesLost();
    }

    PumpStatus status() {
        return pump.status();
    }

    JsonAuditWriter audit() {
        return audit;
    }

    DecisionPump pump() {
        return pump;
    }

    /**
     * Waits until the driver has nothing queued for the agent and the pump has taken in
     * everything the driver delivered. Callers that need no verdict do not wait for
     * the agent, so a burst can end with events still in the driver's backlog; a stop
     * then would discard them (counted as dropped), which a bounded run such as the
     * demo must not confuse with loss under load.
     *
     * @return false when {@code timeoutMs} passed first
     */
    boolean awaitDrained(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (System.nanoTime() < deadline) {
            PumpStatus s = pump.status();
            if (s.driver() != null && s.driver().backlogEvents() == 0 && s.driver().pendingWaiters() == 0
                    && s.eventsReceived() >= s.driver().delivered() && s.queuedBatches() == 0) {
                return true;
            }
            Thread.sleep(DRAIN_POLL_MS);
        }
        return false;
    }

    /**
     * Idempotent. Graceful: every delivered event is decided, answered and in the trail
     * afterwards. The driver's counters are read between the pump's stop and the
     * handle's close, the last moment they can be (events the driver still held are
     * discarded at the close and counted as dropped after that).
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            pump.close();
            try {
                finalDriverStats = device.stats();
            } catch (RuntimeException e) {
                LOG.warn("cannot read the driver's final counters: {}", e.getMessage());
            }
        } finally {
            try {
                device.close();
            } finally {
                audit.close();
            }
        }
    }

    /** The driver's counters at the stop, or null before close or when unreadable. */
    synchronized DriverStats finalDriverStats() {
        return finalDriverStats;
    }
}
