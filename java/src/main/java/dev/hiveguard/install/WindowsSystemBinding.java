package dev.hiveguard.install;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.platform.win32.Advapi32Util;
import com.sun.jna.platform.win32.Kernel32;
import com.sun.jna.platform.win32.Kernel32Util;
import com.sun.jna.platform.win32.Win32Exception;
import com.sun.jna.platform.win32.WinNT;
import com.sun.jna.platform.win32.WinReg;
import com.sun.jna.platform.win32.Winsvc;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import dev.hiveguard.win32.Advapi32;
import dev.hiveguard.win32.QueryServiceConfig;
import dev.hiveguard.win32.ServiceConfig2;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@link SystemBinding} on Windows: the service control manager through advapi32
 * (JNA Platform plus {@link Advapi32}), HKLM through {@link Advapi32Util}, files
 * through NIO and the data directory's DACL through
 * ConvertStringSecurityDescriptorToSecurityDescriptorW + SetFileSecurityW. Every
 * handle is closed in the method that opened it. Exercised by the VM suite
 * (test-vm); the plan that drives it is tested on Linux over an in-memory Windows.
 */
public final class WindowsSystemBinding implements SystemBinding {

    private static final int ERROR_ACCESS_DENIED = 5;
    private static final int ERROR_INSUFFICIENT_BUFFER = 122;
    private static final int ERROR_SERVICE_ALREADY_RUNNING = 1056;
    private static final int ERROR_SERVICE_DOES_NOT_EXIST = 1060;
    private static final int ERROR_SERVICE_NOT_ACTIVE = 1062;
    private static final int ERROR_SERVICE_MARKED_FOR_DELETE = 1072;
    private static final int SC_ACTION_RESTART = 1;
    private static final int DACL_SECURITY_INFORMATION = 0x4;
    private static final int PROTECTED_DACL_SECURITY_INFORMATION = 0x80000000;
    private static final long STOP_POLL_MS = 250;

    private static InstallException failed(String call, int error) {
        return new InstallException(InstallException.Kind.SYSTEM, call + " failed with Win32 error " + error
                + " (" + Kernel32Util.formatMessageFromLastErrorCode(error).trim() + ")", error);
    }

    @Override
    public void requireAdministrator() {
        Winsvc.SC_HANDLE scm = Advapi32.INSTANCE.OpenSCManager(null, null, Winsvc.SC_MANAGER_ALL_ACCESS);
        if (scm == null) {
            int error = Native.getLastError();
            if (error == ERROR_ACCESS_DENIED) {
                throw new InstallException(InstallException.Kind.NOT_ELEVATED, "this needs an elevated Administrator "
                        + "(Run as administrator) or SYSTEM: the service control manager denied full access", error);
            }
            throw failed("OpenSCManagerW", error);
        }
        Advapi32.INSTANCE.CloseServiceHandle(scm);
    }

    private <T> T withManager(int access, Function<Winsvc.SC_HANDLE, T> body) {
        Winsvc.SC_HANDLE scm = Advapi32.INSTANCE.OpenSCManager(null, null, access);
        if (scm == null) {
            throw failed("OpenSCManagerW", Native.getLastError());
        }
        try {
            return body.apply(scm);
        } finally {
            Advapi32.INSTANCE.CloseServiceHandle(scm);
        }
    }

    /** Runs body with the service open; returns {@code absent} when there is no such service. */
    private <T> T withService(String name, int access, T absent, Function<Winsvc.SC_HANDLE, T> body) {
        return withManager(Winsvc.SC_MANAGER_CONNECT, scm -> {
            Winsvc.SC_HANDLE service = Advapi32.INSTANCE.OpenService(scm, name, access);
            if (service == null) {
                int error = Native.getLastError();
                if (error == ERROR_SERVICE_DOES_NOT_EXIST) {
                    return absent;
                }
                throw failed("OpenServiceW(" + name + ")", error);
            }
            try {
                return body.apply(service);
            } finally {
                Advapi32.INSTANCE.CloseServiceHandle(service);
            }
        });
    }

    /** CreateServiceW/ChangeServiceConfigW take dependencies as one double-null-terminated string. */
    private static String dependencies(List<String> names) {
        return names.isEmpty() ? "" : String.join("\0", names) + "\0"; // JNA appends the last terminator
    }

