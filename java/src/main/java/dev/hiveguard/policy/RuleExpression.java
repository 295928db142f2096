package dev.hiveguard.policy;

import java.util.List;
import java.util.Objects;

/**
 * A rule condition as a boolean expression over field tests: what a Sysmon rule (one OR
 * group per field, the groups AND'ed) cannot say without multiplying into many rules - the
 * same field tested twice with AND, negations of whole selections, nested and/or. Sigma
 * rules compile to this; a {@link PolicyRule} carrying one matches only when its
 * conditions and its expression both hold.
 *
 * <p>A test on a field the operation does not carry (Details outside SetValue) is false, so
 * its negation is true: the reading of every Sigma backend, where {@code NOT Details=x}
 * holds for an event without Details.
 */
public sealed interface RuleExpression {

    /** Most field tests a rule's expression may hold: bounds evaluation cost and expansion. */
    int MAX_TESTS = 4096;

    /** Field tests below this node (a bound on its size and cost). */
    int testCount();

    /** Every part holds (true when empty). */
    record AllOf(List<RuleExpression> parts) implements RuleExpression {
        public AllOf {
            parts = List.copyOf(parts);
        }

        @Override
        public int testCount() {
            return parts.stream().mapToInt(RuleExpression::testCount).sum();
        }
    }

    /** Some part holds (false when empty). */
    record AnyOf(List<RuleExpression> parts) implements RuleExpression {
        public AnyOf {
            parts = List.copyOf(parts);
        }

        @Override
        public int testCount() {
            return parts.stream().mapToInt(RuleExpression::testCount).sum();
        }
    }

    record Not(RuleExpression part) implements RuleExpression {
        public Not {
            Objects.requireNonNull(part, "part");
        }

        @Override
        public int testCount() {
            return part.testCount();
        }
    }

    /** How a {@link FieldTest} compares the field's text with its values. */
    enum Match {
        EQUALS,
        CONTAINS,
        STARTS_WITH,
        ENDS_WITH,
        /**
         * Whole-text match where {@code *} is any run, {@code ?} any one character and a
         * backslash makes the next character literal (so {@code \\}, {@code \*}, {@code \?}).
         */
        WILDCARD,
        /** RE2 syntax (linear-time matching), found anywhere in the text unless anchored. */
        REGEX,
        /** The field is absent or empty (Sigma's {@code null}); values unused. */
        EMPTY_OR_ABSENT,
        /** The operation carries the field; values unused. */
        PRESENT,
        /** The operation does not carry the field; values unused. */
        ABSENT
    }

    /**
     * One field compared with one or more values.
     *
     * @param field         the Sysmon field
     * @param match         the comparison
     * @param values        the values; one must hold, or all of them with {@code allValues}
     * @param allValues     every value must hold
     * @param caseSensitive compare as written (Sigma's {@code cased}; regexes are always as written)
     */
    record FieldTest(Field field, Match match, List<String> values, boolean allValues, boolean caseSensitive)
            implements RuleExpression {
        public FieldTest {
            Objects.requireNonNull(field, "field");
            Objects.requireNonNull(match, "match");
            values = List.copyOf(values);
            boolean valueless = match == Match.EMPTY_OR_ABSENT || match == Match.PRESENT || match == Match.ABSENT;
            if (valueless != values.isEmpty()) {
                throw new IllegalArgumentException(match + (valueless ? " takes no values" : " needs values"));
            }
        }

        @Override
        public int testCount() {
            return 1;
        }
    }
}
