package dev.hiveguard.model;

/**
 * The driver's case folding ({@code hg_upcase16} in driver/core/util.c), unit by unit:
 * everything that must agree with the kernel's comparison of key paths - the matcher
 * twin, the subscription compiler, the wire layer's bound on the pattern automaton -
 * folds with this one table, never with Java's locale-aware case mapping.
 */
public final class RegistryUpcase {

    private RegistryUpcase() {
    }

    /** The upcased string, unit by unit, as the driver compares it. */
    public static String upcase(String s) {
        char[] c = s.toCharArray();
        for (int i = 0; i < c.length; i++) {
            c[i] = upcase(c[i]);
        }
        return new String(c);
    }

    /**
     * {@code hg_upcase16} from driver/core/util.c: ASCII, Latin-1, Latin Extended-A, Greek and
     * Cyrillic lower-case letters map to their capitals; every other unit is its own capital.
     */
    public static char upcase(char c) {
        if (c < 0x80) {
            return c >= 'a' && c <= 'z' ? (char) (c - 0x20) : c;
        }
        if (c <= 0xFF) {
            if (c >= 0xE0 && c <= 0xFE && c != 0xF7) {
                return (char) (c - 0x20);
            }
            return c == 0xFF ? (char) 0x0178 : c;
        }
        if (c <= 0x17F) {
            if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) {
                return (c & 1) != 0 ? (char) (c - 1) : c;
            }
            if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) {
                return (c & 1) != 0 ? c : (char) (c - 1);
            }
            return c;
        }
        if (c == 0x3C2) {
            return (char) 0x03A3;
        }
        if (c >= 0x3B1 && c <= 0x3CB) {
            return (char) (c - 0x20);
        }
        if (c >= 0x430 && c <= 0x44F) {
            return (char) (c - 0x20);
        }
        if (c >= 0x450 && c <= 0x45F) {
            return (char) (c - 0x50);
        }
        return c;
    }
}
