package dev.hiveguard.policy;

import java.util.List;
import java.util.Objects;

/**
 * One filter element of a rule, as written: {@code <TargetObject condition="begin with">...}.
 *
 * @param field     the field tested
 * @param condition the comparison
 * @param pattern   the text as written in the file
 * @param values    the pattern split on {@code ;} for list conditions (else the one pattern),
 *                  TargetObject paths rewritten to the Sysmon spelling
 * @param line      line of the element in the file
 * @param column    column of the element in the file
 */
public record RuleCondition(Field field, Condition condition, String pattern, List<String> values, int line,
                            int column) {
    public RuleCondition {
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(condition, "condition");
        Objects.requireNonNull(pattern, "pattern");
        values = List.copyOf(values);
    }
}
