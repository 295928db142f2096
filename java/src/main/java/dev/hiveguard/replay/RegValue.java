package dev.hiveguard.replay;

import static dev.hiveguard.model.RegistryValueType.REG_DWORD;
import static dev.hiveguard.model.RegistryValueType.REG_NONE;
import static dev.hiveguard.model.RegistryValueType.REG_QWORD;

import dev.hiveguard.model.RegistryValueType;
import dev.hiveguard.model.ValueRendering;

/**
 * A registry value's type and raw bytes as RegSetValueEx would pass them, rebuilt from how a
 * tool printed it.
 *
 * @param type         REG_* type
 * @param data         raw bytes as far as known
 * @param known        false when the tool hid (part of) the bytes
 * @param originalSize the size the caller passed, when the tool says so (else data.length)
 */
record RegValue(int type, byte[] data, boolean known, int originalSize) {

    static final RegValue NONE = new RegValue(REG_NONE, new byte[0], true, 0);

    static RegValue dword(long value) {
        byte[] b = ValueRendering.dword((int) value);
        return new RegValue(REG_DWORD, b, true, b.length);
    }

    static RegValue qword(long value) {
        byte[] b = ValueRendering.qword(value);
        return new RegValue(REG_QWORD, b, true, b.length);
    }

    /** A string value as RegSetValueExW stores it: UTF-16LE with its terminating NUL. */
    static byte[] utf16z(String text) {
        return ValueRendering.sz(text);
    }

    /** The REG_* code of a type name as tools print it (winnt.h's *_LITTLE_ENDIAN aliases too), or -1. */
    static int typeFromName(String name) {
        String n = name.strip().toUpperCase(java.util.Locale.ROOT);
        return switch (n) {
            case "REG_DWORD_LITTLE_ENDIAN" -> REG_DWORD;
            case "REG_QWORD_LITTLE_ENDIAN" -> REG_QWORD;
            default -> RegistryValueType.code(n);
        };
    }
}
