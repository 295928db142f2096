package dev.hiveguard.audit;

import java.util.Locale;

/**
 * The ECS {@code registry.hive/key/value/path} quadruple of one operation, in the
 * form Sysmon and admins use ({@code HKLM\SYSTEM\...}, {@code HKU\<SID>\...}).
 *
 * <p>The driver reports object-manager paths: every hive is mounted under
 * {@code \REGISTRY}, machine hives under {@code \REGISTRY\MACHINE} and each loaded
 * user hive (and its {@code _Classes} companion) under {@code \REGISTRY\USER\<SID>}.
 * Win32 names such as HKCU and HKCR are per-caller views of those and cannot be
 * recovered from the path alone, so the audit trail keeps the two real roots, exactly
 * as Sysmon's TargetObject does. Application hives ({@code \REGISTRY\A\...}) and
 * anything else have no Win32 root: they keep the kernel path and an empty hive, so
 * nothing is invented.
 *
 * @param hive  HKLM, HKU, or empty when the path has no Win32 root
 * @param key   hive-relative key path (the full kernel path when hive is empty)
 * @param value value name, empty for key operations
 * @param path  hive + key + value, backslash-joined
 */
public record RegistryLocation(String hive, String key, String value, String path) {

    private static final String MACHINE_ROOT = "\\REGISTRY\\MACHINE";
    private static final String USER_ROOT = "\\REGISTRY\\USER";

    /** Splits a kernel key path and appends the value name, if any. */
    public static RegistryLocation of(String kernelKeyPath, String valueName) {
        String value = valueName == null ? "" : valueName;
        String hive = "";
        String key = kernelKeyPath == null ? "" : kernelKeyPath;
        String upper = key.toUpperCase(Locale.ROOT);
        if (startsWithRoot(upper, MACHINE_ROOT)) {
            hive = "HKLM";
            key = stripRoot(key, MACHINE_ROOT.length());
        } else if (startsWithRoot(upper, USER_ROOT)) {
            hive = "HKU";
            key = stripRoot(key, USER_ROOT.length());
        }
        StringBuilder path = new StringBuilder(hive);
        append(path, key);
        append(path, value);
        return new RegistryLocation(hive, key, value, path.toString());
    }

    private static boolean startsWithRoot(String upperPath, String root) {
        return upperPath.startsWith(root)
                && (upperPath.length() == root.length() || upperPath.charAt(root.length()) == '\\');
    }

    private static String stripRoot(String path, int rootLength) {
        return path.length() <= rootLength ? "" : path.substring(rootLength + 1);
    }

    private static void append(StringBuilder path, String part) {
        if (part.isEmpty()) {
            return;
        }
        if (path.length() > 0) {
            path.append('\\');
        }
        path.append(part);
    }
}
