package dev.hiveguard.policy.sigma;

import dev.hiveguard.policy.RuleExpression.Match;
import java.util.ArrayList;
import java.util.List;

/**
 * A Sigma string value with its position modifier, as the simplest comparison that means
 * the same: plain text becomes equals/contains/starts with/ends with (fast, and the subscription
 * can use a prefix), anything with an inner wildcard a {@link Match#WILDCARD} pattern.
 *
 * <p>Sigma's escaping, as pySigma reads it: {@code *} is any run and {@code ?} any one
 * character; a backslash before {@code *}, {@code ?} or another backslash makes that
 * character literal; any other backslash is itself ({@code HKLM\SOFTWARE} needs no
 * doubling).
 *
 * @param match the comparison
 * @param text  literal text, or for WILDCARD the pattern in the model's strict escaping
 */
record SigmaValue(Match match, String text) {

    /** A character of the value after Sigma's escaping: literal, or a wildcard. */
    private record Unit(char c, boolean wildcard) {
    }

    /** @param position null, "contains", "startswith" or "endswith" */
    static SigmaValue parse(String value, String position) {
        List<Unit> units = new ArrayList<>();
        boolean anyStart = "contains".equals(position) || "endswith".equals(position);
        boolean anyEnd = "contains".equals(position) || "startswith".equals(position);
        if (anyStart) {
            units.add(new Unit('*', true));
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < value.length()) {
                char n = value.charAt(i + 1);
                if (n == '*' || n == '?' || n == '\\') {
                    units.add(new Unit(n, false));
                    i++;
                    continue;
                }
                units.add(new Unit(c, false));
            } else if (c == '*' || c == '?') {
                units.add(new Unit(c, true));
            } else {
                units.add(new Unit(c, false));
            }
        }
        if (anyEnd) {
            units.add(new Unit('*', true));
        }
        // Collapse runs of '*' (a '*' next to another adds nothing) to classify simply.
        List<Unit> u = new ArrayList<>();
        for (Unit x : units) {
            if (x.wildcard && x.c == '*' && !u.isEmpty() && u.get(u.size() - 1).wildcard && u.get(u.size() - 1).c == '*') {
                continue;
            }
            u.add(x);
        }
        boolean lead = !u.isEmpty() && isStar(u.get(0));
        boolean trail = u.size() > (lead ? 1 : 0) && isStar(u.get(u.size() - 1));
        int from = lead ? 1 : 0;
        int to = trail ? u.size() - 1 : u.size();
        boolean innerWildcard = false;
        StringBuilder literal = new StringBuilder();
        for (int i = from; i < to; i++) {
            innerWildcard |= u.get(i).wildcard;
            literal.append(u.get(i).c);
        }
        if (!innerWildcard && !(lead && to <= from)) {
            if (lead && trail) {
                return new SigmaValue(Match.CONTAINS, literal.toString());
            }
            if (lead) {
                return new SigmaValue(Match.ENDS_WITH, literal.toString());
            }
            if (trail) {
                return new SigmaValue(Match.STARTS_WITH, literal.toString());
            }
            return new SigmaValue(Match.EQUALS, literal.toString());
        }
        StringBuilder pattern = new StringBuilder();
        for (Unit x : u) {
            if (!x.wildcard && (x.c == '*' || x.c == '?' || x.c == '\\')) {
                pattern.append('\\');
            }
            pattern.append(x.c);
        }
        return new SigmaValue(Match.WILDCARD, pattern.toString());
    }

    private static boolean isStar(Unit u) {
        return u.wildcard && u.c == '*';
    }
}
