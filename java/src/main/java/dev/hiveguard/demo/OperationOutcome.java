package dev.hiveguard.demo;

import dev.hiveguard.policy.Decision;

/**
 * What one raised operation got, next to what the policy says it should get.
 *
 * @param operation     the scripted operation
 * @param ntStatus      what the registry call returned
 * @param expected      the policy's decision for the operation, asked directly
 * @param latencyNanos  how long the caller was held in the registry call
 */
public record OperationOutcome(ScriptedOperation operation, int ntStatus, Decision expected, long latencyNanos) {

    public static final int STATUS_SUCCESS = 0;
    public static final int STATUS_ACCESS_DENIED = 0xC0000022;

    public boolean blocked() {
        return ntStatus == STATUS_ACCESS_DENIED;
    }

    /** Blocked exactly when the policy blocks, allowed otherwise; any other status is wrong. */
    public boolean matchesPolicy() {
        return expected.blocks() ? ntStatus == STATUS_ACCESS_DENIED : ntStatus == STATUS_SUCCESS;
    }
}
