package dev.hiveguard.install;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The install plan over an in-memory Windows: what is created and how it is
 * configured, in which order; that a second run changes nothing; that an upgrade
 * changes only what differs; that a failure at any step leaves the machine as it
 * was; and that uninstall removes everything, twice without error.
 */
class InstallerTest {

    static final InstallLayout LAYOUT = new InstallLayout("C:\\Program Files\\HiveGuard", "hiveguard.jar",
            "C:\\Program Files\\HiveGuard\\runtime\\bin\\java.exe", "C:\\Windows", "C:\\ProgramData\\HiveGuard");
    private static final Installer.Options DEFAULTS = new Installer.Options(null, Installer.ALTITUDE_DEFAULT,
            Installer.DEFAULT_VERDICT_ALLOW, true);

    private InMemoryWindows windows;
    private Installer installer;
    private String pristine;

    /** A machine with the release unpacked and nothing installed. */
    static InMemoryWindows unpackedRelease() {
        InMemoryWindows w = new InMemoryWindows();
        w.files.put(LAYOUT.jar(), "jar".getBytes(StandardCharsets.UTF_8));
        w.files.put(LAYOUT.driverSource(), "hiveguard.sys v1".getBytes(StandardCharsets.UTF_8));
        w.files.put(LAYOUT.messageDll(), "messages".getBytes(StandardCharsets.UTF_8));
        return w;
    }

