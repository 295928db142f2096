package dev.hiveguard.policy;

import dev.hiveguard.model.Operation;

/**
 * The RegistryEvent fields a rule can test, named as Sysmon names them. A field an
 * operation does not have (Details outside SetValue, NewName outside RenameKey) makes
 * every condition on it false for that operation, negated ones included: Sysmon writes no
 * such field, so a rule about it cannot be about that event.
 */
public enum Field {
    EVENT_TYPE("EventType"),
    TARGET_OBJECT("TargetObject"),
    DETAILS("Details"),
    NEW_NAME("NewName"),
    IMAGE("Image"),
    PROCESS_ID("ProcessId"),
    USER("User"),
    /**
     * HiveGuard extension: the value name alone ({@code (Default)} for the unnamed value),
     * present for SetValue and DeleteValue. Sysmon folds it into TargetObject, and because
     * conditions on one field are OR'ed, "a key below X whose value is named Y" cannot be
     * written with TargetObject alone.
     */
    VALUE_NAME("ValueName");

    private final String xmlName;

    Field(String xmlName) {
        this.xmlName = xmlName;
    }

    /** The element name in a policy file. */
    public String xmlName() {
        return xmlName;
    }

    /** Exact, case-sensitive lookup as Sysmon's schema does; null when unknown. */
    public static Field fromXml(String name) {
        for (Field f : values()) {
            if (f.xmlName.equals(name)) {
                return f;
            }
        }
        return null;
    }

    /** Whether an event of this operation class carries this field. */
    public boolean presentFor(Operation op) {
        switch (this) {
            case DETAILS:
                return op == Operation.SET_VALUE;
            case NEW_NAME:
                return op == Operation.RENAME_KEY;
            case VALUE_NAME:
                return op == Operation.SET_VALUE || op == Operation.DELETE_VALUE;
            default:
                return true;
        }
    }

    /** Bit mask of the operation classes that carry this field. */
    public int presentMask() {
        int mask = 0;
        for (Operation op : Operation.values()) {
            if (presentFor(op)) {
                mask |= op.bit();
            }
        }
        return mask;
    }
}
