package dev.hiveguard.policy;

import dev.hiveguard.model.Subscription;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a rule's conditions on the caller's {@code Image} into the driver's IMAGE entries
 * (SUFFIX / CONTAINS on the image path the kernel knows).
 *
 * <p>Sysmon prints the Win32 path ({@code C:\Windows\regedit.exe}); the driver sees the kernel
 * path ({@code \Device\HarddiskVolume3\Windows\regedit.exe}, a share as
 * {@code \Device\Mup\server\share\...}). The two agree only after the drive: which volume a
 * drive letter names is known on the machine, not in the policy. So the sound kernel text of a
 * value is the part after its drive ({@code C:}, a {@code \??\} or the second backslash of a
 * UNC name dropped): a whole path ({@code is}, {@code image} with a backslash) and an
 * {@code end with} become a SUFFIX of it, a {@code contains} a CONTAINS, a {@code begin with}
 * a CONTAINS of its part after the drive - never a prefix.
 *
 * <p>Includes deliver at least what the condition accepts. An exclusion must hide no more
 * than the rule does, and a suffix after the drive also matches the same relative path on
 * another volume or under another folder ({@code C:\Users\x\Windows\regedit.exe}), a path a
 * writer chooses: only file-name exclusions ({@link #exclude}) reach the kernel, whole-path
 * ones ({@code is}) stay in user mode. Non-ASCII text is never trusted (Java's case mapping and the driver's table may
 * differ).
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
     * EXCLUDE entries for one condition of an exclusion rule whose only test is its Image group
     * (conditions ORed: each alone excludes): only values whose kernel match implies Sysmon's.
     * That holds for a text within the image's last segment - the file name, the same in both
     * forms: {@code image} with a bare name (SUFFIX {@code \name}) and {@code end with} a text
     * with no colon and no backslash but a leading one ({@code \name.exe}, {@code name.exe}).
     * Anything longer may match across folders or into the device part of the kernel path, so
     * it stays in user mode.
     */
    static List<PatternCover.Entry> exclude(Condition cond, List<String> values, int ops) {
        List<PatternCover.Entry> out = new ArrayList<>();
        for (String v : values) {
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
