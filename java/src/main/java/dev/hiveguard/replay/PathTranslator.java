package dev.hiveguard.replay;

import dev.hiveguard.model.RegistryPaths;
import java.util.regex.Pattern;

/**
 * Turns a key path as Sysmon and ProcMon print it (HKLM\..., HKU\SID\..., HKCR\..., HKCU\...,
 * CurrentControlSet) into the path a registry callback sees ({@code \REGISTRY\MACHINE\...}).
 * The machine and user hives go through {@link RegistryPaths}, the same mapping the policy
 * and the audit trail use in the other direction; what it leaves open is decided here: whose
 * hive a ProcMon HKCU path is, HKCC, and which roots are not registry paths at all.
 */
public final class PathTranslator {

    /**
     * The well-known Null SID (S-1-0-0, "no security principal"). ProcMon prints the caller's
     * own hive as HKCU without saying whose it is; without {@code --hkcu-sid} those operations
     * are placed under this SID, which is never a real user's hive, so no rule written for a
     * specific user matches them by accident while HKU\*-style rules still do.
     */
    public static final String UNKNOWN_USER_SID = "S-1-0-0";

    /** HKEY_CURRENT_CONFIG is a link into the current control set's current hardware profile. */
    private static final String HKCC = "HKCC";
    private static final String HKCC_LONG = "HKEY_CURRENT_CONFIG";
    private static final String HKCC_TARGET = "\\Hardware Profiles\\Current";

    private final String hkcuSid;

    /** A SID string as ConvertSidToStringSid writes it: S-1-, an authority, sub-authorities. */
    private static final Pattern SID = Pattern.compile("S-1-\\d+(-\\d+)*");

    /**
     * @throws IllegalArgumentException when {@code hkcuSid} is not a SID string: it becomes a
     *                                  key name under \REGISTRY\USER, where only SIDs live
     */
    public PathTranslator(String hkcuSid) {
        if (hkcuSid != null && !hkcuSid.isEmpty() && !SID.matcher(hkcuSid).matches()) {
            throw new IllegalArgumentException("'" + hkcuSid + "' is not a SID (expected S-1-5-21-...)");
        }
        this.hkcuSid = hkcuSid == null || hkcuSid.isEmpty() ? UNKNOWN_USER_SID : hkcuSid;
    }

    public static PathTranslator defaults() {
        return new PathTranslator(null);
    }

    public String hkcuSid() {
        return hkcuSid;
    }

    /**
     * @return the kernel path, or null when the root is not one Windows has
     */
    public String toKernel(String toolPath) {
        if (toolPath == null) {
            return null;
        }
        String path = toolPath.strip();
        if (RegistryPaths.hasRoot(path, HKCC_LONG)) {
            path = HKCC + path.substring(HKCC_LONG.length());
        }
        while (path.endsWith("\\") && path.length() > 1) {
            path = path.substring(0, path.length() - 1);
        }
        if (path.isEmpty()) {
            return null;
        }
        if (RegistryPaths.hasRoot(path, RegistryPaths.KERNEL_ROOT)) {
            return path; // already kernel form, e.g. Sysmon's \REGISTRY\A\{guid} application hives
        }
        String canonical = RegistryPaths.canonical(path);
        if (RegistryPaths.isHkcu(canonical)) {
            return RegistryPaths.KERNEL_USER + "\\" + hkcuSid + canonical.substring(RegistryPaths.HKCU.length());
        }
        if (RegistryPaths.hasRoot(canonical, HKCC)) {
            return RegistryPaths.KERNEL_DEFAULT_CONTROL_SET + HKCC_TARGET + canonical.substring(HKCC.length());
        }
        if (RegistryPaths.hasRoot(canonical, RegistryPaths.HKLM) || RegistryPaths.hasRoot(canonical, RegistryPaths.HKU)
                || RegistryPaths.hasRoot(canonical, RegistryPaths.HKCR)) {
            return RegistryPaths.toKernel(canonical);
        }
        return null;
    }
}
