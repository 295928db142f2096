package dev.hiveguard.cli;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hiveguard.audit.AuditOptions;
import dev.hiveguard.eventlog.EventLog;
import dev.hiveguard.eventlog.EventLogAuditSink;
import dev.hiveguard.eventlog.EventLogMessage;
import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.policy.PolicyHolder;
import dev.hiveguard.policy.PolicyReloader;
import dev.hiveguard.pump.PumpOptions;
import dev.hiveguard.pump.PumpStatus;
import dev.hiveguard.wire.DriverStats;
import dev.hiveguard.wire.HelloReply;
import dev.hiveguard.wire.RegistryGuard;
import dev.hiveguard.wire.Wire;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hiveguard run}: the agent service. Connects to the driver, decides every
 * delivered operation by policy until SIGINT/SIGTERM (or the service control
 * manager's stop, which the JVM sees the same way), then stops gracefully: parked
 * requests cancelled, every delivered event answered and audited, files closed.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {
            "Serve as the agent: decide registry operations by policy until stopped.",
            "%nConnects to the HiveGuard driver, decides every delivered operation and writes the audit trail "
                    + "until Ctrl+C, SIGTERM or the HiveGuardAgent service's stop, then stops gracefully: every "
                    + "delivered operation is answered and audited.",
        })
