package dev.hiveguard.policy;

import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.RegistryPaths;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.model.ValueRendering;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The straightforward reading of a parsed policy: every rule in file order, every condition
 * recomputing its field text and comparing with equalsIgnoreCase/toLowerCase, no index, no
 * caching. It is the baseline the benchmark measures the compiled engine against, and an
 * independent second implementation the tests hold the compiled engine to.
 */
final class ReferenceInterpreter implements Policy {

    private static final int SYSMON_OPS = Operation.CREATE_KEY.bit() | Operation.DELETE_KEY.bit()
            | Operation.SET_VALUE.bit() | Operation.DELETE_VALUE.bit() | Operation.RENAME_KEY.bit();

    private final PolicyDocument doc;

    ReferenceInterpreter(PolicyDocument doc) {
        this.doc = doc;
    }

    @Override
    public Decision decide(RegistryEvent e) {
        if (!inScope(e.operation())) {
            return Decision.of(Action.ALLOW, null);
        }
        for (PolicyRule r : doc.rules()) {
            if (!r.include() && matches(r, e)) {
                return defaultDecision();
            }
        }
        PolicyRule best = null;
        for (PolicyRule r : doc.rules()) {
            if (r.include() && matches(r, e)
                    && (best == null || severity(r.action()) > severity(best.action()))) {
                best = r;
            }
        }
        if (best == null) {
            return defaultDecision();
        }
        if (best.action() == Action.BLOCK && doc.settings().mode() == PolicyMode.AUDIT_ONLY) {
            return new Decision(Action.AUDIT, best.name(), true);
        }
        return Decision.of(best.action(), best.name());
    }

    private Decision defaultDecision() {
        Action a = doc.settings().defaultAction();
        if (a == Action.BLOCK && doc.settings().mode() == PolicyMode.AUDIT_ONLY) {
            return new Decision(Action.AUDIT, null, true);
        }
        return Decision.of(a, null);
    }

    private static int severity(Action a) {
        return a == Action.BLOCK ? 3 : a == Action.AUDIT ? 2 : 1;
    }

