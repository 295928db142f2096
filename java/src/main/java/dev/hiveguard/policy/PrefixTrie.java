package dev.hiveguard.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * Finds, in one walk along a lower-cased path, every rule whose TargetObject pattern is a
 * prefix of it, so a policy of hundreds of path rules costs about one string scan per
 * decision instead of one comparison per rule. Immutable after {@link Builder#build()}.
 */
final class PrefixTrie {

    private static final int[] NONE = new int[0];

    private final char[] keys;
    private final PrefixTrie[] kids;
    private final int[] rules;

    private PrefixTrie(char[] keys, PrefixTrie[] kids, int[] rules) {
        this.keys = keys;
        this.kids = kids;
        this.rules = rules;
    }

    /** Adds to {@code out} the rule ids of every indexed prefix of {@code s}. */
    void collect(String s, IntList out) {
        PrefixTrie node = this;
        out.addAll(node.rules);
        for (int i = 0, n = s.length(); i < n; i++) {
            node = node.child(s.charAt(i));
            if (node == null) {
                return;
            }
            out.addAll(node.rules);
        }
    }

    boolean isEmpty() {
        return keys.length == 0 && rules.length == 0;
    }

    int[] rules() {
        return rules;
    }

    PrefixTrie child(char c) {
        char[] k = keys;
        for (int i = 0; i < k.length; i++) {
            if (k[i] == c) {
                return kids[i];
            }
        }
        return null;
    }

    static final class Builder {
        private final TreeMap<Character, Builder> kids = new TreeMap<>();
        private final List<Integer> rules = new ArrayList<>();

        void add(String lowerPrefix, int rule) {
            Builder b = this;
            for (int i = 0; i < lowerPrefix.length(); i++) {
                b = b.kids.computeIfAbsent(lowerPrefix.charAt(i), c -> new Builder());
            }
            if (!b.rules.contains(rule)) {
                b.rules.add(rule);
            }
        }

        PrefixTrie build() {
            char[] k = new char[kids.size()];
            PrefixTrie[] c = new PrefixTrie[kids.size()];
            int i = 0;
            for (var e : kids.entrySet()) {
                k[i] = e.getKey();
                c[i] = e.getValue().build();
                i++;
            }
            int[] r = rules.isEmpty() ? NONE : rules.stream().mapToInt(Integer::intValue).toArray();
            return new PrefixTrie(k, c, r);
        }
    }

    /** A growable int array without boxing, reused within one decision. */
    static final class IntList {
        int[] items = new int[16];
        int size;

        void addAll(int[] more) {
            if (more.length == 0) {
                return;
            }
            if (size + more.length > items.length) {
                items = Arrays.copyOf(items, Math.max(items.length * 2, size + more.length));
            }
            System.arraycopy(more, 0, items, size, more.length);
            size += more.length;
        }

        void clear() {
            size = 0;
        }
    }
}
