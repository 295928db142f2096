package dev.hiveguard.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hiveguard.audit.AuditOptions;
import dev.hiveguard.audit.JsonAuditWriter;
import dev.hiveguard.device.DeviceException;
import dev.hiveguard.policy.Policy;
import dev.hiveguard.replay.PathTranslator;
import dev.hiveguard.replay.RecordingException;
import dev.hiveguard.replay.RecordingFiles;
import dev.hiveguard.replay.RecordingSurvey;
import dev.hiveguard.replay.RecordingFormat;
import dev.hiveguard.replay.ReplayEngine;
import dev.hiveguard.replay.ReplayOptions;
import dev.hiveguard.replay.ReplayReport;
import dev.hiveguard.replay.ReplayReportText;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code hiveguard replay --policy FILE RECORDING...}: what a policy would have done on
 * recorded registry activity, found by running every recorded operation through the driver
 * core in the user-mode host and a live decision pump. Nothing is enforced on this machine.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {
            "Dry-runs a policy on recorded registry telemetry: Sysmon events 12/13/14 from event log files (.evtx),",
            "as JSON (NXLog/Winlogbeat lines, evtx-dump objects; gzip or plain), Sysmon XML exports (wevtutil qe",
            "/f:xml, Event Viewer 'Save as XML') and Process Monitor CSV exports. The files are streamed: memory",
            "does not grow with their size.",
            "Every operation goes through the real driver core (subscription, queue, verdict wait) in the",
            "user-mode host and a live decision pump; the audit trail is written as live, and a summary lists",
            "what the policy would block, per rule and per verdict.",
        })
public final class ReplayCommand implements Callable<Integer> {

    static final String DEFAULT_AUDIT_DIR_PREFIX = "replay-audit-";
    /** Below this many operations a replay ends before a progress bar would tell anything. */
    static final int PROGRESS_MIN_OPERATIONS = 5000;
    private static final DateTimeFormatter AUDIT_DIR_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    @Spec
    CommandSpec spec;

    @Option(names = "--policy", paramLabel = "FILE", required = true,
            description = "Policy to dry-run: a Sysmon-style XML file, or Sigma registry rules (a .yml rule, a "
                    + "directory of them, or a Sigma settings file).")
    Path policyFile;

    @Parameters(paramLabel = "RECORDING", arity = "1..*",
            description = "Recording files; the format is detected from the content.")
    List<Path> recordings;

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "Force the format of every recording: sysmon-json, sysmon-xml, procmon-csv or evtx.")
    String format;

    @Option(names = "--audit-dir", paramLabel = "DIR",
            description = "Directory of the audit trail, same format as live (default: a new replay-audit-<UTC time> "
                    + "in the current directory, so runs never mix).")
    Path auditDir;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the summary as JSON to FILE.")
    Path jsonFile;

    @Option(names = "--realtime", description = "Keep the recorded gaps between operations.")
    boolean realtime;

    @Option(names = "--speed", paramLabel = "FACTOR", defaultValue = "1",
            description = "With --realtime: replay FACTOR times faster than recorded (default: ${DEFAULT-VALUE}).")
    double speed;

    @Option(names = "--raisers", paramLabel = "N", defaultValue = "" + ReplayOptions.DEFAULT_RAISERS,
            description = "Threads raising operations; one process's operations stay in order on one thread "
                    + "(default: ${DEFAULT-VALUE}).")
    int raisers;

    @Option(names = "--hkcu-sid", paramLabel = "SID",
            description = "Whose hive ProcMon's HKCU paths are (default: " + PathTranslator.UNKNOWN_USER_SID
                    + ", the Null SID, which no per-user rule matches).")
    String hkcuSid;

    @Option(names = "--progress", negatable = true,
            description = "Progress bar on stderr (default: on a terminal, for --realtime or at least "
                    + PROGRESS_MIN_OPERATIONS + " operations).")
    Boolean progress;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Policy policy = PolicyLoader.fromFile(policyFile).policy();
        RecordingFormat forced;
        try {
            forced = format == null ? null : RecordingFormat.fromCliName(format);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
        ReplayOptions options;
        try {
            options = ReplayOptions.defaults().withRealtime(realtime, speed).withRaisers(raisers);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
        PathTranslator paths;
        try {
            paths = new PathTranslator(hkcuSid);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "--hkcu-sid: " + e.getMessage());
        }
        RecordingFiles input = new RecordingFiles(recordings, forced, paths);
        RecordingSurvey survey;
        try {
            survey = RecordingSurvey.of(input);
        } catch (RecordingException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage(), e);
        }
        // Unasked, the bar appears only on a terminal and only when there is something to wait for.
        options = progress != null ? options.withProgress(progress)
                : options.withProgressFrom(System.console() != null ? PROGRESS_MIN_OPERATIONS : ReplayOptions.NO_PROGRESS);
        ReplayReport report;
        try (JsonAuditWriter audit = openAudit()) {
            report = new ReplayEngine(policy, audit, options).replay(input, survey,
                    recordings.stream().map(Path::toString).toList(), paths.hkcuSid());
        } catch (RecordingException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage(), e);
        } catch (DeviceException e) {
            throw new CliException(ExitCodes.DEVICE_UNAVAILABLE, "the HiveGuard host device is unavailable: "
                    + e.getMessage(), e);
        } catch (UnsupportedOperationException e) {
            // Windows: the simulator lives only in the Linux host; replay never touches a real registry.
            throw new CliException(ExitCodes.DEVICE_UNAVAILABLE, "replay needs the user-mode host: " + e.getMessage(),
                    e);
        } catch (UnsatisfiedLinkError e) {
            throw new CliException(ExitCodes.DEVICE_UNAVAILABLE, "the HiveGuard host library cannot be loaded: "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.INTERNAL_ERROR, "interrupted", e);
        }
        out.print(ReplayReportText.render(report));
        out.println("audit trail: " + auditDir.resolve(AuditOptions.DEFAULT_BASE_NAME + ".jsonl"));
        out.flush();
        if (jsonFile != null) {
            writeJson(report);
        }
        return ExitCodes.OK;
    }

    private JsonAuditWriter openAudit() {
        if (auditDir == null) {
            auditDir = Path.of(DEFAULT_AUDIT_DIR_PREFIX + AUDIT_DIR_TIME.format(Instant.now()));
        }
        try {
            Files.createDirectories(auditDir);
            return new JsonAuditWriter(AuditOptions.in(auditDir));
        } catch (IOException | UncheckedIOException e) {
            throw new CliException(ExitCodes.IO_ERROR, "cannot write the audit trail in " + auditDir + ": "
                    + e.getMessage(), e);
        }
    }

    private void writeJson(ReplayReport report) {
        try {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(jsonFile.toFile(), report);
        } catch (IOException e) {
            throw new CliException(ExitCodes.IO_ERROR, "cannot write " + jsonFile + ": " + e.getMessage(), e);
        }
    }
}
