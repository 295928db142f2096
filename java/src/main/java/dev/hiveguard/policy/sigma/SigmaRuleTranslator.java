package dev.hiveguard.policy.sigma;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.hiveguard.policy.Field;
import dev.hiveguard.policy.RuleExpression;
import dev.hiveguard.policy.RuleExpression.FieldTest;
import dev.hiveguard.policy.RuleExpression.Match;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One Sigma rule document to a {@link SigmaRule}, or the reason it cannot be one.
 *
 * <p>What is understood: logsource product windows with a registry category; search
 * identifiers that are a map (fields AND'ed) or a list of maps (OR'ed); per field a value
 * or a list (OR'ed, AND'ed with {@code |all}); the modifiers contains, startswith,
 * endswith, all, windash, re (with i, m, s; run by RE2/J, linear time), cased and exists;
 * {@code null} (field absent or empty); wildcards {@code *} and {@code ?} with Sigma's
 * escaping; the Sysmon registry fields; EventID 12/13/14 as the EventTypes they stand for.
 * Everything else is refused with a reason.
 */
final class SigmaRuleTranslator {

    /** Sysmon EventTypes per Sigma registry category (as the Sysmon pipelines map them). */
    static final Map<String, List<String>> CATEGORY_EVENT_TYPES = Map.of(
            "registry_add", List.of("CreateKey"),
            "registry_delete", List.of("DeleteKey", "DeleteValue"),
            "registry_set", List.of("SetValue"),
            "registry_rename", List.of("RenameKey"),
            "registry_event", List.of("CreateKey", "DeleteKey", "SetValue", "DeleteValue", "RenameKey"));

    /** Sysmon's field names in its registry events, as Sigma rules use them. */
    private static final Map<String, Field> FIELDS = Map.of(
            "TargetObject", Field.TARGET_OBJECT,
            "Details", Field.DETAILS,
            "EventType", Field.EVENT_TYPE,
            "Image", Field.IMAGE,
            "NewName", Field.NEW_NAME,
            "User", Field.USER,
            "ProcessId", Field.PROCESS_ID);

    /** Fields Sysmon writes that the driver has no equivalent for. */
    private static final Set<String> SYSMON_ONLY_FIELDS = Set.of("ProcessGuid", "RuleName", "UtcTime");

    /** What the Sysmon registry EventIDs stand for. */
    private static final Map<String, List<String>> EVENT_ID_TYPES = Map.of(
            "12", List.of("CreateKey", "DeleteKey", "DeleteValue"),
            "13", List.of("SetValue"),
            "14", List.of("RenameKey"));

    /** pySigma's windash alternatives for a leading dash or slash. */
    private static final String[] WINDASH = {"-", "/", "\u2013", "\u2014", "\u2015"};
    /** Leading dashes per value whose alternatives are expanded (5^4 = 625 variants). */
    static final int MAX_WINDASH_POSITIONS = 4;

    /** A reason to refuse the rule, pointing at a line. */
    private static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;
        final int line;

