package dev.hiveguard.model;

import java.util.List;
import java.util.Objects;

/**
 * What the agent asks the driver to deliver: the content of one CONFIGURE message
 * ({@code HG_CONFIG_HEADER} and its tables), in Java terms. A policy compiles to one
 * of these so that only operations some rule can act on cross into user mode; the
 * wire layer encodes it, the driver re-validates it.
 *
 * @param opMask           operation classes delivered ({@link Operation#bit()} bits)
 * @param verdictOpMask    subset of opMask whose callers wait for a verdict
 * @param includeKernelCallers deliver operations whose PreviousMode is KernelMode
 * @param timeoutMs        global verdict timeout
 * @param failMode         verdict on timeout (OPEN or CLOSED)
 * @param defaultVerdict   verdict when one is due but no request is parked
 * @param maxBacklog       events queued while no request is parked
 * @param dataCap          bytes of value data copied per event
 * @param prefixes         include/exclude key-path prefixes in kernel form
 * @param excludedPids     processes never delivered
 */
public record Subscription(
        int opMask,
        int verdictOpMask,
        boolean includeKernelCallers,
        int timeoutMs,
        FailMode failMode,
        Verdict defaultVerdict,
        int maxBacklog,
        int dataCap,
        List<Prefix> prefixes,
        List<Long> excludedPids) {

    /** Defaults as in hiveguard_wire.h. */
    public static final int DEFAULT_TIMEOUT_MS = 250;
    public static final int DEFAULT_BACKLOG = 4096;
    public static final int DEFAULT_DATA_CAP = 4096;

    public Subscription {
        Objects.requireNonNull(failMode, "failMode");
        Objects.requireNonNull(defaultVerdict, "defaultVerdict");
        prefixes = List.copyOf(prefixes);
        excludedPids = List.copyOf(excludedPids);
    }

    /** Everything delivered, nothing waits: what an audit-only agent asks for. */
    public static Subscription auditEverything() {
        return new Subscription(Operation.maskAll(), 0, false, DEFAULT_TIMEOUT_MS, FailMode.OPEN,
                Verdict.ALLOW, DEFAULT_BACKLOG, DEFAULT_DATA_CAP, List.of(), List.of());
    }

    /** This subscription with another global verdict timeout. */
    public Subscription withTimeoutMs(int newTimeoutMs) {
        return new Subscription(opMask, verdictOpMask, includeKernelCallers, newTimeoutMs, failMode, defaultVerdict,
                maxBacklog, dataCap, prefixes, excludedPids);
    }

    /** This subscription with another global fail mode. */
    public Subscription withFailMode(FailMode newFailMode) {
        return new Subscription(opMask, verdictOpMask, includeKernelCallers, timeoutMs, newFailMode, defaultVerdict,
                maxBacklog, dataCap, prefixes, excludedPids);
    }

    /** This subscription with other prefixes. */
    public Subscription withPrefixes(List<Prefix> newPrefixes) {
        return new Subscription(opMask, verdictOpMask, includeKernelCallers, timeoutMs, failMode, defaultVerdict,
                maxBacklog, dataCap, newPrefixes, excludedPids);
    }

    /**
     * One {@code HG_PREFIX_ENTRY}.
     *
     * @param include    INCLUDE (true) or EXCLUDE (false)
     * @param prefix     kernel-form path prefix, matched case-insensitively as a plain string prefix
     * @param opMask     classes this prefix applies to
     * @param verdict    INCLUDE only: matching operations wait for a verdict
     * @param timeoutMs  0 = the global timeout
     * @param failMode   INHERIT = the global fail mode
     */
    public record Prefix(boolean include, String prefix, int opMask, boolean verdict, int timeoutMs,
                         FailMode failMode) {
        public Prefix {
            Objects.requireNonNull(prefix, "prefix");
            Objects.requireNonNull(failMode, "failMode");
        }
    }
}
