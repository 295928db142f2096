package dev.hiveguard.policy;

import dev.hiveguard.model.Operation;
import dev.hiveguard.model.Subscription;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the kernel subscription can know about a {@link RuleExpression}: a set of alternatives
 * on TargetObject - a prefix, a suffix or a contained text - such that every event the
 * expression matches meets at least one of them. Sigma rules compile to expressions; this is
 * how they get the driver's prefix trie and its SUFFIX / CONTAINS automaton instead of
 * "everything".
 *
 * <p>A test on {@code Image} gives alternatives on the caller's image path instead
 * ({@link ImageCover}: the part after the drive, as SUFFIX / CONTAINS), which the driver ORs
 * with the path ones; an AND takes them only when no part has a cover on the path.
 *
 * <p>Since wire minor 2 a test on {@code Details} gives a DATA alternative (text contained in
 * SetValue's data as the driver renders it, always CONTAINS: see {@link #detailsLeaf}) and one on
 * {@code NewName} a NEW_NAME alternative (the rename's new full path in kernel form), which the
 * driver ORs with the others too. So a branch on either alone no longer needs its whole class,
 * and an AND whose path test is wide keeps its Details test. The rule for an AND: keep the part
 * whose weakest alternative weighs most ({@link #weight}: characters that narrow - not key names
 * every path shares, not a DWORD / QWORD / {@code Binary Data} / {@code (Empty)} rendering); at
 * equal weight the earlier part; a part with an image alternative only when no other part has a
 * cover (the image costs a lookup). Every part alone is sound - the AND implies it - so the choice
 * only decides how much crosses, never what is lost.
 *
 * <p>Soundness is the point, tightness a bonus: an AND keeps the one part with the most
 * selective cover; an OR needs a cover on every branch (one uncovered branch leaves the whole
 * OR uncovered); a negation, a regular expression, a test on any field but TargetObject, Image,
 * Details and NewName, {@code null} or {@code exists} give none. A wildcard value is covered by its most selective literal run:
 * the run before the first wildcard as a prefix, the run after the last one as a suffix, any
 * run as a contained text.
 *
 * <p>The cover is made per operation class, with the expression first folded for that class:
 * a test on a field the class does not carry is false ({@code NewName} outside RenameKey,
 * {@code Details} outside SetValue), an {@code EventType} test is true or false. So a rule
 * like "TargetObject ends with X, or NewName ends with X" is covered by a suffix for every class
 * but RenameKey, which alone needs everything, and a branch that cannot match a class costs
 * that class nothing.
 *
 * <p>Prefix alternatives keep Sysmon spelling (the compiler turns them into kernel prefixes as
 * for a Sysmon rule); suffix and contains alternatives are already in kernel form, made by
 * {@link PatternCover#cover}, which handles Sysmon's rendering ({@code HKLM}, {@code HKU},
 * {@code HKCR}, {@code CurrentControlSet}, {@code (Default)}) exactly as for Sysmon rules: a
 * value it cannot cover soundly is no cover.
 */
final class TargetCover {

    private TargetCover() {
    }

    /**
     * Kernel form for {@link Subscription.Match#SUFFIX} / {@link Subscription.Match#CONTAINS}; Sysmon form for PREFIX.
     * {@code image}: an alternative on the caller's image path instead (SUFFIX / CONTAINS only, see
     * {@link ImageCover}); the driver includes an event when a path or an image alternative matches.
     */
    record Alt(Subscription.Match match, String text, boolean image, Subscription.Target subject) {
        Alt(Subscription.Match match, String text) {
            this(match, text, false, null);
        }

        Alt(Subscription.Match match, String text, boolean image) {
            this(match, text, image, null);
        }
    }

    /**
     * Per class of {@code opMask}: the alternatives for events of that class (empty when the
     * expression can never match one), or null when there is no sound cover (deliver the class
     * whole). Classes outside {@code opMask} are absent.
     */
    static Map<Operation, List<Alt>> byClass(RuleExpression e, int opMask) {
        Map<Operation, List<Alt>> out = new EnumMap<>(Operation.class);
        for (Operation op : Operation.values()) {
            if ((opMask & op.bit()) != 0) {
                Set<Alt> c = cover(e, op);
                out.put(op, c == null ? null : List.copyOf(c));
            }
        }
        return out;
    }

    /**
     * A conjunction of covers (wire minor 3, an INCLUDE group): every event the expression's branch
     * matches meets at least one alternative of every clause. A term of one clause is a plain cover.
     */
    record Term(List<Set<Alt>> clauses) {
        Term {
            clauses = List.copyOf(clauses);
        }
    }

    /**
     * Per class of {@code opMask}: terms whose union covers the expression for that class (empty:
     * it never matches one; null: no sound cover, deliver the class whole). An AND becomes one term
     * with a clause per part that has a cover (a part without one, a negation included, is left
     * out: dropping a conjunct only widens what the term lets through); an OR the terms of its
     * branches; anything else the one-clause term of its {@link #byClass} cover.
     */
    static Map<Operation, List<Term>> termsByClass(RuleExpression e, int opMask) {
        Map<Operation, List<Term>> out = new EnumMap<>(Operation.class);
        for (Operation op : Operation.values()) {
            if ((opMask & op.bit()) != 0) {
                out.put(op, terms(e, op));
            }
        }
        return out;
    }

    private static List<Term> terms(RuleExpression e, Operation op) {
        Truth truth = fold(e, op);
        if (truth == Truth.NEVER) {
            return List.of();
        }
        if (truth == Truth.ALWAYS) {
            return null;
        }
        if (e instanceof RuleExpression.AnyOf a) {
            List<Term> out = new ArrayList<>();
            for (RuleExpression part : a.parts()) {
                List<Term> t = terms(part, op);
                if (t == null) {
                    return null;
                }
                out.addAll(t);
            }
            return out;
        }
        if (e instanceof RuleExpression.AllOf a) {
            // AND(OR(x, y), z) = OR(AND(x, z), AND(y, z)): distribute while the terms stay few, so
            // "1 of selection_* and not filter" keeps each selection's own AND.
            List<List<Set<Alt>>> product = new ArrayList<>();
            product.add(new ArrayList<>());
            for (RuleExpression part : conjuncts(a, op)) {
                List<Term> t = terms(part, op);
                if (t == null) {
                    continue; // no cover (a negation, another field): dropping a conjunct only widens
                }
                if (product.size() * t.size() <= MAX_TERMS) {
                    List<List<Set<Alt>>> next = new ArrayList<>();
                    for (List<Set<Alt>> left : product) {
                        for (Term right : t) {
                            List<Set<Alt>> joined = new ArrayList<>(left);
                            for (Set<Alt> c : right.clauses()) {
                                if (!joined.contains(c)) {
                                    joined.add(c);
                                }
                            }
                            next.add(joined);
                        }
                    }
                    product = next;
                } else {
                    Set<Alt> c = cover(part, op); // too many terms: the part's flat cover, one clause
                    if (c != null) {
                        for (List<Set<Alt>> left : product) {
                            if (!left.contains(c)) {
                                left.add(c);
                            }
                        }
                    }
                }
            }
            List<Term> out = new ArrayList<>();
            for (List<Set<Alt>> clauses : product) {
                if (clauses.isEmpty()) {
                    return null; // a branch with no covered part: any path
                }
                out.add(new Term(clauses));
            }
            return out;
        }
        Set<Alt> c = cover(e, op);
        return c == null ? null : List.of(new Term(List.of(c)));
    }

    /**
     * Terms one AND may distribute into before its parts are taken as flat clauses. Each term repeats
     * the AND's shared clauses, and all groups share HG_CLAUSE_MAX_COUNT clauses: on the datasets
     * with the Sigma set, 1 delivered 150, 2 delivered 147, 4 and 8 delivered 166 (fewer rules got a group).
     */
    private static final int MAX_TERMS = 2;

    /** An AND's parts that constrain this class, nested ANDs flattened. */
    private static List<RuleExpression> conjuncts(RuleExpression.AllOf a, Operation op) {
        List<RuleExpression> out = new ArrayList<>();
        for (RuleExpression part : a.parts()) {
            if (fold(part, op) != Truth.DEPENDS) {
                continue; // ALWAYS: no constraint (NEVER made the whole AND NEVER above)
            }
            if (part instanceof RuleExpression.AllOf inner) {
                out.addAll(conjuncts(inner, op));
            } else {
                out.add(part);
            }
        }
        return out;
    }

    /** A term's most selective clause ({@link #cover}'s choice for an AND): what it sends without a group. */
    static Set<Alt> bestClause(Term t) {
        Set<Alt> best = null;
        for (Set<Alt> c : t.clauses()) {
            if (best == null || moreSelective(c, best)) {
                best = c;
            }
        }
        return best;
    }

    /** The weight of a cover's weakest alternative (an empty cover: the most selective). */
    static int weakestWeight(List<Alt> cover) {
        return cover.isEmpty() ? Integer.MAX_VALUE : weakest(new LinkedHashSet<>(cover));
    }

    /** What an expression is for every event of one class, before looking at its path or data. */
    private enum Truth {
        ALWAYS,
        NEVER,
        DEPENDS
    }

    private static Truth fold(RuleExpression e, Operation op) {
        if (e instanceof RuleExpression.AllOf a) {
            Truth t = Truth.ALWAYS;
            for (RuleExpression part : a.parts()) {
                Truth p = fold(part, op);
                if (p == Truth.NEVER) {
                    return Truth.NEVER;
                }
                if (p == Truth.DEPENDS) {
                    t = Truth.DEPENDS;
                }
            }
            return t;
        }
        if (e instanceof RuleExpression.AnyOf a) {
            Truth t = Truth.NEVER;
            for (RuleExpression part : a.parts()) {
                Truth p = fold(part, op);
                if (p == Truth.ALWAYS) {
                    return Truth.ALWAYS;
                }
                if (p == Truth.DEPENDS) {
                    t = Truth.DEPENDS;
                }
            }
            return t;
        }
        if (e instanceof RuleExpression.Not n) {
            Truth p = fold(n.part(), op);
            return p == Truth.ALWAYS ? Truth.NEVER : p == Truth.NEVER ? Truth.ALWAYS : Truth.DEPENDS;
        }
        RuleExpression.FieldTest t = (RuleExpression.FieldTest) e;
        boolean present = t.field().presentFor(op);
        switch (t.match()) {
            case PRESENT:
                return present ? Truth.ALWAYS : Truth.NEVER;
            case ABSENT:
                return present ? Truth.NEVER : Truth.ALWAYS;
            case EMPTY_OR_ABSENT:
                return present ? Truth.DEPENDS : Truth.ALWAYS;
            default:
                break;
        }
        if (!present) {
            return Truth.NEVER; // as CompiledExpression: a value test on an absent field is false
        }
        if (t.field() == Field.EVENT_TYPE && t.match() == RuleExpression.Match.EQUALS) {
            String type = op.eventType();
            for (String v : t.values()) {
                boolean hit = t.caseSensitive() ? v.equals(type) : v.equalsIgnoreCase(type);
                if (hit != t.allValues()) {
                    return hit ? Truth.ALWAYS : Truth.NEVER;
                }
            }
            return t.allValues() ? Truth.ALWAYS : Truth.NEVER;
        }
        return Truth.DEPENDS;
    }

    /** The cover for events of one class; empty when none can match, null when there is none. */
    private static Set<Alt> cover(RuleExpression e, Operation op) {
        Truth truth = fold(e, op);
        if (truth == Truth.NEVER) {
            return new LinkedHashSet<>();
        }
        if (truth == Truth.ALWAYS) {
            return null;
        }
        if (e instanceof RuleExpression.AllOf a) {
            // Every part holds: any one part's cover is sound; keep the most selective.
            Set<Alt> best = null;
            for (RuleExpression part : a.parts()) {
                Set<Alt> c = cover(part, op);
                if (c != null && (best == null || moreSelective(c, best))) {
                    best = c;
                }
            }
            return best;
        }
        if (e instanceof RuleExpression.AnyOf a) {
            Set<Alt> all = new LinkedHashSet<>();
            for (RuleExpression part : a.parts()) {
                Set<Alt> c = cover(part, op); // a branch that cannot match this class adds nothing
                if (c == null) {
                    return null;
                }
                all.addAll(c);
            }
            return all;
        }
        if (!(e instanceof RuleExpression.FieldTest t)
                || (t.field() != Field.TARGET_OBJECT && t.field() != Field.IMAGE
                    && t.field() != Field.DETAILS && t.field() != Field.NEW_NAME)) {
            return null; // a negation, or another field: says nothing about the path, image or subject
        }
        boolean image = t.field() == Field.IMAGE;
        Set<Alt> out = new LinkedHashSet<>();
        for (String v : t.values()) {
            Alt alt = image ? imageLeaf(t.match(), v)
                    : t.field() == Field.DETAILS ? detailsLeaf(t.match(), v)
                    : t.field() == Field.NEW_NAME ? newNameLeaf(t.match(), v)
                    : leaf(t.match(), v);
            if (t.allValues()) {
                // Every value must hold: any one alone is sound; keep the most selective.
                if (alt != null && (out.isEmpty() || weight(alt) > weight(out.iterator().next()))) {
                    out.clear();
                    out.add(alt);
                }
            } else {
                if (alt == null) {
                    return null;
                }
                out.add(alt);
            }
        }
        return out.isEmpty() ? null : out;
    }

    /** One value's cover, or null. */
    private static Alt leaf(RuleExpression.Match match, String v) {
        switch (match) {
            case EQUALS:
            case STARTS_WITH:
                return v.isEmpty() ? null : new Alt(Subscription.Match.PREFIX, v);
            case CONTAINS:
                return pattern(v, false);
            case ENDS_WITH:
                return pattern(v, true);
            case WILDCARD:
                return wildcard(v);
            default:
                return null; // REGEX, EMPTY_OR_ABSENT, PRESENT, ABSENT
        }
    }

    /**
     * One Details value's cover: a DATA entry containing it. The driver renders the data exactly
     * as {@code Details} reads ({@code driver/core/details.c}, {@link dev.hiveguard.model.ValueRendering}),
     * so a text the Details holds is in the rendering - but only CONTAINS is sound for every test:
     * the agent may see the data cut at the subscription's data cap, and a Details that equals or
     * ends with the text before the cut does not after it. The driver's automaton has no anchor
     * at the start, so a starts-with is a contains too. Upcased matching is wider than a cased
     * test, so sound for it. A value longer than a pattern may be is cut to its first
     * {@code HG_PATTERN_MAX_BYTES}: still contained. Fewer than {@link PatternCover#MIN_USEFUL_CHARS}
     * characters select next to nothing: no cover.
     */
    private static Alt detailsLeaf(RuleExpression.Match match, String v) {
        String text;
        switch (match) {
            case EQUALS:
            case STARTS_WITH:
            case CONTAINS:
            case ENDS_WITH:
                text = v;
                break;
            case WILDCARD:
                text = longestRun(v);
                break;
            default:
                return null;
        }
        if (text.length() < PatternCover.MIN_USEFUL_CHARS) {
            return null;
        }
        if (text.length() > PATTERN_MAX_CHARS) {
            text = text.substring(0, PATTERN_MAX_CHARS);
        }
        return new Alt(Subscription.Match.CONTAINS, text, false, Subscription.Target.DATA);
    }

    private static final int PATTERN_MAX_CHARS = dev.hiveguard.wire.Wire.PATTERN_MAX_BYTES / 2;

    /**
     * One NewName value's cover: NewName is a key path in Sysmon form (the renamed key's parent
     * and the new name), so a contained or ending text converts to the kernel form as a
     * TargetObject text does ({@link PatternCover#cover}); a starts-with or an equality gives a
     * contained / ending text the same way (there is no anchor at the start for NEW_NAME).
     */
    private static Alt newNameLeaf(RuleExpression.Match match, String v) {
        PatternCover.Entry e;
        switch (match) {
            case EQUALS:
                e = PatternCover.cover(v, true);
                break;
            case STARTS_WITH:
            case CONTAINS:
                e = PatternCover.cover(v, false);
                break;
            case ENDS_WITH:
                e = PatternCover.cover(v, true);
                break;
            case WILDCARD: {
                String run = longestRun(v);
                e = run.isEmpty() ? null : PatternCover.cover(run, false);
                break;
            }
            default:
                return null;
        }
        return e == null ? null : new Alt(e.match(), e.text(), false, Subscription.Target.NEW_NAME);
    }

    /** The longest literal run of a Sigma wildcard value ({@code \*} is a star), contained in every match. */
    private static String longestRun(String pattern) {
        String best = "";
        StringBuilder run = new StringBuilder();
        for (int i = 0; i <= pattern.length(); i++) {
            char c = i < pattern.length() ? pattern.charAt(i) : '*';
            if (c == '\\' && i + 1 < pattern.length()) {
                run.append(pattern.charAt(++i));
            } else if (c == '*' || c == '?') {
                if (run.length() > best.length()) {
                    best = run.toString();
                }
                run.setLength(0);
            } else {
                run.append(c);
            }
        }
        return best;
    }

    /** One Image value's cover (kernel form, after the drive: {@link ImageCover}), or null. */
    private static Alt imageLeaf(RuleExpression.Match match, String v) {
        PatternCover.Entry e;
        switch (match) {
            case EQUALS:
                e = ImageCover.one(Condition.IS, v, 0);
                break;
            case STARTS_WITH:
                e = ImageCover.one(Condition.BEGIN_WITH, v, 0);
                break;
            case CONTAINS:
                e = ImageCover.one(Condition.CONTAINS, v, 0);
                break;
            case ENDS_WITH:
                e = ImageCover.one(Condition.END_WITH, v, 0);
                break;
            case WILDCARD:
                return imageWildcard(v);
            default:
                return null;
        }
        return e == null ? null : new Alt(e.match(), e.text(), true);
    }

    /** The longest literal run of an Image wildcard: a suffix when it ends the pattern, else contained. */
    private static Alt imageWildcard(String pattern) {
        List<String> runs = new ArrayList<>();
        StringBuilder run = new StringBuilder();
        boolean endsWithWildcard = false;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\' && i + 1 < pattern.length()
                    && (pattern.charAt(i + 1) == '*' || pattern.charAt(i + 1) == '?' || pattern.charAt(i + 1) == '\\')) {
                run.append(pattern.charAt(++i));
                endsWithWildcard = false;
            } else if (c == '*' || c == '?') {
                runs.add(run.toString());
                run.setLength(0);
                endsWithWildcard = true;
            } else {
                run.append(c);
                endsWithWildcard = false;
            }
        }
        runs.add(run.toString());
        Alt best = null;
        for (int i = 0; i < runs.size(); i++) {
            boolean last = i == runs.size() - 1 && !endsWithWildcard;
            PatternCover.Entry e = ImageCover.one(last ? Condition.END_WITH : Condition.CONTAINS, runs.get(i), 0);
            if (e != null && (best == null || e.text().length() > best.text().length())) {
                best = new Alt(e.match(), e.text(), true);
            }
        }
        return best;
    }

    private static Alt pattern(String sysmonText, boolean suffix) {
        PatternCover.Entry e = PatternCover.cover(sysmonText, suffix);
        return e == null ? null : new Alt(e.match(), e.text());
    }

    /**
     * The most selective of: the literal run before the first wildcard (a prefix), the run after
     * the last one (a suffix), each run (contained). Runs are unescaped ({@code \*} is a star).
     */
    private static Alt wildcard(String pattern) {
        List<String> runs = new ArrayList<>();
        StringBuilder run = new StringBuilder();
        boolean startsWithWildcard = false;
        boolean endsWithWildcard = false;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\' && i + 1 < pattern.length()) {
                run.append(pattern.charAt(++i));
                endsWithWildcard = false;
            } else if (c == '*' || c == '?') {
                startsWithWildcard |= i == 0;
                runs.add(run.toString());
                run.setLength(0);
                endsWithWildcard = true;
            } else {
                run.append(c);
                endsWithWildcard = false;
            }
        }
        runs.add(run.toString());
        Alt best = null;
        if (!startsWithWildcard && !runs.get(0).isEmpty()) {
            best = new Alt(Subscription.Match.PREFIX, runs.get(0));
        }
        for (int i = 0; i < runs.size(); i++) {
            if (runs.get(i).isEmpty()) {
                continue;
            }
            boolean last = i == runs.size() - 1 && !endsWithWildcard;
            Alt a = pattern(runs.get(i), last);
            if (a != null && (best == null || weight(a) > weight(best))) {
                best = a;
            }
        }
        return best;
    }

    /**
     * A Details text's weight: its length, except for the renderings most SetValues share -
     * a DWORD / QWORD number ({@code DWORD (0x00000001)} is written all day long), {@code Binary
     * Data} and {@code (Empty)} - which narrow next to nothing, so a path test wins over them.
     */
    private static int detailsWeight(String text) {
        String t = text.toUpperCase(java.util.Locale.ROOT);
        if (t.startsWith("DWORD") || t.startsWith("QWORD") || "DWORD (0X".contains(t) || "QWORD (0X".contains(t)) {
            return 1;
        }
        if ("BINARY DATA".contains(t) || "(EMPTY)".contains(t)) {
            return 0;
        }
        return text.length();
    }

    /** A cover is as selective as its weakest alternative; an empty one (never matches) is the most. */
    private static boolean moreSelective(Set<Alt> a, Set<Alt> b) {
        // A cover on the path alone is preferred: it costs the driver no image lookup.
        boolean imageA = a.stream().anyMatch(Alt::image);
        boolean imageB = b.stream().anyMatch(Alt::image);
        if (imageA != imageB) {
            return imageB;
        }
        return weakest(a) > weakest(b);
    }

    private static int weakest(Set<Alt> s) {
        int w = Integer.MAX_VALUE;
        for (Alt a : s) {
            w = Math.min(w, weight(a));
        }
        return w;
    }

    /**
     * Key names on the way to nearly everything an attacker or a rule cares about: a text made
     * of them alone narrows almost nothing (every path under SOFTWARE\Microsoft\Windows\
     * CurrentVersion carries all four), so they do not count towards an alternative's weight.
     */
    private static final Set<String> UBIQUITOUS = Set.of("SOFTWARE", "MICROSOFT", "WINDOWS", "WINDOWS NT",
            "CURRENTVERSION", "SYSTEM", "CURRENTCONTROLSET", "CONTROLSET001", "CONTROL", "SERVICES", "CLASSES",
            "POLICIES", "WOW6432NODE", "PARAMETERS");

    /**
     * Roughly how much an alternative narrows: its characters other than backslashes, less the
     * root of a prefix (every path starts with one of a handful of roots) and less key names
     * every other path goes through ({@link #UBIQUITOUS}). At equal weight the part found first
     * is kept.
     */
    static int weight(Alt a) {
        if (a.subject() == Subscription.Target.DATA) {
            return detailsWeight(a.text());
        }
        String[] pieces = a.text().split("\\\\", -1);
        int n = 0;
        for (int i = a.match() == Subscription.Match.PREFIX ? 1 : 0; i < pieces.length; i++) {
            if (!UBIQUITOUS.contains(pieces[i].toUpperCase(java.util.Locale.ROOT))) {
                n += pieces[i].length();
            }
        }
        return n;
    }
}
