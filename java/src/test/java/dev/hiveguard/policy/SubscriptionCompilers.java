package dev.hiveguard.policy;

import dev.hiveguard.model.Subscription;
import java.util.ArrayList;
import java.util.List;

/** Public doors to the current and the previous subscription compiler, for the compile benchmark. */
public final class SubscriptionCompilers {

    private SubscriptionCompilers() {
    }

    /** The current compiler alone (rules compiled as CompiledPolicy does, no trie, no decision index). */
    public static Subscription current(PolicyDocument doc) {
        List<CompiledRule> rules = new ArrayList<>();
        int scope = CompiledCondition.SYSMON_OPS;
        for (PolicyRule r : doc.rules()) {
            CompiledRule cr = new CompiledRule(r, doc.settings().mode());
            rules.add(cr);
            scope |= cr.namedOps;
        }
        return SubscriptionCompiler.compile(doc, rules, scope);
    }

    /** The previous, quadratic compiler on the same input. */
    public static Subscription previous(PolicyDocument doc) {
        return QuadraticSubscriptionCompiler.compile(doc);
    }
}
