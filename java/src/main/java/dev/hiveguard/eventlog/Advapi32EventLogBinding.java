package dev.hiveguard.eventlog;

import com.sun.jna.Native;
import com.sun.jna.platform.win32.WinNT;
import dev.hiveguard.win32.Advapi32;

/**
 * RegisterEventSourceW / ReportEventW / DeregisterEventSource. The source must be
 * registered (the installer writes its EventMessageFile); an unregistered source
 * still logs, but Event Viewer then shows "the description for Event ID ... cannot
 * be found" instead of the text.
 */
public final class Advapi32EventLogBinding implements EventLogBinding {

    private final WinNT.HANDLE source;

    private Advapi32EventLogBinding(WinNT.HANDLE source) {
        this.source = source;
    }

    /** @throws IllegalStateException with the Win32 error when the source cannot be opened */
    public static Advapi32EventLogBinding open(String sourceName) {
        WinNT.HANDLE h = Advapi32.INSTANCE.RegisterEventSource(null, sourceName);
        if (h == null) {
            throw new IllegalStateException("RegisterEventSourceW(" + sourceName + ") failed with Win32 error "
                    + Native.getLastError());
        }
        return new Advapi32EventLogBinding(h);
    }

    @Override
    public void report(EventLogType type, int eventId, String[] inserts) {
        // No category (0), no user SID (the service's account adds nothing), no raw data.
        if (!Advapi32.INSTANCE.ReportEvent(source, type.win32(), 0, eventId, null, inserts.length, 0, inserts,
                null)) {
            throw new IllegalStateException("ReportEventW(" + eventId + ") failed with Win32 error "
                    + Native.getLastError());
        }
    }

    @Override
    public void close() {
        Advapi32.INSTANCE.DeregisterEventSource(source);
    }
}
