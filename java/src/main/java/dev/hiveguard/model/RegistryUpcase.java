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
     * {@code hg_upcase16} from driver/core/util.c: Unicode's simple uppercase mapping of every
     * UTF-16 unit (except non-ASCII units whose capital is ASCII: dotless i, long s), from the
     * table driver/core/gen_upcase_table.py writes together with driver/core/upcase_table.c.
     * The C golden vector {@code upcase.bin} proves the two identical on all 65536 units.
     */
    public static char upcase(char c) {
        return UpcaseTable.upcase(c);
    }
}
