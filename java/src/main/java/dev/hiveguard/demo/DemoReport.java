package dev.hiveguard.demo;

import dev.hiveguard.model.RegistryPaths;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hiveguard.audit.AuditOptions;
import dev.hiveguard.audit.AuditReader;
import dev.hiveguard.metrics.LatencySamples;
import dev.hiveguard.metrics.TextTable;
import dev.hiveguard.policy.Action;
import dev.hiveguard.wire.DriverStats;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The demo's verdict on itself: what the callers got, what the audit trail and the
 * driver's counters say, and every way those disagree with the policy or with each
 * other. The run passes only when the list of failures is empty.
 *
 * @param raised            operations raised
 * @param allowed           callers that got STATUS_SUCCESS
 * @param blocked           callers that got STATUS_ACCESS_DENIED
 * @param tamperingTotal    persistence and tampering writes raised
 * @param tamperingBlocked  ... of which blocked
 * @param auditRecords      lines in this run's audit trail
 * @param auditShed         audit records the agent shed, counted, because the trail fell behind
 *                          the verdicts (plain allows first; PumpStatus.auditShed)
 * @param auditAlerts       ... with event.kind alert
 * @param auditByRule       lines by "rule (action)"
 * @param driver            the simulated driver's counters after the agent stopped
 * @param callerLatency     how long callers were held (ns)
 * @param agentLatency      batch receipt to reply, from hiveguard.latency_us (ns)
 * @param failures          every check that failed, one line each
 * @param auditFile         the trail's active file
 */