        Refusal(int line, String message) {
            super(message);
            this.line = line;
        }
    }

    private final String file;
    private String id = "";
    private String title = "";

    private SigmaRuleTranslator(String file) {
        this.file = file;
    }

    /** @return a {@link SigmaRule} or an {@link UnsupportedRule} */
    static Object translate(String file, Node doc) {
        SigmaRuleTranslator t = new SigmaRuleTranslator(file);
        try {
            return t.rule(doc);
        } catch (Refusal r) {
            return new UnsupportedRule(file, r.line, t.id, t.title, r.getMessage());
        }
    }

    private SigmaRule rule(Node doc) throws Refusal {
        if (!(doc instanceof MappingNode root)) {
            throw new Refusal(SafeYaml.line(doc), "not a Sigma rule (the document is not a mapping)");
        }
        Map<String, Node> top = mapping(root);
        id = text(top.get("id"), "");
        title = text(top.get("title"), "");
        Node logsource = top.get("logsource");
        Node detection = top.get("detection");
        if (logsource == null || detection == null) {
            throw new Refusal(SafeYaml.line(doc), "not a Sigma rule (no logsource or no detection)");
        }
        if (top.containsKey("correlation") || top.containsKey("action")) {
            throw new Refusal(SafeYaml.line(doc), "correlation rules and rule collections are not supported");
        }
        List<String> eventTypes = logsource(logsource);
        if (!(detection instanceof MappingNode dm)) {
            throw new Refusal(SafeYaml.line(detection), "detection is not a mapping");
        }
        Map<String, Node> det = mapping(dm);
        if (det.containsKey("timeframe")) {
            throw new Refusal(SafeYaml.line(det.get("timeframe")),
                    "timeframe (a correlation over time) is not a per-operation decision");
        }
        Node condition = det.get("condition");
        if (condition == null) {
            throw new Refusal(SafeYaml.line(detection), "detection has no condition");
        }
        // Every search is translated, used or not: a rule with a construct HiveGuard cannot
        // read anywhere in its detection is refused rather than half-understood.
        Map<String, Node> searchNodes = new LinkedHashMap<>(det);
        searchNodes.remove("condition");
        Map<String, RuleExpression> searches = new LinkedHashMap<>();
        for (Map.Entry<String, Node> e : searchNodes.entrySet()) {
            searches.put(e.getKey(), search(e.getKey(), e.getValue()));
        }
        RuleExpression expr;
        try {
            if (condition instanceof SequenceNode seq) {
                // Deprecated list form: any of the conditions.
                List<RuleExpression> any = new ArrayList<>();
                for (Node c : seq.getValue()) {
                    any.add(SigmaCondition.parse(scalar(c, "condition"), searches));
                }
                expr = new RuleExpression.AnyOf(any);
            } else {
                expr = SigmaCondition.parse(scalar(condition, "condition"), searches);
            }
        } catch (SigmaCondition.Unsupported u) {
            throw new Refusal(SafeYaml.line(condition), u.getMessage());
        }
        if (expr.testCount() > RuleExpression.MAX_TESTS) {
            throw new Refusal(SafeYaml.line(condition), "condition expands to " + expr.testCount()
                    + " field tests, more than the " + RuleExpression.MAX_TESTS + " a rule may have");
        }
        List<String> tags = new ArrayList<>();
        Node tagNode = top.get("tags");
        if (tagNode instanceof SequenceNode ts) {
            for (Node t : ts.getValue()) {
                tags.add(scalar(t, "tag").toLowerCase(Locale.ROOT));
            }
        }
        String level = text(top.get("level"), "").toLowerCase(Locale.ROOT);
        return new SigmaRule(id, title.isEmpty() ? file : title, level, tags, text(top.get("author"), ""), file,
                SafeYaml.line(doc), eventTypes, expr);
    }

    private List<String> logsource(Node node) throws Refusal {
        if (!(node instanceof MappingNode m)) {
            throw new Refusal(SafeYaml.line(node), "logsource is not a mapping");
        }
        Map<String, Node> ls = mapping(m);
        String product = text(ls.get("product"), "");
        String category = text(ls.get("category"), "");
        String service = text(ls.get("service"), "");
        List<String> types = CATEGORY_EVENT_TYPES.get(category);
        if (!product.equals("windows") || types == null || !service.isEmpty()) {
            throw new Refusal(SafeYaml.line(node), "logsource " + describe(product, category, service)
                    + " is not a Windows registry category (registry_add, registry_delete, registry_event, "
                    + "registry_set, registry_rename)");
        }
        return types;
    }

    private static String describe(String product, String category, String service) {
        List<String> parts = new ArrayList<>();
        if (!product.isEmpty()) {
            parts.add("product " + product);
        }
        if (!category.isEmpty()) {
            parts.add("category " + category);
        }
        if (!service.isEmpty()) {
            parts.add("service " + service);
        }
        return parts.isEmpty() ? "(empty)" : String.join(", ", parts);
    }

    /** A search identifier: a map (AND of its fields) or a list of maps (OR). */
    private RuleExpression search(String name, Node node) throws Refusal {
        if (node instanceof MappingNode m) {
            return fields(name, m);
        }
        if (node instanceof SequenceNode seq) {
            List<RuleExpression> any = new ArrayList<>();
            for (Node item : seq.getValue()) {
                if (!(item instanceof MappingNode im)) {
                    throw new Refusal(SafeYaml.line(item), "search '" + name
                            + "' is a keyword search (values without a field name): not supported");
                }
                any.add(fields(name, im));
            }
            if (any.isEmpty()) {
                throw new Refusal(SafeYaml.line(node), "search '" + name + "' is an empty list");
            }
            return any.size() == 1 ? any.get(0) : new RuleExpression.AnyOf(any);
        }
        throw new Refusal(SafeYaml.line(node), "search '" + name
                + "' is a keyword search (a value without a field name): not supported");
    }

    private RuleExpression fields(String name, MappingNode m) throws Refusal {
        List<RuleExpression> all = new ArrayList<>();
        for (NodeTuple t : m.getValue()) {
            all.add(field(scalar(t.getKeyNode(), "field name"), t.getValueNode()));
        }
        if (all.isEmpty()) {
            throw new Refusal(SafeYaml.line(m), "search '" + name + "' is empty");
        }
        return all.size() == 1 ? all.get(0) : new RuleExpression.AllOf(all);
    }

    /** One {@code Field|modifier|...: value(s)} entry. */
    private RuleExpression field(String key, Node valueNode) throws Refusal {
        int line = SafeYaml.line(valueNode);
        String[] parts = key.split("\\|", -1);
        String fieldName = parts[0];
        String position = null;
        boolean all = false;
        boolean windash = false;
        boolean regex = false;
        boolean cased = false;
        boolean exists = false;
        StringBuilder reFlags = new StringBuilder();
        for (int i = 1; i < parts.length; i++) {
            String mod = parts[i];
            switch (mod) {
                case "contains":
                case "startswith":
                case "endswith":
                    if (position != null) {
                        throw new Refusal(line, "modifiers '" + position + "' and '" + mod + "' together on " + fieldName);
                    }
                    position = mod;
                    break;
                case "all":
                    all = true;
                    break;
                case "windash":
                    windash = true;
                    break;
                case "re":
                    regex = true;
                    break;
                case "i":
                case "m":
                case "s":
                    if (!regex) {
                        throw new Refusal(line, "modifier '" + mod + "' applies to 're' only");
                    }
                    reFlags.append(mod);
                    break;
                case "cased":
                    cased = true;
                    break;
                case "exists":
                    exists = true;
                    break;
                default:
                    throw new Refusal(line, "modifier '" + mod + "' (in " + key + ") is not supported");
            }
        }
        if (regex && (position != null || windash || cased)) {
            throw new Refusal(line, "modifier 're' combined with others (" + key + ")");
        }
        List<Node> values = valueNode instanceof SequenceNode s ? s.getValue() : List.of(valueNode);
        if (values.isEmpty()) {
            throw new Refusal(line, fieldName + " has an empty value list");
        }
        if (fieldName.equals("EventID")) {
            if (parts.length > 1) {
                throw new Refusal(line, "modifiers on EventID are not supported");
            }
            return eventId(values, all);
        }
        Field field = FIELDS.get(fieldName);
        if (field == null) {
            throw new Refusal(line, SYSMON_ONLY_FIELDS.contains(fieldName)
                    ? "field " + fieldName + " is Sysmon's own; the driver reports nothing like it"
                    : "field " + fieldName + " is not in Sysmon's registry events (TargetObject, Details, EventType, "
                    + "Image, NewName, User, ProcessId)");
        }
        if (exists) {
            if (parts.length != 2 || values.size() != 1 || !(values.get(0) instanceof ScalarNode b)
                    || !b.getTag().equals(Tag.BOOL)) {
                throw new Refusal(line, "'exists' takes one true/false value and no other modifier");
            }
            boolean yes = b.getValue().equalsIgnoreCase("true");
            return new FieldTest(field, yes ? Match.PRESENT : Match.ABSENT, List.of(), false, false);
        }
        List<RuleExpression> tests = new ArrayList<>();
        // One test per kind of comparison; values of the same kind share it.
        Map<Match, List<String>> byMatch = new LinkedHashMap<>();
        for (Node v : values) {
            if (!(v instanceof ScalarNode sn)) {
                throw new Refusal(SafeYaml.line(v), "a value of " + fieldName + " is not a scalar");
            }
            if (sn.getTag().equals(Tag.NULL)) {
                if (position != null || regex || windash) {
                    throw new Refusal(SafeYaml.line(v), "null with modifiers on " + fieldName);
                }
                tests.add(new FieldTest(field, Match.EMPTY_OR_ABSENT, List.of(), false, false));
                continue;
            }
            String text = sn.getValue();
            if (regex) {
                String pattern = reFlags.length() == 0 ? text : "(?" + reFlags + ")" + text;
                try {
                    Pattern.compile(pattern);
                } catch (PatternSyntaxException e) {
                    throw new Refusal(SafeYaml.line(v), "regular expression not accepted by RE2 (linear-time "
                            + "engine; no backreferences or lookaround): " + e.getMessage());
                }
                byMatch.computeIfAbsent(Match.REGEX, k -> new ArrayList<>()).add(pattern);
                continue;
            }
            for (String variant : windash ? windash(text, SafeYaml.line(v)) : List.of(text)) {
                SigmaValue sv = SigmaValue.parse(variant, position);
                byMatch.computeIfAbsent(sv.match(), k -> new ArrayList<>()).add(sv.text());
            }
        }
        for (Map.Entry<Match, List<String>> e : byMatch.entrySet()) {
            if (all) {
                for (String s : e.getValue()) { // keeps "all" meaning every value, whatever its kind
                    tests.add(new FieldTest(field, e.getKey(), List.of(s), false, cased));
                }
            } else {
                tests.add(new FieldTest(field, e.getKey(), e.getValue(), false, cased));
            }
        }
        if (tests.size() == 1) {
            return tests.get(0);
        }
        return all ? new RuleExpression.AllOf(tests) : new RuleExpression.AnyOf(tests);
    }

    private RuleExpression eventId(List<Node> values, boolean all) throws Refusal {
        Set<String> types = new LinkedHashSet<>();
        for (Node v : values) {
            String id = scalar(v, "EventID");
            List<String> t = EVENT_ID_TYPES.get(id.trim());
            if (t == null) {
                // Any other EventID is not a registry event: this value can never match one.
                continue;
            }
            types.addAll(t);
        }
        if (all && values.size() > 1) {
            throw new Refusal(SafeYaml.line(values.get(0)), "EventID|all with several values can never match");
        }
        if (types.isEmpty()) {
            return new RuleExpression.AnyOf(List.of());
        }
        return new FieldTest(Field.EVENT_TYPE, Match.EQUALS, List.copyOf(types), false, false);
    }

    /**
     * pySigma's windash: every dash or slash that starts a word (preceded by a non-word
     * character or the start, followed by a word character) becomes each of -, /, en dash,
     * em dash and horizontal bar.
     */
    private static List<String> windash(String s, int line) throws Refusal {
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean before = i == 0 || !isWord(s.charAt(i - 1));
            boolean after = i + 1 < s.length() && isWord(s.charAt(i + 1));
            if ((c == '-' || c == '/') && before && after) {
                at.add(i);
            }
        }
        if (at.size() > MAX_WINDASH_POSITIONS) {
            throw new Refusal(line, "windash on a value with " + at.size() + " dashes would expand to more than "
                    + (int) Math.pow(WINDASH.length, MAX_WINDASH_POSITIONS) + " values");
        }
        List<String> out = new ArrayList<>();
        out.add(s);
        for (int k = at.size() - 1; k >= 0; k--) {
            int pos = at.get(k);
            List<String> next = new ArrayList<>();
            for (String v : out) {
                for (String d : WINDASH) {
                    next.add(v.substring(0, pos) + d + v.substring(pos + 1));
                }
            }
            out = next;
        }
        return out;
    }

    private static boolean isWord(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    private Map<String, Node> mapping(MappingNode m) throws Refusal {
        Map<String, Node> out = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            out.put(scalar(t.getKeyNode(), "key"), t.getValueNode());
        }
        return out;
    }

    private static String scalar(Node n, String what) throws Refusal {
        if (!(n instanceof ScalarNode s)) {
            throw new Refusal(SafeYaml.line(n), what + " is not a scalar");
        }
        return s.getValue();
    }

    private static String text(Node n, String fallback) {
        return n instanceof ScalarNode s && !s.getTag().equals(Tag.NULL) ? s.getValue() : fallback;
    }
}
