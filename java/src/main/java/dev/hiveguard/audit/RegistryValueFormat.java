package dev.hiveguard.audit;

import static dev.hiveguard.model.RegistryValueType.REG_DWORD;
import static dev.hiveguard.model.RegistryValueType.REG_DWORD_BIG_ENDIAN;
import static dev.hiveguard.model.RegistryValueType.REG_EXPAND_SZ;
import static dev.hiveguard.model.RegistryValueType.REG_LINK;
import static dev.hiveguard.model.RegistryValueType.REG_MULTI_SZ;
import static dev.hiveguard.model.RegistryValueType.REG_QWORD;
import static dev.hiveguard.model.RegistryValueType.REG_SZ;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders captured registry value data the way ECS's {@code registry.data.*} fields
 * describe it: the REG_* type name, and for string and number types the
 * {@code registry.data.strings} array (numbers in decimal, as ECS asks).
 *
 * <p>Value data arrives as the caller passed it to {@code RegSetValueEx}: strings are
 * UTF-16LE and usually, but not always, NUL-terminated (the API stores whatever byte
 * count the caller gives), REG_MULTI_SZ is a sequence of NUL-terminated strings ending
 * in an empty one, DWORD/QWORD are little-endian. Data may also be cut at the
 * driver's data cap, so every decoder here accepts a short or odd-length buffer and
 * renders what is whole.
 */
public final class RegistryValueFormat {

    private RegistryValueFormat() {
    }

    /**
     * The {@code registry.data.strings} rendering, or an empty list when the type has
     * none (binary types) or the data is too short to hold one whole number.
     */
    public static List<String> strings(int valueType, byte[] data) {
        switch (valueType) {
            case REG_SZ:
            case REG_EXPAND_SZ:
            case REG_LINK:
                return List.of(utf16UpToNul(data, 0, data.length & ~1));
            case REG_MULTI_SZ:
                return multiString(data);
            case REG_DWORD:
                return data.length < Integer.BYTES ? List.of()
                        : List.of(Integer.toUnsignedString(
                                ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getInt()));
            case REG_DWORD_BIG_ENDIAN:
                return data.length < Integer.BYTES ? List.of()
                        : List.of(Integer.toUnsignedString(
                                ByteBuffer.wrap(data).order(ByteOrder.BIG_ENDIAN).getInt()));
            case REG_QWORD:
                return data.length < Long.BYTES ? List.of()
                        : List.of(Long.toUnsignedString(
                                ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getLong()));
            default:
                return List.of();
        }
    }

    private static List<String> multiString(byte[] data) {
        List<String> out = new ArrayList<>();
        int end = data.length & ~1;
        int start = 0;
        for (int i = 0; i < end; i += 2) {
            if (data[i] == 0 && data[i + 1] == 0) {
                // The empty string that terminates the sequence ends it; an empty string
                // in the middle is not representable in REG_MULTI_SZ anyway.
                if (i == start) {
                    return out;
                }
                out.add(new String(data, start, i - start, StandardCharsets.UTF_16LE));
                start = i + 2;
            }
        }
        if (start < end) {
            // Unterminated last string (cut at the data cap, or a sloppy caller).
            out.add(new String(data, start, end - start, StandardCharsets.UTF_16LE));
        }
        return out;
    }

    private static String utf16UpToNul(byte[] data, int from, int to) {
        int end = from;
        while (end + 1 < to && !(data[end] == 0 && data[end + 1] == 0)) {
            end += 2;
        }
        return new String(data, from, end - from, StandardCharsets.UTF_16LE);
    }
}
