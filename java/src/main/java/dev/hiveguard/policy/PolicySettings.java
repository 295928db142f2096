package dev.hiveguard.policy;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Subscription;
import java.util.Objects;

/**
 * The policy-wide settings of the {@code <HiveGuard>} element.
 *
 * @param mode                 enforce, or audit-only (blocks recorded as would-block)
 * @param defaultAction        what happens to an in-scope event no include rule takes
 * @param timeoutMs            verdict budget for rules that do not set their own
 * @param failMode             what the driver applies on timeout (OPEN or CLOSED); also the
 *                             verdict while no agent request is parked
 * @param includeKernelCallers whether operations made by kernel-mode code are delivered
 */
public record PolicySettings(PolicyMode mode, Action defaultAction, int timeoutMs, FailMode failMode,
                             boolean includeKernelCallers) {

    /** hiveguard_wire.h HG_TIMEOUT_MIN_MS / HG_TIMEOUT_MAX_MS: the driver rejects anything else. */
    public static final int TIMEOUT_MIN_MS = 1;
    public static final int TIMEOUT_MAX_MS = 30000;

    public PolicySettings {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(defaultAction, "defaultAction");
        Objects.requireNonNull(failMode, "failMode");
        if (failMode == FailMode.INHERIT) {
            throw new IllegalArgumentException("the global fail mode must be OPEN or CLOSED");
        }
        if (timeoutMs < TIMEOUT_MIN_MS || timeoutMs > TIMEOUT_MAX_MS) {
            throw new IllegalArgumentException("timeout out of range: " + timeoutMs);
        }
    }

    /** What a plain Sysmon configuration gets: enforce (nothing blocks anyway), allow, wire defaults. */
    public static PolicySettings defaults() {
        return new PolicySettings(PolicyMode.ENFORCE, Action.ALLOW, Subscription.DEFAULT_TIMEOUT_MS, FailMode.OPEN, false);
    }
}
