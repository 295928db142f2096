package dev.hiveguard.eventlog;

import dev.hiveguard.audit.AuditSink;
import dev.hiveguard.audit.EcsEventEncoder;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.RegistryPaths;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Decision;

/**
 * The decisions a Windows admin watches in the Event Log: every operation the
 * driver really denied (OPERATION_BLOCKED) and every other alert - an audit rule's
 * hit or a block that an audit-only policy only reported (OPERATION_ALERT). Ordinary
 * allowed events stay in the JSON audit trail only. The {@link EventLog} it writes
 * to rate-limits and never blocks the pump; it belongs to the caller, which closes it.
 */
public final class EventLogAuditSink implements AuditSink {

    private final EventLog log;

    public EventLogAuditSink(EventLog log) {
        this.log = log;
    }

    @Override
    public void record(RegistryEvent event, Decision decision, Verdict applied, long latencyNanos) {
        EventLogMessage message;
        if (applied == Verdict.BLOCK) {
            message = EventLogMessage.OPERATION_BLOCKED;
        } else if ("alert".equals(EcsEventEncoder.eventKind(decision))) {
            message = EventLogMessage.OPERATION_ALERT;
        } else {
            return;
        }
        String sysmonKey = RegistryPaths.toSysmon(event.keyPath());
        log.write(message,
                event.operation().eventType(),
                sysmonKey,
                event.valueName(),
                event.image(),
                Long.toString(event.pid()),
                event.userSid(),
                decision.ruleName() == null ? "(policy default)" : decision.ruleName());
    }

    @Override
    public void flush() {
        // Nothing buffered here; the EventLog's writer thread drains continuously.
    }

    @Override
    public void close() {
        // The EventLog is shared with the service's own events; its owner closes it.
    }
}
