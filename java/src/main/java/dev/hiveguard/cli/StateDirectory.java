package dev.hiveguard.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Where a running agent keeps its status file, default audit trail and log: the
 * place {@code run} writes and {@code status} reads, so both must agree without being
 * told. Windows services conventionally use %ProgramData% (the agent runs as
 * LocalSystem, whose profile is inside System32); elsewhere the XDG state directory.
 */
final class StateDirectory {

    static final String WINDOWS_SUBDIR = "HiveGuard";
    static final String XDG_SUBDIR = "hiveguard";

    private StateDirectory() {
    }

    static Path defaultPath() {
        return defaultPath(System.getProperty("os.name", ""), System.getenv(), System.getProperty("user.home", "."));
    }

    static Path defaultPath(String osName, Map<String, String> env, String userHome) {
        if (osName.toLowerCase(Locale.ROOT).startsWith("windows")) {
            String programData = env.getOrDefault("ProgramData", env.getOrDefault("PROGRAMDATA", "C:\\ProgramData"));
            return Path.of(programData, WINDOWS_SUBDIR);
        }
        String xdg = env.get("XDG_STATE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, XDG_SUBDIR);
        }
        return Path.of(userHome, ".local", "state", XDG_SUBDIR);
    }
}
