package dev.hiveguard.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Converts registry paths between the kernel's object-manager form, which the driver
 * reports ({@code \REGISTRY\MACHINE\SOFTWARE\...}), and the form Sysmon writes in
 * TargetObject and admins write in rules ({@code HKLM\SOFTWARE\...}).
 *
 * <p>The mapping reproduces what Sysmon prints, checked against the recorded events in
 * the shared datasets:
 * <ul>
 *   <li>{@code \REGISTRY\MACHINE\SOFTWARE\Classes} becomes {@code HKCR};</li>
 *   <li>{@code \REGISTRY\MACHINE\SYSTEM\ControlSetNNN} (and the {@code CurrentControlSet}
 *       symbolic link, which a pre-create callback can see verbatim in the caller's
 *       relative name) becomes {@code HKLM\System\CurrentControlSet} - Sysmon spells
 *       "System" in mixed case there and only there;</li>
 *   <li>every other machine key becomes {@code HKLM\...} keeping the kernel's spelling;</li>
 *   <li>{@code \REGISTRY\USER\<SID>} and {@code \REGISTRY\USER\<SID>_Classes} become
 *       {@code HKU\<SID>} and {@code HKU\<SID>_Classes} (Sysmon does not fold the
 *       per-user classes hive into HKCR);</li>
 *   <li>anything else (application hives under {@code \REGISTRY\A}, WC silos) keeps its
 *       kernel spelling, as Sysmon does;</li>
 *   <li>{@code Wow6432Node} is an ordinary key name and is kept.</li>
 * </ul>
 * HKCU does not exist in the kernel: it is the caller's view of {@code HKU\<its SID>}.
 * A rule that names HKCU therefore matches every user's hive (see {@link #hkcuView}).
 *
 * <p>All root comparisons are case-insensitive because a pre-create callback sees the
 * caller's own spelling of the name, and registry names are case-insensitive.
 */
public final class RegistryPaths {

    public static final String KERNEL_ROOT = "\\REGISTRY";
    public static final String KERNEL_MACHINE = "\\REGISTRY\\MACHINE";
    public static final String KERNEL_USER = "\\REGISTRY\\USER";
    public static final String KERNEL_CLASSES = "\\REGISTRY\\MACHINE\\SOFTWARE\\Classes";
    public static final String KERNEL_SYSTEM = "\\REGISTRY\\MACHINE\\SYSTEM";
    /** Covers ControlSet001..ControlSet999: a plain prefix cannot name "any number". */
    public static final String KERNEL_CONTROL_SETS = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet";
    public static final String KERNEL_CURRENT_CONTROL_SET = "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet";
    /** The control set a concrete HKLM\System\CurrentControlSet path maps back to (the usual current one). */
    public static final String KERNEL_DEFAULT_CONTROL_SET = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001";
    /** Matches every kernel path: the driver's paths all start with a backslash. */
    public static final String KERNEL_EVERYTHING = "\\";

    public static final String HKLM = "HKLM";
    public static final String HKU = "HKU";
    public static final String HKCR = "HKCR";
    public static final String HKCU = "HKCU";
    public static final String SYSMON_CURRENT_CONTROL_SET = "HKLM\\System\\CurrentControlSet";
    /** What Sysmon prints as the value part of TargetObject for a key's unnamed value. */
    public static final String DEFAULT_VALUE_NAME = "(Default)";

    private static final String CLASSES_SUFFIX = "_Classes";
    private static final String CONTROL_SET = "ControlSet";
    private static final int CONTROL_SET_DIGITS = 3;

    private RegistryPaths() {
    }

