package dev.hiveguard.audit;

import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Decision;

/**
 * Where the decision pump records what happened to each delivered event. Called
 * from the pump's threads after the verdict has been sent, never before: audit I/O
 * must not sit between a waiting registry caller and its answer.
 */
public interface AuditSink extends AutoCloseable {

    /**
     * @param event        the event as the driver delivered it
     * @param decision     what the policy decided
     * @param applied      the verdict sent to the driver (null when the event needed none)
     * @param latencyNanos time from receipt of the batch to the reply for this event
     */
    void record(RegistryEvent event, Decision decision, Verdict applied, long latencyNanos);

    /** Push buffered lines to the operating system. */
    void flush();

    /** Flush and release; nothing recorded before close is lost. */
    @Override
    void close();
}
