package dev.hiveguard.cli;

import dev.hiveguard.install.InstallException;
import dev.hiveguard.install.InstallLayout;
import dev.hiveguard.install.Installer;
import dev.hiveguard.install.SystemBinding;
import dev.hiveguard.install.WindowsSystemBinding;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hiveguard install}: sets HiveGuard up on this Windows machine from the
 * unpacked release (see {@link Installer} for every step); run it again to upgrade
 * or to change the policy or altitude.
 */
@Command(name = "install", mixinStandardHelpOptions = true,
        description = {
            "Install (or upgrade) HiveGuard on this Windows machine; run from an elevated prompt.",
            "%nFrom the unpacked release (the jar, hiveguard.sys, hiveguard-messages.dll): copies the driver to "
                    + "System32\\drivers, creates the HiveGuard driver service (demand start, Parameters: Altitude, "
                    + "DefaultVerdict) and the HiveGuardAgent service (LocalSystem, delayed automatic start, depends "
                    + "on HiveGuard, restarts on failure), registers the HiveGuard Event Log source, creates "
                    + "%ProgramData%\\HiveGuard for SYSTEM and Administrators only with the policy, and starts the "
                    + "agent. A failed step undoes the ones before it. Running it again changes only what differs.",
        })
public final class InstallCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--policy", paramLabel = "FILE", description = "Install this policy as "
            + "%ProgramData%\\HiveGuard\\policy.xml (default: keep the installed one; a first install gets the "
            + "shipped audit-only policy).")
    Path policy;

    @Option(names = "--altitude", paramLabel = "N", description = "Registry callback altitude, "
            + Installer.ALTITUDE_MIN + ".." + Installer.ALTITUDE_MAX + " (default: ${DEFAULT-VALUE}).")
    int altitude = Installer.ALTITUDE_DEFAULT;

    @Option(names = "--default-verdict", paramLabel = "VERDICT", description = "What the driver applies while no "
            + "agent is connected: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    DefaultVerdict defaultVerdict = DefaultVerdict.allow;

    @Option(names = "--no-start", description = "Configure everything but do not start the agent.")
    boolean noStart;

    enum DefaultVerdict {
        allow(Installer.DEFAULT_VERDICT_ALLOW), block(Installer.DEFAULT_VERDICT_BLOCK);

        final int value;

        DefaultVerdict(int value) {
            this.value = value;
        }
    }

    @Override
    public Integer call() {
        requireWindows("install");
        Installer.PolicySource source = null;
        if (policy != null) {
            try {
                source = new Installer.PolicySource(policy.getFileName().toString(), Files.readAllBytes(policy));
            } catch (IOException e) {
                throw new CliException(ExitCodes.POLICY_INVALID, "cannot read " + policy + ": " + e.getMessage(), e);
            }
        }
        Installer.Options options = new Installer.Options(source, altitude, defaultVerdict.value, !noStart);
        List<String> done = run(() -> new Installer(newBinding(), InstallLayout.ofThisProcess(System.getenv()))
                .install(options));
        print(spec.commandLine().getOut(), done, "HiveGuard is installed and up to date");
        return ExitCodes.OK;
    }

    static SystemBinding newBinding() {
        try {
            return new WindowsSystemBinding();
        } catch (LinkageError e) {
            throw new CliException(ExitCodes.USAGE, "cannot load advapi32: " + CliException.firstLine(e.getMessage()), e);
        }
    }

    static void requireWindows(String command) {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows")) {
            throw new CliException(ExitCodes.USAGE, command + " sets up Windows services and runs on Windows only; "
                    + "here, use 'hiveguard run' (or 'demo') over the user-mode host");
        }
    }

    /** Runs an install or uninstall, turning its failure into the documented exit code. */
    static List<String> run(java.util.function.Supplier<List<String>> action) {
        try {
            return action.get();
        } catch (InstallException e) {
            int code = switch (e.kind()) {
                case NOT_ELEVATED -> ExitCodes.NOT_PERMITTED;
                case BAD_INPUT -> e.getMessage().startsWith("policy ") ? ExitCodes.POLICY_INVALID : ExitCodes.USAGE;
                case SYSTEM -> ExitCodes.SYSTEM_CHANGE_FAILED;
            };
            throw new CliException(code, e.getMessage(), e);
        } catch (LinkageError e) {
            throw new CliException(ExitCodes.USAGE, "cannot load advapi32: " + CliException.firstLine(e.getMessage()), e);
        }
    }

    static void print(PrintWriter out, List<String> done, String nothingToDo) {
        if (done.isEmpty()) {
            out.println(nothingToDo);
        }
        for (String line : done) {
            out.println(line);
        }
        out.flush();
    }
}