    @Override
    public ServiceSpec queryService(String name) {
        return withService(name, Winsvc.SERVICE_QUERY_CONFIG, null, service -> {
            IntByReference needed = new IntByReference();
            Advapi32.INSTANCE.QueryServiceConfig(service, null, 0, needed);
            int error = Native.getLastError();
            if (error != ERROR_INSUFFICIENT_BUFFER) {
                throw failed("QueryServiceConfigW(" + name + ")", error);
            }
            Memory buffer = new Memory(needed.getValue());
            if (!Advapi32.INSTANCE.QueryServiceConfig(service, buffer, (int) buffer.size(), needed)) {
                throw failed("QueryServiceConfigW(" + name + ")", Native.getLastError());
            }
            QueryServiceConfig c = new QueryServiceConfig(buffer);
            String account = QueryServiceConfig.wide(c.lpServiceStartName);
            return new ServiceSpec(name, QueryServiceConfig.wide(c.lpDisplayName), c.dwServiceType, c.dwStartType,
                    c.dwErrorControl, QueryServiceConfig.wide(c.lpBinaryPathName),
                    QueryServiceConfig.wideList(c.lpDependencies),
                    account.isEmpty() || account.equalsIgnoreCase("LocalSystem") ? null : account);
        });
    }

    @Override
    public void createService(ServiceSpec spec) {
        withManager(Winsvc.SC_MANAGER_CONNECT | Winsvc.SC_MANAGER_CREATE_SERVICE, scm -> {
            Winsvc.SC_HANDLE service = Advapi32.INSTANCE.CreateService(scm, spec.name(), spec.displayName(),
                    Winsvc.SERVICE_ALL_ACCESS, spec.serviceType(), spec.startType(), spec.errorControl(),
                    spec.binaryPath(), null, null, spec.dependencies().isEmpty() ? null
                            : dependencies(spec.dependencies()), spec.account(), null);
            if (service == null) {
                throw failed("CreateServiceW(" + spec.name() + ")", Native.getLastError());
            }
            Advapi32.INSTANCE.CloseServiceHandle(service);
            return null;
        });
    }

    @Override
    public void updateService(ServiceSpec spec) {
        Boolean found = withService(spec.name(), Winsvc.SERVICE_CHANGE_CONFIG, Boolean.FALSE, service -> {
            // Kernel drivers take no account; for LocalSystem services "LocalSystem" makes it explicit.
            String account = spec.serviceType() == ServiceSpec.SERVICE_KERNEL_DRIVER ? null
                    : spec.account() == null ? "LocalSystem" : spec.account();
            if (!Advapi32.INSTANCE.ChangeServiceConfig(service, spec.serviceType(), spec.startType(),
                    spec.errorControl(), spec.binaryPath(), null, null, dependencies(spec.dependencies()), account,
                    null, spec.displayName())) {
                throw failed("ChangeServiceConfigW(" + spec.name() + ")", Native.getLastError());
            }
            return Boolean.TRUE;
        });
        if (!found) {
            throw failed("OpenServiceW(" + spec.name() + ")", ERROR_SERVICE_DOES_NOT_EXIST);
        }
    }