    @BeforeEach
    void machine() {
        windows = unpackedRelease();
        installer = new Installer(windows, LAYOUT);
        pristine = windows.state();
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = InstallerTest.class.getResourceAsStream("/policies/" + name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void aFreshInstallCreatesEachPartInDependencyOrder() {
        installer.install(DEFAULTS);
        assertEquals(List.of(
                "createProtectedDirectory C:\\ProgramData\\HiveGuard",
                "writeFile C:\\ProgramData\\HiveGuard\\policy.xml",
                "copyFile C:\\Windows\\System32\\drivers\\hiveguard.sys",
                "createService HiveGuard",
                "setRegistryValues " + Installer.DRIVER_PARAMETERS_KEY,
                "setRegistryValues " + Installer.EVENT_SOURCE_KEY,
                "createService HiveGuardAgent",
                "configureRecovery HiveGuardAgent",
                "startService HiveGuardAgent"), windows.calls);
    }

    @Test
    void theServicesDirectoryAndSourceAreConfiguredAsSpecified() throws IOException {
        installer.install(DEFAULTS);

        ServiceSpec driver = windows.services.get("HiveGuard");
        assertEquals(ServiceSpec.SERVICE_KERNEL_DRIVER, driver.serviceType());
        assertEquals(ServiceSpec.SERVICE_DEMAND_START, driver.startType(), "started by the SCM for the agent");
        assertEquals("\\SystemRoot\\System32\\drivers\\hiveguard.sys", driver.binaryPath());
        assertEquals(Map.of("Altitude", "385100", "DefaultVerdict", 1),
                windows.registry.get(Installer.DRIVER_PARAMETERS_KEY));

        ServiceSpec agent = windows.services.get("HiveGuardAgent");
        assertEquals(ServiceSpec.SERVICE_WIN32_OWN_PROCESS, agent.serviceType());
        assertEquals(ServiceSpec.SERVICE_AUTO_START, agent.startType());
        assertNull(agent.account(), "LocalSystem");
        assertEquals(List.of("HiveGuard"), agent.dependencies());
        assertEquals("\"C:\\Program Files\\HiveGuard\\runtime\\bin\\java.exe\" -Xrs -Xms128m -Xmx256m -jar "
                + "\"C:\\Program Files\\HiveGuard\\hiveguard.jar\" service --policy "
                + "\"C:\\ProgramData\\HiveGuard\\policy.xml\"", agent.binaryPath());
        RecoverySpec r = windows.recovery.get("HiveGuardAgent");
        assertEquals(List.of(5_000, 30_000, 60_000), r.restartDelaysMillis(), "restart on three failures");
        assertEquals(86_400, r.resetPeriodSeconds());
        assertTrue(r.actionsOnNonCrashFailures());
        assertTrue(r.delayedAutoStart());
        assertTrue(r.unrestrictedServiceSid());
        assertTrue(r.preshutdownTimeoutMillis() > 25_000, "longer than the agent's own stop deadline");

        assertEquals("D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)", windows.directories.get(LAYOUT.dataDir()));
        assertArrayEquals(resource("audit-only.xml"), windows.files.get(LAYOUT.policyFile()));
        assertEquals(Map.of("EventMessageFile", "C:\\Program Files\\HiveGuard\\hiveguard-messages.dll",
                "TypesSupported", 7), windows.registry.get(Installer.EVENT_SOURCE_KEY));
        assertTrue(windows.running.containsAll(List.of("HiveGuard", "HiveGuardAgent")));
    }

    @Test
    void aSecondInstallChangesNothing() {
        installer.install(DEFAULTS);
        String installed = windows.state();
        windows.calls.clear();
        List<String> report = installer.install(DEFAULTS);
        assertEquals(installed, windows.state());
        assertTrue(windows.calls.stream().noneMatch(c -> c.startsWith("create") && !c.startsWith(
                "createProtectedDirectory") || c.startsWith("update") || c.startsWith("write") || c.startsWith("copy")
                || c.startsWith("setRegistry")), "nothing rewritten: " + windows.calls);
        assertTrue(report.contains("secured C:\\ProgramData\\HiveGuard (SYSTEM and Administrators only)"), "" + report);
    }

    @Test
    void anUpgradeReplacesTheImageAndParametersButKeepsTheAdminsPolicy() throws IOException {
        installer.install(DEFAULTS);
        windows.files.put(LAYOUT.policyFile(), "the admin's edits".getBytes(StandardCharsets.UTF_8));
        windows.files.put(LAYOUT.driverSource(), "hiveguard.sys v2".getBytes(StandardCharsets.UTF_8));
        windows.calls.clear();

        installer.install(new Installer.Options(null, 385_200, Installer.DEFAULT_VERDICT_BLOCK, true));

        assertEquals(List.of("stopService HiveGuardAgent", "stopService HiveGuard",
                "createProtectedDirectory C:\\ProgramData\\HiveGuard",
                "copyFile C:\\Windows\\System32\\drivers\\hiveguard.sys",
                "setRegistryValues " + Installer.DRIVER_PARAMETERS_KEY,
                "configureRecovery HiveGuardAgent", "startService HiveGuardAgent"), windows.calls);
        assertEquals("hiveguard.sys v2", new String(windows.files.get(LAYOUT.driverTarget()), StandardCharsets.UTF_8));
        assertEquals("the admin's edits", new String(windows.files.get(LAYOUT.policyFile()), StandardCharsets.UTF_8));
        assertEquals(Map.of("Altitude", "385200", "DefaultVerdict", 2),
                windows.registry.get(Installer.DRIVER_PARAMETERS_KEY));

        byte[] protect = resource("protect.xml");
        installer.install(new Installer.Options(new Installer.PolicySource("protect.xml", protect), 385_200,
                Installer.DEFAULT_VERDICT_BLOCK, true));
        assertArrayEquals(protect, windows.files.get(LAYOUT.policyFile()), "--policy replaces the policy");
    }

    @Test
    void withoutElevationNothingIsTouched() {
        windows.elevated = false;
        InstallException e = assertThrows(InstallException.class, () -> installer.install(DEFAULTS));
        assertEquals(InstallException.Kind.NOT_ELEVATED, e.kind());
        assertEquals(List.of(), windows.calls);
        assertEquals(InstallException.Kind.NOT_ELEVATED,
                assertThrows(InstallException.class, () -> installer.uninstall(false)).kind());
        assertEquals(pristine, windows.state());
    }

    @Test
    void badInputsAreRefusedBeforeAnyChange() throws IOException {
        byte[] broken = new String(resource("protect.xml"), StandardCharsets.UTF_8)
                .replace("condition=\"begin with\"", "condition=\"starts-ish\"").getBytes(StandardCharsets.UTF_8);
        InstallException policy = assertThrows(InstallException.class, () -> installer.install(new Installer.Options(
                new Installer.PolicySource("protect.xml", broken), Installer.ALTITUDE_DEFAULT, 1, true)));
        assertEquals(InstallException.Kind.BAD_INPUT, policy.kind());
        assertTrue(policy.getMessage().startsWith("policy protect.xml is invalid: protect.xml:"), policy.getMessage());

        InstallException altitude = assertThrows(InstallException.class, () -> installer.install(
                new Installer.Options(null, 19_999, 1, true)));
        assertTrue(altitude.getMessage().contains("--altitude 19999 is outside 20000..429999"), altitude.getMessage());

        windows.files.remove(LAYOUT.messageDll());
        InstallException missing = assertThrows(InstallException.class, () -> installer.install(DEFAULTS));
        assertTrue(missing.getMessage().startsWith(LAYOUT.messageDll() + " is missing"), missing.getMessage());
        assertEquals(List.of(), windows.calls);
    }

    /** Every mutating call a fresh install makes. */
    static Stream<String> freshInstallCalls() {
        InMemoryWindows w = unpackedRelease();
        new Installer(w, LAYOUT).install(DEFAULTS);
        return w.calls.stream();
    }

    @ParameterizedTest
    @MethodSource("freshInstallCalls")
    void aFailureAtAnyStepOfAFreshInstallLeavesTheMachineAsItWas(String failingCall) {
        windows.failOn(failingCall);
        InstallException e = assertThrows(InstallException.class, () -> installer.install(DEFAULTS));
        assertEquals(InstallException.Kind.SYSTEM, e.kind());
        assertTrue(e.getMessage().contains("every change was undone"), e.getMessage());
        assertTrue(e.getMessage().contains(failingCall), e.getMessage());
        assertEquals(pristine, windows.state(), "after failing at " + failingCall);
    }

    @Test
    void aFailedUpgradePutsTheOldVersionBackAndRestartsIt() {
        installer.install(DEFAULTS);
        String before = windows.state();
        windows.files.put(LAYOUT.driverSource(), "hiveguard.sys v2".getBytes(StandardCharsets.UTF_8));
        String beforeWithNewPackage = windows.state();
        windows.failOn("configureRecovery");
        assertThrows(InstallException.class, () -> installer.install(new Installer.Options(null, 385_300, 2, true)));
        assertEquals(beforeWithNewPackage, windows.state());
        assertFalse(before.equals(beforeWithNewPackage));
        assertEquals("hiveguard.sys v1", new String(windows.files.get(LAYOUT.driverTarget()), StandardCharsets.UTF_8));
        assertTrue(windows.running.contains("HiveGuardAgent"), "the stopped agent runs again");
    }

    @Test
    void uninstallRemovesEverythingAndASecondUninstallIsANoOp() {
        installer.install(DEFAULTS);
        installer.uninstall(false);
        assertEquals(pristine, windows.state(), "nothing of the install is left");
        windows.calls.clear();
        assertEquals(List.of(), installer.uninstall(false));
        assertEquals(List.of(), windows.calls);
    }

    @Test
    void uninstallCanKeepTheDataDirectory() {
        installer.install(DEFAULTS);
        installer.uninstall(true);
        assertTrue(windows.exists(LAYOUT.policyFile()));
        assertTrue(windows.services.isEmpty());
        assertFalse(windows.registry.containsKey(Installer.EVENT_SOURCE_KEY));
    }

    @Test
    void uninstallCarriesOnPastAFailedStepAndReportsIt() {
        installer.install(DEFAULTS);
        windows.failOn("deleteService HiveGuardAgent");
        InstallException e = assertThrows(InstallException.class, () -> installer.uninstall(false));
        assertTrue(e.getMessage().startsWith("uninstall incomplete: deleteService HiveGuardAgent failed"),
                e.getMessage());
        assertTrue(windows.services.containsKey("HiveGuardAgent"));
        assertFalse(windows.services.containsKey("HiveGuard"));
        assertFalse(windows.exists(LAYOUT.driverTarget()));
        assertFalse(windows.exists(LAYOUT.dataDir()));
        installer.uninstall(false); // a retry finishes the job
        assertEquals(pristine, windows.state());
    }
}
