package dev.hiveguard.policy;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.RegistryUpcase;
import dev.hiveguard.model.RegistryValueType;
import dev.hiveguard.model.ValueRendering;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.wire.Wire;
import java.util.ArrayList;
import java.util.List;

/**
 * What the driver does with one operation under a subscription, in Java, following
 * {@code driver/core/subscription.c} and {@code pattern.c} in meaning (not in algorithm:
 * this twin tests every entry one by one, the driver runs a trie and an automaton):
 * delivered iff its class is in the operation mask, the caller is not an excluded pid nor
 * (without the flag) kernel mode, no EXCLUDE entry for the class matches, and some
 * INCLUDE entry for the class does (or there is no INCLUDE at all). An entry matches as
 * its kind says: a prefix, suffix or substring of the key path, or for SET_VALUE and
 * DELETE_VALUE of the full name (key path, backslash, value name), or (any kind, wire minor 2:
 * EXACT too) of the caller's image in the form the driver derives with the volume map (an
 * unknown image matches every IMAGE INCLUDE and no EXCLUDE; an unmapped one every anchored -
 * PREFIX/EXACT - IMAGE INCLUDE and no anchored EXCLUDE, see {@link #imageForm}), or (wire
 * minor 2) a suffix or substring of SetValue's data as Sysmon's Details or of RenameKey's new
 * full path (an unknown one likewise matches every INCLUDE and no EXCLUDE). Comparison
 * upcases UTF-16 units with the driver's own table ({@link #upcase}). One difference: the
 * driver translates excluded pids into the processes holding them at CONFIGURE (a pid reused
 * later is not excluded); a recording has only pids, so this twin compares pids.
 *
 * <p>Wire minor 3 AND groups ({@link Subscription.Group}) follow the header's three-valued rule:
 * a member is TRUE, FALSE or UNKNOWN ({@link #member}), a clause ORs its members, a group ANDs its
 * clauses; an INCLUDE group counts as a matching INCLUDE entry (with its own verdict, timeout and
 * fail mode) unless a clause is FALSE, an EXCLUDE group drops the operation only when every
 * clause is TRUE.
 *
 * <p>The policy's property test uses this to prove a compiled subscription never hides an
 * event the policy acts on.
 */
public final class SubscriptionMatcher {

    private SubscriptionMatcher() {
    }

    /**
     * @param delivered    the event reaches the agent
     * @param wantsVerdict the caller waits for the agent's verdict
     * @param timeoutMs    effective timeout when waiting
     * @param failMode     effective fail mode (OPEN or CLOSED) when waiting
     */
    public record Match(boolean delivered, boolean wantsVerdict, int timeoutMs, FailMode failMode) {
        static final Match DROPPED = new Match(false, false, 0, FailMode.OPEN);
    }

    /**
     * As the driver: the longest matching INCLUDE prefix and every matching INCLUDE pattern
     * are the verdict candidates; the operation waits iff one has the verdict flag, for the
     * longest effective timeout among those, closed if any of those is closed.
     *
     * @param valueName the value name of a value operation ("" for none or the default value)
     */
    public static Match match(Subscription s, Operation op, String keyPath, String valueName, long pid,
                              boolean kernelCaller) {
        return match(s, op, keyPath, valueName, "", pid, kernelCaller);
    }

    /**
     * The same with the caller's image path for IMAGE entries, as the driver is handed it (kernel
     * form {@code \Device\HarddiskVolume3\Windows\regedit.exe}; the form is derived with the
     * subscription's volume map exactly as the driver does, so a Win32 {@code C:\...} string is
     * "unmapped" here as it would be there). {@code null} or empty is an image the driver could not
     * learn: every IMAGE INCLUDE for the class counts as matching and no IMAGE EXCLUDE does, as the
     * driver delivers it.
     */
    public static Match match(Subscription s, Operation op, String keyPath, String valueName, String image, long pid,
                              boolean kernelCaller) {
        return match(s, op, keyPath, valueName, image, null, pid, kernelCaller);
    }

