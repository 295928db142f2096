package dev.hiveguard.policy;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryPaths;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Reads a policy: a Sysmon configuration whose RegistryEvent rules HiveGuard enforces,
 * with HiveGuard's extensions (see {@code policies/README.md}). Every problem is collected
 * with its location; a file with any error yields no policy.
 *
 * <p>Grouping follows Sysmon: a {@code RuleGroup} (default groupRelation "and") holds event
 * sections; in an "or" group, and in a legacy file without RuleGroup, each filter element
 * is a rule of its own; in an "and" group the loose filters form one rule. A {@code Rule}
 * element (default "and") forms one rule, or one per filter with groupRelation "or".
 * Inside one rule, filters on the same field are OR'ed and different fields AND'ed.
 */
public final class PolicyParser {

    /** Sysmon's other event sections: legal in a configuration, not about the registry. */
    private static final Set<String> OTHER_SYSMON_EVENTS = Set.of("ProcessCreate", "FileCreateTime", "NetworkConnect",
            "ProcessTerminate", "DriverLoad", "ImageLoad", "CreateRemoteThread", "RawAccessRead", "ProcessAccess",
            "FileCreate", "FileCreateStreamHash", "PipeEvent", "WmiEvent", "DnsQuery", "FileDelete", "ClipboardChange",
            "ProcessTampering", "FileDeleteDetected", "FileBlockExecutable", "FileBlockShredding",
            "FileExecutableDetected");
    /** Sysmon's global options: legal, and nothing to do with registry decisions. */
    private static final Set<String> SYSMON_OPTIONS = Set.of("HashAlgorithms", "CheckRevocation", "DnsLookup",
            "ArchiveDirectory", "CopyOnDeletePE", "CopyOnDeleteSIDs", "CopyOnDeleteExtensions",
            "CopyOnDeleteProcesses", "DriverName", "FieldSizes", "CaptureClipboard", "ProcessAccessConfig",
            "PipeMonitoringConfig");
    /**
     * RegistryEvent fields of Sysmon's schema that HiveGuard cannot test: the rule name Sysmon
     * itself attaches, the event's time, and the process GUID Sysmon assigns (the driver sees
     * a process object, not Sysmon's GUID). A rule on one is valid Sysmon; here it can never
     * match, so it is left out with a note instead of failing the file.
     */
    static final Set<String> SYSMON_ONLY_FIELDS = Set.of("RuleName", "UtcTime", "ProcessGuid");

    static final String ROOT = "Sysmon";
    static final String SETTINGS = "HiveGuard";
    static final String EVENT_FILTERING = "EventFiltering";
    static final String RULE_GROUP = "RuleGroup";
    static final String REGISTRY_EVENT = "RegistryEvent";
    static final String RULE = "Rule";

    static final String A_ACTION = "action";
    static final String A_TIMEOUT = "timeout";
    static final String A_FAILMODE = "failmode";
    static final String A_NAME = "name";
    static final String A_GROUP_RELATION = "groupRelation";
    static final String A_ONMATCH = "onmatch";
    static final String A_CONDITION = "condition";

    private final String file;
    private final List<PolicyError> errors = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<PolicyRule> rules = new ArrayList<>();
    private boolean sawExcludeSection;
    private boolean sawIncludeSection;

    private PolicyParser(String file) {
        this.file = file;
    }

    /**
     * Parses {@code content}; {@code fileName} is used in error locations and as the policy
     * name.
     *
     * @throws PolicyException with every located error when the policy is not usable
     */
    public static PolicyDocument parse(String fileName, byte[] content) throws PolicyException {
        return new PolicyParser(fileName).run(content);
    }

