package dev.hiveguard.replay;

import static dev.hiveguard.model.RegistryValueType.REG_BINARY;
import static dev.hiveguard.model.RegistryValueType.REG_DWORD;
import static dev.hiveguard.model.RegistryValueType.REG_DWORD_BIG_ENDIAN;
import static dev.hiveguard.model.RegistryValueType.REG_EXPAND_SZ;
import static dev.hiveguard.model.RegistryValueType.REG_FULL_RESOURCE_DESCRIPTOR;
import static dev.hiveguard.model.RegistryValueType.REG_LINK;
import static dev.hiveguard.model.RegistryValueType.REG_MULTI_SZ;
import static dev.hiveguard.model.RegistryValueType.REG_NONE;
import static dev.hiveguard.model.RegistryValueType.REG_QWORD;
import static dev.hiveguard.model.RegistryValueType.REG_RESOURCE_LIST;
import static dev.hiveguard.model.RegistryValueType.REG_RESOURCE_REQUIREMENTS_LIST;
import static dev.hiveguard.model.RegistryValueType.REG_SZ;

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

    /** Name as winnt.h spells it, for messages. */
    static int typeFromName(String name) {
        return switch (name.strip().toUpperCase(java.util.Locale.ROOT)) {
            case "REG_NONE" -> REG_NONE;
            case "REG_SZ" -> REG_SZ;
            case "REG_EXPAND_SZ" -> REG_EXPAND_SZ;
            case "REG_BINARY" -> REG_BINARY;
            case "REG_DWORD", "REG_DWORD_LITTLE_ENDIAN" -> REG_DWORD;
            case "REG_DWORD_BIG_ENDIAN" -> REG_DWORD_BIG_ENDIAN;
            case "REG_LINK" -> REG_LINK;
            case "REG_MULTI_SZ" -> REG_MULTI_SZ;
            case "REG_QWORD", "REG_QWORD_LITTLE_ENDIAN" -> REG_QWORD;
            case "REG_RESOURCE_LIST" -> REG_RESOURCE_LIST;
            case "REG_FULL_RESOURCE_DESCRIPTOR" -> REG_FULL_RESOURCE_DESCRIPTOR;
            case "REG_RESOURCE_REQUIREMENTS_LIST" -> REG_RESOURCE_REQUIREMENTS_LIST;
            default -> -1;
        };
    }
}