    /**
     * The spelling the driver reports for an absolute kernel key path, as
     * {@code hg_keyname_canonical} in driver/core/keyname.c makes it before matching: runs of
     * backslashes collapse into one and trailing backslashes go, case is kept. A path that
     * does not start with a backslash is returned unchanged (the simulator keeps it as given).
     */
    public static String canonicalKernelPath(String path) {
        if (path.isEmpty() || path.charAt(0) != '\\' || (path.indexOf("\\\\") < 0 && !path.endsWith("\\"))) {
            return path;
        }
        StringBuilder b = new StringBuilder(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '\\' && b.length() > 0 && b.charAt(b.length() - 1) == '\\') {
                continue;
            }
            b.append(c);
        }
        while (b.length() > 1 && b.charAt(b.length() - 1) == '\\') {
            b.setLength(b.length() - 1);
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ kernel -> Sysmon

    /** The Sysmon spelling of a kernel key path (see the class comment for the rules). */
    public static String toSysmon(String kernelKeyPath) {
        String p = kernelKeyPath == null ? "" : kernelKeyPath;
        if (hasRoot(p, KERNEL_MACHINE)) {
            String rest = tail(p, KERNEL_MACHINE.length());
            if (hasRoot(rest, "SOFTWARE\\Classes")) {
                return HKCR + rest.substring("SOFTWARE\\Classes".length());
            }
            int ccsEnd = controlSetEnd(rest);
            if (ccsEnd > 0) {
                return SYSMON_CURRENT_CONTROL_SET + rest.substring(ccsEnd);
            }
            return rest.isEmpty() ? HKLM : HKLM + "\\" + rest;
        }
        if (hasRoot(p, KERNEL_USER)) {
            String rest = tail(p, KERNEL_USER.length());
            return rest.isEmpty() ? HKU : HKU + "\\" + rest;
        }
        return p;
    }

    /**
     * Sysmon's TargetObject: the key, plus {@code \<value name>} for value operations
     * ({@code (Default)} for the unnamed value).
     */
    public static String targetObject(String kernelKeyPath, String valueName, boolean valueOperation) {
        String key = toSysmon(kernelKeyPath);
        if (!valueOperation) {
            return key;
        }
        String name = valueName == null || valueName.isEmpty() ? DEFAULT_VALUE_NAME : valueName;
        return key + "\\" + name;
    }

    /**
     * {@link #targetObject} lower-cased, built in one pass without intermediate strings:
     * the policy engine computes this for every event it decides. Falls back to the plain
     * composition for non-ASCII text, where Java's string lower-casing can change length.
     */
    public static String targetObjectLower(String kernelKeyPath, String valueName, boolean valueOperation) {
        String p = kernelKeyPath == null ? "" : kernelKeyPath;
        String v = valueOperation ? (valueName == null || valueName.isEmpty() ? DEFAULT_VALUE_NAME : valueName) : "";
        int code = lowerRoot(p);
        String root = lowerRootName(code);
        int restStart = lowerRootRestStart(code);
        char[] out = new char[root.length() + (p.length() - restStart) + (valueOperation ? 1 + v.length() : 0)];
        int n = 0;
        for (int i = 0; i < root.length(); i++) {
            out[n++] = root.charAt(i);
        }
        for (int i = restStart; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c >= 0x80) {
                return targetObject(kernelKeyPath, valueName, valueOperation).toLowerCase(Locale.ROOT);
            }
            out[n++] = c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
        }
        if (valueOperation) {
            out[n++] = '\\';
            for (int i = 0; i < v.length(); i++) {
                char c = v.charAt(i);
                if (c >= 0x80) {
                    return targetObject(kernelKeyPath, valueName, valueOperation).toLowerCase(Locale.ROOT);
                }
                out[n++] = c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
            }
        }
        return new String(out, 0, n);
    }

    private static final String[] LOWER_ROOTS = {"", "hklm", "hku", "hkcr", "hklm\\system\\currentcontrolset"};
    private static final int ROOT_SHIFT = 24;

    /**
     * How the Sysmon form of a kernel path starts, for callers that walk it without building
     * it: a code holding the lower-case Sysmon root ({@link #lowerRootName}) and the index in
     * the kernel path where the part copied verbatim begins ({@link #lowerRootRestStart}).
     */
    public static int lowerRoot(String p) {
        if (hasRoot(p, KERNEL_MACHINE)) {
            int rel = KERNEL_MACHINE.length() + 1;
            if (rel < p.length() && p.regionMatches(true, rel, "SOFTWARE\\Classes", 0, 16)
                    && (p.length() == rel + 16 || p.charAt(rel + 16) == '\\')) {
                return (3 << ROOT_SHIFT) | (rel + 16);
            }
            int ccsEnd = rel < p.length() ? controlSetEndAt(p, rel) : 0;
            if (ccsEnd > 0) {
                return (4 << ROOT_SHIFT) | ccsEnd;
            }
            return (1 << ROOT_SHIFT) | KERNEL_MACHINE.length();
        }
        if (hasRoot(p, KERNEL_USER)) {
            return (2 << ROOT_SHIFT) | KERNEL_USER.length();
        }
        return 0;
    }

