package dev.hiveguard.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The ECS {@code host.*} fields of every audit line: which machine the operation
 * happened on, so a SIEM that collects many endpoints' trails can tell them apart
 * without relying on the shipper to add it. Detected once per process (the values
 * do not change while the agent runs, and nothing here may cost per event), with
 * what is cheap to know: the computer name, the OS, the CPU architecture, and
 * {@code host.id} - Windows' MachineGuid (what Elastic Agent and Winlogbeat report
 * as host.id, so the agent's lines and the Event Log's join) or /etc/machine-id.
 * Unknown values are left out, never invented.
 */
public record HostFields(String name, String hostname, String id, String architecture, String osType,
                         String osFamily, String osName, String osVersion, String osPlatform, String osKernel) {

    private static final class Local {
        static final HostFields VALUE = detect();
    }

    /** This machine's fields, detected on first use. */
    public static HostFields local() {
        return Local.VALUE;
    }

    static HostFields detect() {
        return detect(System.getProperty("os.name", ""), System.getProperty("os.version", ""),
                System.getProperty("os.arch", ""), System.getenv(), HostFields::localHostName,
                () -> windowsMachineGuid(), () -> readIfPresent(Path.of("/etc/machine-id")),
                () -> readIfPresent(Path.of("/etc/os-release")));
    }

    /**
     * @param windowsId the MachineGuid (Windows), or null
     * @param linuxId   the contents of /etc/machine-id, or null
     * @param osRelease the contents of /etc/os-release, or null
     */
    static HostFields detect(String javaOsName, String javaOsVersion, String javaArch, Map<String, String> env,
                             Supplier<String> hostLookup, Supplier<String> windowsId, Supplier<String> linuxId,
                             Supplier<String> osRelease) {
        boolean windows = javaOsName.toLowerCase(Locale.ROOT).startsWith("windows");
        String hostname = windows ? env.get("COMPUTERNAME") : env.get("HOSTNAME");
        if (hostname == null || hostname.isBlank()) {
            hostname = hostLookup.get();
        }
        String name = hostname == null ? null : hostname.toLowerCase(Locale.ROOT);
        String arch = switch (javaArch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "arm64";
            default -> javaArch.isEmpty() ? null : javaArch;
        };
        if (windows) {
            return new HostFields(name, hostname, blankToNull(windowsId.get()), arch, "windows", "windows", javaOsName,
                    javaOsVersion, "windows", javaOsVersion);
        }
        Map<String, String> release = parseOsRelease(osRelease.get());
        String type = javaOsName.toLowerCase(Locale.ROOT).startsWith("mac") ? "macos"
                : javaOsName.toLowerCase(Locale.ROOT).startsWith("linux") ? "linux" : "unix";
        String platform = release.getOrDefault("ID", type);
        return new HostFields(name, hostname, blankToNull(linuxId.get()), arch, type,
                release.getOrDefault("ID_LIKE", platform).split(" ")[0], release.getOrDefault("NAME", javaOsName),
                release.get("VERSION_ID"), platform, javaOsVersion);
    }

    /** Writes the fields that are known, dotted like the rest of the line. */
    public void write(JsonGenerator g) throws IOException {
        field(g, "host.name", name);
        field(g, "host.hostname", hostname);
        field(g, "host.id", id);
        field(g, "host.architecture", architecture);
        field(g, "host.os.type", osType);
        field(g, "host.os.family", osFamily);
        field(g, "host.os.name", osName);
        field(g, "host.os.version", osVersion);
        field(g, "host.os.platform", osPlatform);
        field(g, "host.os.kernel", osKernel);
    }

    private static void field(JsonGenerator g, String name, String value) throws IOException {
        if (value != null && !value.isEmpty()) {
            g.writeStringField(name, value);
        }
    }

    static Map<String, String> parseOsRelease(String text) {
        Map<String, String> out = new HashMap<>();
        if (text == null) {
            return out;
        }
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq <= 0 || line.startsWith("#")) {
                continue;
            }
            String value = line.substring(eq + 1).trim();
            if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                    || value.startsWith("'") && value.endsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            out.put(line.substring(0, eq).trim(), value);
        }
        return out;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static String readIfPresent(Path p) {
        try {
            return Files.isReadable(p) ? Files.readString(p, StandardCharsets.UTF_8) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** HKLM\SOFTWARE\Microsoft\Cryptography\MachineGuid; read once at start, never on the decision path. */
    private static String windowsMachineGuid() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows")) {
            return null;
        }
        try {
            return com.sun.jna.platform.win32.Advapi32Util.registryGetStringValue(
                    com.sun.jna.platform.win32.WinReg.HKEY_LOCAL_MACHINE, "SOFTWARE\\Microsoft\\Cryptography",
                    "MachineGuid");
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }
}
