package dev.hiveguard.cli;

import dev.hiveguard.policy.DefaultPolicy;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.policy.PolicyError;
import dev.hiveguard.policy.PolicyException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Turns {@code --policy FILE} (or its absence) into a {@link Policy}, with errors an
 * admin can act on: the file and line of every problem, as one message.
 */
final class PolicyLoader {

    /** The protection policy shipped in the jar: blocks the persistence and tampering the demo plays. */
    static final String BUILT_IN_PROTECTION_NAME = "protect.xml";
    static final String BUILT_IN_PROTECTION = "/policies/" + BUILT_IN_PROTECTION_NAME;
    /** Errors listed in one message; the rest are counted. */
    static final int MAX_ERRORS_SHOWN = 5;

    /** What was loaded and where from. */
    record Loaded(Policy policy, String source, boolean builtInProtection) {
    }

    private PolicyLoader() {
    }

    static Loaded fromFile(Path file) {
        String name = dev.hiveguard.policy.PolicyLoader.displayName(file);
        try {
            return new Loaded(dev.hiveguard.policy.PolicyLoader.load(file), file.toString(), false);
        } catch (NoSuchFileException e) {
            throw new CliException(ExitCodes.POLICY_INVALID, "policy file " + file + " does not exist");
        } catch (IOException e) {
            throw new CliException(ExitCodes.POLICY_INVALID, "cannot read policy file " + file + ": " + e, e);
        } catch (PolicyException e) {
            throw new CliException(ExitCodes.POLICY_INVALID, describe(name, e.errors()), e);
        }
    }

    /** The given file; else the built-in protection policy; else the audit-only default. */
    static Loaded fileOrBuiltInProtection(Path file) {
        if (file != null) {
            return fromFile(file);
        }
        if (PolicyLoader.class.getResource(BUILT_IN_PROTECTION) != null) {
            try {
                return new Loaded(dev.hiveguard.policy.PolicyLoader.loadResource(BUILT_IN_PROTECTION_NAME),
                        "built-in " + BUILT_IN_PROTECTION, true);
            } catch (IOException | PolicyException e) {
                // The jar's own policy failing is a build defect, not an admin's mistake.
                throw new CliException(ExitCodes.INTERNAL_ERROR, "the built-in policy is unusable: " + e.getMessage(),
                        e);
            }
        }
        return defaultPolicy();
    }

    /** The given file, else the default policy (audit everything, block nothing). */
    static Loaded fileOrDefault(Path file) {
        return file != null ? fromFile(file) : defaultPolicy();
    }

    private static Loaded defaultPolicy() {
        return new Loaded(new DefaultPolicy(), "default (audit everything, block nothing)", false);
    }

    static String describe(String name, List<PolicyError> errors) {
        String shown = errors.stream().limit(MAX_ERRORS_SHOWN).map(PolicyError::toString)
                .collect(Collectors.joining("; "));
        int more = errors.size() - MAX_ERRORS_SHOWN;
        return "policy " + name + " is invalid: " + shown + (more > 0 ? "; and " + more + " more" : "");
    }
}