    /**
     * The same for a whole event: its image, and the subject DATA / NEW_NAME entries see
     * ({@link #subjectOf}).
     */
    public static Match match(Subscription s, RegistryEvent e, String image, boolean kernelCaller) {
        return match(s, e.operation(), e.keyPath(), e.valueName(), image, subjectOf(e), e.pid(), kernelCaller);
    }

    /**
     * What the driver's DATA / NEW_NAME entries are matched against ({@code driver/core/details.c},
     * {@code raise.c}): for SetValue the data as Sysmon's Details, for RenameKey the renamed key's
     * parent path, a backslash and the new name; null when the driver would not know it (REG_MULTI_SZ,
     * REG_SZ / REG_EXPAND_SZ text longer than {@link Wire#DATA_MATCH_MAX_BYTES} - the other renderings
     * read at most 8 bytes, whatever the length - data this event carries only in part, no new name) -
     * unknown, as the driver treats it.
     */
    public static String subjectOf(RegistryEvent e) {
        if (e.operation() == Operation.SET_VALUE) {
            byte[] data = e.data() == null ? new byte[0] : e.data();
            boolean text = e.valueType() == RegistryValueType.REG_SZ || e.valueType() == RegistryValueType.REG_EXPAND_SZ;
            if (e.valueType() == RegistryValueType.REG_MULTI_SZ || (text && e.dataOriginalSize() > Wire.DATA_MATCH_MAX_BYTES)
                    || data.length < e.dataOriginalSize()) {
                return null;
            }
            return ValueRendering.details(e.valueType(), data);
        }
        if (e.operation() == Operation.RENAME_KEY && !e.newName().isEmpty()) {
            // The callback has the bare new name; an event built from a Sysmon record may carry the
            // full path, whose parent is the renamed key's (a rename changes the last name only).
            String leaf = e.newName().substring(e.newName().lastIndexOf('\\') + 1);
            int cut = e.keyPath().lastIndexOf('\\');
            return cut < 0 || leaf.isEmpty() ? null : e.keyPath().substring(0, cut + 1) + leaf;
        }
        return null;
    }

