package dev.hiveguard.policy;

import dev.hiveguard.model.RegistryPaths;
import dev.hiveguard.model.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns a Sysmon TargetObject {@code contains} / {@code end with} condition into the
 * driver's SUFFIX and CONTAINS entries (wire minor 1), in kernel form.
 *
 * <p>The policy compares the Sysmon spelling of an event (HKLM, HKU, HKCR, HKCU for HKCU
 * rules, CurrentControlSet, {@code (Default)} for the unnamed value) while the driver sees
 * the kernel path. The two agree everywhere except in a few whole segments that the
 * rendering rewrites. A pattern is split at its backslashes: pieces that could overlap a
 * rewritten segment are unreliable, every other piece - with the backslashes next to it -
 * is text the kernel path carries verbatim wherever the Sysmon spelling carries it.
 *
 * <ul>
 *   <li><b>Include</b> (must never lose an event): the longest run of reliable pieces is
 *       a substring of the kernel name whenever the pattern is one of the Sysmon name, so
 *       it is a sound, if wider, CONTAINS; a SUFFIX stays a SUFFIX when its last piece is
 *       reliable. When no reliable text is left, there is no cover (the caller widens).</li>
 *   <li><b>Exclude</b> (must never hide more than the rule): the other way round - the
 *       kernel text must imply the Sysmon text, so only a pattern that starts at a segment
 *       boundary and touches no segment that exists only in kernel spelling
 *       ({@code \REGISTRY\MACHINE}, {@code \REGISTRY\USER}, {@code SOFTWARE\Classes},
 *       {@code ControlSetNNN}, the empty value name) becomes an EXCLUDE.</li>
 * </ul>
 * Non-ASCII text is never trusted: Java's case mapping and the driver's table may differ.
 */
final class PatternCover {

    /** Sysmon-spelling segments that are not kernel text (upper case). */
    private static final List<String> RENDERED = List.of("HKLM", "HKU", "HKCR", "HKCU", "CURRENTCONTROLSET",
            "(DEFAULT)");
    /** ... and for HKCU rules, whose subject is the HKCU view: SID_Classes reads Software\Classes. */
    private static final List<String> RENDERED_HKCU = List.of("HKLM", "HKU", "HKCR", "HKCU", "CURRENTCONTROLSET",
            "(DEFAULT)", "SOFTWARE", "CLASSES");
    /** Kernel-spelling segments the Sysmon name does not carry (upper case). */
    private static final List<String> KERNEL_ONLY = List.of("REGISTRY", "MACHINE", "USER", "CLASSES");
    /** Fewer characters than this select next to nothing: not worth an automaton entry. */
    static final int MIN_USEFUL_CHARS = 3;

    private PatternCover() {
    }

    /** One driver entry: text in kernel spelling, how it matches, and for which classes. */
    record Entry(String text, Subscription.Match match, Subscription.Target target, int ops) {
    }

    /** Whether the condition is one this class can cover (contains, end with and their lists). */
    static boolean isPattern(Condition c) {
        return c == Condition.CONTAINS || c == Condition.CONTAINS_ANY || c == Condition.CONTAINS_ALL
                || c == Condition.END_WITH;
    }

    /**
     * Entries whose union delivers every event of {@code ops} the condition accepts, or null
     * when some value has no sound cover.
     */
    static List<Entry> include(CompiledCondition c, int ops) {
        List<String> raw = c.source.values();
        List<Entry> out = new ArrayList<>();
        if (c.cond == Condition.CONTAINS_ALL) {
            // Every value must occur: covering the most selective one is enough.
            Entry best = null;
            for (String v : raw) {
                Entry e = includeOne(v, false, Subscription.Target.KEY_PATH, 0);
                if (e != null && (best == null || e.text.length() > best.text.length())) {
                    best = e;
                }
            }
            if (best == null) {
                return null;
            }
            return withTargets(best.text, best.match, ops);
        }
        for (String v : raw) {
            Entry e = includeOne(v, c.cond == Condition.END_WITH, Subscription.Target.KEY_PATH, 0);
            if (e == null) {
                return null;
            }
            out.addAll(withTargets(e.text, e.match, ops));
        }
        return out;
    }

    /**
     * One TargetObject text in Sysmon spelling, contained in it ({@code suffix} false) or ending
     * it: a SUFFIX or CONTAINS text in kernel spelling that every name carrying it carries too,
     * or null when there is none (the rule expressions' {@link TargetCover} uses this). The
     * entry's target and classes are left for {@link #withTargets}.
     */
    static Entry cover(String sysmonText, boolean suffix) {
        return includeOne(sysmonText, suffix, Subscription.Target.KEY_PATH, 0);
    }

    /** Entries each of which implies the condition (possibly none). */
    static List<Entry> exclude(CompiledCondition c, int ops) {
        List<Entry> out = new ArrayList<>();
        if (c.cond == Condition.CONTAINS_ALL) {
            return out; // one entry cannot say "all of them"
        }
        for (String v : c.source.values()) {
            boolean suffix = c.cond == Condition.END_WITH;
            if (excludeSafe(v, suffix)) {
                out.addAll(withTargets(clip(v, suffix), suffix ? Subscription.Match.SUFFIX : Subscription.Match.CONTAINS,
                        ops));
            }
        }
        return out;
    }