    public static String lowerRootName(int code) {
        return LOWER_ROOTS[code >>> ROOT_SHIFT];
    }

    public static int lowerRootRestStart(int code) {
        return code & ((1 << ROOT_SHIFT) - 1);
    }

    /**
     * ECS registry.hive: HKLM, HKU or HKCR, or empty for a path with no Win32 root
     * (application hives), so nothing is invented.
     */
    public static String hive(String kernelKeyPath) {
        return hiveOfSysmon(toSysmon(kernelKeyPath));
    }

    /** {@link #hive} of a path already in Sysmon form (one conversion serves every ECS field). */
    public static String hiveOfSysmon(String s) {
        int slash = s.indexOf('\\');
        String first = slash < 0 ? s : s.substring(0, slash);
        return first.equals(HKLM) || first.equals(HKU) || first.equals(HKCR) ? first : "";
    }

    /**
     * ECS registry.key: the key path below the hive root (the whole kernel path when
     * {@link #hive} is empty).
     */
    public static String keyWithinHive(String kernelKeyPath) {
        return keyWithinHiveOfSysmon(toSysmon(kernelKeyPath));
    }

    /** {@link #keyWithinHive} of a path already in Sysmon form. */
    public static String keyWithinHiveOfSysmon(String s) {
        String hive = hiveOfSysmon(s);
        if (hive.isEmpty()) {
            return s;
        }
        return s.length() <= hive.length() ? "" : s.substring(hive.length() + 1);
    }

    /** ECS registry.path: hive, key and value name (if any) joined with backslashes. */
    public static String fullPath(String kernelKeyPath, String valueName) {
        return fullPathOfSysmon(toSysmon(kernelKeyPath), valueName);
    }

    /** {@link #fullPath} of a key already in Sysmon form. */
    public static String fullPathOfSysmon(String key, String valueName) {
        return valueName == null || valueName.isEmpty() ? key : key + "\\" + valueName;
    }

    // ------------------------------------------------------------------ Sysmon -> kernel

    /**
     * The kernel path of one concrete Sysmon-form key path; used to rebuild driver-style
     * events from recorded Sysmon events. HKLM\System\CurrentControlSet maps to
     * ControlSet001.
     *
     * @throws IllegalArgumentException for HKCU, which names no single kernel key
     */
    public static String toKernel(String sysmonKeyPath) {
        String s = canonical(sysmonKeyPath);
        if (hasRoot(s, HKCU)) {
            throw new IllegalArgumentException("HKCU names no single kernel key (it is each user's HKU\\<SID>): " + s);
        }
        if (hasRoot(s, SYSMON_CURRENT_CONTROL_SET)) {
            return KERNEL_DEFAULT_CONTROL_SET + s.substring(SYSMON_CURRENT_CONTROL_SET.length());
        }
        if (hasRoot(s, HKCR)) {
            return KERNEL_CLASSES + s.substring(HKCR.length());
        }
        if (hasRoot(s, HKLM)) {
            return KERNEL_MACHINE + s.substring(HKLM.length());
        }
        if (hasRoot(s, HKU)) {
            return KERNEL_USER + s.substring(HKU.length());
        }
        return s;
    }

