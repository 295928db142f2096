package dev.hiveguard.cli;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.policy.Decision;
import dev.hiveguard.policy.Policy;

/**
 * A policy whose global verdict timeout and fail mode come from the command line
 * ({@code run --timeout-ms --fail-mode}): an admin can tighten a deployed policy file
 * on one machine without editing it. Per-prefix values in the policy still win for
 * their prefixes, as the wire contract defines.
 */
final class TunedPolicy implements Policy {

    private final Policy delegate;
    private final Subscription subscription;

    private TunedPolicy(Policy delegate, Subscription subscription) {
        this.delegate = delegate;
        this.subscription = subscription;
    }

    /** {@code policy} itself when neither override is given. */
    static Policy of(Policy policy, Integer timeoutMs, FailMode failMode) {
        if (timeoutMs == null && failMode == null) {
            return policy;
        }
        Subscription s = policy.subscription();
        Subscription tuned = new Subscription(s.opMask(), s.verdictOpMask(), s.includeKernelCallers(),
                timeoutMs != null ? timeoutMs : s.timeoutMs(), failMode != null ? failMode : s.failMode(),
                s.defaultVerdict(), s.maxBacklog(), s.dataCap(), s.prefixes(), s.excludedPids());
        return new TunedPolicy(policy, tuned);
    }

    @Override
    public Decision decide(RegistryEvent event) {
        return delegate.decide(event);
    }

    @Override
    public Subscription subscription() {
        return subscription;
    }

    @Override
    public String name() {
        return delegate.name() + " (timeout " + subscription.timeoutMs() + " ms, fail "
                + subscription.failMode().name().toLowerCase(java.util.Locale.ROOT) + ")";
    }

    @Override
    public String hash() {
        return delegate.hash();
    }
}
