package dev.hiveguard.audit;

import dev.hiveguard.model.ValueRendering;
import dev.hiveguard.model.RegistryValueType;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.Decision;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Audit trail throughput: {@link JsonAuditWriter} (streaming JsonGenerator into a
 * per-thread buffer, one short lock per line) next to the straightforward baseline an
 * agent might start with - the same ECS fields put in a Map, serialised with
 * ObjectMapper.writeValueAsString, written under a lock to a BufferedWriter. Both write
 * the same events to a temporary directory, from 1 and from 4 threads (the pump's
 * decision threads call the sink concurrently). Median of the measured runs.
 *
 * <p>Run: this class's main on the test class path.
 */
public final class AuditBench {

    private static final int EVENTS = 100_000;
    private static final int WARMUP_RUNS = 2;
    private static final int MEASURED_RUNS = 5;
    private static final int[] THREADS = {1, 4};

    private AuditBench() {
    }

    interface Sink extends AutoCloseable {
        void record(RegistryEvent e, Decision d, Verdict v, long latencyNanos);

        @Override
        void close();
    }

    public static void main(String[] args) throws Exception {
        List<RegistryEvent> events = events();
        System.out.println("| threads | JsonAuditWriter (events/s) | Map + ObjectMapper baseline (events/s) | ratio |");
        System.out.println("|--:|--:|--:|--:|");
        for (int threads : THREADS) {
            double ours = median(measure(threads, events, true));
            double base = median(measure(threads, events, false));
            System.out.printf(Locale.ROOT, "| %d | %,.0f | %,.0f | %.2fx |%n", threads, ours, base, ours / base);
        }
        System.out.printf(Locale.ROOT, "%n%,d events per run (SetValue REG_SZ/REG_DWORD/REG_BINARY mix), median of %d "
                + "runs after %d warm-up runs.%n", EVENTS, MEASURED_RUNS, WARMUP_RUNS);
    }

    private static List<Double> measure(int threads, List<RegistryEvent> events, boolean ours) throws Exception {
        List<Double> rates = new ArrayList<>();
        for (int run = 0; run < WARMUP_RUNS + MEASURED_RUNS; run++) {
            Path dir = Files.createTempDirectory("hiveguard-audit-bench");
            try {
                long t0 = System.nanoTime();
                try (Sink sink = ours ? writer(dir) : new Baseline(dir.resolve("baseline.jsonl"))) {
                    ExecutorService pool = Executors.newFixedThreadPool(threads);
                    List<Future<?>> done = new ArrayList<>();
                    int per = events.size() / threads;
                    for (int t = 0; t < threads; t++) {
                        List<RegistryEvent> slice = events.subList(t * per, (t + 1) * per);
                        done.add(pool.submit(() -> {
                            Decision d = Decision.of(Action.ALLOW, null);
                            for (RegistryEvent e : slice) {
                                sink.record(e, d, Verdict.ALLOW, 12_345);
                            }
                        }));
                    }
                    for (Future<?> f : done) {
                        f.get();
                    }
                    pool.shutdown();
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (run >= WARMUP_RUNS) {
                    rates.add(events.size() / seconds);
                }
            } finally {
                try (Stream<Path> files = Files.list(dir)) {
                    files.forEach(p -> p.toFile().delete());
                }
                Files.delete(dir);
            }
        }
        return rates;
    }

    private static Sink writer(Path dir) {
        JsonAuditWriter w = new JsonAuditWriter(AuditOptions.in(dir));
        return new Sink() {
            @Override
            public void record(RegistryEvent e, Decision d, Verdict v, long latencyNanos) {
                w.record(e, d, v, latencyNanos);
            }

            @Override
            public void close() {
                w.close();
            }
        };
    }

    /** The same fields, the obvious way. */
    static final class Baseline implements Sink {
        private final ObjectMapper mapper = new ObjectMapper();
        private final Writer out;

        Baseline(Path file) throws IOException {
            out = new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8), 64 * 1024);
        }

        @Override
        public void record(RegistryEvent e, Decision d, Verdict v, long latencyNanos) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("@timestamp", e.timestamp().toString());
            m.put("ecs.version", EcsEventEncoder.ECS_VERSION);
            m.put("event.kind", EcsEventEncoder.eventKind(d));
            m.put("event.category", List.of("registry"));
            m.put("event.type", List.of(EcsEventEncoder.eventType(e.operation())));
            m.put("event.action", e.operation().eventType());
            m.put("event.outcome", EcsEventEncoder.eventOutcome(e, v));
            m.put("event.created", Instant.now().toString());
            RegistryLocation where = RegistryLocation.of(e.keyPath(), e.valueName());
            m.put("registry.hive", where.hive());
            m.put("registry.key", where.key());
            m.put("registry.value", where.value());
            m.put("registry.path", where.path());
            m.put("registry.data.type", RegistryValueType.name(e.valueType()));
            m.put("registry.data.strings", RegistryValueFormat.strings(e.valueType(), e.data()));
            m.put("registry.data.bytes", Base64.getEncoder().encodeToString(e.data()));
            m.put("process.pid", e.pid());
            m.put("process.thread.id", e.tid());
            m.put("process.executable", e.image());
            m.put("user.id", e.userSid());
            m.put("hiveguard.verdict", v.name().toLowerCase(Locale.ROOT));
            m.put("hiveguard.rule", d.ruleName());
            m.put("hiveguard.latency_us", latencyNanos / 1000);
            m.put("hiveguard.would_block", d.wouldBlock());
            m.put("hiveguard.truncated", e.dataTruncated());
            m.put("hiveguard.sequence", e.sequence());
            m.put("hiveguard.default_applied", e.defaultApplied());
            try {
                String line = mapper.writeValueAsString(m);
                synchronized (this) {
                    out.write(line);
                    out.write('\n');
                }
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }

        @Override
        public synchronized void close() {
            try {
                out.close();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
    }

    private static List<RegistryEvent> events() {
        List<RegistryEvent> out = new ArrayList<>(EVENTS);
        String user = "\\REGISTRY\\USER\\S-1-5-21-968647429-258479840-2507984072-1002";
        byte[] blob = new byte[72];
        for (int i = 0; i < EVENTS; i++) {
            int kind = i % 3;
            int type = kind == 0 ? RegistryValueType.REG_SZ : kind == 1 ? RegistryValueType.REG_DWORD
                    : RegistryValueType.REG_BINARY;
            byte[] data = kind == 0 ? ValueRendering.sz("C:\\Program Files\\App\\app.exe /run " + i)
                    : kind == 1 ? ValueRendering.dword(i) : blob;
            out.add(new RegistryEvent(i + 1, i + 1, Instant.now(), Operation.SET_VALUE,
                    RegistryEvent.F_VERDICT_REQUESTED, 4072, 4884, 1, 250,
                    user + "\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\FeatureUsage\\AppSwitched",
                    "value" + (i % 50), "", "C:\\Windows\\explorer.exe", "S-1-5-21-968647429-258479840-2507984072-1002",
                    type, data, data.length));
        }
        return out;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
