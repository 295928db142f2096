package dev.hiveguard.cli;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.policy.ResubscribedPolicy;
import java.util.Locale;

/**
 * A policy whose global verdict timeout and fail mode come from the command line
 * ({@code run --timeout-ms --fail-mode}): an admin can tighten a deployed policy file
 * on one machine without editing it. Per-prefix values in the policy still win for
 * their prefixes, as the wire contract defines.
 */
final class TunedPolicy {

    private TunedPolicy() {
    }

    /** {@code policy} itself when neither override is given. */
    static Policy of(Policy policy, Integer timeoutMs, FailMode failMode) {
        if (timeoutMs == null && failMode == null) {
            return policy;
        }
        Subscription tuned = policy.subscription();
        if (timeoutMs != null) {
            tuned = tuned.withTimeoutMs(timeoutMs);
        }
        if (failMode != null) {
            tuned = tuned.withFailMode(failMode);
        }
        return new ResubscribedPolicy(policy, tuned, policy.name() + " (timeout " + tuned.timeoutMs() + " ms, fail "
                + tuned.failMode().name().toLowerCase(Locale.ROOT) + ")");
    }
}
