package dev.hiveguard.policy;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryPaths;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.model.Verdict;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * THE PREVIOUS SUBSCRIPTION COMPILER, kept as it was apart from the pattern entries and
 * full-name prefixes (wire minor 1), which both compilers must emit alike (quadratic: {@code includeEntries},
 * {@code flagsFor} and {@code longestShorter} compare every prefix with every other) as the
 * baseline the new one must reproduce entry for entry wherever the precise table fits, and
 * as the "old" column of {@code PolicyCompileBench}. Not used by the product.
 *
 * <p>Original description: compiles a policy into the driver's subscription: the smallest set of kernel-form
 * prefixes and operation classes that still delivers every event the policy could treat
 * differently from "allow", and makes every event it could block wait for a verdict.
 *
 * <p>Each include rule that can audit or block contributes its TargetObject prefixes in
 * kernel form ({@link RegistryPaths#kernelPrefixes}, which widens where one Sysmon name
 * covers many kernel keys); a rule with no pure-prefix TargetObject contributes
 * {@code \}, everything. For SetValue/DeleteValue Sysmon's TargetObject ends with the
 * value name while the driver matches the key path only, so those classes use the pattern
 * cut at its last backslash. Because the driver takes verdict, timeout and fail mode from
 * the longest matching include prefix, every emitted prefix carries the merged demands of
 * all blocking rules whose prefix it extends: verdict if any, the longest timeout, and
 * closed if any asks for closed. Pure path exclusions become EXCLUDE prefixes only when
 * the default is allow and only where the kernel prefix can never exclude more than the
 * rule does.
 */
public final class QuadraticSubscriptionCompiler {

    /** hiveguard_wire.h HG_PREFIX_MAX_COUNT / HG_PREFIX_MAX_BYTES (UTF-16: 2 bytes a unit). */
    static final int MAX_PREFIXES = 4096;
    static final int MAX_PREFIX_CHARS = 2048 / 2;

    private QuadraticSubscriptionCompiler() {
    }

    /** The old compiler's subscription for {@code doc}, rules compiled as CompiledPolicy does. */
    public static Subscription compile(PolicyDocument doc) {
        List<CompiledRule> rules = new ArrayList<>();
        int scope = CompiledCondition.SYSMON_OPS;
        for (PolicyRule r : doc.rules()) {
            CompiledRule cr = new CompiledRule(r, doc.settings().mode());
            rules.add(cr);
            scope |= cr.namedOps;
        }
        return compile(doc, rules, scope);
    }

    /** One demand on the driver: deliver these classes under this prefix (and maybe wait). */
    private record Need(String prefix, int ops, boolean verdict, int timeoutMs, FailMode failMode) {
    }

    /** Per-class flags of an emitted include prefix. */
    private record Flags(boolean verdict, int timeoutMs, FailMode failMode) {
    }

    static Subscription compile(PolicyDocument doc, List<CompiledRule> rules, int scope) {
        PolicySettings s = doc.settings();
        List<Subscription.Prefix> excludes = s.defaultAction() == Action.ALLOW
                ? PatternEntries.merge(SubscriptionCompiler.excludeEntries(rules)) : List.of();
        // Tightest first; if the driver's table would overflow, trade precision for size.
        Subscription sub = compile(s, rules, scope, true, excludes);
        if (sub == null) {
            sub = compile(s, rules, scope, false, excludes);
        }
        return sub;
    }

    /** Null when the precise form does not fit the driver's prefix table. */
    private static Subscription compile(PolicySettings s, List<CompiledRule> rules, int scope, boolean precise,
                                        List<Subscription.Prefix> excludes) {
        boolean enforce = s.mode() == PolicyMode.ENFORCE;
        List<Need> needs = new ArrayList<>();
        if (s.defaultAction() != Action.ALLOW) {
            needs.add(new Need(RegistryPaths.KERNEL_EVERYTHING, scope, enforce && s.defaultAction() == Action.BLOCK, 0,
                    FailMode.INHERIT));
        }
        List<Subscription.Prefix> patterns = new ArrayList<>();
        for (CompiledRule r : rules) {
            if (!r.include || r.action == Action.ALLOW || r.opMask == 0) {
                continue;
            }
            boolean verdict = enforce && r.action == Action.BLOCK;
            List<PatternCover.Entry> covers = new ArrayList<>();
            for (Map.Entry<String, Integer> e : SubscriptionCompiler.kernelPrefixesOf(r, precise, covers).entrySet()) {
                needs.add(new Need(clip(e.getKey()), e.getValue(), verdict, r.timeoutMs, r.failMode));
            }
            for (PatternCover.Entry c : covers) {
                patterns.add(new Subscription.Prefix(true, c.text(), c.ops(), verdict, verdict ? r.timeoutMs : 0,
                        verdict ? r.failMode : FailMode.INHERIT, c.match(), c.target()));
            }
        }
        patterns = PatternEntries.merge(patterns);
        if (!PatternEntries.fit(patterns, MAX_PREFIXES / 2)) {
            // The automaton would exceed the driver's bounds: these rules fall back to everything.
            for (Subscription.Prefix x : patterns) {
                needs.add(new Need(RegistryPaths.KERNEL_EVERYTHING, x.opMask(), x.verdict(), x.timeoutMs(), x.failMode()));
            }
            patterns = List.of();
        }
        int opMask = 0;
        int verdictMask = 0;
        for (Need n : needs) {
            opMask |= n.ops;
            if (n.verdict) {
                verdictMask |= n.ops;
            }
        }
        for (Subscription.Prefix x : patterns) {
            opMask |= x.opMask();
            if (x.verdict()) {
                verdictMask |= x.opMask();
            }
        }
        List<Subscription.Prefix> includes = new ArrayList<>(includeEntries(needs, s));
        if (includes.size() + patterns.size() > MAX_PREFIXES) {
            if (precise) {
                return null;
            }
            includes = new ArrayList<>(includeEntries(widenAll(needs), s));
        }
        includes.addAll(patterns);
        List<Subscription.Prefix> all = new ArrayList<>(includes);
        PatternEntries automaton = new PatternEntries(MAX_PREFIXES);
        for (Subscription.Prefix x : patterns) {
            automaton.tryAdd(x); // fits: checked above
        }
        // With nothing to deliver, exclusions would only be noise in the driver's table.
        for (Subscription.Prefix x : opMask == 0 ? List.<Subscription.Prefix>of() : excludes) {
            if (all.size() >= MAX_PREFIXES) {
                break; // dropping an exclusion only delivers more
            }
            if (x.match() != Subscription.Match.PREFIX && !automaton.tryAdd(x)) {
                continue; // likewise
            }
            all.add(x);
        }
        Verdict unavailable = s.failMode() == FailMode.CLOSED ? Verdict.BLOCK : Verdict.ALLOW;
        // Wire minor 3: multi-field exclusions as EXCLUDE groups (the compiler's own list: this
        // reference checks the prefix table, not the groups' proofs - SubscriptionPropertyTest does).
        List<Subscription.Group> groups = opMask != 0 && s.defaultAction() == Action.ALLOW
                ? SubscriptionCompiler.excludeGroups(rules) : List.of();
        return new Subscription(opMask, verdictMask, s.includeKernelCallers(), s.timeoutMs(), s.failMode(), unavailable,
                Subscription.DEFAULT_BACKLOG, Subscription.DEFAULT_DATA_CAP, all, List.of(), List.of(), groups);
    }

    /** A prefix longer than the driver accepts is cut: a shorter include only delivers more. */
    private static String clip(String prefix) {
        return prefix.length() <= MAX_PREFIX_CHARS ? prefix : prefix.substring(0, MAX_PREFIX_CHARS);
    }

    private static List<Need> widenAll(List<Need> needs) {
        List<Need> out = new ArrayList<>(needs.size());
        for (Need n : needs) {
            out.add(new Need(RegistryPaths.KERNEL_EVERYTHING, n.ops, n.verdict, n.timeoutMs, n.failMode));
        }
        return out;
    }

    private static List<Subscription.Prefix> includeEntries(List<Need> needs, PolicySettings s) {
        // Distinct prefixes (driver-case-insensitive), first spelling kept.
        Map<String, String> spelling = new LinkedHashMap<>();
        Map<String, Integer> opsAt = new LinkedHashMap<>();
        for (Need n : needs) {
            String key = SubscriptionMatcher.upcase(n.prefix);
            spelling.putIfAbsent(key, n.prefix);
            opsAt.merge(key, n.ops, (a, b) -> a | b);
        }
        // Per prefix and class: the flags the longest-prefix rule of the driver must find there.
        List<String> keys = new ArrayList<>(opsAt.keySet());
        keys.sort(Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()));
        Map<String, Map<Operation, Flags>> flagsAt = new LinkedHashMap<>();
        for (String key : keys) {
            Map<Operation, Flags> perOp = new LinkedHashMap<>();
            for (Operation op : Operation.values()) {
                if ((opsAt.get(key) & op.bit()) != 0) {
                    perOp.put(op, flagsFor(key, op, needs, s));
                }
            }
            flagsAt.put(key, perOp);
        }
        // Drop a class from a prefix when a shorter prefix already gives it the same flags.
        for (String key : keys) {
            Map<Operation, Flags> perOp = flagsAt.get(key);
            perOp.entrySet().removeIf(e -> {
                String shorter = longestShorter(key, e.getKey(), flagsAt);
                return shorter != null && flagsAt.get(shorter).get(e.getKey()).equals(e.getValue());
            });
        }
        List<Subscription.Prefix> out = new ArrayList<>();
        List<String> ordered = new ArrayList<>(keys);
        ordered.sort(Comparator.comparingInt(String::length).thenComparing(Comparator.naturalOrder()));
        for (String key : ordered) {
            Map<Flags, Integer> byFlags = new LinkedHashMap<>();
            for (Map.Entry<Operation, Flags> e : flagsAt.get(key).entrySet()) {
                byFlags.merge(e.getValue(), e.getKey().bit(), (a, b) -> a | b);
            }
            for (Map.Entry<Flags, Integer> e : byFlags.entrySet()) {
                Flags f = e.getKey();
                // Value classes compare the full name; "\" is a prefix of both alike.
                int valueOps = key.equals(RegistryPaths.KERNEL_EVERYTHING) ? 0 : e.getValue() & Subscription.FULL_NAME_OPS;
                int keyOps = e.getValue() & ~valueOps;
                if (keyOps != 0) {
                    out.add(new Subscription.Prefix(true, spelling.get(key), keyOps, f.verdict, f.timeoutMs, f.failMode));
                }
                if (valueOps != 0) {
                    out.add(new Subscription.Prefix(true, spelling.get(key), valueOps, f.verdict, f.timeoutMs, f.failMode,
                            Subscription.Match.PREFIX, Subscription.Target.FULL_NAME));
                }
            }
        }
        return out;
    }

    /** The longest other prefix that is a prefix of {@code key} and still carries {@code op}. */
    private static String longestShorter(String key, Operation op, Map<String, Map<Operation, Flags>> flagsAt) {
        String best = null;
        for (Map.Entry<String, Map<Operation, Flags>> e : flagsAt.entrySet()) {
            String k = e.getKey();
            if (k.length() < key.length() && key.startsWith(k) && e.getValue().containsKey(op)
                    && (best == null || k.length() > best.length())) {
                best = k;
            }
        }
        return best;
    }

    private static Flags flagsFor(String key, Operation op, List<Need> needs, PolicySettings s) {
        boolean verdict = false;
        boolean explicitTimeout = false;
        int timeout = 0;
        boolean allInherit = true;
        boolean anyClosed = false;
        for (Need n : needs) {
            if (!n.verdict || (n.ops & op.bit()) == 0 || !key.startsWith(SubscriptionMatcher.upcase(n.prefix))) {
                continue;
            }
            verdict = true;
            explicitTimeout |= n.timeoutMs != 0;
            timeout = Math.max(timeout, n.timeoutMs != 0 ? n.timeoutMs : s.timeoutMs());
            allInherit &= n.failMode == FailMode.INHERIT;
            FailMode effective = n.failMode == FailMode.INHERIT ? s.failMode() : n.failMode;
            anyClosed |= effective == FailMode.CLOSED;
        }
        if (!verdict) {
            return new Flags(false, 0, FailMode.INHERIT);
        }
        // Closed wins: a rule that asked to fail closed must not be opened by a neighbour.
        FailMode fail = allInherit ? FailMode.INHERIT : anyClosed ? FailMode.CLOSED : FailMode.OPEN;
        return new Flags(true, explicitTimeout ? timeout : 0, fail);
    }
}
