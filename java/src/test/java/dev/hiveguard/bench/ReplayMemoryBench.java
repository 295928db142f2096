package dev.hiveguard.bench;

import dev.hiveguard.policy.PolicyLoader;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Replay memory: a recording of 1,000,000 Sysmon events (the shared datasets' 14,378 lines
 * over and over, gzip JSON lines) replayed with the protection policy by the command line in
 * a JVM limited to 512 MiB, next to the baseline of reading the whole recording into memory
 * first (how replay worked before it streamed) under the same limit. Each run is a forked JVM
 * ({@link ReplayMemoryProbe}) reporting its peak heap, or the OutOfMemoryError it died of.
 *
 * <p>Run: {@code mvn -Pbench -DskipTests verify} (part of BenchMain), or this class's main on
 * the test class path with {@code -Dhiveguard.datasets.dir=...}.
 */
public final class ReplayMemoryBench {

    static final int EVENTS = 1_000_000;
    static final String HEAP_LIMIT = "512m";
    /**
     * The baseline does not fit: it either dies of OutOfMemoryError or spends its time in
     * garbage collection at the limit (on the shared 2-core build machine it had not finished
     * after 21 minutes). It is stopped after this long and reported as not finished.
     */
    static final long BASELINE_MINUTES = 10;

    private ReplayMemoryBench() {
    }

    public static void main(String[] args) throws Exception {
        Path datasets = Path.of(System.getProperty("hiveguard.datasets.dir", Path.of("..", "shared", "datasets")
                .toString()));
        Path work = Files.createTempDirectory("hiveguard-replay-memory");
        try {
            List<String> lines = datasetLines(datasets);
            Path big = work.resolve("1m.jsonl.gz");
            write(big, lines, EVENTS);
            Path policy = work.resolve("protect.xml");
            try (InputStream in = PolicyLoader.class.getResourceAsStream("/policies/protect.xml")) {
                Files.write(policy, in.readAllBytes());
            }
            System.out.printf(Locale.ROOT, "events: the %d dataset lines repeated; policy protect.xml; each run a "
                    + "forked JVM, peak = sum of the heap pools' peaks%n%n", lines.size());
            System.out.println("| run | events | file | heap limit | exit | operations | peak heap MiB | seconds |");
            System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
            run(work, "baseline: whole recording in memory first", "in-memory", HEAP_LIMIT, big, policy, EVENTS,
                    BASELINE_MINUTES);
            run(work, "streamed (hiveguard replay)", "streamed", HEAP_LIMIT, big, policy, EVENTS, 0);
        } finally {
            deleteTree(work);
        }
    }

    private static List<String> datasetLines(Path dir) throws IOException {
        List<String> lines = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(f -> f.getFileName().toString().endsWith(".jsonl.gz")).sorted().toList()) {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(
                        new GZIPInputStream(Files.newInputStream(p)), StandardCharsets.UTF_8))) {
                    r.lines().filter(l -> !l.isBlank()).forEach(lines::add);
                }
            }
        }
        return lines;
    }

    private static void write(Path file, List<String> lines, int events) throws IOException {
        try (BufferedWriter w = new BufferedWriter(new OutputStreamWriter(
                new GZIPOutputStream(Files.newOutputStream(file), 1 << 16), StandardCharsets.UTF_8))) {
            for (int i = 0; i < events; i++) {
                w.write(lines.get(i % lines.size()));
                w.write('\n');
            }
        }
    }

    /**
     * The class path the forked probe needs: under {@code mvn -Pbench ... exec:java} the project's
     * classes are on the plugin's class loader, not on {@code java.class.path} (Maven's launcher),
     * so the probe would not be found; from a plain {@code java -cp} run they are on both.
     */
    private static String probeClassPath() {
        ClassLoader loader = ReplayMemoryBench.class.getClassLoader();
        if (loader instanceof java.net.URLClassLoader urls && urls.getURLs().length > 0) {
            List<String> parts = new ArrayList<>();
            for (java.net.URL u : urls.getURLs()) {
                try {
                    parts.add(Path.of(u.toURI()).toString());
                } catch (java.net.URISyntaxException | IllegalArgumentException e) {
                    // not a file: nothing a forked JVM could load from
                }
            }
            return String.join(java.io.File.pathSeparator, parts);
        }
        return System.getProperty("java.class.path");
    }

    /** @param minutes stop the run after this long; 0 for no limit */
    private static void run(Path work, String name, String mode, String heap, Path file, Path policy, int events,
                            long minutes) throws IOException, InterruptedException {
        Path audit = Files.createTempDirectory(work, "audit");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx" + heap, "-cp", probeClassPath(),
                ReplayMemoryProbe.class.getName(), mode, audit.toString(), policy.toString(), file.toString())
                .redirectErrorStream(true).start();
        boolean[] stopped = new boolean[1];
        Thread watchdog = new Thread(() -> {
            try {
                if (minutes > 0 && !p.waitFor(minutes, TimeUnit.MINUTES)) {
                    stopped[0] = true;
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        watchdog.setDaemon(true);
        watchdog.start();
        String probe = "";
        StringBuilder all = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                all.append(line).append('\n');
                if (line.startsWith("probe ")) {
                    probe = line;
                }
            }
        }
        int exit = p.waitFor();
        if (probe.isEmpty() && stopped[0]) {
            System.out.printf(Locale.ROOT, "| %s | %d | %d MiB | %s | not finished in %d min (stopped) | - | at the "
                    + "limit | > %d |%n", name, events, Files.size(file) >> 20, heap, minutes, minutes * 60);
        } else if (probe.isEmpty() && all.indexOf("OutOfMemoryError") >= 0) {
            System.out.printf(Locale.ROOT, "| %s | %d | %d MiB | %s | %d (OutOfMemoryError) | - | > %s | - |%n", name,
                    events, Files.size(file) >> 20, heap, exit, heap);
        } else if (probe.isEmpty()) {
            String tail = all.length() > 400 ? all.substring(all.length() - 400) : all.toString();
            System.out.printf(Locale.ROOT, "| %s | %d | %d MiB | %s | %d | - | - | - |%n(no probe line; output "
                    + "ends: %s)%n", name, events, Files.size(file) >> 20, heap, exit, tail.strip());
        } else {
            System.out.printf(Locale.ROOT, "| %s | %d | %d MiB | %s | %s | %s | %d | %s |%n", name, events,
                    Files.size(file) >> 20, heap, field(probe, "exit"), field(probe, "operations"),
                    Long.parseLong(field(probe, "peakHeapBytes")) >> 20, field(probe, "seconds"));
        }
        deleteTree(audit);
    }

    private static String field(String probe, String name) {
        for (String part : probe.split(" ")) {
            if (part.startsWith(name + "=")) {
                return part.substring(name.length() + 1);
            }
        }
        return "?";
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
