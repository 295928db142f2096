package dev.hiveguard.install;

import java.util.List;

/**
 * A service's CreateServiceW / ChangeServiceConfigW configuration.
 *
 * @param account null for LocalSystem (the agent must open the driver's device, which
 *                admits SYSTEM and Administrators only)
 */
public record ServiceSpec(String name, String displayName, int serviceType, int startType, int errorControl,
                          String binaryPath, List<String> dependencies, String account) {

    // winnt.h service types, start types and error control
    public static final int SERVICE_KERNEL_DRIVER = 0x1;
    public static final int SERVICE_WIN32_OWN_PROCESS = 0x10;
    public static final int SERVICE_BOOT_START = 0x0;
    public static final int SERVICE_SYSTEM_START = 0x1;
    public static final int SERVICE_AUTO_START = 0x2;
    public static final int SERVICE_DEMAND_START = 0x3;
    public static final int SERVICE_ERROR_NORMAL = 0x1;

    public ServiceSpec {
        dependencies = List.copyOf(dependencies);
    }
}