    private PolicyDocument run(byte[] content) throws PolicyException {
        XmlNode root;
        try {
            root = XmlNode.parse(new ByteArrayInputStream(content));
        } catch (XmlNode.XmlSyntaxException e) {
            throw new PolicyException(List.of(new PolicyError(file, e.line, e.column, e.getMessage())));
        }
        PolicySettings settings = PolicySettings.defaults();
        if (!root.name.equals(ROOT)) {
            error(root, "root element must be <" + ROOT + ">, found <" + root.name + ">");
            throw new PolicyException(errors);
        }
        allowAttributes(root, "schemaversion");
        boolean sawSettings = false;
        boolean sawFiltering = false;
        for (XmlNode child : root.children) {
            if (child.name.equals(SETTINGS)) {
                if (sawSettings) {
                    error(child, "<" + SETTINGS + "> may appear only once");
                }
                sawSettings = true;
                settings = settings(child);
            } else if (child.name.equals(EVENT_FILTERING)) {
                if (sawFiltering) {
                    error(child, "<" + EVENT_FILTERING + "> may appear only once");
                }
                sawFiltering = true;
                eventFiltering(child);
            } else if (SYSMON_OPTIONS.contains(child.name)) {
                note(child, "Sysmon option <" + child.name + "> ignored (not a registry rule)");
            } else {
                error(child, "unknown element <" + child.name + "> in <" + ROOT + "> (expected <" + SETTINGS + ">, <"
                        + EVENT_FILTERING + "> or a Sysmon option)");
            }
        }
        noText(root);
        if (!sawFiltering) {
            // Valid Sysmon (a configuration of options only): it filters no registry event.
            note(root, "no <" + EVENT_FILTERING + ">: no rules, every registry operation gets the default action");
        }
        if (!errors.isEmpty()) {
            errors.sort(java.util.Comparator.comparingInt(PolicyError::line).thenComparingInt(PolicyError::column));
            throw new PolicyException(errors);
        }
        List<PolicyRule> all = new ArrayList<>(rules);
        if (!sawIncludeSection && sawExcludeSection) {
            // Sysmon: an event type with only exclude filters logs everything not excluded.
            all.add(0, new PolicyRule(-1, "everything not excluded (Sysmon exclude-only section)", true, Action.AUDIT, 0,
                    FailMode.INHERIT, List.of(), root.line));
        }
        List<PolicyRule> numbered = new ArrayList<>(all.size());
        for (int i = 0; i < all.size(); i++) {
            PolicyRule r = all.get(i);
            numbered.add(new PolicyRule(i, r.name(), r.include(), r.action(), r.timeoutMs(), r.failMode(),
                    r.conditions(), r.line()));
        }
        return new PolicyDocument(file, settings, numbered, notes);
    }

    // ------------------------------------------------------------------ settings

    private PolicySettings settings(XmlNode n) {
        allowAttributes(n, "mode", "defaultAction", A_TIMEOUT, A_FAILMODE, "kernelCallers");
        noChildren(n);
        noText(n);
        PolicyMode mode = PolicyMode.ENFORCE;
        Action defaultAction = Action.ALLOW;
        int timeout = PolicySettings.defaults().timeoutMs();
        FailMode failMode = FailMode.OPEN;
        boolean kernel = false;
        String v = n.attributes.get("mode");
        if (v != null) {
            PolicyMode m = PolicyMode.fromXml(v);
            if (m == null) {
                error(n, "bad value mode=\"" + v + "\" (expected enforce or audit-only)");
            } else {
                mode = m;
            }
        }
        v = n.attributes.get("defaultAction");
        if (v != null) {
            Action a = action(n, "defaultAction", v);
            if (a != null) {
                defaultAction = a;
            }
        }
        Integer t = timeout(n);
        if (t != null && t != 0) {
            timeout = t;
        }
        FailMode f = failMode(n);
        if (f != null && f != FailMode.INHERIT) {
            failMode = f;
        }
        v = n.attributes.get("kernelCallers");
        if (v != null) {
            if (v.equalsIgnoreCase("include")) {
                kernel = true;
            } else if (!v.equalsIgnoreCase("exclude")) {
                error(n, "bad value kernelCallers=\"" + v + "\" (expected include or exclude)");
            }
        }
        return new PolicySettings(mode, defaultAction, timeout, failMode, kernel);
    }

    // ------------------------------------------------------------------ structure