    /**
     * Rewrites the ways admins spell a registry path into the one form Sysmon prints, so a
     * rule written as {@code HKEY_LOCAL_MACHINE\SOFTWARE\Classes\...},
     * {@code \REGISTRY\MACHINE\SYSTEM\ControlSet001\...} or {@code HKLM\SOFTWARE\Classes}
     * can match. Text that starts with no known root is returned unchanged; HKCU stays HKCU.
     */
    public static String canonical(String path) {
        if (path == null) {
            return "";
        }
        String p = path;
        p = replaceRoot(p, "HKEY_LOCAL_MACHINE", HKLM);
        p = replaceRoot(p, "HKEY_USERS", HKU);
        p = replaceRoot(p, "HKEY_CURRENT_USER", HKCU);
        p = replaceRoot(p, "HKEY_CLASSES_ROOT", HKCR);
        if (hasRoot(p, KERNEL_MACHINE) || hasRoot(p, KERNEL_USER)) {
            return toSysmon(p);
        }
        if (hasRoot(p, HKLM)) {
            // Reuse the kernel mapping so HKLM\SOFTWARE\Classes and ControlSet00N fold the same way.
            return toSysmon(KERNEL_MACHINE + p.substring(HKLM.length()));
        }
        if (hasRoot(p, HKU)) {
            return HKU + p.substring(HKU.length());
        }
        if (hasRoot(p, HKCR)) {
            return HKCR + p.substring(HKCR.length());
        }
        if (hasRoot(p, HKCU)) {
            return HKCU + p.substring(HKCU.length());
        }
        return p;
    }

    /** True when the path (any case) names HKCU, so it must be matched against {@link #hkcuView}. */
    public static boolean isHkcu(String path) {
        return startsWithIgnoreCase(path, HKCU) && (path.length() == HKCU.length() || path.charAt(HKCU.length()) == '\\');
    }

    /**
     * The event's TargetObject as its own user would write it: {@code HKU\<SID>\X} becomes
     * {@code HKCU\X} and {@code HKU\<SID>_Classes\X} becomes {@code HKCU\Software\Classes\X}
     * (where Windows mounts the per-user classes hive). Paths outside HKU are returned as
     * they are, so an HKCU rule can never match them.
     */
    public static String hkcuView(String sysmonPath) {
        if (!hasRoot(sysmonPath, HKU) || sysmonPath.length() <= HKU.length() + 1) {
            return sysmonPath;
        }
        int segStart = HKU.length() + 1;
        int segEnd = sysmonPath.indexOf('\\', segStart);
        String seg = segEnd < 0 ? sysmonPath.substring(segStart) : sysmonPath.substring(segStart, segEnd);
        String rest = segEnd < 0 ? "" : sysmonPath.substring(segEnd);
        if (endsWithIgnoreCase(seg, CLASSES_SUFFIX)) {
            return HKCU + "\\Software\\Classes" + rest;
        }
        return HKCU + rest;
    }

    /**
     * Kernel-form prefixes that together cover every kernel key path whose Sysmon form
     * starts (case-insensitively) with {@code sysmonPrefix}. Where Sysmon folds many kernel
     * keys into one name the prefix widens to cover all of them: HKCU to every user hive,
     * CurrentControlSet to every ControlSetNNN. A prefix shorter than a root name covers
     * everything. The result may deliver more than the rule needs, never less.
     */
    public static List<String> kernelPrefixes(String sysmonPrefix) {
        return kernelPrefixes(sysmonPrefix, true);
    }

