package dev.hiveguard.policy;

import dev.hiveguard.model.FailMode;
import java.util.List;
import java.util.Objects;

/**
 * One rule after the file's grouping has been resolved: the event matches when, for every
 * field the rule names, at least one of its conditions on that field holds (same field =
 * OR, different fields = AND). A Sysmon "or" group yields one rule per filter element.
 *
 * @param index      document order, 0-based; ties between equally severe rules go to the lower
 * @param name       the rule's name (filter, Rule or RuleGroup {@code name}, or file:line)
 * @param include    include (acts) or exclude (takes the event back to the default)
 * @param action     include only: what a match does
 * @param timeoutMs  include only: verdict budget, 0 = the policy's
 * @param failMode   include only: INHERIT = the policy's
 * @param conditions at least one
 * @param line       where the rule starts
 * @param expression null, or a further condition that must hold too (rules from Sigma, whose
 *                   conditions a Sysmon rule cannot express)
 */
public record PolicyRule(int index, String name, boolean include, Action action, int timeoutMs, FailMode failMode,
                         List<RuleCondition> conditions, int line, RuleExpression expression) {
    public PolicyRule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(failMode, "failMode");
        conditions = List.copyOf(conditions);
        if (include) {
            Objects.requireNonNull(action, "action");
        }
        if (expression != null && expression.testCount() > RuleExpression.MAX_TESTS) {
            throw new IllegalArgumentException("expression has " + expression.testCount() + " tests, more than "
                    + RuleExpression.MAX_TESTS);
        }
    }

    /** A Sysmon rule: its conditions alone. */
    public PolicyRule(int index, String name, boolean include, Action action, int timeoutMs, FailMode failMode,
                      List<RuleCondition> conditions, int line) {
        this(index, name, include, action, timeoutMs, failMode, conditions, line, null);
    }
}