    private void eventFiltering(XmlNode n) {
        allowAttributes(n);
        noText(n);
        for (XmlNode child : n.children) {
            if (child.name.equals(RULE_GROUP)) {
                ruleGroup(child);
            } else if (child.name.equals(REGISTRY_EVENT)) {
                // Legacy layout (before RuleGroup): each filter stands alone.
                registryEvent(child, Inherited.NONE, false, null);
            } else if (OTHER_SYSMON_EVENTS.contains(child.name)) {
                note(child, "Sysmon event <" + child.name + "> ignored (HiveGuard acts on RegistryEvent only)");
            } else if (child.name.equals(RULE) || isFilter(child.name)) {
                error(child, "<" + child.name + "> must be inside <" + REGISTRY_EVENT + ">");
            } else {
                error(child, "unknown element <" + child.name + "> in <" + EVENT_FILTERING + ">");
            }
        }
    }

    private void ruleGroup(XmlNode n) {
        allowAttributes(n, A_NAME, A_GROUP_RELATION, A_ACTION, A_TIMEOUT, A_FAILMODE);
        noText(n);
        Boolean and = groupRelation(n);
        Inherited inh = Inherited.NONE.with(this, n);
        for (XmlNode child : n.children) {
            if (child.name.equals(REGISTRY_EVENT)) {
                registryEvent(child, inh, and == null || and, nonEmpty(n.attributes.get(A_NAME)));
            } else if (OTHER_SYSMON_EVENTS.contains(child.name)) {
                note(child, "Sysmon event <" + child.name + "> ignored (HiveGuard acts on RegistryEvent only)");
            } else if (child.name.equals(RULE_GROUP)) {
                error(child, "<" + RULE_GROUP + "> cannot be nested in <" + RULE_GROUP + ">");
            } else if (child.name.equals(RULE) || isFilter(child.name)) {
                error(child, "<" + child.name + "> must be inside <" + REGISTRY_EVENT + ">, not directly in <"
                        + RULE_GROUP + ">");
            } else {
                error(child, "unknown element <" + child.name + "> in <" + RULE_GROUP + ">");
            }
        }
    }

    private void registryEvent(XmlNode n, Inherited fromGroup, boolean looseAreAnd, String groupName) {
        allowAttributes(n, A_ONMATCH, A_ACTION, A_TIMEOUT, A_FAILMODE, A_NAME);
        noText(n);
        String onmatch = n.attributes.get(A_ONMATCH);
        boolean include;
        if (onmatch == null) {
            error(n, "missing attribute onmatch (include or exclude)");
            return;
        } else if (onmatch.equalsIgnoreCase("include")) {
            include = true;
            sawIncludeSection = true;
        } else if (onmatch.equalsIgnoreCase("exclude")) {
            include = false;
            sawExcludeSection = true;
        } else {
            error(n, "bad value onmatch=\"" + onmatch + "\" (expected include or exclude)");
            return;
        }
        Inherited inh = fromGroup.with(this, n);
        String sectionName = nonEmpty(n.attributes.get(A_NAME));
        String baseName = sectionName != null ? sectionName : groupName;
        if (!include) {
            excludeHasNoAction(n, inh);
        }
        List<XmlNode> loose = new ArrayList<>();
        int combinedAt = -1;
        for (XmlNode child : n.children) {
            if (child.name.equals(RULE)) {
                rule(child, include, inh, baseName);
            } else if (isFilter(child.name)) {
                if (looseAreAnd) {
                    combinedAt = combinedAt < 0 ? rules.size() : combinedAt;
                    loose.add(child);
                } else {
                    // Document order is precedence order among equally severe rules.
                    addRule(List.of(child), include, inh, baseName, child, false);
                }
            } else if (child.name.equals(REGISTRY_EVENT) || child.name.equals(RULE_GROUP)) {
                error(child, "<" + child.name + "> cannot be nested in <" + REGISTRY_EVENT + ">");
            } else {
                error(child, "unknown field <" + child.name + "> in <" + REGISTRY_EVENT + "> (expected one of "
                        + fieldNames() + " or <" + RULE + ">)");
            }
        }
        if (!loose.isEmpty()) {
            int before = rules.size();
            addRule(loose, include, inh, baseName, n, true);
            if (rules.size() > before && combinedAt < before) {
                rules.add(combinedAt, rules.remove(rules.size() - 1)); // where its first filter stands
            }
        }
    }

