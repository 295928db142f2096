package dev.hiveguard.replay;

import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.policy.Decision;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.wire.Wire;
import java.util.List;
import java.util.Objects;

/**
 * The policy under replay, with every verdict wait stretched to the driver's maximum.
 *
 * <p>A replay answers "what would this policy decide", and that must not depend on how busy
 * the machine running the replay is: with the policy's own budget (250 ms by default) a
 * scheduling stall on a loaded build machine would turn into a fail-mode verdict and change the
 * counts from run to run. Decisions, rules, the subscription's classes and prefixes and the
 * fail modes are the policy's own; only the time the driver waits for the answer changes. A
 * verdict that still times out is reported as a mismatch.
 */
final class PatientPolicy implements Policy {

    private final Policy policy;
    private final Subscription subscription;

    PatientPolicy(Policy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
        Subscription s = policy.subscription();
        List<Subscription.Prefix> prefixes = s.prefixes().stream()
                .map(p -> new Subscription.Prefix(p.include(), p.prefix(), p.opMask(), p.verdict(),
                        p.timeoutMs() == 0 ? 0 : Wire.TIMEOUT_MAX_MS, p.failMode()))
                .toList();
        this.subscription = new Subscription(s.opMask(), s.verdictOpMask(), s.includeKernelCallers(),
                Wire.TIMEOUT_MAX_MS, s.failMode(), s.defaultVerdict(), s.maxBacklog(), s.dataCap(), prefixes,
                s.excludedPids());
    }

    @Override
    public Decision decide(RegistryEvent event) {
        return policy.decide(event);
    }

    @Override
    public Subscription subscription() {
        return subscription;
    }

    @Override
    public String name() {
        return policy.name();
    }

    @Override
    public String hash() {
        return policy.hash();
    }
}
