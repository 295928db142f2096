package dev.hiveguard.cli;

import dev.hiveguard.install.InstallLayout;
import dev.hiveguard.install.Installer;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hiveguard uninstall}: removes what {@code install} set up; safe to run twice. */
@Command(name = "uninstall", mixinStandardHelpOptions = true,
        description = {
            "Remove HiveGuard from this Windows machine; run from an elevated prompt.",
            "%nStops and deletes the HiveGuardAgent and HiveGuard services, removes the Event Log source, "
                    + "System32\\drivers\\hiveguard.sys and %ProgramData%\\HiveGuard (policy, audit trail, log) unless "
                    + "--keep-data. Every step is tried even if one fails; what is already gone is skipped.",
        })
public final class UninstallCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--keep-data", description = "Keep %ProgramData%\\HiveGuard (the audit trail and policy).")
    boolean keepData;

    @Override
    public Integer call() {
        InstallCommand.requireWindows("uninstall");
        List<String> done = InstallCommand.run(() -> new Installer(InstallCommand.newBinding(),
                InstallLayout.ofThisProcess(System.getenv())).uninstall(keepData));
        InstallCommand.print(spec.commandLine().getOut(), done, "HiveGuard is not installed; nothing to remove");
        return ExitCodes.OK;
    }
}