    @Override
    public void configureRecovery(String name, RecoverySpec r) {
        // SC_ACTION_RESTART in the failure actions needs SERVICE_START on the handle.
        Boolean found = withService(name, Winsvc.SERVICE_CHANGE_CONFIG | Winsvc.SERVICE_START, Boolean.FALSE,
                service -> {
                    Winsvc.SERVICE_DESCRIPTION description = new Winsvc.SERVICE_DESCRIPTION();
                    description.lpDescription = r.description();
                    change(service, name, Winsvc.SERVICE_CONFIG_DESCRIPTION, description);

                    Winsvc.SERVICE_FAILURE_ACTIONS actions = new Winsvc.SERVICE_FAILURE_ACTIONS();
                    Winsvc.SC_ACTION.ByReference first = new Winsvc.SC_ACTION.ByReference();
                    Winsvc.SC_ACTION[] array = (Winsvc.SC_ACTION[]) first.toArray(r.restartDelaysMillis().size());
                    for (int i = 0; i < array.length; i++) {
                        array[i].type = SC_ACTION_RESTART;
                        array[i].delay = r.restartDelaysMillis().get(i);
                        array[i].write();
                    }
                    actions.dwResetPeriod = r.resetPeriodSeconds();
                    actions.cActions = array.length;
                    actions.lpsaActions = first;
                    change(service, name, Winsvc.SERVICE_CONFIG_FAILURE_ACTIONS, actions);

                    Winsvc.SERVICE_FAILURE_ACTIONS_FLAG flag = new Winsvc.SERVICE_FAILURE_ACTIONS_FLAG();
                    flag.fFailureActionsOnNonCrashFailures = r.actionsOnNonCrashFailures() ? 1 : 0;
                    change(service, name, Winsvc.SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, flag);

                    ServiceConfig2.SERVICE_DELAYED_AUTO_START_INFO delayed =
                            new ServiceConfig2.SERVICE_DELAYED_AUTO_START_INFO();
                    delayed.fDelayedAutostart = r.delayedAutoStart() ? 1 : 0;
                    change(service, name, Winsvc.SERVICE_CONFIG_DELAYED_AUTO_START_INFO, delayed);

                    ServiceConfig2.SERVICE_SID_INFO sid = new ServiceConfig2.SERVICE_SID_INFO();
                    sid.dwServiceSidType = r.unrestrictedServiceSid() ? Advapi32.SERVICE_SID_TYPE_UNRESTRICTED : 0;
                    change(service, name, Winsvc.SERVICE_CONFIG_SERVICE_SID_INFO, sid);

                    ServiceConfig2.SERVICE_PRESHUTDOWN_INFO preshutdown = new ServiceConfig2.SERVICE_PRESHUTDOWN_INFO();
                    preshutdown.dwPreshutdownTimeout = r.preshutdownTimeoutMillis();
                    change(service, name, Winsvc.SERVICE_CONFIG_PRESHUTDOWN_INFO, preshutdown);
                    return Boolean.TRUE;
                });
        if (!found) {
            throw failed("OpenServiceW(" + name + ")", ERROR_SERVICE_DOES_NOT_EXIST);
        }
    }

    private static void change(Winsvc.SC_HANDLE service, String name, int level, Winsvc.ChangeServiceConfig2Info info) {
        if (!Advapi32.INSTANCE.ChangeServiceConfig2(service, level, info)) {
            throw failed("ChangeServiceConfig2W(" + name + ", level " + level + ")", Native.getLastError());
        }
    }

    private static int state(Winsvc.SC_HANDLE service, String name) {
        Winsvc.SERVICE_STATUS status = new Winsvc.SERVICE_STATUS();
        if (!Advapi32.INSTANCE.QueryServiceStatus(service, status)) {
            throw failed("QueryServiceStatus(" + name + ")", Native.getLastError());
        }
        return status.dwCurrentState;
    }

    @Override
    public boolean isServiceActive(String name) {
        return withService(name, Winsvc.SERVICE_QUERY_STATUS, Boolean.FALSE,
                service -> state(service, name) != Winsvc.SERVICE_STOPPED);
    }

    @Override
    public void startService(String name) {
        Boolean found = withService(name, Winsvc.SERVICE_START, Boolean.FALSE, service -> {
            if (!Advapi32.INSTANCE.StartService(service, 0, null)) {
                int error = Native.getLastError();
                if (error != ERROR_SERVICE_ALREADY_RUNNING) {
                    throw failed("StartServiceW(" + name + ")", error);
                }
            }
            return Boolean.TRUE;
        });
        if (!found) {
            throw failed("OpenServiceW(" + name + ")", ERROR_SERVICE_DOES_NOT_EXIST);
        }
    }

