package dev.hiveguard.cli;

import dev.hiveguard.service.Advapi32ServiceBinding;
import dev.hiveguard.service.ServiceControlBinding;
import dev.hiveguard.service.ServiceController;
import dev.hiveguard.service.ServiceException;
import dev.hiveguard.service.ServiceNames;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hiveguard service}: the command line the HiveGuardAgent service runs. It is
 * {@code run} (same options, same agent) under the service control manager: the
 * SCM sees START_PENDING until the agent serves, RUNNING, then STOP_PENDING while a
 * STOP or PRESHUTDOWN drains the pump and flushes the audit trail; PARAMCHANGE
 * ({@code sc control HiveGuardAgent paramchange}) re-reads the policy file at once.
 * A failure ends in STOPPED with the exit code below as the service-specific code,
 * which the failure actions the installer sets turn into a restart.
 */
@Command(name = "service", mixinStandardHelpOptions = true,
        description = {
            "The entry the Windows service control manager starts (service HiveGuardAgent); Windows only.",
            "%nTakes the options of 'run'. Accepts STOP, PRESHUTDOWN (graceful stop within the preshutdown "
                    + "timeout) and PARAMCHANGE (re-read the --policy file now). Started from a console it fails "
                    + "with Win32 error 1063: use 'hiveguard run' there.",
        })
public final class ServiceCommand extends RunCommand {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceCommand.class);

    private final Supplier<ServiceControlBinding> bindings;
    private final ServiceController.Timing timing;

    public ServiceCommand() {
        this(Advapi32ServiceBinding::new, ServiceController.Timing.defaults(ExitCodes.INTERNAL_ERROR));
    }

    /** A command over another binding (tests: a recording fake dispatcher). */
    ServiceCommand(Supplier<ServiceControlBinding> bindings, ServiceController.Timing timing) {
        this.bindings = bindings;
        this.timing = timing;
    }

    @Option(names = "--service-name", paramLabel = "NAME",
            description = "The service name the SCM started this process as (default: ${DEFAULT-VALUE}).")
    String serviceName = ServiceNames.AGENT;

    @Override
    public Integer call() {
        ServiceController controller = new ServiceController(bindings.get(), serviceName,
                new ServiceController.Agent() {
                    @Override
                    public int run(Runnable serving) throws InterruptedException {
                        onServing = serving;
                        try {
                            return ServiceCommand.super.call();
                        } catch (CliException e) {
                            // The SCM discards stderr: the log is where an admin looks.
                            LOG.error("the agent stopped: {}", e.getMessage());
                            return e.exitCode();
                        }
                    }

                    @Override
                    public void requestStop() {
                        ServiceCommand.this.requestStop();
                    }

                    @Override
                    public void reloadPolicy() {
                        reloadPolicyNow();
                    }
                }, timing);
        int code;
        try {
            code = controller.runDispatcher();
        } catch (ServiceException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage(), e);
        } catch (LinkageError e) { // advapi32 not loadable: ExceptionInInitializerError, then NoClassDefFoundError
            throw new CliException(ExitCodes.USAGE, "the service entry runs on Windows only (advapi32 is not "
                    + "available here); use 'hiveguard run'", e);
        }
        if (controller.abandoned()) {
            // STOPPED is reported and the SCM may end the process any moment; the agent
            // thread is stuck, so do not wait for it in the shutdown hooks either.
            Runtime.getRuntime().halt(code);
        }
        return code;
    }
}