    private boolean inScope(Operation op) {
        if ((SYSMON_OPS & op.bit()) != 0) {
            return true;
        }
        for (PolicyRule r : doc.rules()) {
            for (RuleCondition c : r.conditions()) {
                if (c.field() == Field.EVENT_TYPE && eventTypeHolds(c, op)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean matches(PolicyRule r, RegistryEvent e) {
        Map<Field, List<RuleCondition>> byField = new LinkedHashMap<>();
        for (RuleCondition c : r.conditions()) {
            byField.computeIfAbsent(c.field(), k -> new ArrayList<>()).add(c);
        }
        if (!byField.containsKey(Field.EVENT_TYPE) && (SYSMON_OPS & e.operation().bit()) == 0) {
            return false;
        }
        for (Map.Entry<Field, List<RuleCondition>> group : byField.entrySet()) {
            boolean any = false;
            for (RuleCondition c : group.getValue()) {
                if (holds(c, e)) {
                    any = true;
                }
            }
            if (!any) {
                return false;
            }
        }
        return true;
    }

    /** EventType conditions see Sysmon's operations plus the ones they name. */
    private static boolean eventTypeHolds(RuleCondition c, Operation op) {
        boolean named = false;
        for (String v : c.values()) {
            named |= op.eventType().equalsIgnoreCase(v);
        }
        if ((SYSMON_OPS & op.bit()) == 0 && !named) {
            return false;
        }
        return compare(c, op.eventType(), op.eventType(), null);
    }

    private static boolean holds(RuleCondition c, RegistryEvent e) {
        Operation op = e.operation();
        boolean valueOp = op == Operation.SET_VALUE || op == Operation.DELETE_VALUE;
        switch (c.field()) {
            case EVENT_TYPE:
                return eventTypeHolds(c, op);
            case TARGET_OBJECT: {
                String t = RegistryPaths.targetObject(e.keyPath(), e.valueName(), valueOp);
                return compare(c, t, RegistryPaths.hkcuView(t), e);
            }
            case DETAILS:
                if (op != Operation.SET_VALUE) {
                    return false;
                }
                return compare(c, ValueRendering.details(e.valueType(), e.data()), null, e);
            case NEW_NAME: {
                if (op != Operation.RENAME_KEY) {
                    return false;
                }
                String n = e.newName();
                if (!n.contains("\\")) {
                    String key = RegistryPaths.toSysmon(e.keyPath());
                    n = key.substring(0, key.lastIndexOf('\\') + 1) + n;
                } else {
                    n = RegistryPaths.canonical(n);
                }
                return compare(c, n, null, e);
            }
            case IMAGE:
                return compare(c, image(e), null, e);
            case PROCESS_ID:
                return pid(c, e.pid());
            case USER:
                return compare(c, WellKnownSids.displayName(e.userSid()), null, e);
            case VALUE_NAME:
                if (!valueOp) {
                    return false;
                }
                return compare(c, e.valueName().isEmpty() ? "(Default)" : e.valueName(), null, e);
            default:
                throw new IllegalStateException();
        }
    }

    private static String image(RegistryEvent e) {
        String i = e.image();
        return i.startsWith("\\??\\") ? i.substring(4) : i;
    }

    private static boolean pid(RuleCondition c, long pid) {
        switch (c.condition()) {
            case IS:
            case IS_ANY:
                for (String v : c.values()) {
                    if (Numbers.parse(v) == pid) {
                        return true;
                    }
                }
                return false;
            case IS_NOT:
                return Numbers.parse(c.values().get(0)) != pid;
            default:
                return compare(c, Long.toString(pid), null, null);
        }
    }

    private static boolean compare(RuleCondition c, String text, String hkcuText, RegistryEvent e) {
        List<String> vals = c.values();
        String v0 = vals.get(0);
        switch (c.condition()) {
            case IS:
            case IS_ANY:
                for (String v : vals) {
                    if (subject(text, hkcuText, v).equalsIgnoreCase(v)) {
                        return true;
                    }
                }
                return false;
            case IS_NOT:
                return !subject(text, hkcuText, v0).equalsIgnoreCase(v0);
            case CONTAINS:
            case CONTAINS_ANY:
                for (String v : vals) {
                    if (lower(subject(text, hkcuText, v)).contains(lower(v))) {
                        return true;
                    }
                }
                return false;
            case CONTAINS_ALL:
                for (String v : vals) {
                    if (!lower(subject(text, hkcuText, v)).contains(lower(v))) {
                        return false;
                    }
                }
                return true;
            case EXCLUDES:
                return !lower(subject(text, hkcuText, v0)).contains(lower(v0));
            case EXCLUDES_ANY:
                for (String v : vals) {
                    if (!lower(subject(text, hkcuText, v)).contains(lower(v))) {
                        return true;
                    }
                }
                return false;
            case EXCLUDES_ALL:
                for (String v : vals) {
                    if (lower(subject(text, hkcuText, v)).contains(lower(v))) {
                        return false;
                    }
                }
                return true;
            case BEGIN_WITH:
                return lower(subject(text, hkcuText, v0)).startsWith(lower(v0));
            case NOT_BEGIN_WITH:
                return !lower(subject(text, hkcuText, v0)).startsWith(lower(v0));
            case END_WITH:
                return lower(subject(text, hkcuText, v0)).endsWith(lower(v0));
            case NOT_END_WITH:
                return !lower(subject(text, hkcuText, v0)).endsWith(lower(v0));
            case LESS_THAN:
            case MORE_THAN: {
                // Sysmon: "Lexicographical comparison", numbers included
                int cmp = lower(subject(text, hkcuText, v0)).compareTo(lower(v0));
                return c.condition() == Condition.LESS_THAN ? cmp < 0 : cmp > 0;
            }
            case IMAGE:
                for (String v : vals) {
                    String img = image(e);
                    String name = img.substring(img.lastIndexOf('\\') + 1);
                    if ((v.contains("\\") ? img : name).equalsIgnoreCase(v)) {
                        return true;
                    }
                }
                return false;
            default:
                throw new IllegalStateException();
        }
    }

    private static String subject(String text, String hkcuText, String value) {
        return hkcuText != null && RegistryPaths.isHkcu(value) ? hkcuText : text;
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    @Override
    public Subscription subscription() {
        throw new UnsupportedOperationException("the reference interpreter only decides");
    }

    @Override
    public String name() {
        return doc.name() + " (reference)";
    }

    @Override
    public String hash() {
        return PolicyDescription.hash(doc);
    }
}
