package dev.hiveguard.policy;

import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryPaths;
import java.util.Locale;

/**
 * One condition ready to run: patterns lower-cased once, numbers parsed once, and for
 * EventType the whole test folded into an operation mask at compile time.
 */
final class CompiledCondition {

    /** The classes Sysmon reports; a rule without EventType applies to these only. */
    static final int SYSMON_OPS = Operation.CREATE_KEY.bit() | Operation.DELETE_KEY.bit() | Operation.SET_VALUE.bit()
            | Operation.DELETE_VALUE.bit() | Operation.RENAME_KEY.bit();

    final RuleCondition source;
    final Field field;
    final Condition cond;
    private final String[] values;
    private final boolean[] hkcu;
    private final Long[] numbers;
    private final boolean[] fullPath;
    /** EventType only: the operation classes this condition accepts. */
    final int opMask;

    CompiledCondition(RuleCondition c) {
        this.source = c;
        this.field = c.field();
        this.cond = c.condition();
        int n = c.values().size();
        values = new String[n];
        hkcu = new boolean[n];
        numbers = new Long[n];
        fullPath = new boolean[n];
        for (int i = 0; i < n; i++) {
            String raw = c.values().get(i);
            values[i] = raw.toLowerCase(Locale.ROOT);
            hkcu[i] = field == Field.TARGET_OBJECT && RegistryPaths.isHkcu(raw);
            numbers[i] = Numbers.parse(raw);
            fullPath[i] = raw.indexOf('\\') >= 0;
        }
        opMask = field == Field.EVENT_TYPE ? eventTypeMask() : 0;
        boolean ascii = true;
        for (String v : values) {
            for (int i = 0; i < v.length(); i++) {
                ascii &= v.charAt(i) < 0x80;
            }
        }
        rawImage = field == Field.IMAGE && ascii && (cond == Condition.IS || cond == Condition.IS_ANY
                || cond == Condition.IS_NOT || cond == Condition.IMAGE || cond == Condition.BEGIN_WITH
                || cond == Condition.NOT_BEGIN_WITH || cond == Condition.END_WITH || cond == Condition.NOT_END_WITH);
    }

    /**
     * Image tests that compare whole names, prefixes or suffixes run on the raw image with
     * case-insensitive region matches: exclusions by image (OS servicing, installers) are
     * checked for nearly every event, and lower-casing a copy of the path each time would
     * be most of a decision's cost.
     */
    private final boolean rawImage;

    private boolean testRawImage(String image) {
        int off = image.startsWith("\\??\\") ? 4 : 0;
        int len = image.length() - off;
        switch (cond) {
            case IS:
            case IS_ANY:
                for (String v : values) {
                    if (len == v.length() && image.regionMatches(true, off, v, 0, len)) {
                        return true;
                    }
                }
                return false;
            case IS_NOT:
                return !(len == values[0].length() && image.regionMatches(true, off, values[0], 0, len));
            case IMAGE:
                for (int i = 0; i < values.length; i++) {
                    String v = values[i];
                    if (fullPath[i]) {
                        if (len == v.length() && image.regionMatches(true, off, v, 0, len)) {
                            return true;
                        }
                    } else {
                        int nameStart = image.lastIndexOf('\\') + 1;
                        int nameLen = image.length() - Math.max(nameStart, off);
                        if (nameLen == v.length() && image.regionMatches(true, Math.max(nameStart, off), v, 0, nameLen)) {
                            return true;
                        }
                    }
                }
                return false;
            case BEGIN_WITH:
                return image.regionMatches(true, off, values[0], 0, values[0].length()) && len >= values[0].length();
            case NOT_BEGIN_WITH:
                return !(image.regionMatches(true, off, values[0], 0, values[0].length()) && len >= values[0].length());
            case END_WITH:
                return len >= values[0].length()
                        && image.regionMatches(true, image.length() - values[0].length(), values[0], 0, values[0].length());
            case NOT_END_WITH:
                return !(len >= values[0].length()
                        && image.regionMatches(true, image.length() - values[0].length(), values[0], 0, values[0].length()));
            default:
                throw new IllegalStateException("not a raw image condition: " + cond);
        }
    }

    /** Whether value {@code i} names HKCU and so is matched against the event's HKCU view. */
    boolean valueIsHkcu(int i) {
        return hkcu[i];
    }

