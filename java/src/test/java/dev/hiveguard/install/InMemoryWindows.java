package dev.hiveguard.install;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The part of a Windows machine the installer touches, in memory: services with their
 * configuration and run state, HKLM keys, files and directories with their SDDL. Every
 * mutating call is logged as one line ("createService HiveGuard", ...), and a test can
 * make the n-th call with a given prefix fail, or the machine refuse as non-elevated.
 */
final class InMemoryWindows implements SystemBinding {

    final Map<String, ServiceSpec> services = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    final Map<String, RecoverySpec> recovery = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    final Set<String> running = new HashSet<>();
    final Map<String, Map<String, Object>> registry = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    final Map<String, byte[]> files = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    final Map<String, String> directories = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    final List<String> calls = new ArrayList<>();
    boolean elevated = true;
    private String failPrefix;

    /** The next mutating call whose log line starts with {@code prefix} fails with Win32 error 5. */
    void failOn(String prefix) {
        failPrefix = prefix;
    }

    /** A snapshot of everything, for before/after comparisons. */
    String state() {
        StringBuilder b = new StringBuilder();
        services.forEach((k, v) -> b.append("service ").append(k).append(' ').append(v).append('\n'));
        recovery.forEach((k, v) -> b.append("recovery ").append(k).append(' ').append(v).append('\n'));
        b.append("running ").append(new java.util.TreeSet<>(running)).append('\n');
        registry.forEach((k, v) -> b.append("key ").append(k).append(' ').append(v).append('\n'));
        files.forEach((k, v) -> b.append("file ").append(k).append(' ').append(new String(v)).append('\n'));
        directories.forEach((k, v) -> b.append("dir ").append(k).append(' ').append(v).append('\n'));
        return b.toString();
    }

    private void call(String line) {
        calls.add(line);
        if (failPrefix != null && line.startsWith(failPrefix)) {
            failPrefix = null;
            throw new InstallException(InstallException.Kind.SYSTEM, line + " failed with Win32 error 5", 5);
        }
    }

    private static String parentKey(String key) {
        int i = key.lastIndexOf('\\');
        return i < 0 ? "" : key.substring(0, i);
    }

    private static String serviceKey(String name) {
        return "SYSTEM\\CurrentControlSet\\Services\\" + name;
    }

    @Override
    public void requireAdministrator() {
        if (!elevated) {
            throw new InstallException(InstallException.Kind.NOT_ELEVATED, "not elevated");
        }
    }

    @Override
    public ServiceSpec queryService(String name) {
        return services.get(name);
    }

    @Override
    public void createService(ServiceSpec spec) {
        call("createService " + spec.name());
        if (services.containsKey(spec.name())) {
            throw new InstallException(InstallException.Kind.SYSTEM, "service exists", 1073);
        }
        services.put(spec.name(), spec);
        registry.put(serviceKey(spec.name()), new LinkedHashMap<>());
    }

    @Override
    public void updateService(ServiceSpec spec) {
        call("updateService " + spec.name());
        if (!services.containsKey(spec.name())) {
            throw new InstallException(InstallException.Kind.SYSTEM, "no service", 1060);
        }
        services.put(spec.name(), spec);
    }

    @Override
    public void configureRecovery(String name, RecoverySpec spec) {
        call("configureRecovery " + name);
        recovery.put(name, spec);
    }

    @Override
    public boolean isServiceActive(String name) {
        return running.contains(name);
    }

    @Override
    public void startService(String name) {
        call("startService " + name);
        ServiceSpec spec = services.get(name);
        if (spec == null) {
            throw new InstallException(InstallException.Kind.SYSTEM, "no service", 1060);
        }
        for (String dependency : spec.dependencies()) { // the SCM starts dependencies first
            if (!services.containsKey(dependency)) {
                throw new InstallException(InstallException.Kind.SYSTEM, "dependency missing", 1075);
            }
            running.add(dependency);
        }
        running.add(name);
    }

    @Override
    public void stopService(String name, long timeoutMillis) {
        call("stopService " + name);
        for (ServiceSpec s : services.values()) {
            if (s.dependencies().contains(name) && running.contains(s.name())) {
                throw new InstallException(InstallException.Kind.SYSTEM, "dependent service running", 1051);
            }
        }
        running.remove(name);
    }

    @Override
    public void deleteService(String name) {
        call("deleteService " + name);
        services.remove(name);
        recovery.remove(name);
        registry.keySet().removeIf(k -> k.equalsIgnoreCase(serviceKey(name))
                || k.toLowerCase().startsWith(serviceKey(name).toLowerCase() + "\\"));
    }

    @Override
    public boolean registryKeyExists(String key) {
        return registry.containsKey(key);
    }

    @Override
    public void setRegistryValues(String key, Map<String, Object> values) {
        call("setRegistryValues " + key);
        if (key.toLowerCase().startsWith("system\\currentcontrolset\\services\\")
                && !key.toLowerCase().contains("\\eventlog\\") && !registry.containsKey(parentKey(key))) {
            // RegCreateKeyEx would create it, but a Parameters key without its service is a bug here.
            throw new IllegalStateException("parent of " + key + " missing");
        }
        registry.computeIfAbsent(key, k -> new LinkedHashMap<>()).putAll(values);
    }

    @Override
    public Map<String, Object> registryValues(String key) {
        return registry.containsKey(key) ? Map.copyOf(registry.get(key)) : Map.of();
    }

    @Override
    public void deleteRegistryKey(String key) {
        call("deleteRegistryKey " + key);
        registry.remove(key);
    }

    @Override
    public boolean exists(String path) {
        return files.containsKey(path) || directories.containsKey(path);
    }

    @Override
    public void createProtectedDirectory(String dir, String sddl) {
        call("createProtectedDirectory " + dir);
        directories.put(dir, sddl);
    }

    @Override
    public void copyFile(String from, String to) {
        call("copyFile " + to);
        byte[] content = files.get(from);
        if (content == null) {
            throw new InstallException(InstallException.Kind.SYSTEM, from + " not found", 2);
        }
        files.put(to, content.clone());
    }

    @Override
    public void writeFile(String path, byte[] content) {
        call("writeFile " + path);
        files.put(path, content.clone());
    }

    @Override
    public byte[] readFile(String path) {
        byte[] content = files.get(path);
        if (content == null) {
            throw new InstallException(InstallException.Kind.SYSTEM, path + " not found", 2);
        }
        return content.clone();
    }

    @Override
    public void delete(String path) {
        call("delete " + path);
        files.remove(path);
        String prefix = path.toLowerCase() + "\\";
        files.keySet().removeIf(k -> k.toLowerCase().startsWith(prefix));
        directories.keySet().removeIf(k -> k.equalsIgnoreCase(path) || k.toLowerCase().startsWith(prefix));
    }
}