    private void rule(XmlNode n, boolean include, Inherited outer, String outerName) {
        allowAttributes(n, A_NAME, A_GROUP_RELATION, A_ACTION, A_TIMEOUT, A_FAILMODE);
        noText(n);
        Boolean and = groupRelation(n);
        Inherited inh = outer.with(this, n);
        if (!include) {
            excludeHasNoAction(n, inh);
        }
        String name = nonEmpty(n.attributes.get(A_NAME));
        String base = name != null ? name : outerName;
        List<XmlNode> fields = new ArrayList<>();
        for (XmlNode child : n.children) {
            if (isFilter(child.name)) {
                fields.add(child);
            } else if (child.name.equals(RULE) || child.name.equals(REGISTRY_EVENT) || child.name.equals(RULE_GROUP)) {
                error(child, "<" + child.name + "> cannot be nested in <" + RULE + ">");
            } else {
                error(child, "unknown field <" + child.name + "> in <" + RULE + "> (expected one of " + fieldNames() + ")");
            }
        }
        if (n.children.isEmpty()) {
            error(n, "missing field: <" + RULE + "> has no field condition");
            return;
        }
        if (fields.isEmpty()) {
            return; // every child was wrong, each already reported
        }
        if (and == null || and) {
            addRule(fields, include, inh, base, n, true);
        } else {
            for (XmlNode f : fields) {
                addRule(List.of(f), include, inh, base, f, false);
            }
        }
    }

    /**
     * One rule from filter elements. In a combined (AND) rule the filters may not carry
     * their own action: one rule has one action.
     */
    private void addRule(List<XmlNode> filters, boolean include, Inherited inh, String baseName, XmlNode at,
                         boolean combined) {
        for (XmlNode f : filters) {
            if (SYSMON_ONLY_FIELDS.contains(f.name)) {
                note(f, "<" + f.name + "> is a Sysmon field HiveGuard cannot test (" + sysmonOnlyReason(f.name)
                        + "): the " + (include ? "include" : "exclude") + " rule holding it is left out, it could "
                        + "never match here");
                return;
            }
        }
        List<RuleCondition> conds = new ArrayList<>();
        String name = null;
        Inherited eff = inh;
        for (XmlNode f : filters) {
            RuleCondition c = condition(f);
            if (c != null) {
                conds.add(c);
            }
            String fname = nonEmpty(f.attributes.get(A_NAME));
            if (fname != null && name == null) {
                name = fname; // Sysmon reports the first matching filter's name; ours is per rule
            }
            boolean hasOwn = f.attributes.containsKey(A_ACTION) || f.attributes.containsKey(A_TIMEOUT)
                    || f.attributes.containsKey(A_FAILMODE);
            if (hasOwn) {
                if (combined) {
                    error(f, "action/timeout/failmode belong on the enclosing <" + RULE + "> or <" + RULE_GROUP
                            + "> when filters are combined with groupRelation=\"and\"");
                } else {
                    eff = inh.with(this, f);
                    if (!include) {
                        excludeHasNoAction(f, eff);
                    }
                }
            }
        }
        if (conds.size() != filters.size()) {
            return; // errors already recorded
        }
        if (name == null) {
            name = baseName != null ? baseName : file + ":" + at.line;
        }
        rules.add(new PolicyRule(rules.size(), name, include, include ? eff.action() : null,
                include ? eff.timeoutMs() : 0, include ? eff.failMode() : FailMode.INHERIT, conds, at.line));
    }

    // ------------------------------------------------------------------ one filter

