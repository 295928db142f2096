package dev.hiveguard.replay;

import dev.hiveguard.device.SimulatedOperation;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.RegistryPaths;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.Decision;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.policy.SubscriptionMatcher;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The same recorded operations decided without the driver: the subscription applied by the
 * policy package's Java model of the driver filter, the event built as the driver would
 * deliver it, the policy asked directly. Two uses: the replay tests check that the full host
 * path agrees with it operation for operation, and ReplayBench uses it as the baseline.
 */
public final class DirectEvaluation {

    /** Outcome counts, per-rule counts and the would-block entries as "EventType TargetObject rule". */
    public record Result(ReplayReport.Verdicts verdicts, Map<String, ReplayReport.Verdicts> rules,
                         List<String> wouldBlock) {
    }

    private final Policy policy;
    private final List<SimulatedOperation> calls = new ArrayList<>();

    /** Prepares the calls exactly as the engine raises them (pids resolved, callers identified). */
    public DirectEvaluation(Policy policy, LoadedRecordings input) {
        this.policy = policy;
        ProcessIdentities identities = new ProcessIdentities(-1);
        for (RecordedOperation op : identities.resolvePids(input.operations())) {
            calls.add(ReplayEngine.toSimulated(op, identities.keyFor(op)));
        }
    }

    public int size() {
        return calls.size();
    }

    public Result evaluate() {
        Subscription sub = policy.subscription();
        long blocked = 0;
        long audited = 0;
        long allowed = 0;
        long outside = 0;
        long kernelCallers = 0;
        Map<String, long[]> perRule = new TreeMap<>();
        List<String> wouldBlock = new ArrayList<>();
        Instant now = Instant.now();
        long sequence = 0;
        for (SimulatedOperation c : calls) {
            // The driver matches DATA / NEW_NAME entries on the whole data and the new name.
            RegistryEvent whole = new RegistryEvent(0, 0, now, c.operation(), 0, c.pid(), c.tid(), c.sessionId(), 0,
                    c.keyPath(), c.valueName(), c.newName(), c.image(), c.userSid(), c.valueType(), c.data(),
                    c.data().length);
            SubscriptionMatcher.Match m = SubscriptionMatcher.match(sub, whole, c.image(), c.kernelCaller());
            if (!m.delivered()) {
                if (c.kernelCaller() && !sub.includeKernelCallers()) {
                    kernelCallers++;
                } else {
                    outside++;
                }
                continue;
            }
            sequence++;
            byte[] data = c.data().length > sub.dataCap() ? Arrays.copyOf(c.data(), sub.dataCap()) : c.data();
            int flags = (m.wantsVerdict() ? RegistryEvent.F_VERDICT_REQUESTED : 0)
                    | (c.kernelCaller() ? RegistryEvent.F_KERNEL_CALLER : 0)
                    | (data.length < c.data().length ? RegistryEvent.F_DATA_TRUNCATED : 0);
            RegistryEvent event = new RegistryEvent(m.wantsVerdict() ? sequence : 0, sequence, now, c.operation(),
                    flags, c.pid(), c.tid(), c.sessionId(), m.wantsVerdict() ? m.timeoutMs() : 0, c.keyPath(),
                    c.valueName(), c.newName(), c.image(), c.userSid(), c.valueType(), data, c.data().length);
            Decision d = policy.decide(event);
            long[] counts = perRule.computeIfAbsent(d.ruleName() == null ? ReplayReport.DEFAULT_RULE : d.ruleName(),
                    k -> new long[3]);
            if (d.blocks() || d.wouldBlock()) {
                blocked++;
                counts[0]++;
                boolean valueOp = c.operation() == Operation.SET_VALUE || c.operation() == Operation.DELETE_VALUE;
                wouldBlock.add(c.operation().eventType() + " "
                        + RegistryPaths.targetObject(c.keyPath(), c.valueName(), valueOp) + " " + d.ruleName());
            } else if (d.action() == Action.AUDIT) {
                audited++;
                counts[1]++;
            } else {
                allowed++;
                counts[2]++;
            }
        }
        Map<String, ReplayReport.Verdicts> rules = new TreeMap<>();
        perRule.forEach((k, v) -> rules.put(k, new ReplayReport.Verdicts(v[0], v[1], v[2], 0)));
        return new Result(new ReplayReport.Verdicts(blocked, audited, allowed, outside, kernelCallers), rules, wouldBlock);
    }
}
