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
        System.exit(newCommandLine(null, null).execute(args));
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
        LOG.error("internal error in '{}'", commandLine.getCommandName(), ex);
        err.println("hiveguard " + commandLine.getCommandName() + ": internal error: " + ex
               );
        err.flush();
        return ExitCodes.INTERNAL_ERROR;
    }
}
