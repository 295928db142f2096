package dev.hiveguard.pump;

import dev.hiveguard.audit.AuditSink;
import dev.hiveguard.device.HiveGuardDevice;
import dev.hiveguard.device.RegistrySimulator;
import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.Decision;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.wire.ConfigMessage;
import dev.hiveguard.wire.DriverStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The Java agent against a minimal C agent, side by side in one run, under identical
 * native load: native raiser threads (1, 4, 8) call the host's hg_sim_raise directly
 * and time each call themselves, so "caller wait" is what a registry caller waits,
 * raise to return. The C echo agent parks the same number of GET_EVENTS as the pump,
 * over the same Win32 surface, and replies ALLOW to every verdict event; the Java side
 * is the real DecisionPump with an allow-everything policy and a counting audit sink,
 * so the difference is the pump's own cost. Two subscriptions: every SetValue waits
 * for a verdict, and audit only. Each cell is the median of {@code REPS} interleaved
 * runs. events/s counts events delivered to the agent (the driver's counter), raises/s
 * the registry calls completed - in audit-only runs the raisers outpace any agent and the
 * driver drops what its backlog cannot hold (the dropped column). CPU per event is the
 * whole process's CPU time (raisers included) over the run divided by the raises. defaults/timed out/dropped are the driver's counters over
 * the measured run: a caller that found no request parked got the default unjudged.
 * Numbers are printed, never asserted.
 *
 * <p>Run: {@code mvn -B -Pbench -DskipTests verify -Dhiveguard.bench=PumpBench}
 * ({@code -Dhiveguard.bench.scale=0.2} or an argument: a multiplier for the operation counts).
 */
public final class PumpBench {

    private static final int REPS = 3;
    private static final int[] RAISERS = Arrays.stream(System.getProperty("hiveguard.bench.raisers", "1,4,8")
            .split(",")).mapToInt(Integer::parseInt).toArray();
    /** Operations per run in total (split across the raisers), by mode; times the multiplier. */
    private static final long VERDICT_OPS = 60_000;
    private static final long AUDIT_OPS = 400_000;
    /** Raised before each measured run, against the same agent: JIT, caches, a full backlog drained. */
    private static final long WARMUP_OPS = 20_000;
    private static final int TIMEOUT_MS = 5_000;

    private PumpBench() {
    }

    enum Mode {
        VERDICT("verdict", Operation.SET_VALUE.bit(), VERDICT_OPS),
        AUDIT("audit only", 0, AUDIT_OPS);

        final String label;
        final int verdictMask;
        final long ops;

        Mode(String label, int verdictMask, long ops) {
            this.label = label;
            this.verdictMask = verdictMask;
            this.ops = ops;
        }

        Subscription subscription() {
            return new Subscription(Operation.maskAll(), verdictMask, false, TIMEOUT_MS, FailMode.OPEN, Verdict.ALLOW,
                    Subscription.DEFAULT_BACKLOG, 64, List.of(), List.of());
        }
    }

    enum Agent { C_ECHO, JAVA_PUMP }

    /** Allows everything; asks for the bench mode's subscription. */
    private record AllowPolicy(Subscription subscription) implements Policy {
        private static final Decision ALLOW = Decision.of(Action.ALLOW, null);

        @Override
        public Decision decide(RegistryEvent event) {
            return ALLOW;
        }

        @Override
        public String name() {
            return "bench-allow";
        }

        @Override
        public String hash() {
            return name();
        }
    }

    /** Counts only, so the table measures the pump and not an audit writer. */
    private static final class CountingSink implements AuditSink {
        final LongAdder records = new LongAdder();

        @Override
        public void record(RegistryEvent event, Decision decision, Verdict applied, long latencyNanos) {
            records.increment();
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    /** eventsPerSecond: delivered to the agent; raisesPerSecond: registry calls completed. */
    record Run(double eventsPerSecond, double raisesPerSecond, double p50Us, double p99Us, double maxUs, double cpuUsPerEvent,
               long defaults, long timedOut, long dropped, long failed) {
    }

    private static long[] raise(int raisers, long totalOps) {
        long[] out = new long[PumpBenchNative.OUT_SLOTS];
        if (PumpBenchNative.hgpb_raise(raisers, Math.max(1, totalOps / raisers), Operation.SET_VALUE.code(), out)
                != 0) {
            throw new IllegalStateException("hgpb_raise refused its arguments");
        }
        return out;
    }

    /** Warm-up, then the measured raise, with the driver's counters around the latter. */
    private static Run measure(int raisers, long ops) {
        raise(raisers, Math.min(ops, WARMUP_OPS));
        DriverStats before = RegistrySimulator.stats();
        long[] r = raise(raisers, ops);
        DriverStats after = RegistrySimulator.stats();
        double n = r[PumpBenchNative.OUT_OPS];
        double seconds = r[PumpBenchNative.OUT_WALL_NS] / 1e9;
        return new Run((after.delivered() - before.delivered()) / seconds, n / seconds,
                r[PumpBenchNative.OUT_P50_NS] / 1e3,
                r[PumpBenchNative.OUT_P99_NS] / 1e3, r[PumpBenchNative.OUT_MAX_NS] / 1e3,
                r[PumpBenchNative.OUT_CPU_NS] / 1e3 / n, after.defaultsApplied() - before.defaultsApplied(),
                after.timedOut() - before.timedOut(), after.dropped() - before.dropped(),
                r[PumpBenchNative.OUT_FAILED]);
    }

    private static Run runC(Mode mode, int raisers, long ops) {
        RegistrySimulator.reset(Verdict.ALLOW);
        byte[] config = ConfigMessage.encode(mode.subscription());
        int err = PumpBenchNative.hgpb_echo_start(config, config.length, PumpOptions.DEFAULT_PARKED_REQUESTS,
                PumpOptions.DEFAULT_BUFFER_BYTES);
        if (err != 0) {
            throw new IllegalStateException("C echo agent did not start: Win32 error " + err);
        }
        try {
            return measure(raisers, ops);
        } finally {
            long failedReplies = PumpBenchNative.hgpb_echo_stop();
            if (failedReplies != 0) {
                System.out.println("(C echo: " + failedReplies + " REPLYs failed)");
            }
        }
    }

    private static Run runJava(Mode mode, int raisers, long ops) {
        RegistrySimulator.reset(Verdict.ALLOW);
        PumpOptions options = PumpOptions.defaults().withMetricsLogInterval(Duration.ZERO);
        try (HiveGuardDevice device = HiveGuardDevice.open();
             DecisionPump pump = new DecisionPump(device, new AllowPolicy(mode.subscription()), new CountingSink(),
                     options)) {
            pump.start();
            Run run = measure(raisers, ops);
            PumpStatus s = pump.status();
            if (s.replyFailures() + s.auditShed() + s.malformedBatches() > 0) {
                System.out.println("(Java pump: " + s.summaryLine() + ")");
            }
            return run;
        }
    }

    private static Run median(List<Run> runs) {
        List<Run> sorted = new ArrayList<>(runs);
        sorted.sort(Comparator.comparingDouble(Run::eventsPerSecond));
        Run m = sorted.get(sorted.size() / 2);
        // Waits and counters of the median-throughput run; max wait over all runs.
        double max = runs.stream().mapToDouble(Run::maxUs).max().orElse(0);
        return new Run(m.eventsPerSecond(), m.raisesPerSecond(), m.p50Us(), m.p99Us(), max, m.cpuUsPerEvent(), m.defaults(),
                m.timedOut(), m.dropped(), m.failed());
    }

    public static void main(String[] args) {
        double scale = args.length > 0 ? Double.parseDouble(args[0])
                : Double.parseDouble(System.getProperty("hiveguard.bench.scale", "1"));
        Mode[] modes = Arrays.stream(Mode.values())
                .filter(m -> System.getProperty("hiveguard.bench.mode", m.name()).equalsIgnoreCase(m.name()))
                .toArray(Mode[]::new);
        Run[][][] result = new Run[modes.length][RAISERS.length][Agent.values().length];
        for (int m = 0; m < modes.length; m++) {
            for (int r = 0; r < RAISERS.length; r++) {
                long ops = (long) (modes[m].ops * scale);
                List<Run> c = new ArrayList<>();
                List<Run> j = new ArrayList<>();
                for (int rep = 0; rep < REPS; rep++) { // interleaved: drift hits both agents alike
                    c.add(runC(modes[m], RAISERS[r], ops));
                    j.add(runJava(modes[m], RAISERS[r], ops));
                    if (Boolean.getBoolean("hiveguard.bench.verbose")) {
                        System.out.printf("%s x%d rep %d: C %s%n    Java %s%n", modes[m].label, RAISERS[r], rep,
                                c.get(rep), j.get(rep));
                    }
                }
                result[m][r][Agent.C_ECHO.ordinal()] = median(c);
                result[m][r][Agent.JAVA_PUMP.ordinal()] = median(j);
            }
        }
        System.out.printf("Native raisers calling hg_sim_raise (SetValue); %d parked GET_EVENTS of %d KiB for both "
                        + "agents; median of %d interleaved runs; %s cores; caller wait = one hg_sim_raise, timed by "
                        + "the raiser%n%n", PumpOptions.DEFAULT_PARKED_REQUESTS,
                PumpOptions.DEFAULT_BUFFER_BYTES / 1024, REPS, Runtime.getRuntime().availableProcessors());
        System.out.println("| subscription | raisers | agent | events/s | raises/s | wait p50 us | wait p99 us | wait max us | "
                + "CPU us/event | defaults | timed out | dropped | Java/C events/s | Java/C p99 |");
        System.out.println("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (int m = 0; m < modes.length; m++) {
            for (int r = 0; r < RAISERS.length; r++) {
                Run c = result[m][r][Agent.C_ECHO.ordinal()];
                Run j = result[m][r][Agent.JAVA_PUMP.ordinal()];
                row(modes[m], RAISERS[r], "C echo", c, "", "");
                row(modes[m], RAISERS[r], "Java pump", j, String.format("%.2f", j.eventsPerSecond() / c.eventsPerSecond()),
                        String.format("%.2f", j.p99Us() / c.p99Us()));
            }
        }
        System.out.println();
        if (modes.length != Mode.values().length || !Arrays.equals(RAISERS, new int[] {1, 4, 8})) {
            return; // the goals are stated for the full table
        }
        Run[][] v = result[Mode.VERDICT.ordinal()];
        Run[][] a = result[Mode.AUDIT.ordinal()];
        goal("verdict events/s, 1 raiser, Java >= 0.6x C", ratio(v[0], Run::eventsPerSecond), 0.6, true);
        goal("verdict events/s, 4 raisers, Java >= 0.6x C", ratio(v[1], Run::eventsPerSecond), 0.6, true);
        goal("verdict wait p99, 1 raiser, Java <= 2x C", ratio(v[0], Run::p99Us), 2.0, false);
        goal("verdict wait p99, 4 raisers, Java <= 2x C", ratio(v[1], Run::p99Us), 2.0, false);
        goal("audit-only events/s, 4 raisers, Java >= 500k", a[1][Agent.JAVA_PUMP.ordinal()].eventsPerSecond(),
                500_000, true);
        System.out.println("(raisers and agent share the machine's " + Runtime.getRuntime().availableProcessors()
                + " cores; " + Arrays.toString(RAISERS) + " raisers)");
    }

    private static double ratio(Run[] pair, java.util.function.ToDoubleFunction<Run> f) {
        return f.applyAsDouble(pair[Agent.JAVA_PUMP.ordinal()]) / f.applyAsDouble(pair[Agent.C_ECHO.ordinal()]);
    }

    private static void goal(String what, double measured, double bound, boolean atLeast) {
        boolean met = atLeast ? measured >= bound : measured <= bound;
        System.out.printf("- goal %s: measured %s -> %s%n", what,
                measured >= 1000 ? String.format("%.0f", measured) : String.format("%.2f", measured),
                met ? "met" : "NOT met");
    }

    private static void row(Mode mode, int raisers, String agent, Run r, String ratio, String p99Ratio) {
        System.out.printf("| %s | %d | %s | %.0f | %.0f | %.1f | %.1f | %.0f | %.2f | %d | %d | %d | %s | %s |%n",
                mode.label, raisers, agent, r.eventsPerSecond(), r.raisesPerSecond(), r.p50Us(), r.p99Us(), r.maxUs(), r.cpuUsPerEvent(), r.defaults(),
                r.timedOut(), r.dropped(), ratio, p99Ratio);
    }
}
