package dev.hiveguard.policy;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.RegistryUpcase;
import dev.hiveguard.model.Subscription;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SUFFIX/CONTAINS entries of a subscription as the driver will hold them: identical
 * entries merged, and the driver's bounds on its pattern automaton tracked as entries are
 * added (count, code units, and transition-table cells = (units + 1) x (distinct upcased
 * units + 1)), so the compiler never sends what CONFIGURE would refuse.
 */
final class PatternEntries {

    private final int maxCount;
    private final BitSet distinct = new BitSet(0x10000);
    private long units;
    private int count;

    /** @param maxCount how many pattern entries the caller can spare in the entry table */
    PatternEntries(int maxCount) {
        this.maxCount = Math.min(maxCount, Subscription.PATTERN_MAX_COUNT);
    }

    /** Adds the entry if the automaton still fits with it; false (and nothing added) if not. */
    boolean tryAdd(Subscription.Prefix p) {
        if (count + 1 > maxCount || units + p.prefix().length() > Subscription.PATTERN_MAX_UNITS) {
            return false;
        }
        BitSet grown = (BitSet) distinct.clone();
        for (int i = 0; i < p.prefix().length(); i++) {
            grown.set(RegistryUpcase.upcase(p.prefix().charAt(i)));
        }
        long cells = (units + p.prefix().length() + 1) * (grown.cardinality() + 1L);
        if (cells > Subscription.PATTERN_MAX_CELLS) {
            return false;
        }
        distinct.or(grown);
        units += p.prefix().length();
        count++;
        return true;
    }

    /** Whether all of {@code patterns} fit together. */
    static boolean fit(List<Subscription.Prefix> patterns, int maxCount) {
        PatternEntries acc = new PatternEntries(maxCount);
        for (Subscription.Prefix p : patterns) {
            if (!acc.tryAdd(p)) {
                return false;
            }
        }
        return true;
    }

    /**
     * One entry per (upcased text, kind, target, include, verdict demands), classes merged;
     * first spelling and first-seen order kept, so the output is deterministic.
     */
    static List<Subscription.Prefix> merge(List<Subscription.Prefix> patterns) {
        record Key(String text, Subscription.Match match, Subscription.Target target, boolean include, boolean verdict,
                   int timeoutMs, FailMode failMode) {
        }
        Map<Key, Subscription.Prefix> out = new LinkedHashMap<>();
        for (Subscription.Prefix p : patterns) {
            Key k = new Key(RegistryUpcase.upcase(p.prefix()), p.match(), p.target(), p.include(), p.verdict(),
                    p.timeoutMs(), p.failMode());
            out.merge(k, p, (a, b) -> new Subscription.Prefix(a.include(), a.prefix(), a.opMask() | b.opMask(),
                    a.verdict(), a.timeoutMs(), a.failMode(), a.match(), a.target()));
        }
        return new ArrayList<>(out.values());
    }
}
