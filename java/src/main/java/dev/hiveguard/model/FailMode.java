package dev.hiveguard.model;

/**
 * The verdict the driver applies when the agent does not answer within the timeout
 * ({@code enum hg_fail_mode}). {@link #INHERIT} is only legal on a per-prefix rule.
 */
public enum FailMode {
    INHERIT(0),
    OPEN(1),
    CLOSED(2);

    private final int code;

    FailMode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static FailMode fromCode(int code) {
        for (FailMode m : values()) {
            if (m.code == code) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown fail mode code " + code);
    }
}
