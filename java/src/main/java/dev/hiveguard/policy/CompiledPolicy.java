package dev.hiveguard.policy;

import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.RegistryPaths;
import dev.hiveguard.model.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The policy engine: a parsed policy compiled for the decision path.
 *
 * <p>Semantics (Sysmon's, extended with actions): an event outside the policy's operation
 * scope is allowed untouched; an event any exclude rule matches gets the default action
 * (exclude wins); otherwise the most severe matching include rule decides (block, then
 * audit, then allow; equal severity: the earlier rule), and with no match the default
 * applies. In audit-only mode a block becomes an audit flagged wouldBlock.
 *
 * <p>Immutable and thread-safe; {@link #decide} allocates only a small per-call view.
 */
public final class CompiledPolicy implements Policy {

    private static final Decision OUT_OF_SCOPE = Decision.of(Action.ALLOW, null);

    private final PolicyDocument document;
    private final String hash;
    private final CompiledRule[] rules;
    private final int scope;
    private final Decision defaultDecision;
    /** Include and exclude rules share one index: one walk per event finds both kinds. */
    private final PrefixTrie trie;
    private final PrefixTrie hkcuTrie;
    private final int[] includeUnindexed;
    private final int[] excludeUnindexed;
    private final Subscription subscription;
    /** What the compiler widened to fit the driver's limits (empty when nothing). */
    private final List<String> subscriptionNotes;
    private final ThreadLocal<PrefixTrie.IntList> scratch = ThreadLocal.withInitial(PrefixTrie.IntList::new);

    private CompiledPolicy(PolicyDocument doc) {
        this.document = doc;
        PolicySettings s = doc.settings();
        this.rules = new CompiledRule[doc.rules().size()];
        int sc = CompiledCondition.SYSMON_OPS;
        PrefixTrie.Builder plain = new PrefixTrie.Builder();
        PrefixTrie.Builder hkcu = new PrefixTrie.Builder();
        List<Integer> incRest = new ArrayList<>();
        List<Integer> excRest = new ArrayList<>();
        for (PolicyRule r : doc.rules()) {
            CompiledRule cr = new CompiledRule(r, s.mode());
            rules[r.index()] = cr;
            sc |= cr.namedOps;
            if (cr.prefixGroup == null) {
                (cr.include ? incRest : excRest).add(cr.index);
                continue;
            }
            for (CompiledCondition c : cr.prefixGroup) {
                for (int i = 0; i < c.valueCount(); i++) {
                    (c.valueIsHkcu(i) ? hkcu : plain).add(c.value(i), cr.index);
                }
            }
        }
        this.scope = sc;
        this.trie = plain.build();
        this.hkcuTrie = hkcu.build();
        this.includeUnindexed = incRest.stream().mapToInt(Integer::intValue).toArray();
        this.excludeUnindexed = excRest.stream().mapToInt(Integer::intValue).toArray();
        Action def = s.defaultAction();
        this.defaultDecision = def == Action.BLOCK && s.mode() == PolicyMode.AUDIT_ONLY
                ? new Decision(Action.AUDIT, null, true) : Decision.of(def, null);
        this.hash = PolicyDescription.hash(doc);
        SubscriptionCompiler.Compilation c = SubscriptionCompiler.compileWithNotes(doc, List.of(rules), scope);
        this.subscription = c.subscription();
        this.subscriptionNotes = c.notes();
    }

    public static CompiledPolicy compile(PolicyDocument doc) {
        return new CompiledPolicy(Objects.requireNonNull(doc, "doc"));
    }

    @Override
    public Decision decide(RegistryEvent event) {
        int bit = event.operation().bit();
        if ((scope & bit) == 0) {
            return OUT_OF_SCOPE;
        }
        EventView v = new EventView(event);
        PrefixTrie.IntList cand = scratch.get();
        cand.clear();
        collect(trie, hkcuTrie, v, cand);
        for (int id : excludeUnindexed) {
            if (rules[id].matches(v)) {
                return defaultDecision;
            }
        }
        for (int i = 0; i < cand.size; i++) {
            CompiledRule r = rules[cand.items[i]];
            if (!r.include && r.matches(v)) {
                return defaultDecision;
            }
        }
        CompiledRule best = null;
        for (int i = 0, n = cand.size + includeUnindexed.length; i < n; i++) {
            CompiledRule r = rules[i < cand.size ? cand.items[i] : includeUnindexed[i - cand.size]];
            if (!r.include
                    || (best != null && (r.severity < best.severity || (r.severity == best.severity && r.index > best.index)))) {
                continue;
            }
            if (r.matches(v)) {
                best = r;
            }
        }
        return best == null ? defaultDecision : best.decision;
    }

    /**
     * Candidates from both tries: the event's TargetObject, and for user hives its HKCU view.
     * Most events match no indexed prefix, so the walk runs along the Sysmon form computed on
     * the fly from the kernel path instead of building that string; text outside ASCII (where
     * Java's lower-casing can change length) takes the string route.
     */
    private static void collect(PrefixTrie trie, PrefixTrie hkcuTrie, EventView v, PrefixTrie.IntList out) {
        RegistryEvent e = v.event;
        String p = e.keyPath();
        int code = RegistryPaths.lowerRoot(p);
        int rest = RegistryPaths.lowerRootRestStart(code);
        boolean valueOp = EventView.isValueOp(v.op);
        int mark = out.size;
        if (!walk(trie, RegistryPaths.lowerRootName(code), p, rest, valueOp, e.valueName(), out)) {
            out.size = mark;
            trie.collect(v.targetLower(), out);
        }
        if (hkcuTrie.isEmpty() || !RegistryPaths.lowerRootName(code).equals("hku") || rest >= p.length()) {
            return;
        }
        int segEnd = p.indexOf('\\', rest + 1);
        if (segEnd < 0) {
            segEnd = p.length();
        }
        boolean classes = segEnd - (rest + 1) >= CLASSES_SUFFIX.length()
                && p.regionMatches(true, segEnd - CLASSES_SUFFIX.length(), CLASSES_SUFFIX, 0, CLASSES_SUFFIX.length());
        mark = out.size;
        if (!walk(hkcuTrie, classes ? HKCU_CLASSES : HKCU, p, segEnd, valueOp, e.valueName(), out)) {
            out.size = mark;
            hkcuTrie.collect(v.hkcuLower(), out);
        }
    }

    private static final String CLASSES_SUFFIX = "_classes";
    private static final String HKCU = "hkcu";
    private static final String HKCU_CLASSES = "hkcu\\software\\classes";

    /** Walks {@code root + lower(path[from..]) + ["\\" + lower(value)]}; false on a non-ASCII unit. */
    private static boolean walk(PrefixTrie trie, String root, String path, int from, boolean valueOp, String valueName,
                                PrefixTrie.IntList out) {
        PrefixTrie node = trie;
        out.addAll(node.rules());
        for (int i = 0; i < root.length(); i++) {
            node = node.child(root.charAt(i));
            if (node == null) {
                return true;
            }
            out.addAll(node.rules());
        }
        for (int i = from; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c >= 0x80) {
                return false;
            }
            node = node.child(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
            if (node == null) {
                return true;
            }
            out.addAll(node.rules());
        }
        if (!valueOp) {
            return true;
        }
        node = node.child('\\');
        if (node == null) {
            return true;
        }
        out.addAll(node.rules());
        String name = valueName.isEmpty() ? RegistryPaths.DEFAULT_VALUE_NAME : valueName;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 0x80) {
                return false;
            }
            node = node.child(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
            if (node == null) {
                return true;
            }
            out.addAll(node.rules());
        }
        return true;
    }

    @Override
    public Subscription subscription() {
        return subscription;
    }

    /**
     * How the subscription was widened to fit the driver's limits (prefix count, prefix
     * length, CONFIGURE size), one sentence per step; empty when the precise form fits.
     */
    public List<String> subscriptionNotes() {
        return subscriptionNotes;
    }

    @Override
    public String name() {
        return document.name();
    }

    @Override
    public String hash() {
        return hash;
    }

    public PolicyDocument document() {
        return document;
    }

    public PolicySettings settings() {
        return document.settings();
    }

    /** Bit mask of the operation classes the policy decides; others are allowed untouched. */
    public int scope() {
        return scope;
    }
}