public record DemoReport(long raised, long allowed, long blocked, int tamperingTotal, int tamperingBlocked,
                         long auditRecords, long auditShed, long auditAlerts,
                         Map<String, Long> auditByRule, DriverStats driver, LatencySamples.Summary callerLatency,
                         LatencySamples.Summary agentLatency, List<String> failures, Path auditFile) {

    /** Failures listed in full in the report; the rest are counted. */
    static final int MAX_LISTED_FAILURES = 50;

    /** 0 when every check passed, 1 otherwise (ExitCodes.CHECK_FAILED). */
    public int exitCode() {
        return failures.isEmpty() ? 0 : 1;
    }

    /**
     * Checks a finished run.
     *
     * @param requireTamperingBlocked the built-in protection policy is in force: every
     *                                tampering write must be blocked, whatever else matched
     */
    public static DemoReport build(OutcomeTally outcomes, LatencySamples callerLatency, DriverStats driver,
                                   AuditOptions trail, boolean requireTamperingBlocked) throws IOException {
        return build(outcomes, callerLatency, driver, 0, trail, requireTamperingBlocked);
    }

    /**
     * As above, for an agent that shed {@code auditShed} audit records (counted) while its
     * trail was behind the verdicts: every delivered event must be a line or a shed record,
     * and the tampering writes' lines must be there all the same (the agent sheds plain
     * allows first).
     */
    public static DemoReport build(OutcomeTally outcomes, LatencySamples callerLatency, DriverStats driver,
                                   long auditShed, AuditOptions trail, boolean requireTamperingBlocked)
            throws IOException {
        Failures failures = new Failures();
        for (OperationOutcome o : outcomes.keptMismatches()) {
            failures.add(String.format("%s %s by %s got 0x%08X but the policy says %s", o.operation().operation()
                            .eventType(), where(o.operation()), o.operation().process().name(), o.ntStatus(),
                    o.expected().action()));
        }
        failures.addUnlisted(outcomes.mismatches() - outcomes.keptMismatches().size());
        int tamperingTotal = 0;
        int tamperingBlocked = 0;
        for (OperationOutcome o : outcomes.tampering()) {
            tamperingTotal++;
            if (o.blocked()) {
                tamperingBlocked++;
            } else if (requireTamperingBlocked) {
                failures.add("not blocked by the built-in protection policy: " + o.operation().label() + " ("
                        + where(o.operation()) + ")");
            }
        }

        // One streaming pass: a long --duration run writes millions of lines, and only the
        // tampering callers' lines are needed again afterwards.
        Set<Long> tamperingPids = new HashSet<>();
        for (OperationOutcome o : outcomes.tampering()) {
            tamperingPids.add(o.operation().process().pid());
        }
        List<JsonNode> tamperingLines = new ArrayList<>();
        Map<String, Long> byRule = new TreeMap<>();
        long[] alerts = {0};
        LatencySamples agentLatency = new LatencySamples((int) Math.max(1, Math.min(outcomes.raised(),
                LatencySamples.MAX_CAPACITY)));
        AuditReader.Summary read = AuditReader.readTrail(trail, l -> {
            String action = l.path("hiveguard.action").asText("?");
            String rule = l.path("hiveguard.rule").isNull() ? "(no rule)" : l.path("hiveguard.rule").asText("?");
            byRule.merge(rule + " (" + action + ")", 1L, Long::sum);
            if ("alert".equals(l.path("event.kind").asText())) {
                alerts[0]++;
            }
            if (!"none".equals(l.path("hiveguard.verdict").asText())) {
                agentLatency.record(l.path("hiveguard.latency_us").asLong() * 1_000L);
            }
            if (tamperingPids.contains(l.path("process.pid").asLong())) {
                tamperingLines.add(l);
            }
        });
        if (read.malformedLines() > 0 || read.partialTrailingLine()) {
            failures.add("audit trail has " + read.malformedLines() + " malformed lines"
                    + (read.partialTrailingLine() ? " and a partial last line" : "") + " after a graceful stop");
        }
        long auditLines = read.records();
        if (auditLines + auditShed != driver.delivered()) {
            failures.add("the driver delivered " + driver.delivered() + " events but the audit trail has "
                    + auditLines + " lines" + (auditShed == 0 ? "" : " and the agent shed " + auditShed));
        }
        if (driver.dropped() != 0 || driver.timedOut() != 0) {
            failures.add("the driver dropped " + driver.dropped() + " events and timed out " + driver.timedOut()
                    + " verdicts");
        }
        for (OperationOutcome o : outcomes.tampering()) {
            if (o.expected().action() != Action.ALLOW || o.expected().wouldBlock()) {
                checkAudited(o, tamperingLines, failures);
            }
        }
        return new DemoReport(outcomes.raised(), outcomes.allowed(), outcomes.blocked(), tamperingTotal,
                tamperingBlocked, auditLines, auditShed,
                alerts[0], byRule, driver, callerLatency.summary(), agentLatency.summary(),
                failures.list(), trail.activeFile());
    }

    /** A write the policy acts on must be in the trail, with the verdict the caller got. */
    private static void checkAudited(OperationOutcome o, List<JsonNode> lines, Failures failures) {
        ScriptedOperation op = o.operation();
        String expectedVerdict = o.blocked() ? "block" : "allow";
        for (JsonNode l : lines) {
            if (l.path("process.pid").asLong() == op.process().pid()
                    && op.valueName().equals(l.path("registry.value").asText())
                    && op.operation().eventType().equals(l.path("event.action").asText())) {
                if (!expectedVerdict.equals(l.path("hiveguard.verdict").asText())) {
                    failures.add("audit line for " + where(op) + " says verdict " + l.path("hiveguard.verdict")
                            .asText() + ", the caller got " + expectedVerdict);
                }
                return;
            }
        }
        failures.add("no audit line for " + op.label() + " (" + where(op) + ")");
    }

    /**
     * The failures found, the first {@link #MAX_LISTED_FAILURES} in full: a systematic
     * fault in a million-operation run must not become a million-line summary.
     */
    private static final class Failures {
        private final List<String> listed = new ArrayList<>();
        private long more;

        void add(String failure) {
            if (listed.size() < MAX_LISTED_FAILURES) {
                listed.add(failure);
            } else {
                more++;
            }
        }

        /** Failures that were counted but not kept in full. */
        void addUnlisted(long count) {
            more += count;
        }

        List<String> list() {
            List<String> out = new ArrayList<>(listed);
            if (more > 0) {
                out.add("... and " + more + " more failures");
            }
            return List.copyOf(out);
        }
    }

    private static String where(ScriptedOperation op) {
        return RegistryPaths.fullPath(op.keyPath(), op.valueName());
    }

    /** The summary printed after the run. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("Summary\n\n");
        sb.append(new TextTable("operations", "count>")
                .row("raised by simulated callers", raised)
                .row("allowed (STATUS_SUCCESS)", allowed)
                .row("blocked (STATUS_ACCESS_DENIED)", blocked)
                .row("persistence/tampering writes", tamperingTotal)
                .row("... blocked", tamperingBlocked)
                .row("audit lines", auditRecords)
                .row("... alerts (block, audit, would-block)", auditAlerts)
                .row("audit records shed (trail behind; allows first)", auditShed)
                .render());
        sb.append('\n');
        TextTable rules = new TextTable("audit lines by rule (action)", "count>");
        auditByRule.forEach(rules::row);
        sb.append(rules.render()).append('\n');
        sb.append(new TextTable("driver counter", "value>")
                .row("raised", driver.raised())
                .row("filtered out", driver.filteredOut())
                .row("delivered", driver.delivered())
                .row("dropped", driver.dropped())
                .row("verdicts requested", driver.verdictsRequested())
                .row("replies accepted", driver.repliesAccepted())
                .row("timed out", driver.timedOut())
                .row("defaults applied", driver.defaultsApplied())
                .row("blocked", driver.blocked())
                .row("batches", driver.batches())
                .render());
        sb.append('\n');
        sb.append(new TextTable("latency (us)", "p50>", "p90>", "p99>", "max>", "samples>")
                .row("caller held in the registry call", us(callerLatency.p50()), us(callerLatency.p90()),
                        us(callerLatency.p99()), us(callerLatency.max()), callerLatency.count())
                .row("agent: batch received to reply", us(agentLatency.p50()), us(agentLatency.p90()),
                        us(agentLatency.p99()), us(agentLatency.max()), agentLatency.count())
                .render());
        sb.append('\n').append("audit trail: ").append(auditFile.toAbsolutePath()).append('\n');
        if (failures.isEmpty()) {
            sb.append(String.format("result: PASS - every verdict matched the policy; %d of %d persistence/tampering "
                    + "writes blocked with STATUS_ACCESS_DENIED%n", tamperingBlocked, tamperingTotal));
        } else {
            sb.append("result: FAIL\n");
            for (String f : failures) {
                sb.append("  - ").append(f).append('\n');
            }
        }
        return sb.toString();
    }

    private static String us(long nanos) {
        return String.format("%.1f", nanos / 1_000.0);
    }
}
