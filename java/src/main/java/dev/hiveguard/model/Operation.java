package dev.hiveguard.model;

/**
 * Registry operation classes, numbered exactly as {@code enum hg_operation} in
 * {@code driver/include/hiveguard_wire.h}. The wire mirror's tests prove the codes
 * against the C golden vectors.
 *
 * <p>{@link #eventType()} is the name Sysmon's RegistryEvent uses in its
 * {@code EventType} field where Sysmon has one (CreateKey, DeleteKey, SetValue,
 * DeleteValue, RenameKey); the other classes, which Sysmon does not report, get a
 * name in the same style so that rules can match them too.
 */
public enum Operation {
    CREATE_KEY(1, "CreateKey"),
    OPEN_KEY(2, "OpenKey"),
    SET_VALUE(3, "SetValue"),
    DELETE_VALUE(4, "DeleteValue"),
    DELETE_KEY(5, "DeleteKey"),
    RENAME_KEY(6, "RenameKey"),
    SET_KEY_SECURITY(7, "SetKeySecurity"),
    SET_INFORMATION(8, "SetInformation"),
    LOAD_KEY(9, "LoadKey"),
    UNLOAD_KEY(10, "UnloadKey"),
    SAVE_KEY(11, "SaveKey"),
    RESTORE_KEY(12, "RestoreKey"),
    REPLACE_KEY(13, "ReplaceKey"),
    FLUSH_KEY(14, "FlushKey");

    private static final Operation[] BY_CODE = new Operation[15];

    static {
        for (Operation op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    private final int code;
    private final String eventType;

    Operation(int code, String eventType) {
        this.code = code;
        this.eventType = eventType;
    }

    /** The {@code HG_OP_*} value on the wire. */
    public int code() {
        return code;
    }

    /** The bit of this class in the wire's operation masks ({@code HG_OP_BIT}). */
    public int bit() {
        return 1 << code;
    }

    /** Sysmon-style EventType name. */
    public String eventType() {
        return eventType;
    }

    /** @throws IllegalArgumentException for a code the contract does not define */
    public static Operation fromCode(int code) {
        if (code <= 0 || code >= BY_CODE.length || BY_CODE[code] == null) {
            throw new IllegalArgumentException("unknown operation code " + code);
        }
        return BY_CODE[code];
    }

    /** Case-insensitive lookup by Sysmon-style EventType name, or null. */
    public static Operation fromEventType(String name) {
        for (Operation op : values()) {
            if (op.eventType.equalsIgnoreCase(name)) {
                return op;
            }
        }
        return null;
    }

    /** Bit mask of every class ({@code HG_OP_MASK_ALL}). */
    public static int maskAll() {
        int mask = 0;
        for (Operation op : values()) {
            mask |= op.bit();
        }
        return mask;
    }
}