    private RuleCondition condition(XmlNode f) {
        allowAttributes(f, A_CONDITION, A_NAME, A_ACTION, A_TIMEOUT, A_FAILMODE);
        Field field = Field.fromXml(f.name);
        if (!f.children.isEmpty()) {
            error(f.children.get(0), "<" + f.children.get(0).name + "> cannot be nested in field <" + f.name + ">");
            return null;
        }
        String condName = f.attributes.getOrDefault(A_CONDITION, "is");
        Condition cond = Condition.fromXml(condName);
        if (cond == null) {
            error(f, "unknown condition \"" + condName + "\" (expected one of " + conditionNames() + ")");
            return null;
        }
        String pattern = f.text.toString();
        List<String> values = new ArrayList<>();
        if (cond.takesList()) {
            for (String part : pattern.split(Condition.LIST_SEPARATOR, -1)) {
                if (!part.isEmpty()) {
                    values.add(part);
                }
            }
            if (values.isEmpty()) {
                error(f, "bad pattern: condition \"" + cond.xmlName() + "\" needs at least one ;-separated value");
                return null;
            }
        } else {
            values.add(pattern);
        }
        if (cond == Condition.IMAGE && field != Field.IMAGE) {
            error(f, "condition \"image\" applies to <Image> only, not <" + f.name + ">");
            return null;
        }
        boolean emptyAllowed = cond == Condition.IS || cond == Condition.IS_NOT;
        for (String v : values) {
            if (v.isEmpty() && !emptyAllowed) {
                error(f, "bad pattern: empty value for condition \"" + cond.xmlName()
                        + "\" (it would match everything or nothing)");
                return null;
            }
        }
        if (field == Field.PROCESS_ID && (cond == Condition.IS || cond == Condition.IS_NOT || cond == Condition.IS_ANY)) {
            for (String v : values) {
                if (Numbers.parse(v) == null) {
                    error(f, "bad pattern: \"" + v + "\" is not a number (ProcessId is compared numerically)");
                    return null;
                }
            }
        }
        if ((cond == Condition.LESS_THAN || cond == Condition.MORE_THAN) && Numbers.parse(values.get(0)) != null) {
            note(f, "warning: \"" + cond.xmlName() + "\" compares text, as Sysmon documents (\"lexicographical "
                    + "comparison\"): \"" + values.get(0) + "\" is compared character by character, so 900 is more "
                    + "than 1000");
        }
        if (field == Field.EVENT_TYPE && (cond == Condition.IS || cond == Condition.IS_NOT || cond == Condition.IS_ANY)) {
            for (String v : values) {
                if (Operation.fromEventType(v) == null) {
                    error(f, "bad pattern: unknown EventType \"" + v + "\" (expected one of " + eventTypeNames() + ")");
                    return null;
                }
            }
        }
        if (field == Field.TARGET_OBJECT) {
            List<String> canon = new ArrayList<>(values.size());
            for (String v : values) {
                String c = RegistryPaths.canonical(v);
                if (!c.equalsIgnoreCase(v) && !RegistryPaths.isHkcu(c)) {
                    // Sysmon compares the text it prints (HKLM\..., HKU\..., HKCR\...) with the text
                    // written; another spelling of the same key never matches there.
                    note(f, "warning: TargetObject \"" + v + "\" is matched as \"" + c + "\", the spelling "
                            + "Sysmon prints; Sysmon itself compares the text as written and never matches this "
                            + "rule, HiveGuard does");
                }
                canon.add(c);
            }
            values = canon;
        }
        return new RuleCondition(field, cond, pattern, values, f.line, f.column);
    }

    // ------------------------------------------------------------------ attributes

    /** action/timeout/failmode as inherited down the nesting; innermost wins. */
    private record Inherited(Action action, int timeoutMs, FailMode failMode) {
        static final Inherited NONE = new Inherited(Action.AUDIT, 0, FailMode.INHERIT);

        Inherited with(PolicyParser p, XmlNode n) {
            Action a = action;
            String av = n.attributes.get(A_ACTION);
            if (av != null) {
                Action parsed = p.action(n, A_ACTION, av);
                if (parsed != null) {
                    a = parsed;
                }
            }
            Integer t = p.timeout(n);
            FailMode f = p.failMode(n);
            return new Inherited(a, t == null ? timeoutMs : t, f == null ? failMode : f);
        }
    }

    private void excludeHasNoAction(XmlNode n, Inherited inh) {
        for (String a : new String[] {A_ACTION, A_TIMEOUT, A_FAILMODE}) {
            if (n.attributes.containsKey(a)) {
                error(n, "attribute " + a + " has no meaning on an exclude rule (an excluded event gets the default action)");
            }
        }
    }

