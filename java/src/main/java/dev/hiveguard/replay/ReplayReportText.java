package dev.hiveguard.replay;

import java.util.Locale;
import java.util.Map;

/** The report as text for a terminal or a ticket. */
public final class ReplayReportText {

    private ReplayReportText() {
    }

    public static String render(ReplayReport r) {
        StringBuilder b = new StringBuilder();
        b.append("HiveGuard replay - policy ").append(r.policy()).append(" (").append(r.policyHash()).append(")\n");
        b.append("recordings: ").append(String.join(", ", r.recordings())).append('\n');
        long outsideClasses = r.outsideOperationClasses().values().stream().mapToLong(Long::longValue).sum();
        b.append(String.format(Locale.ROOT, "records: %d operations replayed from %d processes, %d unparseable, "
                + "%d outside the operation classes%n", r.operations(), r.processes(), r.unparseableTotal(),
                outsideClasses));
        b.append("\nverdicts (nothing is enforced on a real machine by a replay):\n");
        ReplayReport.Verdicts v = r.verdicts();
        b.append(String.format(Locale.ROOT, "  %-22s %8d%n", "would block", v.blocked()));
        b.append(String.format(Locale.ROOT, "  %-22s %8d%n", "audited", v.audited()));
        b.append(String.format(Locale.ROOT, "  %-22s %8d%n", "allowed", v.allowed()));
        b.append(String.format(Locale.ROOT, "  %-22s %8d   (no rule can act on them: the driver's subscription "
                + "filtered them out)%n", "outside subscription", v.outsideSubscription()));
        if (v.kernelCallers() > 0) {
            b.append(String.format(Locale.ROOT, "  %-22s %8d   (the System process, pid 4: kernel-mode callers, "
                    + "left out because the policy says kernelCallers=\"exclude\")%n", "kernel callers",
                    v.kernelCallers()));
        }
        if (!r.outsideSubscriptionByOperation().isEmpty()) {
            b.append("    by operation:");
            r.outsideSubscriptionByOperation().forEach((op, n) -> b.append(' ').append(op).append(' ').append(n));
            b.append('\n');
        }

        b.append("\nper rule:\n");
        int width = Math.max(24, r.rules().keySet().stream().mapToInt(String::length).max().orElse(0));
        b.append(String.format(Locale.ROOT, "  %-" + width + "s %11s %8s %8s%n", "rule", "would block", "audited",
                "allowed"));
        for (Map.Entry<String, ReplayReport.Verdicts> e : r.rules().entrySet()) {
            b.append(String.format(Locale.ROOT, "  %-" + width + "s %11d %8d %8d%n", e.getKey(),
                    e.getValue().blocked(), e.getValue().audited(), e.getValue().allowed()));
        }

        b.append("\nwould block (").append(v.blocked()).append(r.wouldBlockNotListed() > 0
                ? ", the first " + r.wouldBlock().size() + " listed" : "").append("):\n");
        for (ReplayReport.WouldBlock w : r.wouldBlock()) {
            b.append("  ").append(w.time()).append("  ").append(w.image()).append(" (pid ").append(w.pid())
                    .append(")  ").append(w.operation()).append("  ").append(w.targetObject());
            if (!w.details().isEmpty()) {
                b.append(" = ").append(w.details());
            }
            String applied = w.enforced() ? ", denied by the driver"
                    : w.auditOnly() ? ", audit-only policy: recorded, not denied"
                    : ", NOT denied by the driver (see consistency)";
            b.append("\n      rule ").append(w.rule()).append(applied)
                    .append("  [").append(w.location()).append("]\n");
        }

        b.append("\nunparseable records (").append(r.unparseableTotal()).append(r.unparseableTotal() > r.unparseable().size()
                ? ", the first " + r.unparseable().size() + " listed" : "").append("):\n");
        for (UnparseableRecord u : r.unparseable()) {
            b.append("  ").append(u).append('\n');
        }
        if (outsideClasses > 0) {
            b.append("\noutside the operation classes (never seen by a registry callback):\n");
            r.outsideOperationClasses().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
                    b.append(String.format(Locale.ROOT, "  %-24s %8d%n", e.getKey(), e.getValue())));
        }
        ReplayReport.DriverCounts d = r.driver();
        b.append(String.format(Locale.ROOT, "%ndriver: raised %d, filtered out %d, delivered %d, dropped %d, "
                        + "verdicts requested %d, timed out %d, defaults applied %d, blocked %d%n", d.raised(),
                d.filteredOut(), d.delivered(), d.dropped(), d.verdictsRequested(), d.timedOut(), d.defaultsApplied(),
                d.blocked()));
        ReplayReport.Consistency c = r.consistency();
        if (c.sound()) {
            b.append("consistency: every operation accounted for by the driver and the pump\n");
        } else {
            b.append(String.format(Locale.ROOT, "consistency: %d raise failures, %d unmatched audit events, "
                            + "%d verdict mismatches, %d operations the driver did not count, %d verdicts not "
                            + "awaited (default or timeout applied)%n", c.raiseFailures(), c.unmatchedAuditEvents(),
                    c.verdictMismatches(), c.uncountedByDriver(), c.verdictsNotAwaited()));
            c.mismatchExamples().forEach(m -> b.append("  ").append(m).append('\n'));
        }
        if (r.pidsUnknown() > 0) {
            b.append(r.pidsUnknown()).append(" operations had no process id in any record (replayed as pid 0)\n");
        }
        if (r.valuesHidden() > 0) {
            b.append(r.valuesHidden()).append(" set-value operations had their data hidden by the recording "
                    + "(\"Binary Data\"): rules on Details saw only that text\n");
        }
        b.append(String.format(Locale.ROOT, "throughput: %d operations in %.3f s = %.0f events/s%n", r.operations(),
                r.seconds(), r.eventsPerSecond()));
        return b.toString();
    }
}
