package dev.hiveguard.policy;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.Subscription;

/**
 * What the driver does with one operation under a subscription, in Java, following
 * {@code driver/core/subscription.c} step for step: delivered iff its class is in the
 * operation mask, the caller is not an excluded pid nor (without the flag) kernel mode, no
 * EXCLUDE prefix for the class is a prefix of the key path, and some INCLUDE prefix for
 * the class is (or there is no INCLUDE at all). The longest such INCLUDE (the first in
 * entry order among equal strings) decides verdict, timeout and fail mode. Comparison
 * upcases UTF-16 units with the driver's own table ({@link #upcase}). One difference: the
 * driver translates excluded pids into the processes holding them at CONFIGURE (a pid reused
 * later is not excluded); a recording has only pids, so this twin compares pids.
 *
 * <p>The policy's property test uses this to prove a compiled subscription never hides an
 * event the policy acts on.
 */
public final class SubscriptionMatcher {

    private SubscriptionMatcher() {
    }

    /**
     * @param delivered    the event reaches the agent
     * @param wantsVerdict the caller waits for the agent's verdict
     * @param timeoutMs    effective timeout when waiting
     * @param failMode     effective fail mode (OPEN or CLOSED) when waiting
     */
    public record Match(boolean delivered, boolean wantsVerdict, int timeoutMs, FailMode failMode) {
        static final Match DROPPED = new Match(false, false, 0, FailMode.OPEN);
    }

    public static Match match(Subscription s, Operation op, String keyPath, long pid, boolean kernelCaller) {
        int bit = op.bit();
        if ((s.opMask() & bit) == 0 || s.excludedPids().contains(pid) || (kernelCaller && !s.includeKernelCallers())) {
            return Match.DROPPED;
        }
        boolean anyInclude = false;
        Subscription.Prefix best = null;
        for (Subscription.Prefix p : s.prefixes()) {
            if (p.include()) {
                anyInclude = true;
            }
            if ((p.opMask() & bit) == 0 || !startsWithUpcased(keyPath, p.prefix())) {
                continue;
            }
            if (!p.include()) {
                return Match.DROPPED;
            }
            if (best == null || p.prefix().length() > best.prefix().length()) {
                best = p;
            }
        }
        if (anyInclude && best == null) {
            return Match.DROPPED;
        }
        if ((s.verdictOpMask() & bit) == 0) {
            return new Match(true, false, s.timeoutMs(), s.failMode());
        }
        if (!anyInclude) {
            return new Match(true, true, s.timeoutMs(), s.failMode());
        }
        if (!best.verdict()) {
            return new Match(true, false, s.timeoutMs(), s.failMode());
        }
        int t = best.timeoutMs() != 0 ? best.timeoutMs() : s.timeoutMs();
        FailMode f = best.failMode() != FailMode.INHERIT ? best.failMode() : s.failMode();
        return new Match(true, true, t, f);
    }

    /** Case-insensitive prefix test with the driver's upcase table. */
    public static boolean startsWithUpcased(String s, String prefix) {
        if (prefix.length() > s.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (upcase(s.charAt(i)) != upcase(prefix.charAt(i))) {
                return false;
            }
        }
        return true;
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
     * {@code hg_upcase16} from driver/core/util.c: the registry's folding, Unicode's simple
     * uppercase mapping of every UTF-16 unit (except non-ASCII units whose capital is ASCII),
     * from the same generated table ({@link UpcaseTable}, written by
     * driver/core/gen_upcase_table.py together with driver/core/upcase_table.c). The C
     * golden vector {@code upcase.bin} proves the two identical on all 65536 units.
     */
    public static char upcase(char c) {
        return UpcaseTable.upcase(c);
    }
}
