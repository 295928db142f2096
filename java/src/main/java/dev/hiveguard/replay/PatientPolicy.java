package dev.hiveguard.replay;

import dev.hiveguard.model.Subscription;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.policy.ResubscribedPolicy;
import dev.hiveguard.wire.Wire;
import java.util.List;

/**
 * The policy under replay, with every verdict wait stretched to the driver's maximum.
 *
 * <p>A replay answers "what would this policy decide", and that must not depend on how busy
 * the machine running the replay is: with the policy's own budget (250 ms by default) a
 * scheduling stall on a loaded build machine would turn into a fail-mode verdict and change the
 * counts from run to run. Decisions, rules, the subscription's classes, prefixes, groups and the
 * fail modes are the policy's own; only the time the driver waits for the answer changes. A
 * verdict that still times out is reported as a mismatch.
 */
final class PatientPolicy {

    private PatientPolicy() {
    }

    static Policy of(Policy policy) {
        Subscription s = policy.subscription();
        List<Subscription.Prefix> prefixes = s.prefixes().stream()
                .map(p -> p.withTimeoutMs(p.timeoutMs() == 0 ? 0 : Wire.TIMEOUT_MAX_MS))
                .toList();
        List<Subscription.Group> groups = s.groups().stream()
                .map(g -> g.withTimeoutMs(g.timeoutMs() == 0 ? 0 : Wire.TIMEOUT_MAX_MS))
                .toList();
        return new ResubscribedPolicy(policy,
                s.withTimeoutMs(Wire.TIMEOUT_MAX_MS).withPrefixes(prefixes).withGroups(groups), policy.name());
    }
}
