package dev.hiveguard.model;

/**
 * The registry value type codes of {@code winnt.h} ({@code REG_*}), as the driver reports
 * them in {@link RegistryEvent#valueType()}, and their names. One list for the whole
 * agent: the Sysmon rendering ({@link ValueRendering}), the audit trail's ECS fields and
 * the readers of recorded telemetry all speak these codes.
 */
public final class RegistryValueType {

    public static final int REG_NONE = 0;
    public static final int REG_SZ = 1;
    public static final int REG_EXPAND_SZ = 2;
    public static final int REG_BINARY = 3;
    public static final int REG_DWORD = 4;
    public static final int REG_DWORD_BIG_ENDIAN = 5;
    public static final int REG_LINK = 6;
    public static final int REG_MULTI_SZ = 7;
    public static final int REG_RESOURCE_LIST = 8;
    public static final int REG_FULL_RESOURCE_DESCRIPTOR = 9;
    public static final int REG_RESOURCE_REQUIREMENTS_LIST = 10;
    public static final int REG_QWORD = 11;

    private static final String[] NAMES = {
        "REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD", "REG_DWORD_BIG_ENDIAN",
        "REG_LINK", "REG_MULTI_SZ", "REG_RESOURCE_LIST", "REG_FULL_RESOURCE_DESCRIPTOR",
        "REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD",
    };

    private RegistryValueType() {
    }

    /**
     * The REG_* name of a type code. Callers may store any 32-bit type (RegSetValueEx does
     * not check it), so unknown codes are rendered rather than rejected.
     */
    public static String name(int valueType) {
        if (valueType >= 0 && valueType < NAMES.length) {
            return NAMES[valueType];
        }
        return "REG_UNKNOWN_0x" + Integer.toHexString(valueType);
    }

    /** The code of a name {@link #name} produces for a known type, or -1. */
    public static int code(String name) {
        for (int i = 0; i < NAMES.length; i++) {
            if (NAMES[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }
}