    /**
     * The same with the operation's subject for DATA / NEW_NAME entries ({@link #subjectOf});
     * {@code null} is unknown: every such INCLUDE for the class counts, no EXCLUDE does.
     */
    public static Match match(Subscription s, Operation op, String keyPath, String valueName, String image,
                              String subject, long pid, boolean kernelCaller) {
        int bit = op.bit();
        boolean imageUnknown = image == null || image.isEmpty();
        ImageForm form = imageUnknown ? null : imageForm(s.volumes(), image);
        if ((s.opMask() & bit) == 0 || s.excludedPids().contains(pid) || (kernelCaller && !s.includeKernelCallers())) {
            return Match.DROPPED;
        }
        String full = (bit & Subscription.FULL_NAME_OPS) != 0
                ? keyPath + "\\" + (valueName == null ? "" : valueName) : null;
        boolean anyInclude = false;
        Subscription.Prefix best = null;
        List<Subscription.Prefix> patternHits = new ArrayList<>();
        for (Subscription.Prefix p : s.prefixes()) {
            if (p.include()) {
                anyInclude = true;
            }
            if ((p.opMask() & bit) == 0 || (p.target().ops() & bit) == 0) {
                continue;
            }
            // An entry the driver cannot decide (UNKNOWN) counts as matching if it includes, never if it excludes.
            Truth t = truthOf(p, keyPath, full, form, imageUnknown, subject);
            boolean hit = t == Truth.UNKNOWN ? p.include() : t == Truth.TRUE;
            if (!hit) {
                continue;
            }
            if (!p.include()) {
                return Match.DROPPED;
            }
            if (p.inAutomaton()) {
                patternHits.add(p);
            } else if (best == null || p.prefix().length() > best.prefix().length()) {
                best = p;
            }
        }
        // Wire minor 3: AND groups, after the standalone entries (an EXCLUDE among those already won).
        List<Subscription.Group> groupHits = new ArrayList<>();
        for (Subscription.Group g : s.groups()) {
            if (g.include()) {
                anyInclude = true; // INCLUDE groups count for "no INCLUDE at all"; members do not
            }
            if ((g.opMask() & bit) == 0) {
                continue;
            }
            Truth t = group(g, keyPath, full, form, imageUnknown, subject);
            if (g.include() ? t != Truth.FALSE : t == Truth.TRUE) {
                if (!g.include()) {
                    return Match.DROPPED; // exclude wins
                }
                groupHits.add(g);
            }
        }
        if (anyInclude && best == null && patternHits.isEmpty() && groupHits.isEmpty()) {
            return Match.DROPPED;
        }
        if ((s.verdictOpMask() & bit) == 0) {
            return new Match(true, false, s.timeoutMs(), s.failMode());
        }
        if (!anyInclude) {
            return new Match(true, true, s.timeoutMs(), s.failMode());
        }
        boolean verdict = false;
        boolean closed = false;
        int timeout = 0;
        if (best != null) {
            patternHits.add(0, best);
        }
        List<Candidate> candidates = new ArrayList<>();
        for (Subscription.Prefix p : patternHits) {
            candidates.add(new Candidate(p.verdict(), p.timeoutMs(), p.failMode()));
        }
        for (Subscription.Group g : groupHits) {
            candidates.add(new Candidate(g.verdict(), g.timeoutMs(), g.failMode()));
        }
        for (Candidate c : candidates) {
            if (!c.verdict()) {
                continue;
            }
            int t = c.timeoutMs();
            FailMode f = c.failMode();
            verdict = true;
            timeout = Math.max(timeout, t != 0 ? t : s.timeoutMs());
            closed |= (f != FailMode.INHERIT ? f : s.failMode()) == FailMode.CLOSED;
        }
        if (!verdict) {
            return new Match(true, false, s.timeoutMs(), s.failMode());
        }
        return new Match(true, true, timeout, closed ? FailMode.CLOSED : FailMode.OPEN);
    }

    /** What a matching INCLUDE entry or group brings to the verdict decision. */
    private record Candidate(boolean verdict, int timeoutMs, FailMode failMode) {
    }

    /** A member's, a clause's or a group's outcome for one operation (hiveguard_wire.h "AND groups"). */
    public enum Truth {
        TRUE, FALSE, UNKNOWN
    }

    /** Every clause TRUE: TRUE; some clause FALSE: FALSE; else UNKNOWN. */
    static Truth group(Subscription.Group g, String keyPath, String fullName, ImageForm form, boolean imageUnknown,
                       String subject) {
        Truth out = Truth.TRUE;
        for (List<Subscription.Member> clause : g.clauses()) {
            Truth c = clause(clause, g.opMask(), keyPath, fullName, form, imageUnknown, subject);
            if (c == Truth.FALSE) {
                return Truth.FALSE;
            }
            if (c == Truth.UNKNOWN) {
                out = Truth.UNKNOWN;
            }
        }
        return out;
    }

    /** A member TRUE: TRUE; else a member UNKNOWN: UNKNOWN; else FALSE. */
    private static Truth clause(List<Subscription.Member> clause, int opMask, String keyPath, String fullName,
                                ImageForm form, boolean imageUnknown, String subject) {
        Truth out = Truth.FALSE;
        for (Subscription.Member m : clause) {
            Truth t = member(m, opMask, keyPath, fullName, form, imageUnknown, subject);
            if (t == Truth.TRUE) {
                return Truth.TRUE;
            }
            if (t == Truth.UNKNOWN) {
                out = Truth.UNKNOWN;
            }
        }
        return out;
    }

    /**
     * One member: on the key path and the full name TRUE or FALSE as a standalone entry would match;
     * an IMAGE member UNKNOWN when the image is unknown, an anchored one also when it is unmapped; a
     * DATA / NEW_NAME member UNKNOWN when the subject is unknown.
     */
    static Truth member(Subscription.Member m, int opMask, String keyPath, String fullName, ImageForm form,
                        boolean imageUnknown, String subject) {
        return truthOf(m.asEntry(opMask), keyPath, fullName, form, imageUnknown, subject);
    }

