package dev.hiveguard.policy;

import dev.hiveguard.policy.sigma.SigmaPolicyLoader;
import dev.hiveguard.wire.ConfigMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads, validates and compiles a policy: a Sysmon-style XML file, or Sigma rules (a rule
 * file, a directory of them, or a Sigma settings file), told apart by extension or content.
 */
public final class PolicyLoader {

    /** A policy file larger than this is refused before parsing: real ones are tens of KiB. */
    public static final long MAX_POLICY_BYTES = 16L * 1024 * 1024;

    private PolicyLoader() {
    }

    public static CompiledPolicy load(Path file) throws PolicyException, IOException {
        return compile(parse(file));
    }

    /**
     * Compiles a parsed policy and checks its driver subscription with the driver's own limits
     * (prefix count, prefix length, CONFIGURE size, timeouts), so that a policy this accepts is
     * one the driver accepts: {@code validate} and {@code run} agree. The compiler widens a
     * subscription to fit (see {@link CompiledPolicy#subscriptionNotes()}), so this refusal is
     * a last line of defence, reported like any other located error.
     */
    public static CompiledPolicy compile(PolicyDocument doc) throws PolicyException {
        CompiledPolicy p = CompiledPolicy.compile(doc);
        try {
            ConfigMessage.encode(p.subscription());
        } catch (IllegalArgumentException e) {
            int line = doc.rules().isEmpty() ? 1 : doc.rules().get(0).line();
            throw new PolicyException(List.of(new PolicyError(doc.name(), line, 1,
                    "the driver would refuse the subscription this policy compiles to: " + e.getMessage())));
        }
        return p;
    }

    public static PolicyDocument parse(Path file) throws PolicyException, IOException {
        if (SigmaPolicyLoader.isSigma(file)) {
            return SigmaPolicyLoader.load(file).document();
        }
        String name = displayName(file);
        checkSize(name, Files.size(file)); // before reading: a huge file is never pulled into memory
        return parse(name, Files.readAllBytes(file));
    }

    /** Parses the bytes of a policy file (as the reloader read them), under the same size limit. */
    public static PolicyDocument parse(String name, byte[] bytes) throws PolicyException {
        return parse(name, bytes, null);
    }

    /**
     * As {@link #parse(String, byte[])} for the bytes of {@code file}: a Sigma settings file
     * among them names its rules relative to its own folder.
     */
    public static PolicyDocument parse(Path file, byte[] bytes) throws PolicyException {
        return parse(displayName(file), bytes, file.toAbsolutePath().getParent());
    }

    private static PolicyDocument parse(String name, byte[] bytes, Path baseDir) throws PolicyException {
        checkSize(name, bytes.length);
        if (SigmaPolicyLoader.isSigma(name, bytes, bytes.length)) {
            try {
                return SigmaPolicyLoader.parse(name, bytes, baseDir, name).document();
            } catch (IOException e) {
                throw new PolicyException(List.of(new PolicyError(name, 1, 1, "cannot read a rule file it names: " + e)));
            }
        }
        return PolicyParser.parse(name, bytes);
    }

    /** How errors name a policy file: its file name. */
    public static String displayName(Path file) {
        return file.getFileName() == null ? file.toString() : file.getFileName().toString();
    }

    private static void checkSize(String name, long size) throws PolicyException {
        if (size > MAX_POLICY_BYTES) {
            throw new PolicyException(List.of(new PolicyError(name, 1, 1,
                    "file is " + size + " bytes, more than the " + MAX_POLICY_BYTES + " a policy may have")));
        }
    }

    /** A policy shipped in the jar under {@code policies/}, e.g. "protect.xml". */
    public static CompiledPolicy loadResource(String name) throws PolicyException, IOException {
        try (InputStream in = PolicyLoader.class.getResourceAsStream("/policies/" + name)) {
            if (in == null) {
                throw new IOException("no bundled policy policies/" + name);
            }
            return compile(PolicyParser.parse(name, in.readAllBytes()));
        }
    }
}
