package dev.hiveguard.model;

/** What the driver applies to a waiting registry caller ({@code enum hg_verdict}). */
public enum Verdict {
    ALLOW(1),
    BLOCK(2);

    private final int code;

    Verdict(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Verdict fromCode(int code) {
        for (Verdict v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown verdict code " + code);
    }
}
