package dev.hiveguard.policy;

/** What a policy rule does with a matching operation. */
public enum Action {
    /** Let it through; recorded in the audit trail as an ordinary event. */
    ALLOW,
    /** Deny it: the registry caller gets STATUS_ACCESS_DENIED. */
    BLOCK,
    /** Let it through and record it as notable (an alert in the audit trail). */
    AUDIT
}
