package dev.hiveguard.policy.sigma;

import dev.hiveguard.policy.RuleExpression;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Sigma's {@code condition}: search identifiers combined with {@code and}, {@code or},
 * {@code not} (binding tighter than and, and tighter than or) and parentheses, and the
 * quantifiers {@code 1 of X*}, {@code all of X*}, {@code 1 of them}, {@code all of them}
 * ({@code them} leaves out identifiers starting with an underscore, as the specification
 * says). Aggregations ({@code | count() ...}) and {@code near} belong to correlation, which
 * a per-operation decision cannot do: they are refused with that reason.
 */
final class SigmaCondition {

    /** Longer conditions than this are refused (SigmaHQ's longest is under 200 characters). */
    static final int MAX_CHARS = 4096;
    /** Parenthesis and not nesting, bounding the parser's recursion. */
    static final int MAX_DEPTH = 64;

    /** Why a condition cannot be used. */
    static final class Unsupported extends Exception {
        private static final long serialVersionUID = 1L;

        Unsupported(String message) {
            super(message);
        }
    }

    private final List<String> tokens;
    private final Map<String, RuleExpression> searches;
    private int pos;
    private int depth;

    private SigmaCondition(List<String> tokens, Map<String, RuleExpression> searches) {
        this.tokens = tokens;
        this.searches = searches;
    }

    /** @param searches the detection's search identifiers, in file order */
    static RuleExpression parse(String condition, Map<String, RuleExpression> searches) throws Unsupported {
        if (condition.length() > MAX_CHARS) {
            throw new Unsupported("condition longer than " + MAX_CHARS + " characters");
        }
        if (condition.indexOf('|') >= 0) {
            throw new Unsupported("aggregation in condition (\"|\"): correlation over many events is not a per-operation decision");
        }
        SigmaCondition p = new SigmaCondition(tokenize(condition), searches);
        if (p.tokens.isEmpty()) {
            throw new Unsupported("empty condition");
        }
        RuleExpression e = p.or();
        if (p.pos != p.tokens.size()) {
            throw new Unsupported("unexpected '" + p.tokens.get(p.pos) + "' in condition");
        }
        return e;
    }

    private static List<String> tokenize(String s) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '(' || c == ')') {
                out.add(String.valueOf(c));
                i++;
            } else {
                int j = i;
                while (j < s.length() && !Character.isWhitespace(s.charAt(j)) && s.charAt(j) != '(' && s.charAt(j) != ')') {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
        }
        return out;
    }

    private String peek() {
        return pos < tokens.size() ? tokens.get(pos) : null;
    }

    private boolean keyword(String k) {
        String t = peek();
        if (t != null && t.toLowerCase(Locale.ROOT).equals(k)) {
            pos++;
            return true;
        }
        return false;
    }

    private RuleExpression or() throws Unsupported {
        List<RuleExpression> parts = new ArrayList<>();
        parts.add(and());
        while (keyword("or")) {
            parts.add(and());
        }
        return parts.size() == 1 ? parts.get(0) : new RuleExpression.AnyOf(parts);
    }

    private RuleExpression and() throws Unsupported {
        List<RuleExpression> parts = new ArrayList<>();
        parts.add(not());
        while (keyword("and")) {
            parts.add(not());
        }
        return parts.size() == 1 ? parts.get(0) : new RuleExpression.AllOf(parts);
    }

    private RuleExpression not() throws Unsupported {
        if (keyword("not")) {
            enter();
            RuleExpression e = new RuleExpression.Not(not());
            depth--;
            return e;
        }
        return primary();
    }

    private void enter() throws Unsupported {
        if (++depth > MAX_DEPTH) {
            throw new Unsupported("condition nested deeper than " + MAX_DEPTH);
        }
    }

    private RuleExpression primary() throws Unsupported {
        String t = peek();
        if (t == null) {
            throw new Unsupported("condition ends where a search identifier was expected");
        }
        if (t.equals("(")) {
            pos++;
            enter();
            RuleExpression e = or();
            depth--;
            if (!")".equals(peek())) {
                throw new Unsupported("missing ')' in condition");
            }
            pos++;
            return e;
        }
        String lower = t.toLowerCase(Locale.ROOT);
        if (lower.equals("near")) {
            throw new Unsupported("'near' (temporal correlation) is not a per-operation decision");
        }
        if (lower.equals("and") || lower.equals("or") || t.equals(")")) {
            throw new Unsupported("unexpected '" + t + "' in condition");
        }
        if ((lower.equals("1") || lower.equals("any") || lower.equals("all")) && pos + 1 < tokens.size()
                && tokens.get(pos + 1).equalsIgnoreCase("of")) {
            pos += 2;
            String target = peek();
            if (target == null || target.equals("(") || target.equals(")")) {
                throw new Unsupported("'" + t + " of' needs a search identifier pattern or 'them'");
            }
            pos++;
            List<RuleExpression> matched = quantified(target);
            return lower.equals("all") ? new RuleExpression.AllOf(matched) : new RuleExpression.AnyOf(matched);
        }
        if (t.chars().allMatch(Character::isDigit)) {
            throw new Unsupported("'" + t + " of' is not Sigma: only '1 of' and 'all of'");
        }
        pos++;
        RuleExpression e = searches.get(t);
        if (e == null) {
            throw new Unsupported("condition names '" + t + "', which the detection does not define");
        }
        return e;
    }

    private List<RuleExpression> quantified(String target) throws Unsupported {
        List<RuleExpression> out = new ArrayList<>();
        boolean them = target.equalsIgnoreCase("them");
        for (Map.Entry<String, RuleExpression> e : searches.entrySet()) {
            String name = e.getKey();
            if (them ? !name.startsWith("_") : globMatches(target, name)) {
                out.add(e.getValue());
            }
        }
        if (out.isEmpty()) {
            throw new Unsupported("'" + target + "' in condition matches no search identifier");
        }
        return out;
    }

    /** Identifier patterns: {@code *} any run, {@code ?} one character; case as written. */
    static boolean globMatches(String pattern, String name) {
        int p = 0;
        int n = 0;
        int star = -1;
        int mark = 0;
        while (n < name.length()) {
            if (p < pattern.length() && (pattern.charAt(p) == '?' || pattern.charAt(p) == name.charAt(n))) {
                p++;
                n++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = n;
            } else if (star >= 0) {
                p = star + 1;
                n = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }
}