    String value(int i) {
        return values[i];
    }

    int valueCount() {
        return values.length;
    }

    /**
     * The classes this EventType condition accepts, among Sysmon's classes plus any class it
     * names: "is not SetValue" must not silently start matching OpenKey.
     */
    private int eventTypeMask() {
        int universe = SYSMON_OPS;
        for (String v : values) {
            Operation named = Operation.fromEventType(v);
            if (named != null) {
                universe |= named.bit();
            }
        }
        int mask = 0;
        for (Operation op : Operation.values()) {
            if ((universe & op.bit()) != 0 && testText(op.eventType().toLowerCase(Locale.ROOT), null)) {
                mask |= op.bit();
            }
        }
        return mask;
    }

    boolean test(EventView v) {
        if (field == Field.EVENT_TYPE) {
            return (opMask & v.op.bit()) != 0;
        }
        if (!field.presentFor(v.op)) {
            return false;
        }
        if (field == Field.PROCESS_ID) {
            Boolean numeric = testPid(v.event.pid());
            if (numeric != null) {
                return numeric;
            }
        }
        if (rawImage) {
            return testRawImage(v.event.image());
        }
        return testText(v.text(field), v);
    }

    /** Numeric comparison of a process id, or null when this condition compares text. */
    private Boolean testPid(long pid) {
        switch (cond) {
            case IS:
            case IS_ANY:
                for (Long n : numbers) {
                    if (n != null && n == pid) {
                        return true;
                    }
                }
                return false;
            case IS_NOT:
                return numbers[0] == null || numbers[0] != pid;
            default:
                return null; // less than / more than compare the decimal text, as Sysmon does
        }
    }

    private String subject(String text, EventView v, int i) {
        return hkcu[i] && v != null ? v.hkcuLower() : text;
    }

    private boolean testText(String text, EventView v) {
        switch (cond) {
            case IS:
            case IS_ANY:
                for (int i = 0; i < values.length; i++) {
                    if (subject(text, v, i).equals(values[i])) {
                        return true;
                    }
                }
                return false;
            case IS_NOT:
                return !subject(text, v, 0).equals(values[0]);
            case CONTAINS:
            case CONTAINS_ANY:
                for (int i = 0; i < values.length; i++) {
                    if (subject(text, v, i).contains(values[i])) {
                        return true;
                    }
                }
                return false;
            case CONTAINS_ALL:
                for (int i = 0; i < values.length; i++) {
                    if (!subject(text, v, i).contains(values[i])) {
                        return false;
                    }
                }
                return true;
            case EXCLUDES:
                return !subject(text, v, 0).contains(values[0]);
            case EXCLUDES_ANY:
                for (int i = 0; i < values.length; i++) {
                    if (!subject(text, v, i).contains(values[i])) {
                        return true;
                    }
                }
                return false;
            case EXCLUDES_ALL:
                for (int i = 0; i < values.length; i++) {
                    if (subject(text, v, i).contains(values[i])) {
                        return false;
                    }
                }
                return true;
            case BEGIN_WITH:
                return subject(text, v, 0).startsWith(values[0]);
            case NOT_BEGIN_WITH:
                return !subject(text, v, 0).startsWith(values[0]);
            case END_WITH:
                return subject(text, v, 0).endsWith(values[0]);
            case NOT_END_WITH:
                return !subject(text, v, 0).endsWith(values[0]);
            case LESS_THAN:
                return compare(subject(text, v, 0), 0) < 0;
            case MORE_THAN:
                return compare(subject(text, v, 0), 0) > 0;
            case IMAGE:
                for (int i = 0; i < values.length; i++) {
                    String img = fullPath[i] ? v.imageLower() : v.imageNameLower();
                    if (img.equals(values[i])) {
                        return true;
                    }
                }
                return false;
            default:
                throw new IllegalStateException("unhandled condition " + cond);
        }
    }

    /**
     * Sysmon's documented comparison for {@code less than}/{@code more than}: "Lexicographical
     * comparison is less than zero" / "more than zero" (Sysmon's "Event filtering entries"
     * table). Case-folded text against text, for numbers too: a ProcessId of 900 is more than
     * "1000", as Sysmon decides it. {@code policy validate} notes numeric values.
     */
    private int compare(String text, int i) {
        return text.compareTo(values[i]);
    }
}
