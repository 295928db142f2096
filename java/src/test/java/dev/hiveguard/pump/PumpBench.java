package dev.hiveguard.pump;

import dev.hiveguard.audit.AuditSink;
import dev.hiveguard.device.HiveGuardDevice;
import dev.hiveguard.device.RegistrySimulator;
import dev.hiveguard.device.SimulatedOperation;
import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.Decision;
import dev.hiveguard.policy.DefaultPolicy;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.wire.DriverStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the agent costs a registry caller, over the real host library: the same
 * workload of SetValue operations raised from several threads (a) with no client
 * connected - the driver answers at once, the baseline - and (b) served by a
 * DecisionPump, audit-only and with every caller waiting for a verdict, with one and
 * with eight parked requests. Prints a markdown table; numbers are read, not asserted.
 * Run: {@code java -cp <test classpath> dev.hiveguard.pump.PumpBench [operations]}.
 */
public final class PumpBench {

    private static final int DEFAULT_OPERATIONS = 40_000;
    private static final int RAISERS = 4;
    /** Enough for the JIT to compile the decode and decision paths (cold, they run ~10x slower). */
    private static final int WARMUP_OPERATIONS = 20_000;
    private static final String KEY = "\\REGISTRY\\MACHINE\\SOFTWARE\\Bench\\Key";

    private PumpBench() {
    }

    /** Every SetValue waits for the agent's verdict (allow). */
    private static final class VerdictEverything implements Policy {
        @Override
        public Decision decide(RegistryEvent event) {
            return Decision.of(Action.ALLOW, null);
        }

        @Override
        public Subscription subscription() {
            return new Subscription(Operation.maskAll(), Operation.SET_VALUE.bit(), false, 5_000, FailMode.OPEN,
                    Verdict.ALLOW, Subscription.DEFAULT_BACKLOG, 64, List.of(), List.of());
        }

        @Override
        public String name() {
            return "verdict-everything";
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

    private record Row(String name, double opsPerSecond, PumpStatus pump, DriverStats driver) {
    }

    private static double raise(int operations) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(RAISERS);
        try {
            byte[] data = new byte[16];
            List<Future<?>> futures = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int t = 0; t < RAISERS; t++) {
                int caller = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < operations / RAISERS; i++) {
                        RegistrySimulator.raise(new SimulatedOperation(Operation.SET_VALUE, 0x9000 + caller,
                                100 + caller, 200 + caller, 1, false, KEY, "v", null, null, null, 3, data));
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            return operations / ((System.nanoTime() - t0) / 1e9);
        } finally {
            pool.shutdown();
        }
    }

    private static Row baseline(int operations) throws Exception {
        RegistrySimulator.reset(Verdict.ALLOW);
        raise(WARMUP_OPERATIONS);
        double rate = raise(operations);
        return new Row("no client (baseline)", rate, null, RegistrySimulator.stats());
    }

    private static Row served(String name, Policy policy, int parked, int operations) throws Exception {
        RegistrySimulator.reset(Verdict.ALLOW);
        PumpOptions options = PumpOptions.defaults().withParkedRequests(parked)
                .withMetricsLogInterval(Duration.ZERO);
        try (HiveGuardDevice device = HiveGuardDevice.open();
             DecisionPump pump = new DecisionPump(device, policy, new CountingSink(), options)) {
            pump.start();
            raise(WARMUP_OPERATIONS);
            double rate = raise(operations);
            pump.close();
            return new Row(name, rate, pump.status(), device.stats());
        }
    }

    public static void main(String[] args) throws Exception {
        int operations = args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_OPERATIONS;
        List<Row> rows = new ArrayList<>();
        rows.add(baseline(operations));
        rows.add(served("pump, audit only, 1 parked", new DefaultPolicy(), 1, operations));
        rows.add(served("pump, audit only, 8 parked", new DefaultPolicy(), 8, operations));
        rows.add(served("pump, every caller waits, 1 parked", new VerdictEverything(), 1, operations));
        rows.add(served("pump, every caller waits, 8 parked", new VerdictEverything(), 8, operations));
        double base = rows.get(0).opsPerSecond();
        System.out.printf("%d SetValue operations from %d caller threads, after %d warm-up operations%n%n",
                operations, RAISERS, WARMUP_OPERATIONS);
        System.out.println("| configuration | caller ops/s | ratio to baseline | events/batch | pump p50 us | "
                + "pump p99 us | dropped | timed out |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            PumpStatus p = r.pump();
            System.out.printf("| %s | %.0f | %.2f | %s | %s | %s | %d | %d |%n", r.name(), r.opsPerSecond(),
                    r.opsPerSecond() / base, p == null ? "-" : String.format("%.1f", p.meanEventsPerBatch()),
                    p == null ? "-" : String.format("%.1f", p.latency().p50Nanos() / 1e3),
                    p == null ? "-" : String.format("%.1f", p.latency().p99Nanos() / 1e3),
                    r.driver().dropped(), r.driver().timedOut());
        }
    }
}