    /**
     * What one entry (standalone, or a group member as an entry) says of an operation of a class its
     * target has: TRUE / FALSE as its string matches, UNKNOWN where the driver cannot decide - an
     * IMAGE entry on an unknown image, an anchored one also on an unmapped image, a DATA / NEW_NAME
     * entry on an unknown subject.
     */
    private static Truth truthOf(Subscription.Prefix entry, String keyPath, String fullName, ImageForm form,
                                 boolean imageUnknown, String subject) {
        String target;
        switch (entry.target()) {
            case IMAGE:
                if (imageUnknown || (entry.anchoredImage() && !form.mapped())) {
                    return Truth.UNKNOWN;
                }
                target = form.text();
                break;
            case DATA:
            case NEW_NAME:
                if (subject == null) {
                    return Truth.UNKNOWN;
                }
                target = subject;
                break;
            case FULL_NAME:
                target = fullName;
                break;
            default:
                target = keyPath;
                break;
        }
        return target != null && matches(target, entry) ? Truth.TRUE : Truth.FALSE;
    }

    /**
     * The image in the form the driver matches IMAGE entries against, and whether it is "mapped".
     *
     * @param text   {@code C:\Windows\regedit.exe} when mapped, else the path as given
     * @param mapped the path began with a device of the map followed by a backslash, or with
     *               {@code \??\X:\}, or is no NT path at all: anchored entries are decided on it
     */
    public record ImageForm(String text, boolean mapped) {
    }

    /**
     * As {@code subscription.c}'s image_form_of: the first device of the map the path is on; a
     * name that does not begin with a backslash is no NT path ("System", a recorded Win32 path)
     * and is taken as the Sysmon form it already is.
     */
    public static ImageForm imageForm(List<Subscription.Volume> volumes, String image) {
        if (image.charAt(0) != '\\') {
            return new ImageForm(image, true);
        }
        if (image.length() >= 7 && image.startsWith("\\??\\") && isAsciiLetter(image.charAt(4))
                && image.charAt(5) == ':' && image.charAt(6) == '\\') {
            return new ImageForm(image.substring(4), true);
        }
        for (Subscription.Volume v : volumes) {
            int n = v.device().length();
            if (image.length() > n && image.charAt(n) == '\\' && startsWithUpcased(image, v.device())) {
                return new ImageForm(v.drive() + ":" + image.substring(n), true);
            }
        }
        return new ImageForm(image, false);
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /** One entry against its target, case-insensitively with the driver's table. */
    static boolean matches(String target, Subscription.Prefix p) {
        switch (p.match()) {
            case PREFIX:
                return startsWithUpcased(target, p.prefix());
            case EXACT:
                return p.prefix().length() == target.length() && startsWithUpcased(target, p.prefix());
            case SUFFIX:
                return p.prefix().length() <= target.length()
                        && regionUpcased(target, target.length() - p.prefix().length(), p.prefix());
            default:
                for (int at = 0; at + p.prefix().length() <= target.length(); at++) {
                    if (regionUpcased(target, at, p.prefix())) {
                        return true;
                    }
                }
                return false;
        }
    }

    private static boolean regionUpcased(String s, int at, String part) {
        for (int i = 0; i < part.length(); i++) {
            if (upcase(s.charAt(at + i)) != upcase(part.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** Case-insensitive prefix test with the driver's upcase table. */
    public static boolean startsWithUpcased(String s, String prefix) {
        if (prefix.length() > s.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (upcase(s.charAt(i)) != upcase(prefix.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** The upcased string, unit by unit, as the driver compares it. */
    public static String upcase(String s) {
        return RegistryUpcase.upcase(s);
    }

    /** {@code hg_upcase16}: see {@link RegistryUpcase}. */
    public static char upcase(char c) {
        return RegistryUpcase.upcase(c);
    }
}
