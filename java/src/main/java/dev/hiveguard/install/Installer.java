package dev.hiveguard.install;

import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.PolicyException;
import dev.hiveguard.policy.PolicyLoader;
import dev.hiveguard.service.ServiceController;
import dev.hiveguard.service.ServiceNames;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs and removes HiveGuard on a Windows machine through a {@link SystemBinding}.
 *
 * <p>Install, in this order (each step is skipped or becomes an update when its
 * result is already there, so a second install changes nothing and an install over
 * an older version upgrades it):
 * <ol>
 * <li>check elevation, the package's files, the policy and the altitude - before any change;</li>
 * <li>stop a running agent and driver (an upgrade replaces the image);</li>
 * <li>{@code %ProgramData%\HiveGuard} with a protected DACL: SYSTEM and Administrators
 *     only, inherited by everything created inside (the audit trail holds registry data);</li>
 * <li>the policy there: {@code --policy FILE} replaces it; otherwise an existing one is
 *     kept and a new install gets the shipped audit-only policy (the safe way to roll out);</li>
 * <li>hiveguard.sys into System32\drivers;</li>
 * <li>the driver service: kernel driver, demand start (the SCM starts it as the agent's
 *     dependency), and its {@code Parameters} (Altitude, DefaultVerdict);</li>
 * <li>the Event Log source (EventMessageFile = the package's message DLL);</li>
 * <li>the agent service: LocalSystem, automatic (delayed) start, dependent on the driver,
 *     unrestricted service SID, restart on the first three failures with a daily reset,
 *     failure actions also on a non-zero exit, and a preshutdown timeout;</li>
 * <li>start the agent (unless told not to).</li>
 * </ol>
 * If a step fails, the steps done so far are undone in reverse: what this run created is
 * removed, what it changed gets its previous value back, and services it stopped are
 * started again.
 *
 * <p>Uninstall stops and deletes both services, removes the Event Log source, the driver
 * image and (unless kept) the data directory. Each step runs even when an earlier one
 * failed; absent parts are not errors, so a second uninstall succeeds and changes nothing.
 */
public final class Installer {

    private static final Logger LOG = LoggerFactory.getLogger(Installer.class);

    /** SYSTEM and Administrators full control, inherited by files and folders; P = no inherited ACEs. */
    public static final String DATA_DIR_SDDL = "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";
    public static final String DRIVER_PARAMETERS_KEY = "SYSTEM\\CurrentControlSet\\Services\\" + ServiceNames.DRIVER
            + "\\Parameters";
    public static final String EVENT_SOURCE_KEY = "SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\"
            + ServiceNames.EVENT_SOURCE;
    /** EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE. */
    public static final int EVENT_TYPES_SUPPORTED = 7;
    public static final String DEFAULT_POLICY_RESOURCE = "audit-only.xml";

    // hg_sys.h: HG_ALTITUDE_MIN / MAX / DEFAULT (the driver replaces anything outside by the default)
    public static final int ALTITUDE_MIN = 20_000;
    public static final int ALTITUDE_MAX = 429_999;
    public static final int ALTITUDE_DEFAULT = 385_100;
    /** Parameters\DefaultVerdict: 1 allow, 2 block (hiveguard.inf). */
    public static final int DEFAULT_VERDICT_ALLOW = 1;
    public static final int DEFAULT_VERDICT_BLOCK = 2;

    static final long AGENT_STOP_TIMEOUT_MS = ServiceController.PRESHUTDOWN_TIMEOUT_MS;
    static final long DRIVER_STOP_TIMEOUT_MS = 10_000;

    static final RecoverySpec AGENT_RECOVERY = new RecoverySpec(
            "Decides allow / block / audit for the registry operations the HiveGuard driver reports and writes "
                    + "the audit trail.",
            List.of(5_000, 30_000, 60_000), 24 * 3600, true, true, true, ServiceController.PRESHUTDOWN_TIMEOUT_MS);

    /**
     * @param policySource a policy file's bytes and display name to install, or null to keep/default
     * @param altitude     the registry callback altitude
     * @param defaultVerdict what the driver applies with no agent connected (1 allow, 2 block)
     * @param start        start the agent (and so the driver) at the end
     */
    public record Options(PolicySource policySource, int altitude, int defaultVerdict, boolean start) {
    }

    /** A policy file given on the command line, read by the caller. */
    public record PolicySource(String name, byte[] bytes) {
    }

    private final SystemBinding sys;
    private final InstallLayout layout;

    public Installer(SystemBinding sys, InstallLayout layout) {
        this.sys = sys;
        this.layout = layout;
    }

    public ServiceSpec driverService() {
        return new ServiceSpec(ServiceNames.DRIVER, "HiveGuard registry guard", ServiceSpec.SERVICE_KERNEL_DRIVER,
                ServiceSpec.SERVICE_DEMAND_START, ServiceSpec.SERVICE_ERROR_NORMAL, layout.driverImagePath(), List.of(),
                null);
    }

    public ServiceSpec agentService() {
        return new ServiceSpec(ServiceNames.AGENT, "HiveGuard agent", ServiceSpec.SERVICE_WIN32_OWN_PROCESS,
                ServiceSpec.SERVICE_AUTO_START, ServiceSpec.SERVICE_ERROR_NORMAL, layout.agentCommandLine(),
                List.of(ServiceNames.DRIVER), null);
    }

    /** What to write to the driver's Parameters key. */
    public static Map<String, Object> driverParameters(int altitude, int defaultVerdict) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("Altitude", Integer.toString(altitude)); // REG_SZ: the driver reads it as text (hiveguard.inf)
        v.put("DefaultVerdict", defaultVerdict);
        return v;
    }

    public Map<String, Object> eventSourceValues() {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("EventMessageFile", layout.messageDll());
        v.put("TypesSupported", EVENT_TYPES_SUPPORTED);
        return v;
    }

    /** The one-line-per-step report of what install did. */
    public List<String> install(Options options) {
        sys.requireAdministrator();
        byte[] policy = checkInputs(options);
        List<String> done = new ArrayList<>();
        Deque<Runnable> undo = new ArrayDeque<>();
        String current = "checks";
        try {
            current = "stop the running services";
            for (String name : List.of(ServiceNames.AGENT, ServiceNames.DRIVER)) {
                if (sys.isServiceActive(name)) {
                    sys.stopService(name, name.equals(ServiceNames.AGENT) ? AGENT_STOP_TIMEOUT_MS
                            : DRIVER_STOP_TIMEOUT_MS);
                    undo.push(() -> sys.startService(name));
                    done.add("stopped " + name);
                }
            }

            current = "create " + layout.dataDir();
            boolean dirExisted = sys.exists(layout.dataDir());
            sys.createProtectedDirectory(layout.dataDir(), DATA_DIR_SDDL);
            if (!dirExisted) {
                undo.push(() -> sys.delete(layout.dataDir()));
            }
            done.add((dirExisted ? "secured " : "created ") + layout.dataDir() + " (SYSTEM and Administrators only)");

            current = "write " + layout.policyFile();
            boolean policyExisted = sys.exists(layout.policyFile());
            if (options.policySource() != null || !policyExisted) {
                byte[] previous = policyExisted ? sys.readFile(layout.policyFile()) : null;
                if (previous == null || !Arrays.equals(previous, policy)) {
                    sys.writeFile(layout.policyFile(), policy);
                    undo.push(() -> restoreFile(layout.policyFile(), previous));
                    done.add("policy " + layout.policyFile() + " from " + (options.policySource() != null
                            ? options.policySource().name() : "the shipped " + DEFAULT_POLICY_RESOURCE));
                }
            }

            current = "copy " + layout.driverSource() + " to " + layout.driverTarget();
            byte[] image = sys.readFile(layout.driverSource());
            byte[] previousImage = sys.exists(layout.driverTarget()) ? sys.readFile(layout.driverTarget()) : null;
            if (previousImage == null || !Arrays.equals(previousImage, image)) {
                sys.copyFile(layout.driverSource(), layout.driverTarget());
                undo.push(() -> restoreFile(layout.driverTarget(), previousImage));
                done.add("driver image " + layout.driverTarget());
            }

            current = "configure the " + ServiceNames.DRIVER + " service";
            ensureService(driverService(), undo, done);

            current = "write " + DRIVER_PARAMETERS_KEY;
            ensureValues(DRIVER_PARAMETERS_KEY, driverParameters(options.altitude(), options.defaultVerdict()), undo,
                    done);

            current = "register the Event Log source";
            ensureValues(EVENT_SOURCE_KEY, eventSourceValues(), undo, done);

            current = "configure the " + ServiceNames.AGENT + " service";
            ensureService(agentService(), undo, done);
            sys.configureRecovery(ServiceNames.AGENT, AGENT_RECOVERY);
            done.add(ServiceNames.AGENT + ": delayed auto-start, restart x" + AGENT_RECOVERY.restartDelaysMillis().size()
                    + " (reset " + AGENT_RECOVERY.resetPeriodSeconds() + " s, also on non-crash failures), "
                    + "unrestricted service SID, preshutdown " + AGENT_RECOVERY.preshutdownTimeoutMillis() + " ms");

            if (options.start()) {
                current = "start " + ServiceNames.AGENT;
                sys.startService(ServiceNames.AGENT);
                undo.push(() -> sys.stopService(ServiceNames.AGENT, AGENT_STOP_TIMEOUT_MS));
                done.add("started " + ServiceNames.AGENT + " (and " + ServiceNames.DRIVER + " as its dependency)");
            }
            return done;
        } catch (InstallException e) {
            List<String> rollbackFailures = rollBack(undo);
            String message = "install failed at step '" + current + "': " + e.getMessage()
                    + (rollbackFailures.isEmpty() ? "; every change was undone"
                    : "; undoing left: " + String.join("; ", rollbackFailures));
            throw new InstallException(e.kind(), message, e.win32Error());
        }
    }

    /** The one-line-per-step report of what uninstall did. */
    public List<String> uninstall(boolean keepData) {
        sys.requireAdministrator();
        List<String> done = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        attempt(failures, () -> {
            if (sys.queryService(ServiceNames.AGENT) != null) {
                sys.stopService(ServiceNames.AGENT, AGENT_STOP_TIMEOUT_MS);
                sys.deleteService(ServiceNames.AGENT);
                done.add("removed service " + ServiceNames.AGENT);
            }
        });
        attempt(failures, () -> {
            if (sys.queryService(ServiceNames.DRIVER) != null) {
                sys.stopService(ServiceNames.DRIVER, DRIVER_STOP_TIMEOUT_MS);
                sys.deleteService(ServiceNames.DRIVER); // its key, Parameters included, goes with it
                done.add("removed service " + ServiceNames.DRIVER);
            }
        });
        attempt(failures, () -> {
            if (sys.registryKeyExists(EVENT_SOURCE_KEY)) {
                sys.deleteRegistryKey(EVENT_SOURCE_KEY);
                done.add("removed the Event Log source " + ServiceNames.EVENT_SOURCE);
            }
        });
        attempt(failures, () -> {
            if (sys.exists(layout.driverTarget())) {
                sys.delete(layout.driverTarget());
                done.add("removed " + layout.driverTarget());
            }
        });
        if (!keepData) {
            attempt(failures, () -> {
                if (sys.exists(layout.dataDir())) {
                    sys.delete(layout.dataDir());
                    done.add("removed " + layout.dataDir() + " (policy, audit trail, log)");
                }
            });
        }
        if (!failures.isEmpty()) {
            throw new InstallException(InstallException.Kind.SYSTEM, "uninstall incomplete: "
                    + String.join("; ", failures) + (done.isEmpty() ? "" : " (done: " + String.join("; ", done) + ")"));
        }
        return done;
    }

    private byte[] checkInputs(Options options) {
        for (String file : List.of(layout.jar(), layout.driverSource(), layout.messageDll())) {
            if (!sys.exists(file)) {
                throw new InstallException(InstallException.Kind.BAD_INPUT, file + " is missing: install from the "
                        + "unpacked release, which holds the jar, " + InstallLayout.DRIVER_IMAGE + " and "
                        + InstallLayout.MESSAGE_DLL);
            }
        }
        if (options.altitude() < ALTITUDE_MIN || options.altitude() > ALTITUDE_MAX) {
            throw new InstallException(InstallException.Kind.BAD_INPUT, "--altitude " + options.altitude()
                    + " is outside " + ALTITUDE_MIN + ".." + ALTITUDE_MAX);
        }
        if (options.defaultVerdict() != DEFAULT_VERDICT_ALLOW && options.defaultVerdict() != DEFAULT_VERDICT_BLOCK) {
            throw new InstallException(InstallException.Kind.BAD_INPUT, "default verdict must be 1 (allow) or 2 "
                    + "(block), not " + options.defaultVerdict());
        }
        String name;
        byte[] bytes;
        if (options.policySource() != null) {
            name = options.policySource().name();
            bytes = options.policySource().bytes();
        } else {
            name = DEFAULT_POLICY_RESOURCE;
            bytes = shippedPolicy();
        }
        try {
            CompiledPolicy.compile(PolicyLoader.parse(name, bytes));
        } catch (PolicyException e) {
            throw new InstallException(InstallException.Kind.BAD_INPUT, "policy " + name + " is invalid: "
                    + e.errors().get(0) + (e.errors().size() > 1 ? " (and " + (e.errors().size() - 1) + " more)" : ""));
        }
        return bytes;
    }

    static byte[] shippedPolicy() {
        try (InputStream in = Installer.class.getResourceAsStream("/policies/" + DEFAULT_POLICY_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("policies/" + DEFAULT_POLICY_RESOURCE + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the shipped policy", e);
        }
    }

    private void ensureService(ServiceSpec wanted, Deque<Runnable> undo, List<String> done) {
        ServiceSpec existing = sys.queryService(wanted.name());
        if (existing == null) {
            sys.createService(wanted);
            undo.push(() -> sys.deleteService(wanted.name()));
            done.add("created service " + wanted.name());
        } else if (!existing.equals(wanted)) {
            sys.updateService(wanted);
            undo.push(() -> sys.updateService(existing));
            done.add("updated service " + wanted.name());
        }
    }

    private void ensureValues(String key, Map<String, Object> wanted, Deque<Runnable> undo, List<String> done) {
        boolean existed = sys.registryKeyExists(key);
        Map<String, Object> previous = existed ? sys.registryValues(key) : Map.of();
        Map<String, Object> relevantPrevious = new LinkedHashMap<>();
        for (String name : wanted.keySet()) {
            if (previous.containsKey(name)) {
                relevantPrevious.put(name, previous.get(name));
            }
        }
        if (existed && relevantPrevious.equals(wanted)) {
            return;
        }
        sys.setRegistryValues(key, wanted);
        if (!existed) {
            undo.push(() -> sys.deleteRegistryKey(key));
        } else if (!relevantPrevious.isEmpty()) {
            undo.push(() -> sys.setRegistryValues(key, relevantPrevious));
        }
        done.add("HKLM\\" + key + ": " + wanted);
    }

    private void restoreFile(String path, byte[] previous) {
        if (previous == null) {
            sys.delete(path);
        } else {
            sys.writeFile(path, previous);
        }
    }

    private static List<String> rollBack(Deque<Runnable> undo) {
        List<String> failures = new ArrayList<>();
        while (!undo.isEmpty()) {
            try {
                undo.pop().run();
            } catch (InstallException | IllegalStateException e) {
                LOG.error("undoing an install step failed: {}", e.getMessage());
                failures.add(e.getMessage());
            }
        }
        return failures;
    }

    private static void attempt(List<String> failures, Runnable step) {
        try {
            step.run();
        } catch (InstallException e) {
            failures.add(e.getMessage());
        }
    }
}
