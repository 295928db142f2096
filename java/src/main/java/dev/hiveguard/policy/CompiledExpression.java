package dev.hiveguard.policy;

import com.google.re2j.Pattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A {@link RuleExpression} ready to run: values lower-cased and wildcards split once,
 * regexes compiled once (RE2/J: matching time linear in the text, whatever the pattern).
 * The subscription's view of it is {@link TargetCover}.
 */
abstract class CompiledExpression {

    abstract boolean test(EventView v);

    static CompiledExpression compile(RuleExpression e) {
        if (e instanceof RuleExpression.AllOf a) {
            return new All(compileAll(a.parts()));
        }
        if (e instanceof RuleExpression.AnyOf a) {
            return new Any(compileAll(a.parts()));
        }
        if (e instanceof RuleExpression.Not n) {
            return new Negation(compile(n.part()));
        }
        return new Leaf((RuleExpression.FieldTest) e);
    }

    private static CompiledExpression[] compileAll(List<RuleExpression> parts) {
        CompiledExpression[] out = new CompiledExpression[parts.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = compile(parts.get(i));
        }
        return out;
    }

    private static final class All extends CompiledExpression {
        private final CompiledExpression[] parts;

        All(CompiledExpression[] parts) {
            this.parts = parts;
        }

        @Override
        boolean test(EventView v) {
            for (CompiledExpression p : parts) {
                if (!p.test(v)) {
                    return false;
                }
            }
            return true;
        }
    }

    private static final class Any extends CompiledExpression {
        private final CompiledExpression[] parts;

        Any(CompiledExpression[] parts) {
            this.parts = parts;
        }

        @Override
        boolean test(EventView v) {
            for (CompiledExpression p : parts) {
                if (p.test(v)) {
                    return true;
                }
            }
            return false;
        }
    }

    private static final class Negation extends CompiledExpression {
        private final CompiledExpression part;

        Negation(CompiledExpression part) {
            this.part = part;
        }

        @Override
        boolean test(EventView v) {
            return !part.test(v);
        }
    }

    private static final class Leaf extends CompiledExpression {
        private final Field field;
        private final RuleExpression.Match match;
        private final boolean all;
        private final boolean cased;
        private final String[] values;
        private final Wildcard[] wildcards;
        private final Pattern[] regexes;

        Leaf(RuleExpression.FieldTest t) {
            this.field = t.field();
            this.match = t.match();
            this.all = t.allValues();
            this.cased = t.caseSensitive() || match == RuleExpression.Match.REGEX;
            int n = t.values().size();
            values = new String[n];
            wildcards = match == RuleExpression.Match.WILDCARD ? new Wildcard[n] : null;
            regexes = match == RuleExpression.Match.REGEX ? new Pattern[n] : null;
            for (int i = 0; i < n; i++) {
                String raw = t.values().get(i);
                values[i] = cased ? raw : raw.toLowerCase(Locale.ROOT);
                if (wildcards != null) {
                    wildcards[i] = new Wildcard(values[i]);
                }
                if (regexes != null) {
                    regexes[i] = Pattern.compile(raw); // validated by whoever built the expression
                }
            }
        }

        @Override
        boolean test(EventView v) {
            boolean present = field.presentFor(v.op);
            switch (match) {
                case PRESENT:
                    return present;
                case ABSENT:
                    return !present;
                case EMPTY_OR_ABSENT:
                    return !present || v.text(field).isEmpty();
                default:
                    break;
            }
            if (!present) {
                return false;
            }
            String text = cased ? v.rawText(field) : v.text(field);
            for (int i = 0; i < values.length; i++) {
                boolean hit = one(text, i);
                if (hit != all) {
                    return hit;
                }
            }
            return all;
        }

        private boolean one(String text, int i) {
            String v = values[i];
            switch (match) {
                case EQUALS:
                    return text.equals(v);
                case CONTAINS:
                    return text.contains(v);
                case STARTS_WITH:
                    return text.startsWith(v);
                case ENDS_WITH:
                    return text.endsWith(v);
                case WILDCARD:
                    return wildcards[i].matches(text);
                case REGEX:
                    return regexes[i].matcher(text).find();
                default:
                    throw new IllegalStateException("unhandled match " + match);
            }
        }
    }

    /**
     * A {@link RuleExpression.Match#WILDCARD} pattern split into its literal characters and
     * wildcard positions. Matching is the classic greedy star with one backtrack point: time
     * at most text length times pattern length, no recursion.
     */
    static final class Wildcard {
        private static final char ANY_RUN = '*';
        private static final char ANY_ONE = '?';

        private final char[] chars;
        /** 0 literal, 1 any run, 2 any one character. */
        private final byte[] kinds;

        Wildcard(String pattern) {
            List<Character> cs = new ArrayList<>();
            List<Byte> ks = new ArrayList<>();
            for (int i = 0; i < pattern.length(); i++) {
                char c = pattern.charAt(i);
                if (c == '\\' && i + 1 < pattern.length()) {
                    cs.add(pattern.charAt(++i));
                    ks.add((byte) 0);
                } else if (c == ANY_RUN) {
                    cs.add(c);
                    ks.add((byte) 1);
                } else if (c == ANY_ONE) {
                    cs.add(c);
                    ks.add((byte) 2);
                } else {
                    cs.add(c);
                    ks.add((byte) 0);
                }
            }
            chars = new char[cs.size()];
            kinds = new byte[ks.size()];
            for (int i = 0; i < chars.length; i++) {
                chars[i] = cs.get(i);
                kinds[i] = ks.get(i);
            }
        }

        /** The literal text before the first wildcard, unescaped. */
        static String literalPrefix(String pattern) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < pattern.length(); i++) {
                char c = pattern.charAt(i);
                if (c == '\\' && i + 1 < pattern.length()) {
                    b.append(pattern.charAt(++i));
                } else if (c == ANY_RUN || c == ANY_ONE) {
                    break;
                } else {
                    b.append(c);
                }
            }
            return b.toString();
        }

        boolean matches(String text) {
            int t = 0;
            int p = 0;
            int starP = -1;
            int starT = 0;
            while (t < text.length()) {
                if (p < chars.length && (kinds[p] == 2 || (kinds[p] == 0 && chars[p] == text.charAt(t)))) {
                    p++;
                    t++;
                } else if (p < chars.length && kinds[p] == 1) {
                    starP = p++;
                    starT = t;
                } else if (starP >= 0) {
                    p = starP + 1;
                    t = ++starT;
                } else {
                    return false;
                }
            }
            while (p < chars.length && kinds[p] == 1) {
                p++;
            }
            return p == chars.length;
        }
    }
}
