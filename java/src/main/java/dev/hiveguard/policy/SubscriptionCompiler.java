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
 * Compiles a policy into the driver's subscription: the smallest set of kernel-form
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
final class SubscriptionCompiler {

    /** hiveguard_wire.h HG_PREFIX_MAX_COUNT / HG_PREFIX_MAX_BYTES (UTF-16: 2 bytes a unit). */
    static final int MAX_PREFIXES = 4096;
    static final int MAX_PREFIX_CHARS = 2048 / 2;

    private SubscriptionCompiler() {
    }

    /** One demand on the driver: deliver these classes under this prefix (and maybe wait). */
    private record Need(String prefix, int ops, boolean verdict, int timeoutMs, FailMode failMode) {
    }

    /** Per-class flags of an emitted include prefix. */
    private record Flags(boolean verdict, int timeoutMs, FailMode failMode) {
    }

    static Subscription compile(PolicyDocument doc, List<CompiledRule> rules, int scope) {
        PolicySettings s = doc.settings();
        List<Subscription.Prefix> excludes = s.defaultAction() == Action.ALLOW ? excludeEntries(rules) : List.of();
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
        for (CompiledRule r : rules) {
            if (!r.include || r.action == Action.ALLOW || r.opMask == 0) {
                continue;
            }
            boolean verdict = enforce && r.action == Action.BLOCK;
            for (Map.Entry<String, Integer> e : kernelPrefixesOf(r, precise).entrySet()) {
                needs.add(new Need(clip(e.getKey()), e.getValue(), verdict, r.timeoutMs, r.failMode));
            }
        }
        int opMask = 0;
        int verdictMask = 0;
        for (Need n : needs) {
            opMask |= n.ops;
            if (n.verdict) {
                verdictMask |= n.ops;
            }
        }
        List<Subscription.Prefix> includes = includeEntries(needs, s);
        if (includes.size() > MAX_PREFIXES) {
            if (precise) {
                return null;
            }
            includes = includeEntries(widenAll(needs), s);
        }
        List<Subscription.Prefix> all = new ArrayList<>(includes);
        // With nothing to deliver, exclusions would only be noise in the driver's table.
        for (Subscription.Prefix x : opMask == 0 ? List.<Subscription.Prefix>of() : excludes) {
            if (all.size() >= MAX_PREFIXES) {
                break; // dropping an exclusion only delivers more
            }
            all.add(x);
        }
        Verdict unavailable = s.failMode() == FailMode.CLOSED ? Verdict.BLOCK : Verdict.ALLOW;
        return new Subscription(opMask, verdictMask, s.includeKernelCallers(), s.timeoutMs(), s.failMode(), unavailable,
                Subscription.DEFAULT_BACKLOG, Subscription.DEFAULT_DATA_CAP, all, List.of());
    }

    /** Kernel prefix -> classes, for one include rule. */
    private static Map<String, Integer> kernelPrefixesOf(CompiledRule r, boolean precise) {
        Map<String, Integer> out = new LinkedHashMap<>();
        List<String> prefixes = prefixesOf(r);
        if (prefixes == null) {
            out.put(RegistryPaths.KERNEL_EVERYTHING, r.opMask);
            return out;
        }
        int valueOps = r.opMask & EventView.VALUE_OPS;
        int keyOps = r.opMask & ~EventView.VALUE_OPS;
        for (String v : prefixes) {
            if (keyOps != 0) {
                for (String k : RegistryPaths.kernelPrefixes(v, precise)) {
                    out.merge(k, keyOps, (a, b) -> a | b);
                }
            }
            if (valueOps != 0) {
                int cut = v.lastIndexOf('\\');
                String keyPart = cut < 0 ? v : v.substring(0, cut);
                for (String k : RegistryPaths.kernelPrefixes(keyPart, precise)) {
                    out.merge(k, valueOps, (a, b) -> a | b);
                }
            }
        }
        return out;
    }

    /**
     * Sysmon-form TargetObject prefixes one of which every event the rule matches starts with,
     * or null (any path): the pure-prefix TargetObject group of a Sysmon rule, else what an
     * expression rule's expression implies.
     */
    private static List<String> prefixesOf(CompiledRule r) {
        if (r.prefixGroup != null) {
            List<String> out = new ArrayList<>();
            for (CompiledCondition c : r.prefixGroup) {
                out.addAll(c.source.values());
            }
            return out;
        }
        return r.expressionPrefixes;
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
                out.add(new Subscription.Prefix(true, spelling.get(key), e.getValue(), f.verdict, f.timeoutMs,
                        f.failMode));
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

    /** EXCLUDE entries for rules that are nothing but a TargetObject prefix test. */
    private static List<Subscription.Prefix> excludeEntries(List<CompiledRule> rules) {
        List<Subscription.Prefix> out = new ArrayList<>();
        for (CompiledRule r : rules) {
            if (r.include || r.opMask == 0 || r.prefixGroup == null || r.groups.length != 1 || r.expression != null) {
                continue;
            }
            for (CompiledCondition c : r.prefixGroup) {
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
