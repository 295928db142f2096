package dev.hiveguard.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The rule index: what it finds, and that no pattern length can exhaust the stack. */
class PrefixTrieTest {

    private static int[] found(PrefixTrie t, String s) {
        PrefixTrie.IntList out = new PrefixTrie.IntList();
        t.collect(s, out);
        int[] r = Arrays.copyOf(out.items, out.size);
        Arrays.sort(r);
        return r;
    }

    @Test
    void findsEveryIndexedPrefixOfAPathOnce() {
        PrefixTrie.Builder b = new PrefixTrie.Builder();
        b.add("hklm\\software\\", 0);
        b.add("hklm\\software\\run", 1);
        b.add("hklm\\software\\run", 1); // the same rule twice: indexed once
        b.add("hklm\\software\\runonce", 2);
        b.add("hklm\\system", 2);
        b.add("", 3);
        PrefixTrie t = b.build();
        assertArrayEquals(new int[] {0, 1, 2, 3}, found(t, "hklm\\software\\runonce\\x"));
        assertArrayEquals(new int[] {0, 1, 3}, found(t, "hklm\\software\\run"));
        assertArrayEquals(new int[] {3}, found(t, "hkcu\\software"));
        assertNull(t.child('x'));
    }

    /**
     * A 200,000-character pattern, built and searched on a thread with a 256 KiB stack: one
     * stack frame per character (the recursive build) would overflow it many times over.
     */
    @Test
    void aPatternFarLongerThanTheStackIsDeepBuildsAndMatches() throws Exception {
        String deep = "hklm\\software\\" + "a".repeat(200_000);
        AtomicReference<Object> result = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                PrefixTrie.Builder b = new PrefixTrie.Builder();
                b.add(deep, 7);
                b.add(deep.substring(0, 100_000) + "b", 8);
                PrefixTrie trie = b.build();
                result.set(new int[][] {found(trie, deep + "\\run"), found(trie, deep.substring(0, 100_000) + "bc"),
                    found(trie, deep.substring(0, 150_000))});
            } catch (Throwable e) {
                result.set(e);
            }
        }, "small-stack", 256 * 1024);
        t.start();
        t.join();
        if (result.get() instanceof Throwable e) {
            throw new AssertionError("building or searching a deep trie failed", e);
        }
        int[][] r = (int[][]) result.get();
        assertArrayEquals(new int[] {7}, r[0]);
        assertArrayEquals(new int[] {8}, r[1]);
        assertEquals(0, r[2].length);
    }
}
