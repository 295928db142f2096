package dev.hiveguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.Locale;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * install, uninstall and service are Windows-only; elsewhere they must say so in one
 * line with the usage exit code and change nothing (their logic is tested over
 * in-memory bindings in dev.hiveguard.install and dev.hiveguard.service).
 */
class WindowsOnlyCommandsTest {

    @BeforeEach
    void notWindows() {
        assumeFalse(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows"));
    }

    private static void assertRefused(CliRun r, String fragment) {
        assertEquals(ExitCodes.USAGE, r.exitCode, r.toString());
        assertTrue(r.err.contains(fragment), r.err);
        assertEquals(1, r.err.strip().lines().count(), "one line: " + r.err);
    }

    @Test
    void installAndUninstallRefuseOffWindows() {
        assertRefused(CliRun.execute("install", "--altitude", "385100"), "runs on Windows only");
        assertRefused(CliRun.execute("uninstall", "--keep-data"), "runs on Windows only");
    }

    @Test
    void theServiceEntryRefusesOffWindows() {
        assertRefused(CliRun.execute("service", "--no-log-file"), "the service entry runs on Windows only");
    }

    @Test
    void helpListsTheInstallExitCodes() {
        CliRun r = CliRun.execute("--help");
        assertTrue(r.out.contains("install"), r.out);
        assertTrue(r.out.contains(ExitCodes.NOT_PERMITTED + "   install/uninstall: not running as an elevated"), r.out);
    }
}
