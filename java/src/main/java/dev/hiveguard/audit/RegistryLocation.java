package dev.hiveguard.audit;

import dev.hiveguard.model.RegistryPaths;

/**
 * The ECS {@code registry.hive/key/value/path} quadruple of one operation, in the
 * form Sysmon and admins use ({@code HKLM\...}, {@code HKU\<SID>\...},
 * {@code HKLM\System\CurrentControlSet\...}), so that an audit line, a Sysmon event
 * and the policy rule that matched it all spell the same key the same way.
 * {@link RegistryPaths} owns the kernel-to-Sysmon mapping; this only splits it into
 * the ECS fields.
 *
 * @param hive  HKLM, HKU, HKCR, or empty when the path has no Win32 root
 * @param key   hive-relative key path (the full kernel path when hive is empty)
 * @param value value name, empty for key operations
 * @param path  hive + key + value, backslash-joined
 */
public record RegistryLocation(String hive, String key, String value, String path) {

    /** Splits a kernel key path and appends the value name, if any. */
    public static RegistryLocation of(String kernelKeyPath, String valueName) {
        String value = valueName == null ? "" : valueName;
        String sysmon = RegistryPaths.toSysmon(kernelKeyPath); // once per audited event, not once per field
        return new RegistryLocation(RegistryPaths.hiveOfSysmon(sysmon), RegistryPaths.keyWithinHiveOfSysmon(sysmon),
                value, RegistryPaths.fullPathOfSysmon(sysmon, value));
    }
}
