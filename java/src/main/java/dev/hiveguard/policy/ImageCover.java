package dev.hiveguard.policy;

import dev.hiveguard.model.Subscription;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a rule's conditions on the caller's {@code Image} into the driver's IMAGE entries.
 *
 * <p>Since wire minor 2 the driver matches IMAGE entries against the image in the form Sysmon
 * prints it, derived with the volume map the agent sends ({@code \Device\HarddiskVolume3} →
 * {@code C:}): a whole drive-letter path ({@code is}, {@code image} with a backslash) becomes an
 * EXACT entry and a {@code begin with} a PREFIX entry of the value as written. On an image the
 * map cannot name (a volume without a letter, one mounted after CONFIGURE, a share) the driver
 * counts every such anchored INCLUDE as matching and no anchored EXCLUDE - so {@code begin with \},
 * Sysmon's NT-form image, in effect selects exactly those. Anchored exclusions of a whole
 * drive-letter path ({@code is}, {@code begin with}) reach the kernel too: on a mapped image the
 * driver's test is Sysmon's. What follows describes the SUFFIX / CONTAINS entries, which keep
 * the meaning they had (they hold on either form).
 *
 * <p>SUFFIX / CONTAINS entries must hold whether the image is mapped or not (an unmapped one
 * keeps its kernel form, {@code \Device\HarddiskVolume9\...}, a share
 * {@code \Device\Mup\server\share\...}): the two forms agree only after the drive, so their text
 * is the part after the value's drive ({@code C:}, a {@code \??\} or the second backslash of a
 * UNC name dropped): a whole path that is no drive-letter path and an {@code end with} become a
 * SUFFIX of it, a {@code contains} a CONTAINS.
 *
 * <p>Includes deliver at least what the condition accepts. An exclusion must hide no more
 * than the rule does, and a suffix after the drive also matches the same relative path on
 * another volume or under another folder ({@code C:\Users\x\Windows\regedit.exe}), a path a
 * writer chooses: only file-name suffixes and anchored whole drive-letter paths
 * ({@link #exclude}) reach the kernel. Non-ASCII text is never trusted (Java's case mapping and
 * the driver's table may differ).
 */
final class ImageCover {

    private ImageCover() {
    }

    /**
     * IMAGE entries for {@code ops} whose union delivers every event the group (its conditions
     * ORed, as in a Sysmon rule) accepts, or null when some condition has no sound cover.
     */
    static List<PatternCover.Entry> include(CompiledCondition[] group, int ops) {
        List<PatternCover.Entry> out = new ArrayList<>();
        for (CompiledCondition c : group) {
            List<PatternCover.Entry> one = include(c.cond, c.source.values(), ops);
            if (one == null) {
                return null;
            }
            out.addAll(one);
        }
        return out.isEmpty() ? null : out;
    }

    /** The entries for one condition's values, or null when one of them has no cover. */
    static List<PatternCover.Entry> include(Condition cond, List<String> values, int ops) {
        List<PatternCover.Entry> out = new ArrayList<>();
        if (cond == Condition.CONTAINS_ALL) {
            // Every value must occur: the longest one alone is a sound cover.
            PatternCover.Entry best = null;
            for (String v : values) {
                PatternCover.Entry e = one(Condition.CONTAINS, v, ops);
                if (e != null && (best == null || e.text().length() > best.text().length())) {
                    best = e;
                }
            }
            return best == null ? null : List.of(best);
        }
        for (String v : values) {
            PatternCover.Entry e = one(cond, v, ops);
            if (e == null) {
                return null;
            }
            out.add(e);
        }
        return out;
    }

    /** One value under one condition, or null. */
    static PatternCover.Entry one(Condition cond, String value, int ops) {
        if (value == null || !ascii(value)) {
            return null;
        }
        PatternCover.Entry anchored = anchoredInclude(cond, value, ops);
        if (anchored != null) {
            return anchored;
        }
        String text;
        Subscription.Match match;
        switch (cond) {
            case IS:
            case IS_ANY:
                text = afterDrive(value);
                match = Subscription.Match.SUFFIX;
                break;
            case IMAGE:
                // A bare name is compared with the image's file name, which may be the whole
                // image ("System"): the name alone, without a backslash, ends it.
                text = value.indexOf('\\') < 0 ? value : afterDrive(value);
                match = Subscription.Match.SUFFIX;
                break;
            case END_WITH:
                text = afterColon(value);
                match = Subscription.Match.SUFFIX;
                break;
            case CONTAINS:
            case CONTAINS_ANY:
                text = afterColon(value);
                match = Subscription.Match.CONTAINS;
                break;
            case BEGIN_WITH:
                text = afterDrive(value);
                match = Subscription.Match.CONTAINS;
                break;
            default:
                return null;
        }
        if (text.length() < PatternCover.MIN_USEFUL_CHARS) {
            return null; // "\" or "C:\" select every image: not worth a lookup per operation
        }
        if (text.length() > Subscription.PATTERN_MAX_CHARS) {
            // A shorter end of a suffix, or a shorter piece of a substring, only delivers more.
            text = text.substring(text.length() - Subscription.PATTERN_MAX_CHARS);
        }
        return new PatternCover.Entry(text, match, Subscription.Target.IMAGE, ops);
    }

    /**
     * An anchored INCLUDE (wire minor 2) for the conditions Sysmon decides at the start of the
     * image, or null to fall back to a SUFFIX / CONTAINS cover: {@code is} / {@code image} of a
     * whole drive-letter path is EXACT, any {@code begin with} a PREFIX of the value as written
     * (one longer than a pattern may be is cut: a shorter prefix only delivers more).
     */
    private static PatternCover.Entry anchoredInclude(Condition cond, String value, int ops) {
        switch (cond) {
            case IS:
            case IS_ANY:
            case IMAGE:
                return drivePath(value) && value.length() <= Subscription.PATTERN_MAX_CHARS
                        ? new PatternCover.Entry(value, Subscription.Match.EXACT, Subscription.Target.IMAGE, ops)
                        : null;
            case BEGIN_WITH:
                if (value.isEmpty()) {
                    return null;
                }
                String text = value.length() <= Subscription.PATTERN_MAX_CHARS ? value
                        : value.substring(0, Subscription.PATTERN_MAX_CHARS);
                return new PatternCover.Entry(text, Subscription.Match.PREFIX, Subscription.Target.IMAGE, ops);
            default:
                return null;
        }
    }

    /** {@code X:\...}: the form Sysmon prints for an image on a volume with a drive letter. */
    static boolean drivePath(String v) {
        return v.length() >= 3 && ((v.charAt(0) >= 'A' && v.charAt(0) <= 'Z') || (v.charAt(0) >= 'a'
                && v.charAt(0) <= 'z')) && v.charAt(1) == ':' && v.charAt(2) == '\\';
    }

    /**
     * EXCLUDE entries for one condition of an exclusion rule whose only test is its Image group
     * (conditions ORed: each alone excludes): only values whose kernel match implies Sysmon's.
     * That holds for a text within the image's last segment - the file name, the same in both
     * forms: {@code image} with a bare name (SUFFIX {@code \name}) and {@code end with} a text
     * with no colon and no backslash but a leading one ({@code \name.exe}, {@code name.exe}).
     * Anything longer may match across folders or into the device part of the kernel path, so
     * it stays in user mode - unless it is a whole drive-letter path under {@code is} /
     * {@code image} (EXACT) or {@code begin with} (PREFIX): the driver decides those anchored
     * entries only on an image its volume map names, where its test is Sysmon's, and never
     * excludes an unmapped one.
     */
    static List<PatternCover.Entry> exclude(Condition cond, List<String> values, int ops) {
        List<PatternCover.Entry> out = new ArrayList<>();
        for (String v : values) {
            if (v != null && ascii(v) && drivePath(v) && v.length() <= Subscription.PATTERN_MAX_CHARS) {
                Subscription.Match anchored = switch (cond) {
                    case IS, IS_ANY, IMAGE -> Subscription.Match.EXACT;
                    case BEGIN_WITH -> Subscription.Match.PREFIX;
                    default -> null;
                };
                if (anchored != null) {
                    out.add(new PatternCover.Entry(v, anchored, Subscription.Target.IMAGE, ops));
                    continue;
                }
            }
            if (v == null || v.isEmpty() || !ascii(v) || v.indexOf(':') >= 0
                    || v.length() + 1 > Subscription.PATTERN_MAX_CHARS) {
                continue;
            }
            String text = null;
            if (cond == Condition.IMAGE && v.indexOf('\\') < 0) {
                text = "\\" + v;
            } else if (cond == Condition.END_WITH && v.lastIndexOf('\\') <= 0) {
                text = v;
            }
            if (text != null && !text.equals("\\")) {
                out.add(new PatternCover.Entry(text, Subscription.Match.SUFFIX, Subscription.Target.IMAGE, ops));
            }
        }
        return out;
    }

    /**
     * The part of a Win32 image path that the kernel path ends with: without {@code \??\}, a
     * drive ({@code C:}) or the first backslash of a UNC name ({@code \\server} is
     * {@code \Device\Mup\server}). A relative name stays as it is (it ends the path too).
     */
    static String afterDrive(String v) {
        String s = v.startsWith("\\??\\") ? v.substring(4) : v;
        if (s.length() >= 2 && s.charAt(1) == ':' && Character.isLetter(s.charAt(0))) {
            return s.substring(2);
        }
        if (s.startsWith("\\\\")) {
            return s.substring(1);
        }
        return s;
    }

    /**
     * The part of an {@code end with} / {@code contains} text that lies after the drive in any
     * path it occurs in: after its last colon (the drive's; an image path has no other), and
     * with a leading double backslash (a UNC start) made single.
     */
    static String afterColon(String v) {
        int colon = v.lastIndexOf(':');
        String s = colon < 0 ? v : v.substring(colon + 1);
        while (s.startsWith("\\\\")) {
            s = s.substring(1);
        }
        return s;
    }

    private static boolean ascii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }
}
