package dev.hiveguard.eventlog;

/**
 * The Event IDs of the HiveGuard source and the insertion strings each takes, in
 * the order its message text in hiveguard-messages.mc numbers them (%1, %2, ...).
 * EventLogMessageTest checks this list against the .mc file; hgmsgcheck checks the
 * compiled DLL under Wine.
 */
public enum EventLogMessage {
    /** policy source, policy hash, audit file. */
    SERVICE_STARTED(1000, EventLogType.INFORMATION, 3),
    /** why, operations decided, operations blocked. */
    SERVICE_STOPPED(1001, EventLogType.INFORMATION, 3),
    /** exit code, reason. */
    SERVICE_FAILED(1002, EventLogType.ERROR, 2),
    /** policy source, hash, rule count, mode. */
    POLICY_LOADED(2000, EventLogType.INFORMATION, 4),
    /** file, hash kept in force, errors. */
    POLICY_REJECTED(2001, EventLogType.WARNING, 3),
    /** operation, key, value, process image, pid, user SID, rule. */
    OPERATION_BLOCKED(3000, EventLogType.WARNING, 7),
    /** as OPERATION_BLOCKED, for an audit rule's hit or an audit-only policy's would-be block. */
    OPERATION_ALERT(3001, EventLogType.WARNING, 7),
    /** reason. */
    DRIVER_NOT_GUARDING(4000, EventLogType.ERROR, 1),
    /** count, Event ID, window seconds. */
    EVENTS_SUPPRESSED(4001, EventLogType.WARNING, 3);

    private final int eventId;
    private final EventLogType type;
    private final int inserts;

    EventLogMessage(int eventId, EventLogType type, int inserts) {
        this.eventId = eventId;
        this.type = type;
        this.inserts = inserts;
    }

    public int eventId() {
        return eventId;
    }

    public EventLogType type() {
        return type;
    }

    /** How many insertion strings the message text uses. */
    public int inserts() {
        return inserts;
    }

    /** The SymbolicName in the .mc file (and the macro in the header windmc generates). */
    public String symbolicName() {
        return "HG_MSG_" + name();
    }
}
