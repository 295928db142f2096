package dev.hiveguard.audit;

import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Decision;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail plus a secondary sink (the Windows Event Log). The trail is the
 * record of truth and is written first; a failing secondary is logged once and
 * never stops the trail.
 */
public final class TeeAuditSink implements AuditSink {

    private static final Logger LOG = LoggerFactory.getLogger(TeeAuditSink.class);

    private final AuditSink primary;
    private final AuditSink secondary;
    private volatile boolean secondaryFailed;

    public TeeAuditSink(AuditSink primary, AuditSink secondary) {
        this.primary = primary;
        this.secondary = secondary;
    }

    @Override
    public void record(RegistryEvent event, Decision decision, Verdict applied, long latencyNanos) {
        primary.record(event, decision, applied, latencyNanos);
        try {
            secondary.record(event, decision, applied, latencyNanos);
        } catch (RuntimeException e) {
            if (!secondaryFailed) {
                secondaryFailed = true;
                LOG.warn("secondary audit sink failed ({}); the audit trail continues", e.toString());
            }
        }
    }

    @Override
    public void flush() {
        primary.flush();
        secondary.flush();
    }

    @Override
    public void close() {
        try {
            primary.close();
        } finally {
            secondary.close();
        }
    }
}
