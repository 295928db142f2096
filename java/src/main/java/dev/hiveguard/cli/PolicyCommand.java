package dev.hiveguard.cli;

import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.PolicyDescription;
import dev.hiveguard.policy.PolicyDocument;
import dev.hiveguard.policy.PolicyError;
import dev.hiveguard.policy.PolicyException;
import dev.hiveguard.policy.PolicyLoader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code hiveguard policy validate FILE} and {@code hiveguard policy show FILE}: check a
 * policy before deploying it, and see what the agent would actually enforce. Errors are
 * printed one per line as {@code file:line:column: reason}, the form editors and CI logs
 * link to.
 */
@Command(name = "policy",
        mixinStandardHelpOptions = true,
        description = "Check or display a policy: Sysmon RegistryEvent rules with HiveGuard actions (XML), or "
                + "Sigma registry rules (a .yml rule, a directory of them, or a Sigma settings file).",
        subcommands = {PolicyCommand.Validate.class, PolicyCommand.Show.class})
public final class PolicyCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: validate or show");
    }

    /** Loads a file; prints located errors to err and returns null when it is not usable. */
    static CompiledPolicy load(Path file, PrintWriter err) {
        try {
            return PolicyLoader.compile(PolicyLoader.parse(file));
        } catch (NoSuchFileException e) {
            err.println(file + ": no such file");
        } catch (IOException e) {
            err.println(file + ": cannot read: " + e.getMessage());
        } catch (PolicyException e) {
            for (PolicyError pe : e.errors()) {
                err.println(pe);
            }
            err.println(e.errors().size() + " error(s); the policy cannot be used");
        }
        err.flush();
        return null;
    }

    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Report every error in FILE as file:line:column: reason; exit 0 when it is usable.")
    static final class Validate implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "FILE", description = "policy: XML file, Sigma rule, directory or settings file")
        Path file;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            CompiledPolicy p = load(file, spec.commandLine().getErr());
            if (p == null) {
                return ExitCodes.POLICY_INVALID;
            }
            PolicyDocument d = p.document();
            for (String note : d.notes()) {
                out.println("note: " + note);
            }
            for (String note : p.subscriptionNotes()) {
                out.println("note: " + file + ": driver subscription widened to fit the driver's limits: " + note);
            }
            out.printf("%s: valid, %d rule(s), mode %s, default %s, hash %s%n", file, d.rules().size(),
                    d.settings().mode().xmlName(), d.settings().defaultAction().name().toLowerCase(java.util.Locale.ROOT),
                    p.hash());
            out.flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Print the effective policy (resolved rules), its hash and the driver subscription it compiles to.")
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "FILE", description = "policy: XML file, Sigma rule, directory or settings file")
        Path file;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            CompiledPolicy p = load(file, spec.commandLine().getErr());
            if (p == null) {
                return ExitCodes.POLICY_INVALID;
            }
            out.println("policy " + p.name());
            out.println("hash " + p.hash());
            for (String note : p.document().notes()) {
                out.println("note: " + note);
            }
            out.print(PolicyDescription.render(p.document()));
            out.println("driver subscription:");
            for (String note : p.subscriptionNotes()) {
                out.println("  widened to fit the driver's limits: " + note);
            }
            out.print(PolicyDescription.describe(p.subscription()));
            out.flush();
            return ExitCodes.OK;
        }
    }
}