    /**
     * As {@link #kernelPrefixes(String)}. With {@code preciseControlSets}, a path below
     * CurrentControlSet becomes that path below each of ControlSet001..ControlSet009 - the
     * sets Windows actually creates - plus prefixes that cover ControlSet010..ControlSet999
     * whole (they never exist in practice, so covering them whole costs nothing); without it,
     * one {@code \REGISTRY\MACHINE\SYSTEM\ControlSet} prefix covers them all, which is
     * fewer entries but delivers every operation in every control set.
     */
    public static List<String> kernelPrefixes(String sysmonPrefix, boolean preciseControlSets) {
        String s = canonical(sysmonPrefix);
        String ls = s.toLowerCase(Locale.ROOT);
        List<String> out = new ArrayList<>(2);
        if (ls.startsWith("\\")) {
            // Kernel paths Sysmon leaves alone (\REGISTRY\A\...) are spelled the same in both forms;
            // MACHINE/USER paths never render with a leading backslash, so this may only over-deliver.
            out.add(s);
            return out;
        }
        if (isHkcu(s)) {
            out.add(KERNEL_USER + "\\");
            return out;
        }
        for (String root : new String[] {"hklm", "hku", "hkcr", "hkcu"}) {
            if (root.startsWith(ls) && !root.equals(ls)) {
                out.add(KERNEL_EVERYTHING);
                return out;
            }
        }
        if (ls.startsWith("hklm")) {
            String rest = s.substring(HKLM.length());
            String ccs = SYSMON_CURRENT_CONTROL_SET.toLowerCase(Locale.ROOT);
            if (ls.startsWith(ccs)) {
                String below = s.substring(SYSMON_CURRENT_CONTROL_SET.length());
                out.add(KERNEL_CURRENT_CONTROL_SET + below);
                addControlSets(out, below, preciseControlSets);
                return out;
            }
            if (rest.isEmpty() || rest.startsWith("\\")) {
                out.add(KERNEL_MACHINE + rest);
            }
            if (ccs.startsWith(ls)) {
                // Cut inside HKLM\System\CurrentControlSet: reach every control set and the link.
                out.add(KERNEL_CONTROL_SETS);
                out.add(KERNEL_CURRENT_CONTROL_SET);
            }
        } else if (ls.startsWith("hkcr")) {
            out.add(KERNEL_CLASSES + s.substring(HKCR.length()));
        } else if (ls.startsWith("hku")) {
            out.add(KERNEL_USER + s.substring(HKU.length()));
        }
        // Anything else starts with no root: no Sysmon-form path can begin with it.
        return out;
    }

    private static void addControlSets(List<String> out, String below, boolean precise) {
        if (!precise || below.isEmpty()) {
            out.add(KERNEL_CONTROL_SETS);
            return;
        }
        for (int d = 1; d <= 9; d++) {
            out.add(KERNEL_CONTROL_SETS + "00" + d + below);
        }
        for (int d = 1; d <= 9; d++) {
            out.add(KERNEL_CONTROL_SETS + "0" + d);
            out.add(KERNEL_CONTROL_SETS + d);
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Case-insensitive "path is root or starts with root + backslash". */
    public static boolean hasRoot(String path, String root) {
        return startsWithIgnoreCase(path, root)
                && (path.length() == root.length() || path.charAt(root.length()) == '\\');
    }

    public static boolean startsWithIgnoreCase(String s, String prefix) {
        return s.regionMatches(true, 0, prefix, 0, prefix.length());
    }

    private static boolean endsWithIgnoreCase(String s, String suffix) {
        return s.length() >= suffix.length() && s.regionMatches(true, s.length() - suffix.length(), suffix, 0, suffix.length());
    }

    private static String tail(String path, int rootLength) {
        return path.length() <= rootLength + 1 ? "" : path.substring(rootLength + 1);
    }

    private static String replaceRoot(String path, String longRoot, String shortRoot) {
        return hasRoot(path, longRoot) ? shortRoot + path.substring(longRoot.length()) : path;
    }

    /**
     * Length of a leading {@code SYSTEM\ControlSetNNN} or {@code SYSTEM\CurrentControlSet}
     * segment pair in a machine-relative path, or 0.
     */
    private static int controlSetEnd(String machineRelative) {
        return controlSetEndAt(machineRelative, 0);
    }

    /** As {@link #controlSetEnd} for the machine-relative part starting at {@code from}; an index into {@code p}. */
    private static int controlSetEndAt(String p, int from) {
        if (!p.regionMatches(true, from, "SYSTEM\\", 0, 7)) {
            return 0;
        }
        int segStart = from + 7;
        int segEnd = p.indexOf('\\', segStart);
        if (segEnd < 0) {
            segEnd = p.length();
        }
        int len = segEnd - segStart;
        String ccs = "CurrentControlSet";
        if (len == ccs.length() && p.regionMatches(true, segStart, ccs, 0, len)) {
            return segEnd;
        }
        if (len == CONTROL_SET.length() + CONTROL_SET_DIGITS && p.regionMatches(true, segStart, CONTROL_SET, 0, CONTROL_SET.length())) {
            for (int i = segStart + CONTROL_SET.length(); i < segEnd; i++) {
                char c = p.charAt(i);
                if (c < '0' || c > '9') {
                    return 0;
                }
            }
            return segEnd;
        }
        return 0;
    }
}
