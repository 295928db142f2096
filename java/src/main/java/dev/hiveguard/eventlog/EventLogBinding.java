package dev.hiveguard.eventlog;

/** Where accepted events go: ReportEventW on Windows; a fake in tests. */
public interface EventLogBinding extends AutoCloseable {

    /**
     * Writes one event. Throws {@link IllegalStateException} with the Win32 error when
     * the Event Log refused it.
     */
    void report(EventLogType type, int eventId, String[] inserts);

    @Override
    void close();
}
