package dev.hiveguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.hiveguard.model.Operation;
import dev.hiveguard.model.Subscription;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link TargetCover#termsByClass}: how a Sigma expression becomes AND groups (wire minor 3) - an
 * AND a term with a clause per covered part, an OR the terms of its branches, an AND over an OR
 * distributed while the terms stay few - and {@link TargetCover#bestClause}, what a term sends
 * when it gets no group.
 */
class TargetCoverTermsTest {

    private static final Operation SET = Operation.SET_VALUE;

    private static RuleExpression target(RuleExpression.Match m, String... values) {
        return new RuleExpression.FieldTest(Field.TARGET_OBJECT, m, List.of(values), false, false);
    }

    private static RuleExpression details(String value) {
        return new RuleExpression.FieldTest(Field.DETAILS, RuleExpression.Match.EQUALS, List.of(value), false, false);
    }

    private static RuleExpression image(String value) {
        return new RuleExpression.FieldTest(Field.IMAGE, RuleExpression.Match.EQUALS, List.of(value), false, false);
    }

    private static List<TargetCover.Term> terms(RuleExpression e) {
        return TargetCover.termsByClass(e, SET.bit()).get(SET);
    }

    private static List<String> texts(Set<TargetCover.Alt> clause) {
        return clause.stream().map(TargetCover.Alt::text).toList();
    }

    @Test
    void anAndIsOneTermWithAClausePerCoveredPart() {
        RuleExpression e = new RuleExpression.AllOf(List.of(
                target(RuleExpression.Match.CONTAINS, "\\Control\\WMI\\Autologger\\"),
                target(RuleExpression.Match.ENDS_WITH, "\\Enabled", "\\Start"),
                details("DWORD (0x00000000)")));
        List<TargetCover.Term> t = terms(e);
        assertEquals(1, t.size());
        assertEquals(3, t.get(0).clauses().size());
        assertEquals(List.of("\\Enabled", "\\Start"), texts(t.get(0).clauses().get(1)));
        assertEquals(Subscription.Target.DATA, t.get(0).clauses().get(2).iterator().next().subject());
    }

    @Test
    void aNegationOrAnUncoveredPartIsLeftOutOfTheAnd() {
        RuleExpression e = new RuleExpression.AllOf(List.of(
                target(RuleExpression.Match.CONTAINS, "\\Control\\WMI\\Autologger\\"),
                new RuleExpression.Not(image("C:\\Windows\\system32\\wevtutil.exe")),
                target(RuleExpression.Match.REGEX, ".*x")));
        List<TargetCover.Term> t = terms(e);
        assertEquals(1, t.size());
        assertEquals(1, t.get(0).clauses().size(), "only the covered part remains");
        // Nothing covered at all: no cover (the class is delivered whole).
        assertNull(terms(new RuleExpression.AllOf(List.of(new RuleExpression.Not(image("C:\\x.exe")),
                target(RuleExpression.Match.REGEX, ".*x")))));
    }

    @Test
    void anOrGivesATermPerBranchAndAnAndOverAnOrDistributes() {
        RuleExpression a = new RuleExpression.AllOf(List.of(target(RuleExpression.Match.CONTAINS, "\\Services\\Foo\\"),
                target(RuleExpression.Match.ENDS_WITH, "\\Start")));
        RuleExpression b = new RuleExpression.AllOf(List.of(target(RuleExpression.Match.CONTAINS, "\\Services\\Bar\\"),
                target(RuleExpression.Match.ENDS_WITH, "\\ImagePath")));
        assertEquals(2, terms(new RuleExpression.AnyOf(List.of(a, b))).size());
        // (a or b) and details: two terms of three clauses each.
        List<TargetCover.Term> t = terms(new RuleExpression.AllOf(List.of(new RuleExpression.AnyOf(List.of(a, b)),
                details("DWORD (0x00000002)"))));
        assertEquals(2, t.size());
        assertEquals(3, t.get(0).clauses().size());
        assertEquals(3, t.get(1).clauses().size());
        // An OR with an uncovered branch has no cover.
        assertNull(terms(new RuleExpression.AnyOf(List.of(a, target(RuleExpression.Match.REGEX, "x")))));
    }

    @Test
    void withoutAGroupATermSendsItsMostSelectiveClause() {
        // Key names every path shares do not count: the list of run keys is more selective.
        RuleExpression e = new RuleExpression.AllOf(List.of(
                target(RuleExpression.Match.CONTAINS, "\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion"),
                target(RuleExpression.Match.CONTAINS, "\\Run\\", "\\RunOnce\\")));
        TargetCover.Term t = terms(e).get(0);
        assertEquals(List.of("\\Run\\", "\\RunOnce\\"), texts(TargetCover.bestClause(t)));
    }
}