    private Action action(XmlNode n, String attr, String v) {
        for (Action a : Action.values()) {
            if (a.name().equalsIgnoreCase(v)) {
                return a;
            }
        }
        error(n, "bad value " + attr + "=\"" + v + "\" (expected block, allow or audit)");
        return null;
    }

    private Integer timeout(XmlNode n) {
        String v = n.attributes.get(A_TIMEOUT);
        if (v == null) {
            return null;
        }
        Long ms = Numbers.parse(v);
        if (ms == null || ms < PolicySettings.TIMEOUT_MIN_MS || ms > PolicySettings.TIMEOUT_MAX_MS) {
            error(n, "bad value timeout=\"" + v + "\" (expected milliseconds from " + PolicySettings.TIMEOUT_MIN_MS
                    + " to " + PolicySettings.TIMEOUT_MAX_MS + ")");
            return null;
        }
        return ms.intValue();
    }

    private FailMode failMode(XmlNode n) {
        String v = n.attributes.get(A_FAILMODE);
        if (v == null) {
            return null;
        }
        if (v.equalsIgnoreCase("open")) {
            return FailMode.OPEN;
        }
        if (v.equalsIgnoreCase("closed")) {
            return FailMode.CLOSED;
        }
        error(n, "bad value failmode=\"" + v + "\" (expected open or closed)");
        return null;
    }

    /** true = and, false = or, null = absent (the caller's default). */
    private Boolean groupRelation(XmlNode n) {
        String v = n.attributes.get(A_GROUP_RELATION);
        if (v == null) {
            return null;
        }
        if (v.equalsIgnoreCase("and")) {
            return true;
        }
        if (v.equalsIgnoreCase("or")) {
            return false;
        }
        error(n, "bad value groupRelation=\"" + v + "\" (expected and or or)");
        return null;
    }

    private void allowAttributes(XmlNode n, String... allowed) {
        List<String> ok = Arrays.asList(allowed);
        for (String a : n.attributes.keySet()) {
            if (!ok.contains(a)) {
                error(n, "unknown attribute " + a + " on <" + n.name + ">"
                        + (ok.isEmpty() ? "" : " (expected " + String.join(", ", ok) + ")"));
            }
        }
    }

    private void noChildren(XmlNode n) {
        for (XmlNode c : n.children) {
            error(c, "<" + c.name + "> cannot be nested in <" + n.name + ">");
        }
    }

    private void noText(XmlNode n) {
        if (!n.text.toString().isBlank()) {
            error(n, "text is not allowed directly in <" + n.name + "> (wrong nesting?)");
        }
    }

    private void error(XmlNode n, String reason) {
        errors.add(new PolicyError(file, n.line, n.column, reason));
    }

    private void note(XmlNode n, String text) {
        notes.add(file + ":" + n.line + ":" + n.column + ": " + text);
    }

    /** A field element of a RegistryEvent filter: one HiveGuard tests or one only Sysmon has. */
    private static boolean isFilter(String name) {
        return Field.fromXml(name) != null || SYSMON_ONLY_FIELDS.contains(name);
    }

    private static String sysmonOnlyReason(String field) {
        return switch (field) {
            case "RuleName" -> "the name of the Sysmon rule that matched, which only Sysmon knows";
            case "UtcTime" -> "the time of the event, not a property of the operation";
            default -> "Sysmon's process GUID; the driver identifies a process by its process object";
        };
    }

    private static String nonEmpty(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static String fieldNames() {
        StringBuilder b = new StringBuilder();
        for (Field f : Field.values()) {
            b.append(b.length() == 0 ? "" : ", ").append(f.xmlName());
        }
        return b.toString();
    }

    private static String conditionNames() {
        StringBuilder b = new StringBuilder();
        for (Condition c : Condition.values()) {
            b.append(b.length() == 0 ? "" : ", ").append(c.xmlName());
        }
        return b.toString();
    }

    private static String eventTypeNames() {
        StringBuilder b = new StringBuilder();
        for (Operation o : Operation.values()) {
            b.append(b.length() == 0 ? "" : ", ").append(o.eventType());
        }
        return b.toString();
    }
}
