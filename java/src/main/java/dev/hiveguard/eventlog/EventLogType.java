package dev.hiveguard.eventlog;

/** ReportEventW's wType: the level Event Viewer shows. */
public enum EventLogType {
    ERROR(0x0001),
    WARNING(0x0002),
    INFORMATION(0x0004);

    private final int win32;

    EventLogType(int win32) {
        this.win32 = win32;
    }

    /** EVENTLOG_ERROR_TYPE, EVENTLOG_WARNING_TYPE or EVENTLOG_INFORMATION_TYPE. */
    public int win32() {
        return win32;
    }
}
