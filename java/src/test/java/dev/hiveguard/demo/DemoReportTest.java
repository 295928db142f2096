package dev.hiveguard.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.audit.AuditOptions;
import dev.hiveguard.audit.JsonAuditWriter;
import dev.hiveguard.metrics.LatencySamples;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.Decision;
import dev.hiveguard.wire.DriverStats;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's self-check catches every kind of disagreement, without a device. */
class DemoReportTest {

    @TempDir
    Path dir;

    private static final Decision BLOCK = Decision.of(Action.BLOCK, "Block it");
    private static final Decision ALLOW = Decision.of(Action.ALLOW, null);

    private static DriverStats driver(long delivered, long dropped, long timedOut) {
        return new DriverStats(delivered + dropped, 0, 0, 0, delivered, dropped, delivered, delivered, 0, 0, 0,
                timedOut, timedOut, 0, 0, 0, delivered, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0);
    }

    private static RegistryEvent eventOf(ScriptedOperation op, long seq) {
        SimulatedProcess p = op.process();
        return new RegistryEvent(seq, seq, Instant.now(), op.operation(), RegistryEvent.F_VERDICT_REQUESTED, p.pid(),
                p.threadId(0), p.sessionId(), 250, op.keyPath(), op.valueName(), op.newName(), p.image(), p.userSid(),
                op.valueType(), op.data(), op.data().length);
    }

    /** Writes the audit line the pump would write for each outcome. */
    private AuditOptions trail(List<OperationOutcome> outcomes) {
        AuditOptions opts = AuditOptions.in(dir);
        try (JsonAuditWriter w = new JsonAuditWriter(opts)) {
            long seq = 1;
            for (OperationOutcome o : outcomes) {
                w.record(eventOf(o.operation(), seq++), o.expected(), o.blocked() ? Verdict.BLOCK : Verdict.ALLOW,
                        50_000);
            }
        }
        return opts;
    }

    private static List<OperationOutcome> consistentRun(boolean blockTampering) {
        List<OperationOutcome> out = new ArrayList<>();
        for (ScriptedOperation op : DemoWorkload.noise(DemoWorkload.EXPLORER, 10, 1)) {
            out.add(new OperationOutcome(op, OperationOutcome.STATUS_SUCCESS, ALLOW, 1_000));
        }
        for (ScriptedOperation op : DemoWorkload.tampering()) {
            out.add(blockTampering ? new OperationOutcome(op, OperationOutcome.STATUS_ACCESS_DENIED, BLOCK, 1_000)
                    : new OperationOutcome(op, OperationOutcome.STATUS_SUCCESS, ALLOW, 1_000));
        }
        return out;
    }

    private static LatencySamples samples() {
        LatencySamples s = new LatencySamples(4);
        s.record(1_000);
        return s;
    }

    @Test
    void aConsistentRunPasses() throws IOException {
        List<OperationOutcome> run = consistentRun(true);
        DemoReport r = DemoReport.build(OutcomeTally.of(run), samples(), driver(run.size(), 0, 0), trail(run), true);
        assertEquals(List.of(), r.failures());
        assertEquals(0, r.exitCode());
        assertEquals(5, r.blocked());
        assertEquals(5, r.tamperingBlocked());
        assertEquals(15, r.auditRecords());
        assertEquals(5, r.auditAlerts());
        assertEquals(5L, r.auditByRule().get("Block it (block)"));
        assertEquals(50_000, r.agentLatency().p50());
        assertTrue(r.render().contains("result: PASS"));
    }

    @Test
    void aCallerWhoseStatusDisagreesWithThePolicyFails() throws IOException {
        List<OperationOutcome> run = consistentRun(true);
        OperationOutcome last = run.remove(run.size() - 1);
        run.add(new OperationOutcome(last.operation(), OperationOutcome.STATUS_SUCCESS, BLOCK, 1_000));
        DemoReport r = DemoReport.build(OutcomeTally.of(run), samples(), driver(run.size(), 0, 0), trail(run), true);
        assertEquals(1, r.exitCode());
        assertTrue(r.failures().stream().anyMatch(f -> f.contains("got 0x00000000 but the policy says BLOCK")),
                r.failures().toString());
        assertTrue(r.failures().stream().anyMatch(f -> f.startsWith("not blocked by the built-in protection policy")),
                r.failures().toString());
        assertTrue(r.render().contains("result: FAIL"));
    }

