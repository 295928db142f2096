package dev.hiveguard.policy;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryPaths;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.wire.Wire;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles a policy into the driver's subscription: the smallest set of kernel-form
 * prefixes and operation classes that still delivers every event the policy could treat
 * differently from "allow", and makes every event it could block wait for a verdict.
 *
 * <p>Each include rule that can audit or block contributes its TargetObject prefixes in
 * kernel form ({@link RegistryPaths#kernelPrefixes}, which widens where one Sysmon name
 * covers many kernel keys; for SetValue/DeleteValue a prefix of the full name, key path
 * plus value name, as Sysmon's TargetObject is); its {@code contains} / {@code end with}
 * values become the driver's CONTAINS / SUFFIX entries ({@link PatternCover}: on the key
 * path for key classes, on key path + value name for value classes), each carrying its
 * rule's verdict, timeout and fail mode - the driver combines every matching pattern with
 * the longest prefix (longest timeout, closed wins). A rule whose TargetObject test neither
 * can cover, or that has none, contributes {@code \}, everything (a rule from Sigma: whose
 * expression has no {@link TargetCover}); so do all patterns when
 * together they would exceed the driver's automaton bounds ({@link PatternEntries}). Because the driver takes verdict, timeout and fail mode from
 * the longest matching include prefix, every emitted prefix carries the merged demands of
 * all blocking rules whose prefix it extends: verdict if any, the longest timeout, and
 * closed if any asks for closed. Pure path exclusions become EXCLUDE prefixes only when
 * the default is allow and only where the kernel prefix can never exclude more than the
 * rule does; contains / end-with exclusions become EXCLUDE patterns only where
 * {@link PatternCover#exclude} proves the kernel text implies the Sysmon text.
 *
 * <p>The result always fits the driver's limits (prefix count, prefix length, encoded
 * CONFIGURE size): when the precise table does not, the compiler widens, never narrows -
 * first one prefix per control-set family, then every prefix cut to the deepest common
 * number of key names that fits (prefixes under a common ancestor collapse into it), and
 * exclusions that do not fit are left to the agent. Each step leaves a note.
 *
 * <p>Cost: O(n log n) in the number of distinct prefixes (a sort and a stack walk), so a
 * policy of tens of thousands of rules compiles in well under a second.
 */
final class SubscriptionCompiler {

    /** hiveguard_wire.h HG_PREFIX_MAX_COUNT / HG_PREFIX_MAX_BYTES (UTF-16: 2 bytes a unit). */
    static final int MAX_PREFIXES = Wire.PREFIX_MAX_COUNT;
    static final int MAX_PREFIX_CHARS = Wire.PREFIX_MAX_BYTES / 2;

    private SubscriptionCompiler() {
    }

    /**
     * One demand on the driver: deliver these classes under this prefix (and maybe wait).
     * {@code key} is the prefix as the driver compares it (upcased), computed once.
     */
    private record Need(String prefix, String key, int ops, boolean verdict, int timeoutMs, FailMode failMode) {
        Need(String prefix, int ops, boolean verdict, int timeoutMs, FailMode failMode) {
            this(prefix, SubscriptionMatcher.upcase(prefix), ops, verdict, timeoutMs, failMode);
        }
    }

    /** Per-class flags of an emitted include prefix. */
    private record Flags(boolean verdict, int timeoutMs, FailMode failMode) {
    }

    static Subscription compile(PolicyDocument doc, List<CompiledRule> rules, int scope) {
        return compileWithNotes(doc, rules, scope).subscription();
    }

    /**
     * The subscription and, when the precise form did not fit the driver's limits, a note per
     * widening step taken to make it fit (for {@code policy validate} and {@code policy show}).
     */
    static Compilation compileWithNotes(PolicyDocument doc, List<CompiledRule> rules, int scope) {
        // Wire minor 3: AND groups go to the rules whose best single part is weakest, within the
        // driver's group and clause bounds; if the members then overflow the automaton or the
        // message, half as many rules keep their groups (the rest fall back to their best part).
        List<TargetCover.Term> candidates = groupCandidates(rules);
        int n = candidates.size();
        while (true) {
            Set<TargetCover.Term> grouped = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            grouped.addAll(candidates.subList(0, n));
            Compilation c = compileWithGroups(doc, rules, scope, grouped);
            if (n == 0 || encodes(c.subscription())) {
                if (n < candidates.size()) {
                    List<String> notes = new ArrayList<>(c.notes());
                    notes.add((candidates.size() - n) + " AND(s) that would be AND groups in the driver send their"
                            + " most selective part alone, to fit the driver's group, clause and pattern bounds");
                    return new Compilation(c.subscription(), List.copyOf(notes));
                }
                return c;
            }
            n /= 2;
        }
    }

    private static boolean encodes(Subscription sub) {
        try {
            dev.hiveguard.wire.ConfigMessage.encode(sub);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * The ANDs of rules from Sigma ({@link TargetCover.Term}s of two or more clauses, per class) that
     * become INCLUDE groups: weakest first - the weight of the most selective clause, what the term
     * sends without a group ({@link TargetCover#weight}) - as many as fit {@code HG_GROUP_MAX_COUNT}
     * groups and {@code HG_CLAUSE_MAX_COUNT} clauses. The others send that clause alone.
     */
    private static List<TargetCover.Term> groupCandidates(List<CompiledRule> rules) {
        record Candidate(TargetCover.Term term, int weakness, int order) {
        }
        List<Candidate> all = new ArrayList<>();
        for (CompiledRule r : rules) {
            if (!r.include || r.action == Action.ALLOW || r.opMask == 0 || !fromExpression(r)) {
                continue;
            }
            for (List<TargetCover.Term> terms : r.expressionTerms.values()) {
                for (TargetCover.Term t : terms == null ? List.<TargetCover.Term>of() : terms) {
                    if (t.clauses().size() > 1) {
                        all.add(new Candidate(t, TargetCover.weakestWeight(List.copyOf(TargetCover.bestClause(t))),
                                all.size()));
                    }
                }
            }
        }
        all.sort(Comparator.comparingInt(Candidate::weakness).thenComparingInt(Candidate::order));
        List<TargetCover.Term> out = new ArrayList<>();
        int groups = 0;
        int clauses = 0;
        for (Candidate c : all) {
            if (groups + 1 <= Wire.GROUP_MAX_COUNT && clauses + c.term().clauses().size() <= Wire.CLAUSE_MAX_COUNT) {
                out.add(c.term());
                groups++;
                clauses += c.term().clauses().size();
            }
        }
        return out;
    }

    /** A rule whose subscription comes from its Sigma expression ({@link #kernelPrefixesOf}'s test). */
    private static boolean fromExpression(CompiledRule r) {
        return r.expression != null && r.prefixGroup == null && targetGroup(r) == null;
    }

    private static Compilation compileWithGroups(PolicyDocument doc, List<CompiledRule> rules, int scope,
                                                 Set<TargetCover.Term> grouped) {
        PolicySettings s = doc.settings();
        List<String> notes = new ArrayList<>();
        List<Subscription.Group> groups = new ArrayList<>();
        // Tightest first; if the driver's limits would be exceeded, trade precision for size.
        List<Subscription.Prefix> patterns = new ArrayList<>();
        List<Need> needs = needs(s, rules, scope, true, patterns, grouped, groups);
        groups = mergeGroups(groups);
        patterns = PatternEntries.merge(patterns);
        if (!PatternEntries.fit(patterns, MAX_PREFIXES / 2)) {
            // The automaton would exceed the driver's bounds: these rules fall back to everything.
            notes.add(patterns.size() + " suffix/contains entries exceed the driver's pattern automaton bounds;"
                    + " their rules are delivered whole");
            for (Subscription.Prefix x : patterns) {
                needs.add(new Need(RegistryPaths.KERNEL_EVERYTHING, x.opMask(), x.verdict(), x.timeoutMs(), x.failMode()));
            }
            patterns = List.of();
        }
        final List<Subscription.Prefix> reserved = patterns;
        List<Subscription.Prefix> includes = includeEntries(needs, s);
        if (!fits(includes, reserved)) {
            List<Need> coarse = needs(s, rules, scope, false, new ArrayList<>(), grouped, new ArrayList<>());
            if (reserved.isEmpty()) {
                // patterns widened to everything above are needs too
                for (Subscription.Prefix x : PatternEntries.merge(patternsOf(s, rules, scope, grouped))) {
                    coarse.add(new Need(RegistryPaths.KERNEL_EVERYTHING, x.opMask(), x.verdict(), x.timeoutMs(),
                            x.failMode()));
                }
            }
            if (!coarse.equals(needs)) { // only CurrentControlSet paths have a coarser form
                int before = includes.size();
                needs = coarse;
                includes = includeEntries(needs, s);
                notes.add(before + " include prefixes do not fit the driver's limits; CurrentControlSet paths now cover"
                        + " every ControlSet0NN whole (" + includes.size() + " prefixes)");
            }
        }
        if (!fits(includes, reserved)) {
            int before = includes.size();
            int depth = deepestFittingDepth(needs, s, reserved);
            includes = includeEntries(cutAll(needs, depth), s);
            notes.add(before + " include prefixes still do not fit the driver's limits; every prefix is cut to its"
                    + " first " + depth + " key name(s) (" + includes.size() + " prefixes, "
                    + encodedBytes(includes.size(), charsOf(includes)) + " bytes encoded)");
        }
        int opMask = 0;
        int verdictMask = 0;
        for (Need n : needs) {
            opMask |= n.ops;
            if (n.verdict) {
                verdictMask |= n.ops;
            }
        }
        for (Subscription.Prefix x : reserved) {
            opMask |= x.opMask();
            if (x.verdict()) {
                verdictMask |= x.opMask();
            }
        }
        for (Subscription.Group g : groups) {
            opMask |= g.opMask();
            if (g.verdict()) {
                verdictMask |= g.opMask();
            }
        }
        List<Subscription.Prefix> all = new ArrayList<>(includes);
        all.addAll(reserved);
        PatternEntries automaton = new PatternEntries(MAX_PREFIXES);
        for (Subscription.Prefix x : reserved) {
            automaton.tryAdd(x); // fits: checked above
        }
        // With nothing to deliver, exclusions would only be noise in the driver's table.
        if (opMask != 0 && s.defaultAction() == Action.ALLOW) {
            long chars = charsOf(all);
            int dropped = 0;
            for (Subscription.Prefix x : PatternEntries.merge(excludeEntries(rules))) {
                long more = chars + x.prefix().length();
                if (all.size() >= MAX_PREFIXES || encodedBytes(all.size() + 1, more) > CONFIG_BUDGET_BYTES
                        || (x.inAutomaton() && !automaton.tryAdd(x))) {
                    dropped++; // dropping an exclusion only delivers more
                    continue;
                }
                all.add(x);
                chars = more;
            }
            if (dropped > 0) {
                notes.add(dropped + " kernel exclusion prefix(es) left out to fit the driver's limits"
                        + " (the agent still excludes those events)");
            }
        }
        Verdict unavailable = s.failMode() == FailMode.CLOSED ? Verdict.BLOCK : Verdict.ALLOW;
        Subscription sub = new Subscription(opMask, verdictMask, s.includeKernelCallers(), s.timeoutMs(), s.failMode(),
                unavailable, Subscription.DEFAULT_BACKLOG, Subscription.DEFAULT_DATA_CAP, all, List.of(), List.of(),
                groups);
        if (opMask != 0 && s.defaultAction() == Action.ALLOW) {
            // Multi-field exclusions as EXCLUDE groups, within what the include groups left of the bounds.
            List<Subscription.Group> withExcludes = new ArrayList<>(groups);
            int clauses = sub.clauseCount();
            int dropped = 0;
            for (Subscription.Group g : excludeGroups(rules)) {
                if (withExcludes.size() + 1 > Wire.GROUP_MAX_COUNT || clauses + g.clauses().size() > Wire.CLAUSE_MAX_COUNT) {
                    dropped++; // dropping an exclusion only delivers more
                    continue;
                }
                withExcludes.add(g);
                clauses += g.clauses().size();
            }
            // Their members may still overflow the automaton or the message: keep the longest run
            // that encodes (binary search, a handful of encodings however many groups there are).
            int lo = groups.size();
            int hi = withExcludes.size();
            if (!encodes(sub.withGroups(withExcludes))) {
                while (hi - lo > 1) {
                    int mid = (lo + hi) >>> 1;
                    if (encodes(sub.withGroups(withExcludes.subList(0, mid)))) {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                dropped += withExcludes.size() - lo;
                withExcludes = new ArrayList<>(withExcludes.subList(0, lo));
            }
            if (dropped > 0) {
                notes.add(dropped + " kernel exclusion group(s) left out to fit the driver's limits"
                        + " (the agent still excludes those events)");
            }
            sub = sub.withGroups(withExcludes);
        }
        return new Compilation(sub, List.copyOf(notes));
    }

    /** A compiled subscription and what was widened to make it fit (empty when nothing was). */
    record Compilation(Subscription subscription, List<String> notes) {
    }

    /** Every demand the policy makes on the driver. */
    private static List<Need> needs(PolicySettings s, List<CompiledRule> rules, int scope, boolean precise,
                                    List<Subscription.Prefix> patterns, Set<TargetCover.Term> grouped,
                                    List<Subscription.Group> groups) {
        boolean enforce = s.mode() == PolicyMode.ENFORCE;
        List<Need> needs = new ArrayList<>();
        if (s.defaultAction() != Action.ALLOW) {
            needs.add(new Need(RegistryPaths.KERNEL_EVERYTHING, scope, enforce && s.defaultAction() == Action.BLOCK, 0,
                    FailMode.INHERIT));
        }
        for (CompiledRule r : rules) {
            if (!r.include || r.action == Action.ALLOW || r.opMask == 0) {
                continue;
            }
            boolean verdict = enforce && r.action == Action.BLOCK;
            List<PatternCover.Entry> covers = new ArrayList<>();
            Map<String, Integer> prefixes = fromExpression(r)
                    ? groupedPrefixes(r, precise, covers, groups, grouped, verdict)
                    : kernelPrefixesOf(r, precise, covers);
            for (Map.Entry<String, Integer> e : prefixes.entrySet()) {
                needs.add(new Need(clip(e.getKey()), e.getValue(), verdict, r.timeoutMs, r.failMode));
            }
            for (PatternCover.Entry c : covers) {
                patterns.add(new Subscription.Prefix(true, c.text(), c.ops(), verdict, verdict ? r.timeoutMs : 0,
                        verdict ? r.failMode : FailMode.INHERIT, c.match(), c.target()));
            }
        }
        return needs;
    }

    /** The pattern entries alone (what {@link #needs} collects on the side). */
    private static List<Subscription.Prefix> patternsOf(PolicySettings s, List<CompiledRule> rules, int scope,
                                                        Set<TargetCover.Term> grouped) {
        List<Subscription.Prefix> patterns = new ArrayList<>();
        needs(s, rules, scope, true, patterns, grouped, new ArrayList<>());
        return patterns;
    }

    /**
     * Kernel prefix -> classes, for one include rule; its contains / end-with conditions go
     * to {@code patterns} (see {@link PatternCover}). A rule whose TargetObject group has a
     * condition neither can cover (or that has no TargetObject test) needs everything.
     */
    static Map<String, Integer> kernelPrefixesOf(CompiledRule r, boolean precise,
                                                List<PatternCover.Entry> patterns) {
        Map<String, Integer> out = new LinkedHashMap<>();
        CompiledCondition[] group = r.prefixGroup != null ? r.prefixGroup : targetGroup(r);
        if (group == null && r.expression != null) {
            // A rule from Sigma: its expression (ANDed with the rule's EventType condition)
            // implies TargetObject prefixes and patterns, or nothing (null: any path).
            return expressionPrefixes(r, precise, patterns);
        }
        List<PatternCover.Entry> covers = new ArrayList<>();
        for (CompiledCondition c : group == null ? new CompiledCondition[0] : group) {
            if (c.cond.isPrefixLike()) {
                continue;
            }
            List<PatternCover.Entry> one = PatternCover.isPattern(c.cond) ? PatternCover.include(c, r.opMask) : null;
            if (one == null) {
                group = null;
                break;
            }
            covers.addAll(one);
        }
        if (group == null) {
            // No TargetObject cover: the caller's image may still narrow the rule.
            List<PatternCover.Entry> byImage = imageCover(r);
            if (byImage != null) {
                patterns.addAll(byImage);
                return out;
            }
            out.put(RegistryPaths.KERNEL_EVERYTHING, r.opMask);
            return out;
        }
        patterns.addAll(covers);
        int valueOps = r.opMask & EventView.VALUE_OPS;
        int keyOps = r.opMask & ~EventView.VALUE_OPS;
        for (CompiledCondition c : group) {
            if (!c.cond.isPrefixLike()) {
                continue;
            }
            addPrefixes(out, c.source.values(), keyOps, valueOps, precise);
        }
        return out;
    }

    /**
     * Kernel prefix -> classes for a rule from Sigma, from its expression's {@link TargetCover}
     * for each class: prefix alternatives as for a Sysmon rule, suffix / contains ones to
     * {@code patterns} (key path for key classes, full name for value classes), Details / NewName
     * ones as the class's DATA / NEW_NAME entries, Image ones as IMAGE entries; a class without
     * a cover is delivered whole.
     */
    private static Map<String, Integer> expressionPrefixes(CompiledRule r, boolean precise,
                                                          List<PatternCover.Entry> patterns) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Map.Entry<Operation, List<TargetCover.Alt>> e : r.expressionCover.entrySet()) {
            int op = e.getKey().bit();
            if (e.getValue() == null) {
                out.merge(RegistryPaths.KERNEL_EVERYTHING, op, (a, b) -> a | b);
                continue;
            }
            addAlternatives(out, e.getValue(), op, precise, patterns);
        }
        return out;
    }

    /** One class's alternatives as kernel prefixes (into {@code out}) and pattern entries. */
    private static void addAlternatives(Map<String, Integer> out, java.util.Collection<TargetCover.Alt> alts, int op,
                                        boolean precise, List<PatternCover.Entry> patterns) {
        List<String> prefixes = new ArrayList<>();
        for (TargetCover.Alt a : alts) {
            if (a.subject() != null) {
                // Details / NewName: the class's own DATA or NEW_NAME entry (op is that class).
                patterns.add(new PatternCover.Entry(a.text(), a.match(), a.subject(), op));
            } else if (a.image()) {
                patterns.add(new PatternCover.Entry(a.text(), a.match(), Subscription.Target.IMAGE, op));
            } else if (a.match() == Subscription.Match.PREFIX) {
                prefixes.add(a.text());
            } else {
                patterns.addAll(PatternCover.withTargets(a.text(), a.match(), op));
            }
        }
        addPrefixes(out, prefixes, op & ~EventView.VALUE_OPS, op & EventView.VALUE_OPS, precise);
    }

    /**
     * A rule from Sigma, per class, from its {@link TargetCover#termsByClass} terms: a term chosen
     * for a group ({@code grouped}) as an INCLUDE group (wire minor 3; one clause per part, the part's
     * alternatives its members) with the rule's verdict, timeout and fail mode as its pattern
     * entries would carry them; any other term as its most selective clause's entries; a class
     * without a cover delivered whole.
     */
    private static Map<String, Integer> groupedPrefixes(CompiledRule r, boolean precise,
                                                       List<PatternCover.Entry> patterns,
                                                       List<Subscription.Group> groups,
                                                       Set<TargetCover.Term> grouped, boolean verdict) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Map.Entry<Operation, List<TargetCover.Term>> e : r.expressionTerms.entrySet()) {
            int op = e.getKey().bit();
            if (e.getValue() == null) {
                out.merge(RegistryPaths.KERNEL_EVERYTHING, op, (a, b) -> a | b);
                continue;
            }
            List<TargetCover.Alt> single = new ArrayList<>();
            for (TargetCover.Term t : e.getValue()) {
                if (t.clauses().size() == 1 || !grouped.contains(t)) {
                    single.addAll(TargetCover.bestClause(t)); // the AND's most selective part alone
                    continue;
                }
                List<List<Subscription.Member>> clauses = new ArrayList<>();
                for (java.util.Set<TargetCover.Alt> c : t.clauses()) {
                    clauses.add(members(c, op));
                }
                groups.add(new Subscription.Group(true, op, verdict, verdict ? r.timeoutMs : 0,
                        verdict ? r.failMode : FailMode.INHERIT, clauses));
            }
            addAlternatives(out, single, op, precise, patterns);
        }
        return out;
    }

    /**
     * One clause's members for one class: an alternative as the entries a standalone cover would get
     * (a Sysmon-form prefix as its kernel prefixes - control sets as one {@code ControlSet} prefix,
     * wider and fewer - on the key path or the full name; a suffix / contained text on the key path
     * or the full name; image, Details and NewName texts on their targets), without duplicates.
     */
    private static List<Subscription.Member> members(java.util.Set<TargetCover.Alt> alts, int op) {
        java.util.LinkedHashSet<Subscription.Member> out = new java.util.LinkedHashSet<>();
        boolean valueClass = (op & EventView.VALUE_OPS) != 0;
        for (TargetCover.Alt a : alts) {
            if (a.subject() != null) {
                out.add(new Subscription.Member(a.match(), a.subject(), a.text()));
            } else if (a.image()) {
                out.add(new Subscription.Member(a.match(), Subscription.Target.IMAGE, a.text()));
            } else if (a.match() == Subscription.Match.PREFIX) {
                String sysmon = valueClass ? fullNamePrefix(a.text()) : a.text();
                for (String k : RegistryPaths.kernelPrefixes(sysmon, false)) {
                    // A member is a pattern: a prefix cut to the pattern bound only widens the clause.
                    String text = k.length() <= MAX_MEMBER_CHARS ? k : k.substring(0, MAX_MEMBER_CHARS);
                    out.add(new Subscription.Member(Subscription.Match.PREFIX,
                            valueClass ? Subscription.Target.FULL_NAME : Subscription.Target.KEY_PATH, text));
                }
            } else {
                for (PatternCover.Entry x : PatternCover.withTargets(a.text(), a.match(), op)) {
                    out.add(new Subscription.Member(x.match(), x.target(), x.text()));
                }
            }
        }
        return new ArrayList<>(out);
    }

    private static final int MAX_MEMBER_CHARS = Wire.PATTERN_MAX_BYTES / 2;

    /**
     * Groups with the same clauses and verdict demands, classes merged (a rule's group for SetValue
     * and DeleteValue is one group), first-seen order kept.
     */
    private static List<Subscription.Group> mergeGroups(List<Subscription.Group> groups) {
        record Key(boolean include, List<List<Subscription.Member>> clauses, boolean verdict, int timeoutMs,
                   FailMode failMode) {
        }
        Map<Key, Subscription.Group> out = new LinkedHashMap<>();
        for (Subscription.Group g : groups) {
            out.merge(new Key(g.include(), g.clauses(), g.verdict(), g.timeoutMs(), g.failMode()), g,
                    (a, b) -> new Subscription.Group(a.include(), a.opMask() | b.opMask(), a.verdict(), a.timeoutMs(),
                            a.failMode(), a.clauses()));
        }
        return new ArrayList<>(out.values());
    }

    /** Sysmon-form TargetObject prefixes as kernel prefixes: key paths for key classes, full names for value ones. */
    private static void addPrefixes(Map<String, Integer> out, List<String> values, int keyOps, int valueOps,
                                    boolean precise) {
        for (String v : values) {
            if (keyOps != 0) {
                for (String k : RegistryPaths.kernelPrefixes(v, precise)) {
                    out.merge(k, keyOps, (a, b) -> a | b);
                }
            }
            if (valueOps != 0) {
                // Value classes: a prefix of the full name (key\value, Sysmon's TargetObject).
                for (String k : RegistryPaths.kernelPrefixes(fullNamePrefix(v), precise)) {
                    out.merge(k, valueOps, (a, b) -> a | b);
                }
            }
        }
    }

    /**
     * The Sysmon-form prefix to compare with the kernel's full name: all of it, except that
     * Sysmon writes the unnamed value as {@code (Default)} where the kernel has nothing, so
     * a last segment that could be the start of that word is dropped (the backslash stays).
     */
    static String fullNamePrefix(String v) {
        int cut = v.lastIndexOf('\\');
        String last = (cut < 0 ? v : v.substring(cut + 1)).toUpperCase(java.util.Locale.ROOT);
        if (!last.isEmpty() && "(DEFAULT)".startsWith(last)) {
            return cut < 0 ? "" : v.substring(0, cut + 1);
        }
        return v;
    }

    /**
     * IMAGE entries that deliver every event of a Sysmon rule by its {@code Image} group (ANDed
     * with the rest, so a cover of it covers the rule), or null when it has none or one of its
     * conditions has no sound kernel form ({@link ImageCover}).
     */
    static List<PatternCover.Entry> imageCover(CompiledRule r) {
        for (CompiledCondition[] g : r.groups) {
            if (g.length > 0 && g[0].field == Field.IMAGE) {
                return ImageCover.include(g, r.opMask);
            }
        }
        return null;
    }

    /** The rule's TargetObject group, or null when it has none. */
    static CompiledCondition[] targetGroup(CompiledRule r) {
        for (CompiledCondition[] g : r.groups) {
            if (g.length > 0 && g[0].field == Field.TARGET_OBJECT) {
                return g;
            }
        }
        return null;
    }

    /** A prefix longer than the driver accepts is cut: a shorter include only delivers more. */
    private static String clip(String prefix) {
        return prefix.length() <= MAX_PREFIX_CHARS ? prefix : prefix.substring(0, MAX_PREFIX_CHARS);
    }

    // ------------------------------------------------------------ fitting the driver's limits

    /**
     * Bytes of the CONFIGURE message for {@code prefixes} entries holding {@code chars} UTF-16
     * units in all, as {@code ConfigMessage.encode} lays it out, plus room for the largest
     * excluded-pid table so whoever adds pids later still fits.
     */
    static long encodedBytes(int prefixes, long chars) {
        return Wire.CONFIG_HEADER_BYTES + (long) prefixes * Wire.PREFIX_ENTRY_BYTES
                + (long) Wire.EXCLUDED_PID_MAX_COUNT * Wire.EXCLUDED_PID_BYTES + 2 * chars;
    }

    /** HG_CONFIG_MAX_BYTES: the whole CONFIGURE message. */
    static final long CONFIG_BUDGET_BYTES = Wire.CONFIG_MAX_BYTES;

    private static long charsOf(List<Subscription.Prefix> prefixes) {
        long n = 0;
        for (Subscription.Prefix p : prefixes) {
            n += p.prefix().length();
        }
        return n;
    }

    /** Whether the includes fit next to the (already bounded) pattern entries. */
    private static boolean fits(List<Subscription.Prefix> includes, List<Subscription.Prefix> patterns) {
        int count = includes.size() + patterns.size();
        return count <= MAX_PREFIXES
                && encodedBytes(count, charsOf(includes) + charsOf(patterns)) <= CONFIG_BUDGET_BYTES;
    }

    /**
     * The largest number of key names every prefix may keep so that the table fits; at depth 0
     * everything collapses into {@code \} (one entry per distinct set of flags), which always
     * fits. Binary search: a shallower cut never yields more distinct prefixes nor more text.
     */
    private static int deepestFittingDepth(List<Need> needs, PolicySettings s, List<Subscription.Prefix> patterns) {
        int deepest = 0;
        for (Need n : needs) {
            deepest = Math.max(deepest, depthOf(n.prefix));
        }
        int lo = 0; // fits
        int hi = deepest; // does not fit (the uncut needs did not)
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (fits(includeEntries(cutAll(needs, mid), s), patterns)) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Backslashes after the leading one: the key names a kernel prefix spells out (or starts). */
    private static int depthOf(String prefix) {
        int d = 0;
        for (int i = 1; i < prefix.length(); i++) {
            if (prefix.charAt(i) == '\\') {
                d++;
            }
        }
        return d + (prefix.endsWith("\\") ? 0 : 1);
    }

    /**
     * Every need's prefix cut after its first {@code depth} key names (through the backslash
     * that ends the last one kept): always a prefix of the original, so the cut only widens
     * what is delivered, and the need's verdict demands go with it to the wider prefix.
     */
    private static List<Need> cutAll(List<Need> needs, int depth) {
        List<Need> out = new ArrayList<>(needs.size());
        for (Need n : needs) {
            // Upcasing maps no unit to or from a backslash: the cut of the key is the key of the cut.
            String prefix = cut(n.prefix, depth);
            out.add(new Need(prefix, n.key.substring(0, prefix.length()), n.ops, n.verdict, n.timeoutMs, n.failMode));
        }
        return out;
    }

    static String cut(String prefix, int depth) {
        if (depth == 0) {
            return RegistryPaths.KERNEL_EVERYTHING;
        }
        int seen = 0;
        for (int i = 1; i < prefix.length(); i++) {
            if (prefix.charAt(i) == '\\' && ++seen == depth) {
                return prefix.substring(0, i + 1);
            }
        }
        return prefix;
    }

    // ------------------------------------------------------------ include entries

    private static final Operation[] OPS = Operation.values();
    private static final Flags NO_VERDICT = new Flags(false, 0, FailMode.INHERIT);

    /** The merged verdict demands, for one class, of every need at or above one prefix. */
    private static final class Demand {
        boolean explicitTimeout;
        int timeoutMs;
        boolean allInherit = true;
        boolean anyClosed;
        private Flags flags;

        void add(Need n, PolicySettings s) {
            explicitTimeout |= n.timeoutMs != 0;
            timeoutMs = Math.max(timeoutMs, n.timeoutMs != 0 ? n.timeoutMs : s.timeoutMs());
            allInherit &= n.failMode == FailMode.INHERIT;
            FailMode effective = n.failMode == FailMode.INHERIT ? s.failMode() : n.failMode;
            anyClosed |= effective == FailMode.CLOSED;
        }

        static Demand merged(Demand above, Demand here) {
            if (above == null) {
                return here;
            }
            if (here == null) {
                return above;
            }
            Demand d = new Demand();
            d.explicitTimeout = above.explicitTimeout | here.explicitTimeout;
            d.timeoutMs = Math.max(above.timeoutMs, here.timeoutMs);
            d.allInherit = above.allInherit & here.allInherit;
            d.anyClosed = above.anyClosed | here.anyClosed;
            return d;
        }

        Flags flags() {
            if (flags == null) {
                // Closed wins: a rule that asked to fail closed must not be opened by a neighbour.
                FailMode fail = allInherit ? FailMode.INHERIT : anyClosed ? FailMode.CLOSED : FailMode.OPEN;
                flags = new Flags(true, explicitTimeout ? timeoutMs : 0, fail);
            }
            return flags;
        }
    }

    /**
     * The INCLUDE entries for {@code needs}. The driver takes verdict, timeout and fail mode
     * from the longest matching include prefix, so each distinct prefix carries, per class, the
     * merged demands of every verdict need whose prefix is a prefix of it; a class is left off a
     * prefix when the nearest shorter prefix carrying that class already gives it the same flags.
     *
     * <p>In O(n log n) string comparisons: sorted case-folded, a prefix comes before every string
     * it begins, and the strings it begins follow it without a gap, so one stack walk finds each
     * prefix's longest proper prefix among the others (its parent), and demands flow from parent
     * to child in that order.
     */
    private static List<Subscription.Prefix> includeEntries(List<Need> needs, PolicySettings s) {
        // Distinct prefixes (driver-case-insensitive), first spelling kept.
        Map<String, Integer> index = new HashMap<>();
        List<String> keys = new ArrayList<>();
        List<String> spelling = new ArrayList<>();
        IntArray opsAt = new IntArray();
        List<Demand[]> own = new ArrayList<>();
        for (Need n : needs) {
            String key = n.key;
            Integer at = index.get(key);
            if (at == null) {
                at = keys.size();
                index.put(key, at);
                keys.add(key);
                spelling.add(n.prefix);
                opsAt.add(0);
                own.add(null);
            }
            opsAt.set(at, opsAt.get(at) | n.ops);
            if (n.verdict) {
                Demand[] d = own.get(at);
                if (d == null) {
                    d = new Demand[OPS.length];
                    own.set(at, d);
                }
                for (int o = 0; o < OPS.length; o++) {
                    if ((n.ops & OPS[o].bit()) != 0) {
                        if (d[o] == null) {
                            d[o] = new Demand();
                        }
                        d[o].add(n, s);
                    }
                }
            }
        }
        int count = keys.size();
        Integer[] sorted = new Integer[count];
        for (int i = 0; i < count; i++) {
            sorted[i] = i;
        }
        Arrays.sort(sorted, Comparator.comparing(keys::get));
        Demand[][] above = new Demand[count][];
        int[][] nearestWith = new int[count][];
        int[] stack = new int[count];
        int depth = 0;
        for (int i : sorted) {
            String key = keys.get(i);
            while (depth > 0 && !key.startsWith(keys.get(stack[depth - 1]))) {
                depth--;
            }
            int parent = depth > 0 ? stack[depth - 1] : -1;
            stack[depth++] = i;
            Demand[] mine = own.get(i);
            Demand[] fromParent = parent < 0 ? null : above[parent];
            if (mine == null) {
                above[i] = fromParent;
            } else {
                Demand[] merged = new Demand[OPS.length];
                for (int o = 0; o < OPS.length; o++) {
                    merged[o] = Demand.merged(fromParent == null ? null : fromParent[o], mine[o]);
                }
                above[i] = merged;
            }
            // Per class, the longest shorter prefix that carries it (-1: none).
            int[] nearest = new int[OPS.length];
            for (int o = 0; o < OPS.length; o++) {
                nearest[o] = parent < 0 ? -1
                        : (opsAt.get(parent) & OPS[o].bit()) != 0 ? parent : nearestWith[parent][o];
            }
            nearestWith[i] = nearest;
        }
        // Emitted shortest first, then by case-folded text: a stable, readable table.
        Arrays.sort(sorted, Comparator.<Integer>comparingInt(i -> keys.get(i).length()).thenComparing(keys::get));
        List<Subscription.Prefix> out = new ArrayList<>();
        // Per key, the classes grouped by flags, in class order (at most one group per class).
        Flags[] groupFlags = new Flags[OPS.length];
        int[] groupOps = new int[OPS.length];
        for (int i : sorted) {
            int groups = 0;
            for (int o = 0; o < OPS.length; o++) {
                if ((opsAt.get(i) & OPS[o].bit()) == 0) {
                    continue;
                }
                Flags f = flagsOf(above[i], o);
                int shorter = nearestWith[i][o];
                if (shorter >= 0 && flagsOf(above[shorter], o).equals(f)) {
                    continue; // the driver already finds these flags on the shorter prefix
                }
                int g = 0;
                while (g < groups && !groupFlags[g].equals(f)) {
                    g++;
                }
                if (g == groups) {
                    groupFlags[groups] = f;
                    groupOps[groups++] = 0;
                }
                groupOps[g] |= OPS[o].bit();
            }
            for (int g = 0; g < groups; g++) {
                Flags f = groupFlags[g];
                // Value classes compare the full name; "\" is a prefix of both alike.
                int valueOps = keys.get(i).equals(RegistryPaths.KERNEL_EVERYTHING) ? 0
                        : groupOps[g] & Subscription.FULL_NAME_OPS;
                int keyOps = groupOps[g] & ~valueOps;
                if (keyOps != 0) {
                    out.add(new Subscription.Prefix(true, spelling.get(i), keyOps, f.verdict, f.timeoutMs, f.failMode));
                }
                if (valueOps != 0) {
                    out.add(new Subscription.Prefix(true, spelling.get(i), valueOps, f.verdict, f.timeoutMs,
                            f.failMode, Subscription.Match.PREFIX, Subscription.Target.FULL_NAME));
                }
            }
        }
        return out;
    }

    private static Flags flagsOf(Demand[] demands, int op) {
        return demands == null || demands[op] == null ? NO_VERDICT : demands[op].flags();
    }

    /** A growable int array without boxing. */
    private static final class IntArray {
        private int[] items = new int[64];
        private int size;

        void add(int v) {
            if (size == items.length) {
                items = Arrays.copyOf(items, size * 2);
            }
            items[size++] = v;
        }

        int get(int i) {
            return items[i];
        }

        void set(int i, int v) {
            items[i] = v;
        }
    }

    /**
     * EXCLUDE entries for rules that are nothing but an EventType test (the key-path root for
     * their classes), nothing but an Image test ({@link ImageCover#exclude}), or nothing but a
     * TargetObject test: prefixes, and the
     * contains / end-with values that {@link PatternCover#exclude} proves safe. Each entry
     * alone implies the rule matches, so leaving any out only delivers more.
     */
    static List<Subscription.Prefix> excludeEntries(List<CompiledRule> rules) {
        List<Subscription.Prefix> out = new ArrayList<>();
        for (CompiledRule r : rules) {
            if (!r.include && r.opMask != 0 && r.groups.length == 0 && r.expression == null) {
                // Nothing but EventType (sysmon-modular's <EventType condition="is">CreateKey</EventType>):
                // every operation of those classes is excluded, and every kernel key path begins with '\'.
                out.add(new Subscription.Prefix(false, RegistryPaths.KERNEL_EVERYTHING, r.opMask, false, 0,
                        FailMode.INHERIT));
                continue;
            }
            if (!r.include && r.opMask != 0 && r.groups.length == 1 && r.expression == null
                    && r.groups[0].length > 0 && r.groups[0][0].field == Field.IMAGE) {
                // Exclusion by image alone: file names only (ImageCover.exclude).
                for (CompiledCondition c : r.groups[0]) {
                    for (PatternCover.Entry e : ImageCover.exclude(c.cond, c.source.values(), r.opMask)) {
                        out.add(new Subscription.Prefix(false, e.text(), e.ops(), false, 0, FailMode.INHERIT, e.match(),
                                e.target()));
                    }
                }
                continue;
            }
            CompiledCondition[] group = targetGroup(r);
            if (r.include || r.opMask == 0 || group == null || r.groups.length != 1 || r.expression != null) {
                continue;
            }
            for (CompiledCondition c : group) {
                if (PatternCover.isPattern(c.cond)) {
                    for (PatternCover.Entry e : PatternCover.exclude(c, r.opMask)) {
                        out.add(new Subscription.Prefix(false, e.text(), e.ops(), false, 0, FailMode.INHERIT, e.match(),
                                e.target()));
                    }
                    continue;
                }
                if (!c.cond.isPrefixLike()) {
                    continue;
                }
                if (c.cond == Condition.IS || c.cond == Condition.IS_ANY) {
                    continue; // an exact path says nothing about the keys below it
                }
                for (String v : c.source.values()) {
                    String k = exactKernelPrefix(v);
                    if (k != null && k.length() <= MAX_PREFIX_CHARS) {
                        out.add(new Subscription.Prefix(false, k, r.opMask, false, 0, FailMode.INHERIT));
                    }
                }
            }
        }
        return out;
    }

    /**
     * Wire minor 3: EXCLUDE groups for exclusion rules that test two or more fields together
     * (Sysmon's {@code <Rule groupRelation="and">}: sysmon-modular pairs {@code Image} with a
     * path). One clause per field, the field's conditions (ORed, as Sysmon does within an AND rule)
     * its members; {@code EventType} is the rule's classes. A member may only be what proves its
     * condition - TRUE in the driver implies the condition holds for the agent: TargetObject
     * {@code begin with} a kernel prefix {@link #exactKernelPrefix} proves, {@code contains} /
     * {@code end with} what {@link PatternCover#exclude} proves; Image what {@link ImageCover#exclude}
     * proves (a whole drive path anchored: UNKNOWN, never excluded, on an image the volume map does
     * not name); Details {@code contains} / {@code end with} of ASCII text as DATA (the driver renders
     * the data exactly as Details; data it cannot render is UNKNOWN). A condition without a proof is
     * left out of its clause (a narrower clause excludes less); a field with none left, or any other
     * field, and the rule sends no group: the driver excludes only what every clause proves.
     */
    static List<Subscription.Group> excludeGroups(List<CompiledRule> rules) {
        List<Subscription.Group> out = new ArrayList<>();
        for (CompiledRule r : rules) {
            if (r.include || r.opMask == 0 || r.expression != null || r.groups.length < 2) {
                continue; // one field alone: excludeEntries; an expression: Sigma has no exclusions
            }
            for (Operation op : OPS) {
                if ((r.opMask & op.bit()) == 0) {
                    continue;
                }
                List<List<Subscription.Member>> clauses = new ArrayList<>();
                for (CompiledCondition[] field : r.groups) {
                    List<Subscription.Member> members = provingMembers(field, op.bit());
                    if (members.isEmpty()) {
                        clauses = null;
                        break;
                    }
                    clauses.add(members);
                }
                if (clauses != null) {
                    out.add(new Subscription.Group(false, op.bit(), false, 0, FailMode.INHERIT, clauses));
                }
            }
        }
        return mergeGroups(out);
    }

    /** Control sets a kernel name may carry for Sysmon's HKLM\System\CurrentControlSet (the link, the usual two). */
    private static final List<String> PROVING_CONTROL_SETS = List.of("ControlSet001", "ControlSet002",
            "CurrentControlSet");

    /**
     * Kernel prefixes under each of which every name renders (Sysmon form) beginning with
     * {@code sysmonPrefix}: {@link #exactKernelPrefix}, and for a prefix below
     * {@code HKLM\System\CurrentControlSet\} the same path below ControlSet001, ControlSet002 and the
     * CurrentControlSet link - each renders as CurrentControlSet ({@code RegistryPaths}), so each
     * proves the text; the control sets left out only make the clause exclude less.
     */
    static List<String> provingPrefixes(String sysmonPrefix) {
        List<String> out = new ArrayList<>();
        String k = exactKernelPrefix(sysmonPrefix);
        if (k != null) {
            out.add(k);
        } else if (RegistryPaths.hasRoot(sysmonPrefix, RegistryPaths.SYSMON_CURRENT_CONTROL_SET)
                && sysmonPrefix.length() > RegistryPaths.SYSMON_CURRENT_CONTROL_SET.length() + 1) {
            String rest = sysmonPrefix.substring(RegistryPaths.SYSMON_CURRENT_CONTROL_SET.length()); // "\..."
            for (String set : PROVING_CONTROL_SETS) {
                out.add(RegistryPaths.KERNEL_MACHINE + "\\SYSTEM\\" + set + rest);
            }
        }
        out.removeIf(p -> p.length() > MAX_MEMBER_CHARS);
        return out;
    }

    /** Members each of which, TRUE in the driver, proves one of the field's conditions for class {@code op}. */
    private static List<Subscription.Member> provingMembers(CompiledCondition[] field, int op) {
        java.util.LinkedHashSet<Subscription.Member> out = new java.util.LinkedHashSet<>();
        for (CompiledCondition c : field) {
            List<PatternCover.Entry> entries = new ArrayList<>();
            switch (c.field) {
                case TARGET_OBJECT:
                    if (PatternCover.isPattern(c.cond)) {
                        entries.addAll(PatternCover.exclude(c, op));
                    }
                    // begin with; and contains of a text that starts at a root (beginning with it implies
                    // containing it): kernel prefixes whose every name renders beginning with the text.
                    boolean rooted = c.cond == Condition.CONTAINS || c.cond == Condition.CONTAINS_ANY;
                    if (c.cond == Condition.BEGIN_WITH || rooted) {
                        for (String v : c.source.values()) {
                            if (rooted && !v.regionMatches(true, 0, "HK", 0, 2)) {
                                continue;
                            }
                            for (String k : provingPrefixes(v)) {
                                // Value classes: the full name, as TargetObject is key\value (the rest of
                                // the name is verbatim in both forms, so the prefix proves it there too).
                                entries.add(new PatternCover.Entry(k, Subscription.Match.PREFIX,
                                        (op & Subscription.FULL_NAME_OPS) != 0 ? Subscription.Target.FULL_NAME
                                                : Subscription.Target.KEY_PATH, op));
                            }
                        }
                    }
                    break;
                case IMAGE:
                    entries.addAll(ImageCover.exclude(c.cond, c.source.values(), op));
                    break;
                case DETAILS:
                    if (op == Operation.SET_VALUE.bit() && (c.cond == Condition.CONTAINS
                            || c.cond == Condition.CONTAINS_ANY || c.cond == Condition.END_WITH)) {
                        for (String v : c.source.values()) {
                            if (!v.isEmpty() && v.length() <= MAX_MEMBER_CHARS && v.chars().allMatch(ch -> ch < 0x80)) {
                                entries.add(new PatternCover.Entry(v, c.cond == Condition.END_WITH
                                        ? Subscription.Match.SUFFIX : Subscription.Match.CONTAINS,
                                        Subscription.Target.DATA, op));
                            }
                        }
                    }
                    break;
                default:
                    break; // no kernel target (NewName included: not proven here): the condition is left out
            }
            for (PatternCover.Entry e : entries) {
                if ((e.ops() & op) != 0 && (op & ~e.target().ops()) == 0) {
                    out.add(new Subscription.Member(e.match(), e.target(), e.text()));
                }
            }
        }
        return new ArrayList<>(out);
    }

    /**
     * A kernel prefix every path under which renders (Sysmon form) beginning with
     * {@code sysmonPrefix}, or null when no plain prefix is that safe: HKCU (many hives),
     * anything that reaches into SOFTWARE\Classes or the control sets (rendered under
     * other names), or a partial root.
     */
    static String exactKernelPrefix(String sysmonPrefix) {
        String s = RegistryPaths.canonical(sysmonPrefix);
        if (RegistryPaths.hasRoot(s, RegistryPaths.HKCR)) {
            String rest = s.substring(RegistryPaths.HKCR.length());
            return rest.startsWith("\\") ? RegistryPaths.KERNEL_CLASSES + rest : null;
        }
        if (RegistryPaths.hasRoot(s, RegistryPaths.HKU)) {
            String rest = s.substring(RegistryPaths.HKU.length());
            return rest.startsWith("\\") && rest.length() > 1 ? RegistryPaths.KERNEL_USER + rest : null;
        }
        if (RegistryPaths.hasRoot(s, RegistryPaths.HKLM) && !RegistryPaths.hasRoot(s, RegistryPaths.SYSMON_CURRENT_CONTROL_SET)) {
            String rest = s.substring(RegistryPaths.HKLM.length());
            if (!rest.startsWith("\\")) {
                return null;
            }
            String lr = rest.substring(1).toLowerCase(java.util.Locale.ROOT);
            for (String special : new String[] {"software\\classes", "system\\controlset", "system\\currentcontrolset"}) {
                if (special.startsWith(lr) || lr.startsWith(special)) {
                    return null;
                }
            }
            return RegistryPaths.KERNEL_MACHINE + rest;
        }
        return null;
    }

    static String ops(int mask) {
        StringBuilder b = new StringBuilder();
        for (Operation op : Operation.values()) {
            if ((mask & op.bit()) != 0) {
                b.append(b.length() == 0 ? "" : ",").append(op.eventType());
            }
        }
        return b.length() == 0 ? "none" : b.toString();
    }
}
