package dev.hiveguard.policy;

import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What the agent runs with when no policy file is given: every operation is
 * delivered and recorded in the audit trail, nothing is blocked, and no registry
 * caller ever waits for the agent (the subscription requests no verdicts), so an
 * agent without a policy cannot slow down or break the machine it watches.
 */
public final class DefaultPolicy implements Policy {

    private static final String NAME = "default";
    /** Everything that defines this policy's behaviour, hashed like a policy file's content. */
    private static final String DEFINITION = "hiveguard default policy v1: decide=ALLOW(no rule); subscription="
            + Subscription.auditEverything();
    private static final Decision ALLOW_UNMATCHED = Decision.of(Action.ALLOW, null);

    private final Subscription subscription = Subscription.auditEverything();
    private final String hash = sha256(DEFINITION);

    /** Allow, with no rule name: the default applied, as {@link Decision} documents. */
    @Override
    public Decision decide(RegistryEvent event) {
        return ALLOW_UNMATCHED;
    }

    @Override
    public Subscription subscription() {
        return subscription;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String hash() {
        return hash;
    }

    private static String sha256(String text) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }
}
