package dev.hiveguard.policy;

/** Parses the numbers a policy may contain: decimal, or hexadecimal with 0x. */
final class Numbers {

    private Numbers() {
    }

    /** The value, or null when {@code s} is not a number. */
    static Long parse(String s) {
        if (s == null) {
            return null;
        }
        String t = s.trim();
        try {
            if (t.startsWith("0x") || t.startsWith("0X")) {
                return Long.parseLong(t.substring(2), 16);
            }
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
