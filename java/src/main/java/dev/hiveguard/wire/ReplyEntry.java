package dev.hiveguard.wire;

import dev.hiveguard.model.Verdict;
import java.util.Objects;

/** {@code HG_REPLY_ENTRY}: the verdict for one waiting registry caller. */
public record ReplyEntry(long id, Verdict verdict) {
    public ReplyEntry {
        Objects.requireNonNull(verdict, "verdict");
        if (id == 0) {
            throw new IllegalArgumentException("verdict id 0 is never issued by the driver");
        }
    }
}