    @Test
    void unblockedTamperingIsOnlyAFailureUnderTheBuiltInPolicy() throws IOException {
        List<OperationOutcome> run = consistentRun(false);
        AuditOptions t = trail(run);
        assertEquals(0,
                DemoReport.build(OutcomeTally.of(run), samples(), driver(run.size(), 0, 0), t, false).exitCode());
        DemoReport strict = DemoReport.build(OutcomeTally.of(run), samples(), driver(run.size(), 0, 0), t, true);
        assertEquals(5, strict.failures().size(), strict.failures().toString());
    }

    @Test
    void lostAuditLinesDropsAndTimeoutsFail() throws IOException {
        List<OperationOutcome> run = consistentRun(true);
        AuditOptions t = trail(run);
        DemoReport moreDelivered = DemoReport.build(OutcomeTally.of(run), samples(), driver(run.size() + 1, 0, 0), t,
                true);
        assertTrue(moreDelivered.failures().stream().anyMatch(f -> f.contains("audit trail has 15 lines")),
                moreDelivered.failures().toString());
        DemoReport drops = DemoReport.build(OutcomeTally.of(run), samples(), driver(run.size(), 3, 2), t, true);
        assertTrue(drops.failures().stream().anyMatch(f -> f.contains("dropped 3 events and timed out 2")),
                drops.failures().toString());
    }

    @Test
    void shedAuditRecordsAccountForMissingLinesOnlyToTheCount() throws IOException {
        List<OperationOutcome> run = consistentRun(true);
        AuditOptions t = trail(run);
        DemoReport accounted = DemoReport.build(OutcomeTally.of(run), samples(), driver(run.size() + 4, 0, 0), 4, t,
                true);
        assertTrue(accounted.failures().isEmpty(), accounted.failures().toString());
        assertTrue(accounted.render().contains("audit records shed"), accounted.render());
        DemoReport unaccounted = DemoReport.build(OutcomeTally.of(run), samples(), driver(run.size() + 4, 0, 0), 3,
                t, true);
        assertTrue(unaccounted.failures().stream().anyMatch(f -> f.contains("and the agent shed 3")),
                unaccounted.failures().toString());
    }

    @Test
    void aBlockedWriteMissingFromTheAuditTrailFails() throws IOException {
        List<OperationOutcome> run = consistentRun(true);
        AuditOptions t = trail(run.subList(0, run.size() - 1));
        DemoReport r = DemoReport.build(OutcomeTally.of(run), samples(), driver(run.size() - 1, 0, 0), t, true);
        assertTrue(r.failures().stream().anyMatch(f -> f.startsWith("no audit line for T1546.008")),
                r.failures().toString());
    }

    @Test
    void aSystematicFaultIsListedOnceUpToTheCapAndCountedBeyondIt() throws IOException {
        List<OperationOutcome> run = new ArrayList<>();
        for (ScriptedOperation op : DemoWorkload.noise(DemoWorkload.SVCHOST, 80, 3)) {
            run.add(new OperationOutcome(op, OperationOutcome.STATUS_ACCESS_DENIED, ALLOW, 1_000));
        }
        DemoReport r = DemoReport.build(OutcomeTally.of(run), samples(), driver(run.size(), 0, 0), trail(run), false);
        assertEquals(DemoReport.MAX_LISTED_FAILURES + 1, r.failures().size());
        assertEquals("... and " + (80 - DemoReport.MAX_LISTED_FAILURES) + " more failures",
                r.failures().get(r.failures().size() - 1));
    }
}
