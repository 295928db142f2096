package dev.hiveguard.cli;

import ch.qos.logback.classic.Level;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code hiveguard} command: the jar's entry point and the Windows agent
 * service's command line. Expected failures end in one line on stderr and a
 * documented exit code; only a bug prints a stack trace, and only to the log.
 */
@Command(name = "hiveguard",
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        description = "Guards the Windows registry: decides allow / block / audit for the operations the "
                + "hiveguard.sys driver reports, and writes an ECS JSON audit trail.",
        subcommands = {RunCommand.class, ServiceCommand.class, InstallCommand.class, UninstallCommand.class,
            StatusCommand.class, DemoCommand.class, PolicyCommand.class,
            ReplayCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing command: choose one of " + String.join(", ", spec.subcommands().keySet()));
    }

    public static void main(String[] args) {
        Logging.setDefaultLevel(Level.WARN);
        Thread.setDefaultUncaughtExceptionHandler(Main::uncaught);
        System.exit(execute(newCommandLine(null, null), args));
    }

    /**
     * Runs the command line. picocli hands only Exceptions to the handler below: an Error
     * escaping a command would otherwise end the JVM with its own exit code 1, which the
     * table gives to "a check failed".
     */
    static int execute(CommandLine cl, String... args) {
        try {
            return cl.execute(args);
        } catch (Throwable t) {
            return fatal(cl.getErr(), cl.getCommandName(), t);
        }
    }

    private static int fatal(PrintWriter err, String command, Throwable t) {
        boolean jvm = t instanceof VirtualMachineError;
        try {
            LOG.error("{} in '{}'", jvm ? "the Java runtime failed" : "internal error", command, t);
        } catch (Throwable logFailed) {
            // Out of memory, logging may fail too; the exit code still tells the story.
        }
        err.println("hiveguard " + command + ": " + (jvm ? "the Java runtime failed: " : "internal error: ") + t);
        err.flush();
        return jvm ? ExitCodes.JVM_ERROR : ExitCodes.INTERNAL_ERROR;
    }

    /**
     * An agent thread (pump, reloader, audit flush) that dies of a JVM error leaves the agent
     * half alive: exit with {@link ExitCodes#JVM_ERROR} so the service manager restarts it
     * (the shutdown hook still stops gracefully where it can). Anything else is logged.
     */
    private static void uncaught(Thread thread, Throwable t) {
        try {
            LOG.error("thread {} died", thread.getName(), t);
        } catch (Throwable logFailed) {
            // see fatal()
        }
        if (t instanceof VirtualMachineError) {
            System.exit(ExitCodes.JVM_ERROR);
        }
    }

    /**
     * The configured command line. {@code out}/{@code err} replace the console for
     * in-process use (tests); null keeps System.out/System.err.
     */
    public static CommandLine newCommandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        if (out != null) {
            cl.setOut(out);
        }
        if (err != null) {
            cl.setErr(err);
        }
        Map<String, String> exitCodes = new LinkedHashMap<>();
        for (String entry : ExitCodes.HELP_LIST) {
            int colon = entry.indexOf(':');
            exitCodes.put(entry.substring(0, colon), entry.substring(colon + 1));
        }
        cl.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(exitCodes);
        cl.setExecutionExceptionHandler(Main::handleExecutionException);
        return cl;
    }

    private static int handleExecutionException(Exception ex, CommandLine commandLine,
                                                CommandLine.ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        if (ex instanceof CliException) {
            CliException c = (CliException) ex;
            err.println("hiveguard " + commandLine.getCommandName() + ": " + c.getMessage());
            if (c.getCause() != null) {
                LOG.debug("cause", c.getCause());
            }
            err.flush();
            return c.exitCode();
        }
        Throwable t = ex instanceof CommandLine.ExecutionException && ex.getCause() != null ? ex.getCause() : ex;
        return fatal(err, commandLine.getCommandName(), t);
    }
}