    @Override
    public void stopService(String name, long timeoutMillis) {
        withService(name, Winsvc.SERVICE_STOP | Winsvc.SERVICE_QUERY_STATUS, null, service -> {
            Winsvc.SERVICE_STATUS status = new Winsvc.SERVICE_STATUS();
            if (!Advapi32.INSTANCE.ControlService(service, Winsvc.SERVICE_CONTROL_STOP, status)) {
                int error = Native.getLastError();
                if (error == ERROR_SERVICE_NOT_ACTIVE) {
                    return null;
                }
                throw failed("ControlService(" + name + ", STOP)", error);
            }
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            while (state(service, name) != Winsvc.SERVICE_STOPPED) {
                if (System.nanoTime() > deadline) {
                    throw new InstallException(InstallException.Kind.SYSTEM, name + " did not stop within "
                            + timeoutMillis + " ms");
                }
                try {
                    Thread.sleep(STOP_POLL_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InstallException(InstallException.Kind.SYSTEM, "interrupted waiting for " + name);
                }
            }
            return null;
        });
    }

    @Override
    public void deleteService(String name) {
        withService(name, WinNT.DELETE, null, service -> {
            if (!Advapi32.INSTANCE.DeleteService(service)) {
                int error = Native.getLastError();
                if (error != ERROR_SERVICE_MARKED_FOR_DELETE) {
                    throw failed("DeleteService(" + name + ")", error);
                }
            }
            return null;
        });
    }

    @Override
    public boolean registryKeyExists(String key) {
        return Advapi32Util.registryKeyExists(WinReg.HKEY_LOCAL_MACHINE, key);
    }

    @Override
    public void setRegistryValues(String key, Map<String, Object> values) {
        try {
            Advapi32Util.registryCreateKey(WinReg.HKEY_LOCAL_MACHINE, key);
            for (Map.Entry<String, Object> v : values.entrySet()) {
                if (v.getValue() instanceof Integer i) {
                    Advapi32Util.registrySetIntValue(WinReg.HKEY_LOCAL_MACHINE, key, v.getKey(), i);
                } else {
                    Advapi32Util.registrySetStringValue(WinReg.HKEY_LOCAL_MACHINE, key, v.getKey(),
                            v.getValue().toString());
                }
            }
        } catch (Win32Exception e) {
            throw failed("writing HKLM\\" + key, e.getErrorCode());
        }
    }

    @Override
    public Map<String, Object> registryValues(String key) {
        try {
            return new LinkedHashMap<>(Advapi32Util.registryGetValues(WinReg.HKEY_LOCAL_MACHINE, key));
        } catch (Win32Exception e) {
            if (e.getErrorCode() == 2) { // ERROR_FILE_NOT_FOUND: no such key
                return Map.of();
            }
            throw failed("reading HKLM\\" + key, e.getErrorCode());
        }
    }

    @Override
    public void deleteRegistryKey(String key) {
        try {
            Advapi32Util.registryDeleteKey(WinReg.HKEY_LOCAL_MACHINE, key);
        } catch (Win32Exception e) {
            if (e.getErrorCode() != 2) {
                throw failed("deleting HKLM\\" + key, e.getErrorCode());
            }
        }
    }

    @Override
    public boolean exists(String path) {
        return Files.exists(Path.of(path));
    }

    @Override
    public void createProtectedDirectory(String dir, String sddl) {
        try {
            Files.createDirectories(Path.of(dir));
        } catch (IOException e) {
            throw new InstallException(InstallException.Kind.SYSTEM, "cannot create " + dir + ": " + e);
        }
        PointerByReference sd = new PointerByReference();
        if (!Advapi32.INSTANCE.ConvertStringSecurityDescriptorToSecurityDescriptor(sddl, Advapi32.SDDL_REVISION_1, sd,
                null)) {
            throw failed("ConvertStringSecurityDescriptorToSecurityDescriptorW", Native.getLastError());
        }
        try {
            // PROTECTED: the ACEs inherited from %ProgramData% (Users: read) are dropped.
            if (!Advapi32.INSTANCE.SetFileSecurity(dir, DACL_SECURITY_INFORMATION
                    | PROTECTED_DACL_SECURITY_INFORMATION, sd.getValue())) {
                throw failed("SetFileSecurityW(" + dir + ")", Native.getLastError());
            }
        } finally {
            Kernel32.INSTANCE.LocalFree(sd.getValue());
        }
    }

    @Override
    public void copyFile(String from, String to) {
        try {
            Files.copy(Path.of(from), Path.of(to), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new InstallException(InstallException.Kind.SYSTEM, "cannot copy " + from + " to " + to + ": " + e);
        }
    }

    @Override
    public void writeFile(String path, byte[] content) {
        try {
            Files.write(Path.of(path), content);
        } catch (IOException e) {
            throw new InstallException(InstallException.Kind.SYSTEM, "cannot write " + path + ": " + e);
        }
    }

    @Override
    public byte[] readFile(String path) {
        try {
            return Files.readAllBytes(Path.of(path));
        } catch (IOException e) {
            throw new InstallException(InstallException.Kind.SYSTEM, "cannot read " + path + ": " + e);
        }
    }

    @Override
    public void delete(String path) {
        Path root = Path.of(path);
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                    if (failure != null && !(failure instanceof NoSuchFileException)) {
                        throw failure;
                    }
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new InstallException(InstallException.Kind.SYSTEM, "cannot delete " + path + ": " + e);
        }
    }
}
