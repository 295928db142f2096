package dev.hiveguard.policy;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Operation;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A rule ready to run: EventType and field presence folded into one operation mask that is
 * checked first, then one group per other field (any condition of a group may hold, every
 * group must).
 */
final class CompiledRule {

    final int index;
    final boolean include;
    final Action action;
    /** block 3 > audit 2 > allow 1: the most severe matching include rule decides. */
    final int severity;
    final int opMask;
    /** The classes the rule names (or Sysmon's), before field presence narrows them: the policy's scope. */
    final int namedOps;
    final CompiledCondition[][] groups;
    /** The TargetObject group when all its conditions only constrain a prefix, else null. */
    final CompiledCondition[] prefixGroup;
    final Decision decision;
    /** Null for a Sysmon rule; else must hold too. */
    final CompiledExpression expression;
    /** Expression rules, per class of opMask: what every match's TargetObject meets (see {@link TargetCover}; null: any). */
    final Map<Operation, List<TargetCover.Alt>> expressionCover;
    /** Expression rules, per class: the AND-group form of that cover (see {@link TargetCover#termsByClass}; null: any). */
    final Map<Operation, List<TargetCover.Term>> expressionTerms;
    final int timeoutMs;
    final FailMode failMode;

    CompiledRule(PolicyRule r, PolicyMode mode) {
        this.index = r.index();
        this.include = r.include();
        this.action = r.action();
        this.severity = r.include() ? severity(r.action()) : 0;
        this.timeoutMs = r.timeoutMs();
        this.failMode = r.failMode();
        Map<Field, List<CompiledCondition>> byField = new EnumMap<>(Field.class);
        for (RuleCondition c : r.conditions()) {
            byField.computeIfAbsent(c.field(), k -> new ArrayList<>()).add(new CompiledCondition(c));
        }
        int mask = CompiledCondition.SYSMON_OPS;
        List<CompiledCondition[]> g = new ArrayList<>();
        CompiledCondition[] prefix = null;
        for (Map.Entry<Field, List<CompiledCondition>> e : byField.entrySet()) {
            CompiledCondition[] arr = e.getValue().toArray(new CompiledCondition[0]);
            if (e.getKey() == Field.EVENT_TYPE) {
                int m = 0;
                for (CompiledCondition c : arr) {
                    m |= c.opMask;
                }
                mask = m;
                continue;
            }
            g.add(arr);
            if (e.getKey() == Field.TARGET_OBJECT) {
                boolean allPrefix = true;
                for (CompiledCondition c : arr) {
                    allPrefix &= c.cond.isPrefixLike();
                }
                prefix = allPrefix ? arr : null;
            }
        }
        this.namedOps = mask;
        for (Field f : byField.keySet()) {
            if (f != Field.EVENT_TYPE) {
                mask &= f.presentMask();
            }
        }
        this.opMask = mask;
        // TargetObject first: it is the most selective test and already computed for the index walk.
        g.sort((a, b) -> Boolean.compare(b[0].field == Field.TARGET_OBJECT, a[0].field == Field.TARGET_OBJECT));
        this.groups = g.toArray(new CompiledCondition[0][]);
        this.prefixGroup = prefix;
        this.expression = r.expression() == null ? null : CompiledExpression.compile(r.expression());
        this.expressionCover = r.expression() == null ? null : TargetCover.byClass(r.expression(), mask);
        this.expressionTerms = r.expression() == null ? null : TargetCover.termsByClass(r.expression(), mask);
        if (!include) {
            this.decision = null;
        } else if (action == Action.BLOCK && mode == PolicyMode.AUDIT_ONLY) {
            this.decision = new Decision(Action.AUDIT, r.name(), true);
        } else {
            this.decision = Decision.of(action, r.name());
        }
    }

    static int severity(Action a) {
        switch (a) {
            case BLOCK:
                return 3;
            case AUDIT:
                return 2;
            default:
                return 1;
        }
    }

    boolean matches(EventView v) {
        if ((opMask & v.op.bit()) == 0) {
            return false;
        }
        for (CompiledCondition[] group : groups) {
            boolean any = false;
            for (CompiledCondition c : group) {
                if (c.test(v)) {
                    any = true;
                    break;
                }
            }
            if (!any) {
                return false;
            }
        }
        return expression == null || expression.test(v);
    }
}
