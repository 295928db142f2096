package dev.hiveguard.policy;

import dev.hiveguard.model.RegistryEvent;
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
    private final PrefixTrie includeTrie;
    private final PrefixTrie includeHkcuTrie;
    private final int[] includeUnindexed;
    private final PrefixTrie excludeTrie;
    private final PrefixTrie excludeHkcuTrie;
    private final int[] excludeUnindexed;
    private final Subscription subscription;
    private final ThreadLocal<PrefixTrie.IntList> scratch = ThreadLocal.withInitial(PrefixTrie.IntList::new);

    private CompiledPolicy(PolicyDocument doc) {
        this.document = doc;
        PolicySettings s = doc.settings();
        this.rules = new CompiledRule[doc.rules().size()];
        int sc = CompiledCondition.SYSMON_OPS;
        PrefixTrie.Builder inc = new PrefixTrie.Builder();
        PrefixTrie.Builder incHkcu = new PrefixTrie.Builder();
        PrefixTrie.Builder exc = new PrefixTrie.Builder();
        PrefixTrie.Builder excHkcu = new PrefixTrie.Builder();
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
                    PrefixTrie.Builder b = c.valueIsHkcu(i) ? (cr.include ? incHkcu : excHkcu) : (cr.include ? inc : exc);
                    b.add(c.value(i), cr.index);
                }
            }
        }
        this.scope = sc;
        this.includeTrie = inc.build();
        this.includeHkcuTrie = incHkcu.build();
        this.excludeTrie = exc.build();
        this.excludeHkcuTrie = excHkcu.build();
        this.includeUnindexed = incRest.stream().mapToInt(Integer::intValue).toArray();
        this.excludeUnindexed = excRest.stream().mapToInt(Integer::intValue).toArray();
        Action def = s.defaultAction();
        this.defaultDecision = def == Action.BLOCK && s.mode() == PolicyMode.AUDIT_ONLY
                ? new Decision(Action.AUDIT, null, true) : Decision.of(def, null);
        this.hash = PolicyDescription.hash(doc);
        this.subscription = SubscriptionCompiler.compile(doc, List.of(rules), scope);
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
        boolean userHive = v.targetLower().startsWith("hku\\");
        excludeTrie.collect(v.targetLower(), cand);
        if (userHive && !excludeHkcuTrie.isEmpty()) {
            excludeHkcuTrie.collect(v.hkcuLower(), cand);
        }
        cand.addAll(excludeUnindexed);
        for (int i = 0; i < cand.size; i++) {
            if (rules[cand.items[i]].matches(v)) {
                return defaultDecision;
            }
        }
        cand.clear();
        includeTrie.collect(v.targetLower(), cand);
        if (userHive && !includeHkcuTrie.isEmpty()) {
            includeHkcuTrie.collect(v.hkcuLower(), cand);
        }
        cand.addAll(includeUnindexed);
        CompiledRule best = null;
        for (int i = 0; i < cand.size; i++) {
            CompiledRule r = rules[cand.items[i]];
            if (best != null && (r.severity < best.severity || (r.severity == best.severity && r.index > best.index))) {
                continue;
            }
            if (r.matches(v)) {
                best = r;
            }
        }
        return best == null ? defaultDecision : best.decision;
    }

    @Override
    public Subscription subscription() {
        return subscription;
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
