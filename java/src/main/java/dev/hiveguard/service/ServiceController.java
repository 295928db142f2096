package dev.hiveguard.service;

import static dev.hiveguard.service.ServiceStatus.ERROR_CALL_NOT_IMPLEMENTED;
import static dev.hiveguard.service.ServiceStatus.ERROR_SERVICE_SPECIFIC_ERROR;
import static dev.hiveguard.service.ServiceStatus.NO_ERROR;
import static dev.hiveguard.service.ServiceStatus.SERVICE_ACCEPT_PARAMCHANGE;
import static dev.hiveguard.service.ServiceStatus.SERVICE_ACCEPT_PRESHUTDOWN;
import static dev.hiveguard.service.ServiceStatus.SERVICE_ACCEPT_STOP;
import static dev.hiveguard.service.ServiceStatus.SERVICE_CONTROL_INTERROGATE;
import static dev.hiveguard.service.ServiceStatus.SERVICE_CONTROL_PARAMCHANGE;
import static dev.hiveguard.service.ServiceStatus.SERVICE_CONTROL_PRESHUTDOWN;
import static dev.hiveguard.service.ServiceStatus.SERVICE_CONTROL_SHUTDOWN;
import static dev.hiveguard.service.ServiceStatus.SERVICE_CONTROL_STOP;
import static dev.hiveguard.service.ServiceStatus.SERVICE_RUNNING;
import static dev.hiveguard.service.ServiceStatus.SERVICE_START_PENDING;
import static dev.hiveguard.service.ServiceStatus.SERVICE_STOPPED;
import static dev.hiveguard.service.ServiceStatus.SERVICE_STOP_PENDING;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the service control manager sees of the agent. The states follow the SCM's
 * contract: START_PENDING (checkpoint growing, wait hint set, no control accepted)
 * until the agent serves; RUNNING accepting STOP, PRESHUTDOWN and PARAMCHANGE;
 * STOP_PENDING (checkpoint growing) while the pump drains and the audit trail is
 * flushed; STOPPED with exit code 0, or ERROR_SERVICE_SPECIFIC_ERROR and the agent's
 * own exit code when it failed - which is what makes the SCM's failure actions
 * (restart) apply to a non-crash failure once the installer sets the
 * failure-actions flag.
 *
 * <p>PRESHUTDOWN rather than SHUTDOWN: SHUTDOWN grants a service a few seconds
 * shared with every other service, PRESHUTDOWN grants it the preshutdown timeout the
 * installer configures ({@link #PRESHUTDOWN_TIMEOUT_MS}), and the stop deadline here
 * is below that, so the stop is always reported as finished before Windows gives up.
 *
 * <p>Progress reports come from a ticker every {@link Timing#progressIntervalMillis},
 * well inside the wait hint, so the SCM never sees a stalled checkpoint while the
 * agent is working; past the stop deadline the controller reports STOPPED itself
 * (exit code {@link Timing#failureExitCode}, as for an agent that throws) and {@link #abandoned()} tells the
 * caller to end the process.
 */
public final class ServiceController {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceController.class);

    /** Preshutdown timeout the installer configures for the agent service. */
    public static final int PRESHUTDOWN_TIMEOUT_MS = 30_000;
    static final int ACCEPTED_WHILE_RUNNING = SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_PRESHUTDOWN
            | SERVICE_ACCEPT_PARAMCHANGE;

    /** The agent as the controller drives it. */
    public interface Agent {
        /**
         * Runs the agent on the calling thread until it stops; calls {@code serving}
         * once it is deciding events. Returns the process exit code (0 = success).
         */
        int run(Runnable serving) throws Exception;

        /** Begins a graceful stop; {@link #run} returns when it is done. Returns quickly. */
        void requestStop();

        /** PARAMCHANGE: re-read the policy file now. Called off the dispatcher thread. */
        void reloadPolicy();
    }

    /**
     * @param startWaitHintMillis   wait hint while starting (JVM warm-up, HELLO, CONFIGURE)
     * @param stopWaitHintMillis    wait hint while stopping
     * @param progressIntervalMillis how often a pending state is re-reported with the next checkpoint
     * @param stopDeadlineMillis    longest a stop may take before STOPPED is reported regardless
     * @param failureExitCode       service-specific exit code when the stop deadline passes or the agent throws
     */
    public record Timing(int startWaitHintMillis, int stopWaitHintMillis, long progressIntervalMillis,
                         long stopDeadlineMillis, int failureExitCode) {

        public Timing {
            if (progressIntervalMillis <= 0 || progressIntervalMillis >= Math.min(startWaitHintMillis,
                    stopWaitHintMillis)) {
                throw new IllegalArgumentException("progress interval must be positive and below both wait hints");
            }
            if (stopDeadlineMillis >= PRESHUTDOWN_TIMEOUT_MS) {
                throw new IllegalArgumentException("stop deadline must be below the preshutdown timeout");
            }
        }

        /** Production timing; {@code RunCommand}'s own drain (2 s) and close fit well inside the deadline. */
        public static Timing defaults(int failureExitCode) {
            return new Timing(15_000, 5_000, 1_000, 25_000, failureExitCode);
        }
    }

    private final ServiceControlBinding binding;
    private final String serviceName;
    private final Agent agent;
    private final Timing timing;
    private final LongSupplier clockMillis;
    private final ExecutorService controlWorker;

    // Guarded by this: every report goes out under the lock, so checkpoints are ordered.
    private ServiceControlBinding.StatusHandle handle;
    private ServiceStatus last;
    private long stopRequestedAt = -1;
    private boolean stopAfterStart;
    private boolean abandoned;
    private int exitCode = -1;

    public ServiceController(ServiceControlBinding binding, String serviceName, Agent agent, Timing timing) {
        this(binding, serviceName, agent, timing, () -> System.nanoTime() / 1_000_000L);
    }

    ServiceController(ServiceControlBinding binding, String serviceName, Agent agent, Timing timing,
                      LongSupplier clockMillis) {
        this.binding = binding;
        this.serviceName = serviceName;
        this.agent = agent;
        this.timing = timing;
        this.clockMillis = clockMillis;
        this.controlWorker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "hiveguard-service-control");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Connects to the SCM and serves until the service has stopped. Returns the
     * agent's exit code.
     *
     * @throws ServiceException when the process was not started by the SCM
     */
    public int runDispatcher() {
        try {
            binding.runDispatcher(serviceName, args -> serviceMain(true));
        } finally {
            controlWorker.shutdownNow();
        }
        synchronized (this) {
            return exitCode;
        }
    }

    /** True when the stop deadline passed and STOPPED was reported with the agent still running. */
    public synchronized boolean abandoned() {
        return abandoned;
    }

    /**
     * The body of ServiceMain. {@code withTicker} false lets a test drive the progress
     * reports through {@link #tick()} itself.
     */
    void serviceMain(boolean withTicker) {
        synchronized (this) {
            try {
                handle = binding.registerHandler(serviceName, this::onControl);
            } catch (ServiceException e) {
                // Without a handle nothing can be reported; the SCM times the start out.
                LOG.error("cannot register the service control handler: {}", e.getMessage());
                exitCode = ERROR_SERVICE_SPECIFIC_ERROR;
                return;
            }
            report(SERVICE_START_PENDING, 0, NO_ERROR, 0, 1, timing.startWaitHintMillis());
        }
        ScheduledExecutorService ticker = null;
        if (withTicker) {
            ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "hiveguard-service-progress");
                t.setDaemon(true);
                return t;
            });
            ticker.scheduleWithFixedDelay(this::tick, timing.progressIntervalMillis(),
                    timing.progressIntervalMillis(), TimeUnit.MILLISECONDS);
        }
        int code;
        try {
            code = agent.run(this::serving);
        } catch (Exception | Error e) {
            LOG.error("the agent failed", e);
            code = timing.failureExitCode();
        } finally {
            if (ticker != null) {
                ticker.shutdownNow();
            }
        }
        synchronized (this) {
            exitCode = code;
            if (!abandoned) {
                report(SERVICE_STOPPED, 0, code == 0 ? NO_ERROR : ERROR_SERVICE_SPECIFIC_ERROR, code, 0, 0);
            }
        }
    }

    /** The agent is deciding events: RUNNING, or straight on to the stop asked for meanwhile. */
    private void serving() {
        boolean stopNow;
        synchronized (this) {
            if (last.currentState() != SERVICE_START_PENDING) {
                return;
            }
            report(SERVICE_RUNNING, ACCEPTED_WHILE_RUNNING, NO_ERROR, 0, 0, 0);
            stopNow = stopAfterStart;
        }
        LOG.info("service {} running", serviceName);
        if (stopNow) {
            beginStop("stop requested during start");
        }
    }

    /** HandlerEx. Runs on the dispatcher thread: nothing here may block. */
    int onControl(int control) {
        switch (control) {
            case SERVICE_CONTROL_STOP:
                beginStop("STOP");
                return NO_ERROR;
            case SERVICE_CONTROL_PRESHUTDOWN:
            case SERVICE_CONTROL_SHUTDOWN:
                beginStop("system shutdown");
                return NO_ERROR;
            case SERVICE_CONTROL_PARAMCHANGE:
                controlWorker.execute(() -> {
                    try {
                        agent.reloadPolicy();
                    } catch (RuntimeException e) {
                        LOG.error("policy reload on PARAMCHANGE failed: {}", e.toString());
                    }
                });
                return NO_ERROR;
            case SERVICE_CONTROL_INTERROGATE:
                // The SCM answers from the last status report; nothing to do but succeed.
                return NO_ERROR;
            default:
                return ERROR_CALL_NOT_IMPLEMENTED;
        }
    }

    private void beginStop(String why) {
        synchronized (this) {
            if (last == null || last.currentState() == SERVICE_START_PENDING) {
                stopAfterStart = true;
                return;
            }
            if (last.currentState() != SERVICE_RUNNING) {
                return; // already stopping or stopped
            }
            stopRequestedAt = clockMillis.getAsLong();
            report(SERVICE_STOP_PENDING, 0, NO_ERROR, 0, 1, timing.stopWaitHintMillis());
        }
        LOG.info("service {} stopping ({})", serviceName, why);
        agent.requestStop();
    }

    /** Re-reports a pending state with the next checkpoint; past the stop deadline, gives up. */
    void tick() {
        synchronized (this) {
            if (last == null || !last.pending() || abandoned) {
                return;
            }
            if (last.currentState() == SERVICE_STOP_PENDING
                    && clockMillis.getAsLong() - stopRequestedAt >= timing.stopDeadlineMillis()) {
                LOG.error("the agent did not stop within {} ms; reporting STOPPED and ending the process",
                        timing.stopDeadlineMillis());
                report(SERVICE_STOPPED, 0, ERROR_SERVICE_SPECIFIC_ERROR, timing.failureExitCode(), 0, 0);
                abandoned = true;
                exitCode = timing.failureExitCode();
                return;
            }
            report(last.currentState(), 0, NO_ERROR, 0, last.checkPoint() + 1, last.waitHintMillis());
        }
    }

    // Called with the lock held.
    private void report(int state, int accepts, int win32Exit, int specificExit, int checkPoint, int waitHint) {
        ServiceStatus status = new ServiceStatus(state, accepts, win32Exit, specificExit, checkPoint, waitHint);
        last = status;
        try {
            binding.setStatus(handle, status);
        } catch (ServiceException e) {
            LOG.error("cannot report {}: {}", status, e.getMessage());
        }
    }
}
