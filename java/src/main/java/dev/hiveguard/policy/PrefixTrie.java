package dev.hiveguard.policy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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

    /**
     * Collects prefixes, then freezes them into a trie. Nodes are small sorted arrays rather
     * than maps (a 20,000-rule policy makes hundreds of thousands of nodes), and both adding
     * and building walk iteratively: a pattern thousands of characters long is one node per
     * character, far deeper than the call stack.
     */
    static final class Builder {
        private char[] keys = new char[0];
        private Builder[] kids = new Builder[0];
        private int kidCount;
        private int[] rules = NONE;
        private int ruleCount;
        /** Set by {@link #build()} once this node's subtree is frozen. */
        private PrefixTrie built;

        /** Rule ids must arrive in ascending order (rule by rule), so a repeat is always the last one. */
        void add(String lowerPrefix, int rule) {
            Builder b = this;
            for (int i = 0; i < lowerPrefix.length(); i++) {
                b = b.childFor(lowerPrefix.charAt(i));
            }
            if (b.ruleCount == 0 || b.rules[b.ruleCount - 1] != rule) {
                if (b.ruleCount == b.rules.length) {
                    b.rules = Arrays.copyOf(b.rules, Math.max(2, b.ruleCount * 2));
                }
                b.rules[b.ruleCount++] = rule;
            }
        }

        private Builder childFor(char c) {
            int at = Arrays.binarySearch(keys, 0, kidCount, c);
            if (at >= 0) {
                return kids[at];
            }
            int insert = -at - 1;
            if (kidCount == keys.length) {
                int grown = Math.max(2, kidCount * 2);
                keys = Arrays.copyOf(keys, grown);
                kids = Arrays.copyOf(kids, grown);
            }
            System.arraycopy(keys, insert, keys, insert + 1, kidCount - insert);
            System.arraycopy(kids, insert, kids, insert + 1, kidCount - insert);
            Builder child = new Builder();
            keys[insert] = c;
            kids[insert] = child;
            kidCount++;
            return child;
        }

        PrefixTrie build() {
            // Pre-order lists every parent before its children; freezing in reverse order
            // therefore finds every child already frozen.
            List<Builder> order = new ArrayList<>();
            ArrayDeque<Builder> todo = new ArrayDeque<>();
            todo.push(this);
            while (!todo.isEmpty()) {
                Builder b = todo.pop();
                order.add(b);
                for (int i = 0; i < b.kidCount; i++) {
                    todo.push(b.kids[i]);
                }
            }
            for (int n = order.size() - 1; n >= 0; n--) {
                Builder b = order.get(n);
                PrefixTrie[] c = new PrefixTrie[b.kidCount];
                for (int i = 0; i < b.kidCount; i++) {
                    c[i] = b.kids[i].built;
                    b.kids[i].built = null; // the builder tree may outlive this build: keep no second copy
                }
                int[] r = b.ruleCount == 0 ? NONE : Arrays.copyOf(b.rules, b.ruleCount);
                b.built = new PrefixTrie(Arrays.copyOf(b.keys, b.kidCount), c, r);
            }
            PrefixTrie root = built;
            built = null;
            return root;
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