    /** Key classes match the key path, value classes the full name (Sysmon's TargetObject). */
    static List<Entry> withTargets(String text, Subscription.Match match, int ops) {
        List<Entry> out = new ArrayList<>(2);
        int valueOps = ops & Subscription.FULL_NAME_OPS;
        int keyOps = ops & ~Subscription.FULL_NAME_OPS;
        if (keyOps != 0) {
            out.add(new Entry(text, match, Subscription.Target.KEY_PATH, keyOps));
        }
        if (valueOps != 0) {
            out.add(new Entry(text, match, Subscription.Target.FULL_NAME, valueOps));
        }
        return out;
    }

    private static Entry includeOne(String value, boolean suffix, Subscription.Target target, int ops) {
        if (value.isEmpty()) {
            return null; // "contains nothing" holds for every event
        }
        List<String> rendered = RegistryPaths.isHkcu(value) ? RENDERED_HKCU : RENDERED;
        String[] pieces = value.split("\\\\", -1);
        int n = pieces.length;
        boolean[] reliable = new boolean[n];
        boolean all = true;
        for (int i = 0; i < n; i++) {
            String p = pieces[i].toUpperCase(Locale.ROOT);
            boolean ok = ascii(pieces[i]);
            if (ok && !p.isEmpty()) {
                if (n == 1) {
                    ok = suffix ? !anySuffix(rendered, p) : !anyContains(rendered, p);
                } else if (i == 0) {
                    ok = !anySuffix(rendered, p);
                } else if (i == n - 1) {
                    ok = suffix ? !rendered.contains(p) : !anyPrefix(rendered, p);
                } else {
                    ok = !rendered.contains(p);
                }
            }
            reliable[i] = ok;
            all &= ok;
        }
        if (all) {
            return new Entry(clip(value, suffix), suffix ? Subscription.Match.SUFFIX : Subscription.Match.CONTAINS,
                    target, ops);
        }
        // The run that ends the pattern keeps a suffix a suffix.
        if (suffix && reliable[n - 1]) {
            int start = n - 1;
            while (start > 0 && reliable[start - 1]) {
                start--;
            }
            String text = "\\" + String.join("\\", java.util.Arrays.asList(pieces).subList(start, n));
            if (useful(text)) {
                return new Entry(clip(text, true), Subscription.Match.SUFFIX, target, ops);
            }
        }
        String best = null;
        for (int i = 0; i < n; ) {
            if (!reliable[i]) {
                i++;
                continue;
            }
            int j = i;
            while (j + 1 < n && reliable[j + 1]) {
                j++;
            }
            String text = (i > 0 ? "\\" : "") + String.join("\\", java.util.Arrays.asList(pieces).subList(i, j + 1))
                    + (j < n - 1 ? "\\" : "");
            if (best == null || text.length() > best.length()) {
                best = text;
            }
            i = j + 1;
        }
        if (best == null || !useful(best)) {
            return null;
        }
        return new Entry(clip(best, false), Subscription.Match.CONTAINS, target, ops);
    }

    private static boolean excludeSafe(String value, boolean suffix) {
        if (!value.startsWith("\\") || !ascii(value) || RegistryPaths.isHkcu(value) || !useful(value)) {
            return false;
        }
        if (suffix && value.endsWith("\\")) {
            return false; // the kernel's empty value name ends with '\', Sysmon's reads (Default)
        }
        String[] pieces = value.substring(1).split("\\\\", -1);
        for (int i = 0; i < pieces.length; i++) {
            String p = pieces[i].toUpperCase(Locale.ROOT);
            boolean last = i == pieces.length - 1;
            if (KERNEL_ONLY.contains(p) || p.startsWith("CONTROLSET")) {
                return false;
            }
            if (last && !suffix && (anyPrefix(KERNEL_ONLY, p) || "CONTROLSET".startsWith(p))) {
                return false; // the kernel path may go on into kernel-only text
            }
            if (i == 0 && ("SOFTWARE".startsWith(p) || "SYSTEM".startsWith(p))) {
                return false; // \SOFTWARE\Classes and \SYSTEM\ControlSetNNN begin there
            }
        }
        return true;
    }

    private static boolean useful(String text) {
        int chars = 0;
        for (int i = 0; i < text.length(); i++) {
            chars += text.charAt(i) != '\\' ? 1 : 0;
        }
        return chars >= MIN_USEFUL_CHARS;
    }

    /** A sub-pattern the driver accepts: any substring covers a CONTAINS, the tail a SUFFIX. */
    private static String clip(String text, boolean suffix) {
        int max = Subscription.PATTERN_MAX_CHARS;
        if (text.length() <= max) {
            return text;
        }
        return suffix ? text.substring(text.length() - max) : text.substring(0, max);
    }

    private static boolean ascii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static boolean anySuffix(List<String> names, String p) {
        return names.stream().anyMatch(n -> n.endsWith(p));
    }

    private static boolean anyPrefix(List<String> names, String p) {
        return names.stream().anyMatch(n -> n.startsWith(p));
    }

    private static boolean anyContains(List<String> names, String p) {
        return names.stream().anyMatch(n -> n.contains(p));
    }
}
