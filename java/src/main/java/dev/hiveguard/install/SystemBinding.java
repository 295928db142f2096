package dev.hiveguard.install;

import java.util.Map;

/**
 * Every change {@link Installer} makes to the system, one call each, so that the
 * order and the idempotency can be checked without Windows. Every method throws
 * {@link InstallException} (kind SYSTEM, with the Win32 error) when the system
 * refuses.
 */
public interface SystemBinding {

    /** Throws NOT_ELEVATED unless the process may create services (an elevated Administrator or SYSTEM). */
    void requireAdministrator();

    // ---- services ----------------------------------------------------------

    /** The service's configuration, or null when there is no such service. */
    ServiceSpec queryService(String name);

    void createService(ServiceSpec spec);

    /** ChangeServiceConfigW with every field of {@code spec}. */
    void updateService(ServiceSpec spec);

    /** Description, failure actions and flag, delayed auto-start, service SID type, preshutdown timeout. */
    void configureRecovery(String name, RecoverySpec recovery);

    /** True when the service is running (or start/stop pending); false when stopped or absent. */
    boolean isServiceActive(String name);

    void startService(String name);

    /** Asks it to stop and waits up to {@code timeoutMillis}; a stopped or absent service is fine. */
    void stopService(String name, long timeoutMillis);

    /** Marks it for deletion (gone once stopped and its handles are closed). */
    void deleteService(String name);

    // ---- registry (HKEY_LOCAL_MACHINE) ------------------------------------

    boolean registryKeyExists(String key);

    /** Creates the key if needed and sets each value: String = REG_SZ, Integer = REG_DWORD. */
    void setRegistryValues(String key, Map<String, Object> values);

    /** The key's values as setRegistryValues would write them; empty when absent. */
    Map<String, Object> registryValues(String key);

    /** Deletes the key (it has no subkeys); absent is fine. */
    void deleteRegistryKey(String key);

    // ---- files (Windows path strings: the layout is Windows', wherever the plan runs) ----

    boolean exists(String path);

    /** Creates the directory if needed and sets its DACL from SDDL, protected from inheritance. */
    void createProtectedDirectory(String dir, String sddl);

    /** Copies (replacing) a file. */
    void copyFile(String from, String to);

    void writeFile(String path, byte[] content);

    byte[] readFile(String path);

    /** Deletes a file or a whole directory tree; absent is fine. */
    void delete(String path);
}
