package dev.hiveguard.win32;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.Winsvc;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import com.sun.jna.win32.W32APIOptions;

/**
 * advapi32.dll: JNA Platform's {@link com.sun.jna.platform.win32.Advapi32} plus what it
 * lacks for a service that installs itself: {@code ChangeServiceConfigW} (so a second
 * install updates instead of failing), the SDDL parser, and the
 * {@code ChangeServiceConfig2W} information structures for delayed auto-start, the
 * service SID type and the preshutdown timeout.
 *
 * <p>Layouts follow winsvc.h; {@code Win32LayoutTest} checks their Win64 sizes and
 * offsets.
 */
public interface Advapi32 extends com.sun.jna.platform.win32.Advapi32 {

    Advapi32 INSTANCE = Native.load("Advapi32", Advapi32.class, W32APIOptions.DEFAULT_OPTIONS);

    /** winsvc.h: leave this configuration value as it is. */
    int SERVICE_NO_CHANGE = 0xffffffff;
    /** winnt.h service SID types (SERVICE_SID_INFO.dwServiceSidType). */
    int SERVICE_SID_TYPE_UNRESTRICTED = 1;
    /** sddl.h: the only revision ConvertStringSecurityDescriptorToSecurityDescriptorW accepts. */
    int SDDL_REVISION_1 = 1;

    /**
     * Changes the configuration parameters of a service. Pass {@link #SERVICE_NO_CHANGE}
     * for the DWORDs and null for the strings to keep. lpDependencies is a
     * double-null-terminated list (JNA adds the final terminator).
     */
    boolean ChangeServiceConfig(Winsvc.SC_HANDLE hService, int dwServiceType, int dwStartType, int dwErrorControl,
                                String lpBinaryPathName, String lpLoadOrderGroup, IntByReference lpdwTagId,
                                String lpDependencies, String lpServiceStartName, String lpPassword,
                                String lpDisplayName);

    /**
     * Retrieves the configuration parameters of a service into lpServiceConfig, a
     * buffer that starts with a {@link QueryServiceConfig} (ERROR_INSUFFICIENT_BUFFER
     * and pcbBytesNeeded when it is too small).
     */
    boolean QueryServiceConfig(Winsvc.SC_HANDLE hService, Pointer lpServiceConfig, int cbBufSize,
                               IntByReference pcbBytesNeeded);

    /**
     * Converts an SDDL string to a self-relative security descriptor, allocated with
     * LocalAlloc (free it with LocalFree).
     */
    boolean ConvertStringSecurityDescriptorToSecurityDescriptor(String StringSecurityDescriptor,
                                                               int StringSDRevision,
                                                               PointerByReference SecurityDescriptor,
                                                               IntByReference SecurityDescriptorSize);
}
