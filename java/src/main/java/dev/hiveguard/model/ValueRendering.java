package dev.hiveguard.model;

import static dev.hiveguard.model.RegistryValueType.REG_BINARY;
import static dev.hiveguard.model.RegistryValueType.REG_DWORD;
import static dev.hiveguard.model.RegistryValueType.REG_EXPAND_SZ;
import static dev.hiveguard.model.RegistryValueType.REG_MULTI_SZ;
import static dev.hiveguard.model.RegistryValueType.REG_QWORD;
import static dev.hiveguard.model.RegistryValueType.REG_SZ;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Renders registry value data the way Sysmon writes it in the Details field of event 13,
 * and parses such a rendering back into a value type and data, so that rules written
 * against Sysmon output match live events and recorded events alike.
 *
 * <p>Formats, as they appear in the shared datasets: {@code DWORD (0x0000000a)} (eight hex
 * digits, lower case), {@code QWORD (0x00000001-0x00000002)} (high then low 32-bit half),
 * REG_SZ and REG_EXPAND_SZ as their text (no expansion; {@code (Empty)} when empty), and
 * {@code Binary Data} for everything else. The recordings contain no REG_MULTI_SZ value,
 * so that format is ours: the strings joined by a single space, so a rule can see every
 * string (a payload cannot hide behind the first NUL).
 */
public final class ValueRendering {

    public static final String BINARY_DATA = "Binary Data";
    public static final String EMPTY = "(Empty)";
    public static final String MULTI_SZ_SEPARATOR = " ";

    private static final String DWORD_PREFIX = "DWORD (0x";
    private static final String QWORD_PREFIX = "QWORD (0x";
    private static final int DWORD_BYTES = 4;
    private static final int QWORD_BYTES = 8;
    private static final int HEX_DIGITS_PER_HALF = 8;

    private ValueRendering() {
    }

    /** Type and raw data of a value, as the driver captures it. */
    public record Value(int type, byte[] data) {
        public Value {
            Objects.requireNonNull(data, "data");
        }
    }

    /** Sysmon's Details text for a value of {@code valueType} holding {@code data}. */
    public static String details(int valueType, byte[] data) {
        byte[] d = data == null ? new byte[0] : data;
        switch (valueType) {
            case REG_DWORD:
                if (d.length < DWORD_BYTES) {
                    return BINARY_DATA;
                }
                return "DWORD (0x" + hex8(ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN).getInt()) + ")";
            case REG_QWORD:
                if (d.length < QWORD_BYTES) {
                    return BINARY_DATA;
                }
                long q = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN).getLong();
                return "QWORD (0x" + hex8((int) (q >>> 32)) + "-0x" + hex8((int) q) + ")";
            case REG_SZ:
            case REG_EXPAND_SZ: {
                String s = firstString(d);
                return s.isEmpty() ? EMPTY : s;
            }
            case REG_MULTI_SZ: {
                List<String> parts = strings(d);
                return parts.isEmpty() ? EMPTY : String.join(MULTI_SZ_SEPARATOR, parts);
            }
            default:
                return BINARY_DATA;
        }
    }

    /**
     * A value whose {@link #details} rendering is exactly {@code details}: DWORD/QWORD get
     * their number back, {@code Binary Data} becomes empty REG_BINARY data (the bytes were
     * never recorded), anything else a REG_SZ of that text.
     */
    public static Value fromDetails(String details) {
        String d = details == null ? "" : details;
        if (d.startsWith(DWORD_PREFIX) && d.endsWith(")") && d.length() == DWORD_PREFIX.length() + HEX_DIGITS_PER_HALF + 1) {
            Integer v = parseHex(d.substring(DWORD_PREFIX.length(), d.length() - 1));
            if (v != null) {
                return new Value(REG_DWORD, ByteBuffer.allocate(DWORD_BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
            }
        }
        int qLen = QWORD_PREFIX.length() + HEX_DIGITS_PER_HALF + "-0x".length() + HEX_DIGITS_PER_HALF + 1;
        if (d.startsWith(QWORD_PREFIX) && d.endsWith(")") && d.length() == qLen) {
            int hiStart = QWORD_PREFIX.length();
            Integer hi = parseHex(d.substring(hiStart, hiStart + HEX_DIGITS_PER_HALF));
            int loStart = hiStart + HEX_DIGITS_PER_HALF + "-0x".length();
            Integer lo = parseHex(d.substring(loStart, loStart + HEX_DIGITS_PER_HALF));
            if (hi != null && lo != null && d.startsWith("-0x", hiStart + HEX_DIGITS_PER_HALF)) {
                long q = ((long) hi << 32) | (lo & 0xFFFFFFFFL);
                return new Value(REG_QWORD, ByteBuffer.allocate(QWORD_BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(q).array());
            }
        }
        if (d.equals(BINARY_DATA)) {
            return new Value(REG_BINARY, new byte[0]);
        }
        if (d.equals(EMPTY)) {
            return new Value(REG_SZ, sz(""));
        }
        return new Value(REG_SZ, sz(d));
    }

    /** UTF-16LE with its terminating NUL, as RegSetValueExW stores a REG_SZ. */
    public static byte[] sz(String s) {
        byte[] text = s.getBytes(StandardCharsets.UTF_16LE);
        byte[] out = new byte[text.length + 2];
        System.arraycopy(text, 0, out, 0, text.length);
        return out;
    }

    /** REG_MULTI_SZ data: each string NUL-terminated, then one more NUL. */
    public static byte[] multiSz(List<String> values) {
        StringBuilder b = new StringBuilder();
        for (String v : values) {
            b.append(v).append('\0');
        }
        b.append('\0');
        return b.toString().getBytes(StandardCharsets.UTF_16LE);
    }

    public static byte[] dword(int v) {
        return ByteBuffer.allocate(DWORD_BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    public static byte[] qword(long v) {
        return ByteBuffer.allocate(QWORD_BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    /** Text up to the first NUL; an odd trailing byte (truncated capture) is dropped. */
    private static String firstString(byte[] d) {
        int chars = d.length / 2;
        int end = 0;
        while (end < chars && (d[2 * end] != 0 || d[2 * end + 1] != 0)) {
            end++;
        }
        return new String(d, 0, end * 2, StandardCharsets.UTF_16LE);
    }

    private static List<String> strings(byte[] d) {
        String all = new String(d, 0, (d.length / 2) * 2, StandardCharsets.UTF_16LE);
        List<String> out = new ArrayList<>();
        for (String part : all.split("\0")) {
            if (!part.isEmpty()) {
                out.add(part);
            }
        }
        return out;
    }

    private static String hex8(int v) {
        return String.format(Locale.ROOT, "%08x", v);
    }

    private static Integer parseHex(String s) {
        if (s.length() != HEX_DIGITS_PER_HALF) {
            return null;
        }
        try {
            return (int) Long.parseLong(s, 16);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
