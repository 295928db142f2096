package dev.hiveguard.cli;

import com.sun.jna.Platform;
import dev.hiveguard.audit.AuditOptions;
import dev.hiveguard.demo.DemoReport;
import dev.hiveguard.demo.DemoRun;
import dev.hiveguard.demo.DemoSettings;
import dev.hiveguard.demo.OutcomeTally;
import dev.hiveguard.device.RegistrySimulator;
import dev.hiveguard.install.InstallLayout;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.pump.PumpOptions;
import dev.hiveguard.wire.DriverStats;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hiveguard demo}: the agent over the Linux user-mode host, against a built-in
 * workload of simulated processes - desktop and service noise plus persistence and
 * tampering writes - with live decisions, a summary, and an audit trail.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {
            "Show the agent at work on Linux: simulated noise plus persistence and tampering writes.",
            "%nRuns the agent over the user-mode host against a built-in workload: ordinary registry noise "
                    + "from several simulated processes plus persistence and tampering writes. Prints live "
                    + "decisions and a summary, writes the audit trail, and exits " + ExitCodes.OK + " only when "
                    + "every caller got the verdict the policy gives it (and, with the built-in protection policy, "
                    + "every persistence/tampering write was blocked with STATUS_ACCESS_DENIED).",
        })
public final class DemoCommand implements Callable<Integer> {

    private static final DateTimeFormatter RUN_ID =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    /** Far above what draining a full backlog takes; only a stuck agent reaches it. */
    static final long DRAIN_TIMEOUT_MS = 10_000;

    @Spec
    CommandSpec spec;

    @Option(names = "--policy", paramLabel = "FILE",
            description = "Policy file. Default: the built-in protection policy.")
    Path policyFile;

    @Option(names = "--audit-dir", paramLabel = "DIR",
            description = "Directory for the audit trail; each run writes its own demo-<UTC time>.jsonl "
                    + "(default: ${DEFAULT-VALUE}).")
    Path auditDir = Path.of("hiveguard-demo-audit");

    @Option(names = "--operations", paramLabel = "N",
            description = "Noise operations in total (default: ${DEFAULT-VALUE}).")
    int operations = DemoSettings.DEFAULT_NOISE_OPERATIONS;

    @Option(names = "--duration", paramLabel = "TIME", converter = Durations.class,
            description = "Raise noise for this long (e.g. 10s) instead of --operations.")
    Duration duration;

    @Option(names = "--processes", paramLabel = "N",
            description = "Simulated noise processes, one thread each (default: ${DEFAULT-VALUE}).")
    int processes = DemoSettings.DEFAULT_PROCESSES;

    @Option(names = "--seed", paramLabel = "N",
            description = "Noise seed, to replay a run (default: ${DEFAULT-VALUE}).")
    long seed = DemoSettings.DEFAULT_SEED;

    @Option(names = "--quiet", description = "No live decision lines; summary only.")
    boolean quiet;

    private DemoReport report;

    /**
     * This run's own trail: the summary checks the trail against this run's counters, so
     * it must not append to an earlier run's file (two runs can start in the same second).
     * It keeps every rolled file: a saturated --duration run writes gigabytes (about 1.5 KiB
     * a line, over a million lines a minute), and a file the default retention deleted
     * would look like lost records to that check.
     */
    private AuditOptions newTrail(String runId) {
        for (int n = 1; ; n++) {
            String base = "demo-" + runId + (n == 1 ? "" : "-" + n);
            AuditOptions trail = new AuditOptions(auditDir, base, AuditOptions.DEFAULT_MAX_FILE_BYTES,
                    AuditOptions.MAX_RETAINED_FILES, AuditOptions.DEFAULT_FLUSH_INTERVAL);
            if (!Files.exists(trail.activeFile()) && !Files.exists(trail.rolledFile(1))) {
                return trail;
            }
        }
    }

    /** The last run's report (for in-process callers such as tests). */
    public DemoReport report() {
        return report;
    }

    @Override
    public Integer call() throws InterruptedException, IOException {
        if (Platform.isWindows()) {
            throw new CliException(ExitCodes.USAGE, "demo plays simulated callers through the Linux user-mode host; "
                    + "on Windows run the agent with 'hiveguard run' and use the registry itself");
        }
        DemoSettings settings;
        try {
            settings = new DemoSettings(operations, duration, processes, seed, !quiet);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage(), e);
        }
        PrintWriter out = spec.commandLine().getOut();
        PolicyLoader.Loaded loaded = PolicyLoader.fileOrBuiltInProtection(policyFile);
        String runId = RUN_ID.format(Instant.now());
        AuditOptions trail = newTrail(runId);

        out.println("HiveGuard demo " + runId + ": agent over the user-mode host");
        out.println("policy: " + loaded.source() + " (" + loaded.policy().hash() + ")");
        if (!loaded.builtInProtection() && policyFile == null) {
            out.println("note: no built-in protection policy in this build; running audit-only (nothing is blocked)");
        }
        long maxHeapMib = Runtime.getRuntime().maxMemory() >> 20;
        out.println("heap: at most " + maxHeapMib + " MiB" + (maxHeapMib <= InstallLayout.AGENT_HEAP_MIB ? ""
                : " - the agent is meant to run bounded: java " + InstallLayout.AGENT_HEAP_FLAGS
                        + " -jar hiveguard.jar ..."));
        out.println("workload: " + (duration != null ? "noise for " + duration.toMillis() + " ms"
                : operations + " noise operations") + " from " + processes + " processes, plus 5 "
                + "persistence/tampering writes");
        out.println();
        out.flush();

        // A fresh simulated driver: counters from zero, so the summary is this run's alone.
        try {
            RegistrySimulator.reset(Verdict.ALLOW);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new CliException(ExitCodes.DEVICE_UNAVAILABLE, "cannot load the user-mode host library "
                    + "(built by 'mvn package' from driver/host): " + CliException.firstLine(e.getMessage()), e);
        }
        AgentSession session = AgentSession.start(loaded.policy(), trail,
                PumpOptions.defaults().withMetricsLogInterval(Duration.ZERO));
        OutcomeTally outcomes;
        DemoRun run = new DemoRun(settings, loaded.policy(), out);
        try {
            outcomes = run.play();
            if (!session.awaitDrained(DRAIN_TIMEOUT_MS)) {
                out.println("warning: the agent had not taken in every delivered event after " + DRAIN_TIMEOUT_MS
                        + " ms; stopping anyway");
            }
        } finally {
            session.close();
        }
        DriverStats driver = RegistrySimulator.stats();
        report = DemoReport.build(outcomes, run.callerLatency(), driver, session.status().auditShed(), trail,
                loaded.builtInProtection());
        out.println();
        out.print(report.render());
        out.println(String.format("heap: peak at most %d MiB used of %d MiB (bound %d MiB)", peakHeapUsedMib(), maxHeapMib,
                InstallLayout.AGENT_HEAP_MIB));
        out.flush();
        return report.exitCode();
    }

    /** Highest heap occupancy of this JVM so far: the sum of every heap pool's peak. */
    static long peakHeapUsedMib() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak >> 20;
    }
}