public class RunCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);
    /** What the shutdown hook grants the graceful stop before the JVM exits anyway. */
    static final long STOP_GRACE_MS = 20_000;
    /** Part of the grace period spent taking in events the driver had already queued. */
    static final long STOP_DRAIN_MS = 2_000;

    @Spec
    CommandSpec spec;

    @Option(names = "--policy", paramLabel = "FILE",
            description = "Policy: a Sysmon-style XML file, or Sigma registry rules (a .yml rule, a directory of "
                    + "them, or a Sigma settings file). Default: audit everything, block nothing.")
    Path policyFile;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Status file, log and default audit directory (default: ${DEFAULT-VALUE}).")
    Path stateDir = StateDirectory.defaultPath();

    @Option(names = "--audit-dir", paramLabel = "DIR",
            description = "Audit trail directory (default: <state-dir>/audit).")
    Path auditDir;

    @Option(names = "--audit-max-mb", paramLabel = "MB", description = "Roll the audit file at this size "
            + "(default: ${DEFAULT-VALUE}).")
    long auditMaxMb = AuditOptions.DEFAULT_MAX_FILE_BYTES / (1024 * 1024);

    @Option(names = "--audit-keep", paramLabel = "N", description = "Rolled audit files kept (default: "
            + "${DEFAULT-VALUE}).")
    int auditKeep = AuditOptions.DEFAULT_RETAINED_FILES;

    @Option(names = "--parked", paramLabel = "N",
            description = "GET_EVENTS requests kept parked in the driver (default: ${DEFAULT-VALUE}).")
    int parked = PumpOptions.DEFAULT_PARKED_REQUESTS;

    @Option(names = "--timeout-ms", paramLabel = "MS",
            description = "Verdict timeout the driver applies, overriding the policy's.")
    Integer timeoutMs;

    @Option(names = "--fail-mode", paramLabel = "MODE",
            description = "Verdict on timeout, overriding the policy's: ${COMPLETION-CANDIDATES}.")
    FailModeOption failMode;

    @Option(names = "--no-log-file", description = "Log to stderr only, not to <state-dir>/hiveguard.log.")
    boolean noLogFile;

    @Option(names = "--reload-ms", paramLabel = "MS",
            description = "How often the --policy file is checked for changes; a valid new version replaces "
                    + "the running policy, an invalid one is logged with its errors and ignored "
                    + "(default: ${DEFAULT-VALUE}; 0 disables reloading).")
    long reloadMs = PolicyReloader.DEFAULT_INTERVAL.toMillis();

    /** Consecutive status checks without a parked request before the agent gives up (3 x 2 s). */
    static final int NOT_SERVING_CHECKS = 3;

    private int unservedChecks;
    private volatile String notServing;

    /** Counted down to stop; a test, the shutdown hook or the service's STOP does it. */
    final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    /** The Windows Event Log on Windows, nothing elsewhere; tests substitute a recording one. */
    Supplier<EventLog> eventLogs = EventLog::forThisPlatform;
    private EventLog events = EventLog.disabled();

    /** Told once the agent serves (the service reports RUNNING then). */
    volatile Runnable onServing = () -> { };
    /** Set while serving with a --policy file: PARAMCHANGE asks it for an immediate check. */
    private volatile PolicyReloader reloader;

    /** The fail modes an admin may choose (INHERIT is for per-prefix rules only). */
    enum FailModeOption {
        open(FailMode.OPEN), closed(FailMode.CLOSED);

        final FailMode mode;

        FailModeOption(FailMode mode) {
            this.mode = mode;
        }
    }

    /**
     * Serves until stopped. Start-up failures and the end of serving are also written
     * to the Event Log (SERVICE_FAILED, SERVICE_STOPPED), where Windows admins and
     * event forwarding look, not only to the log file.
     */
    @Override
    public Integer call() throws InterruptedException {
        events = eventLogs.get();
        try {
            return serve();
        } catch (CliException e) {
            events.write(EventLogMessage.SERVICE_FAILED, Integer.toString(e.exitCode()), e.getMessage());
            throw e;
        } finally {
            events.close();
        }
    }

    private Integer serve() throws InterruptedException {
        Logging.setDefaultLevel(Level.INFO);
        try {
            Files.createDirectories(stateDir);
        } catch (IOException e) {
            throw new CliException(ExitCodes.IO_ERROR, "cannot create state directory " + stateDir + ": " + e, e);
        }
        if (!noLogFile) {
            Logging.addRollingFile(stateDir);
        }
        if (reloadMs != 0 && reloadMs < PolicyReloader.MIN_INTERVAL.toMillis()) {
            throw new CliException(ExitCodes.USAGE, "--reload-ms " + reloadMs + " is below "
                    + PolicyReloader.MIN_INTERVAL.toMillis() + " (0 disables reloading)");
        }
        if (timeoutMs != null && (timeoutMs < Wire.TIMEOUT_MIN_MS || timeoutMs > Wire.TIMEOUT_MAX_MS)) {
            throw new CliException(ExitCodes.USAGE, "--timeout-ms " + timeoutMs + " is outside ["
                    + Wire.TIMEOUT_MIN_MS + ", " + Wire.TIMEOUT_MAX_MS + "]");
        }
        PolicyLoader.Loaded loaded = PolicyLoader.fileOrDefault(policyFile);
        Policy policy;
        AuditOptions auditOptions;
        PumpOptions pumpOptions;
        try {
            policy = TunedPolicy.of(loaded.policy(), timeoutMs, failMode == null ? null : failMode.mode);
            auditOptions = AuditOptions.in(auditDir != null ? auditDir : stateDir.resolve("audit"))
                    .withMaxFileBytes(auditMaxMb * 1024 * 1024).withRetainedFiles(auditKeep);
            pumpOptions = PumpOptions.defaults().withParkedRequests(parked);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage(), e);
        }

        AgentSession session = AgentSession.start(policy, auditOptions, pumpOptions,
                events.enabled() ? new EventLogAuditSink(events) : null);
        PolicyReloader reloader = startReloader(session, loaded);
        this.reloader = reloader;
        Instant started = Instant.now();
        AgentStatusFile statusFile = new AgentStatusFile(stateDir);
        LOG.info("serving: policy {} ({}), audit {}, state {}, registry callback {}", loaded.source(), policy.hash(),
                auditOptions.activeFile(), stateDir, RegistryGuard.of(session.pump().hello()).description());
        if (loaded.policy() instanceof CompiledPolicy compiled) {
            for (String note : compiled.subscriptionNotes()) {
                LOG.warn("policy {}: driver subscription widened: {}", compiled.hash(), note);
            }
        }
        Thread hook = new Thread(() -> {
            stopRequested.countDown();
            try {
                // The JVM exits when the hooks return: hold it until the graceful stop is done.
                stopped.await(STOP_GRACE_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "hiveguard-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        ScheduledExecutorService publisher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "hiveguard-status");
            t.setDaemon(true);
            return t;
        });
        try {
            publisher.scheduleWithFixedDelay(() -> {
                PumpStatus now; // one snapshot per tick: it costs a STATS round trip to the driver
                try {
                    now = session.status();
                } catch (RuntimeException e) {
                    LOG.warn("pump status unavailable: {}", e.toString());
                    return;
                }
                publish(statusFile, session, now, loaded, started, auditOptions);
                watchServing(session, now);
            }, 0, AgentStatusFile.WRITE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
            // Logged before the service reports RUNNING, so an admin who sees it running
            // finds the start in the Event Log ahead of any decision made afterwards.
            events.write(EventLogMessage.SERVICE_STARTED, loaded.source(), policy.hash(),
                    auditOptions.activeFile().toAbsolutePath().toString());
            writePolicyLoaded(loaded.source(), loaded.policy());
            onServing.run();
            stopRequested.await();
            LOG.info("stopping");
        } finally {
            this.reloader = null;
            if (reloader != null) {
                reloader.close(); // no policy swap may race the pump's stop
            }
            publisher.shutdownNow();
            publisher.awaitTermination(AgentStatusFile.WRITE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
            // Take in what the driver already queued (callers that needed no verdict do not
            // wait for us); bounded, because on a busy machine the queue never empties.
            if (!session.awaitDrained(STOP_DRAIN_MS)) {
                LOG.info("stopping with events still queued in the driver; they are counted as dropped");
            }
            session.close();
            try {
                ObjectNode last = status(session, session.status(), loaded, started, auditOptions);
                statusFile.markStopped(last, Instant.now());
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot write the final status to {}: {}", statusFile.path(), e.toString());
            }
            LOG.info("stopped");
            writeStopped(session);
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down: the hook is running and waits for `stopped`
            }
        }
        String why = notServing;
        if (why != null) {
            throw new CliException(ExitCodes.DEVICE_UNAVAILABLE, "stopped because the driver no longer serves this "
                    + "agent (" + why + "); restart the agent once the driver is back");
        }
        return ExitCodes.OK;
    }

    /** Begins the graceful stop; {@link #call()} returns when it is done. */
    void requestStop() {
        stopRequested.countDown();
    }

    /**
     * Checks the --policy file now instead of at the next poll (the service's
     * PARAMCHANGE). False when there is nothing to reload: no --policy file, or not
     * serving.
     */
    boolean reloadPolicyNow() {
        PolicyReloader r = reloader;
        if (r == null) {
            LOG.info("policy reload requested, but no --policy file is being served");
            return false;
        }
        LOG.info("policy reload requested");
        return r.checkNow();
    }

    /**
     * Watches the --policy file. A new valid version goes to the pump, which sends the
     * driver its subscription before deciding by it; if the driver refuses that
     * subscription the pump keeps the old policy, and so does the reloader's record of
     * what is in force, so the two never disagree.
     */
    private PolicyReloader startReloader(AgentSession session, PolicyLoader.Loaded loaded) {
        if (policyFile == null) {
            return null;
        }
        if (Files.isDirectory(policyFile)) {
            // The reloader watches one file's bytes; a directory of Sigma rules would never change
            // for it. A Sigma settings file naming the directory is watched (its own bytes only).
            LOG.info("policy {} is a directory: not watched for changes (restart to apply edits)", policyFile);
            return null;
        }
        PolicyHolder inForce = new PolicyHolder(loaded.policy());
        FailMode overrideFailMode = failMode == null ? null : failMode.mode;
        PolicyReloader reloader = new PolicyReloader(policyFile, inForce,
                reloadMs == 0 ? PolicyReloader.DEFAULT_INTERVAL : Duration.ofMillis(reloadMs),
                (previous, current) -> {
                    try {
                        session.pump().setPolicy(TunedPolicy.of(current, timeoutMs, overrideFailMode));
                    } catch (RuntimeException e) {
                        inForce.swap(previous);
                        LOG.error("policy {} from {} not applied ({}); policy {} stays in force", current.hash(),
                                policyFile, e.getMessage(), previous.hash());
                        events.write(EventLogMessage.POLICY_REJECTED, policyFile.toString(), previous.hash(),
                                "The driver refused its subscription: " + e.getMessage());
                        return;
                    }
                    writePolicyLoaded(policyFile.toString(), current);
                }, (file, errors, kept) -> events.write(EventLogMessage.POLICY_REJECTED, file.toString(), kept,
                        errors.stream().map(Object::toString).collect(Collectors.joining("\n"))));
        // Record the file as loaded now, so the first poll does not take it for a change.
        reloader.checkNow();
        // With --reload-ms 0 the file is not polled, but PARAMCHANGE can still ask for a check.
        return reloadMs == 0 ? reloader : reloader.start();
    }

    /**
     * Stops the agent when it can no longer receive events - every GET_EVENTS request
     * failed (driver stopped or unloaded, handle closed under us) - so that the service
     * manager's recovery restarts it instead of leaving a process that protects
     * nothing. One empty observation is normal (requests are re-parked right after
     * each completion); several in a row are not.
     */
    private void watchServing(AgentSession session, PumpStatus s) {
        boolean serving = s.running() && s.parkedRequests() + s.heldRequests() + s.queuedBatches() > 0
                && !session.handlesLost();
        unservedChecks = serving ? 0 : unservedChecks + 1;
        if (unservedChecks >= NOT_SERVING_CHECKS && notServing == null) {
            notServing = session.handlesLost() ? "the device handle was closed" : "no GET_EVENTS request is parked";
            LOG.error("not serving: {} for {} consecutive checks; stopping", notServing, unservedChecks);
            events.write(EventLogMessage.DRIVER_NOT_GUARDING, notServing + "; the agent stops so that the service's "
                    + "recovery restarts it");
            stopRequested.countDown();
        }
    }

    private void writePolicyLoaded(String source, Policy policy) {
        String rules = "0";
        String mode = "built-in default";
        if (policy instanceof CompiledPolicy compiled) {
            rules = Integer.toString(compiled.document().rules().size());
            mode = compiled.settings().mode().xmlName();
        }
        events.write(EventLogMessage.POLICY_LOADED, source, policy.hash(), rules, mode);
    }

    private void writeStopped(AgentSession session) {
        try {
            PumpStatus last = session.status();
            long blocked = last.verdicts().getOrDefault(Verdict.BLOCK, 0L);
            events.write(EventLogMessage.SERVICE_STOPPED, notServing != null ? "driver lost: " + notServing
                    : "stop requested", Long.toString(last.eventsReceived()), Long.toString(blocked));
        } catch (RuntimeException e) {
            LOG.warn("cannot report the stop to the Event Log: {}", e.toString());
        }
    }

    private static ObjectNode status(AgentSession session, PumpStatus pump, PolicyLoader.Loaded loaded,
                                     Instant started, AuditOptions audit) {
        ObjectNode s = AgentStatusFile.newStatus();
        s.put("started", started.toString());
        s.put("policy", loaded.source());
        s.put("policyHash", pump.policyHash());
        HelloReply hello = session.pump().hello();
        if (hello != null) {
            s.put("registryCallback", RegistryGuard.of(hello).description());
        }
        s.put("auditFile", audit.activeFile().toAbsolutePath().toString());
        s.set("audit", AgentStatusFile.toTree(session.audit().stats()));
        // The driver counters get their own section; the pump section keeps its own metrics.
        s.set("pump", ((ObjectNode) AgentStatusFile.toTree(pump)).without("driver"));
        s.set("driverInfo", driverInfo(session.pump().hello()));
        DriverStats driver = pump.driver() != null ? pump.driver() : session.finalDriverStats();
        if (driver != null) {
            s.set("driver", AgentStatusFile.toTree(driver));
        }
        return s;
    }

    /** What HELLO said about the driver: the status command's "driver:" line. */
    static ObjectNode driverInfo(HelloReply hello) {
        ObjectNode d = AgentStatusFile.newStatus().objectNode();
        d.put("version", hello.driverVersionText());
        d.put("wireVersion", hello.versionMajor() + "." + hello.versionMinor());
        d.put("altitude", hello.altitude());
        d.put("defaultVerdict", switch (hello.noClientVerdict()) {
            case 1 -> "allow";
            case 2 -> "block";
            default -> "unknown";
        });
        d.put("callbackRegistered", hello.has(Wire.CAP_REGISTRY_CALLBACK));
        d.put("simulator", hello.has(Wire.CAP_SIMULATOR));
        return d;
    }

    private static void publish(AgentStatusFile file, AgentSession session, PumpStatus pump,
                                PolicyLoader.Loaded loaded, Instant started, AuditOptions audit) {
        try {
            file.write(status(session, pump, loaded, started, audit), Instant.now());
        } catch (IOException | RuntimeException e) {
            // A status file that cannot be written must not stop the agent.
            LOG.warn("cannot write status to {}: {}", file.path(), e.toString());
        }
    }
}
