package dev.hiveguard.cli;

import static dev.hiveguard.service.ServiceStatus.ERROR_SERVICE_SPECIFIC_ERROR;
import static dev.hiveguard.service.ServiceStatus.SERVICE_CONTROL_PARAMCHANGE;
import static dev.hiveguard.service.ServiceStatus.SERVICE_CONTROL_PRESHUTDOWN;
import static dev.hiveguard.service.ServiceStatus.SERVICE_RUNNING;
import static dev.hiveguard.service.ServiceStatus.SERVICE_STOPPED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hiveguard.audit.AuditOptions;
import dev.hiveguard.audit.AuditReader;
import dev.hiveguard.device.HiveGuardDevice;
import dev.hiveguard.device.RegistrySimulator;
import dev.hiveguard.device.SimulatedOperation;
import dev.hiveguard.eventlog.EventLog;
import dev.hiveguard.eventlog.RecordingEventLogBinding;
import dev.hiveguard.model.RegistryValueType;
import dev.hiveguard.model.ValueRendering;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.service.RecordingServiceBinding;
import dev.hiveguard.service.ServiceController;
import dev.hiveguard.service.ServiceStatus;
import dev.hiveguard.wire.NtStatus;
import dev.hiveguard.wire.Wire;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code hiveguard service} end to end on Linux: the real agent over the host
 * library, under a recording stand-in for the SCM and a recording Event Log. What
 * the SCM sees, what the driver's callers get, what the audit trail and the Event
 * Log hold - for a PARAMCHANGE reload, a PRESHUTDOWN stop, and a start that fails.
 */
class ServiceCommandTest {

    private static final long WAIT_MS = 20_000;
    private static final String KEY = "\\REGISTRY\\MACHINE\\SOFTWARE\\HiveGuardServiceTest";
    private static final String TARGET = "HKLM\\SOFTWARE\\HiveGuardServiceTest";
    /** The driver version the host's core reports (hiveguard_wire.h HG_DRIVER_VERSION_*). */
    private static final String DRIVER_VERSION = "1.1.0";
    private static final ServiceController.Timing TIMING = new ServiceController.Timing(15_000, 5_000, 200, 25_000,
            ExitCodes.INTERNAL_ERROR);

    @TempDir
    Path dir;

    private final ExecutorService dispatcherThread = Executors.newSingleThreadExecutor();
    private final RecordingServiceBinding scm = new RecordingServiceBinding();
    private final RecordingEventLogBinding eventLog = new RecordingEventLogBinding();
    private long nextProcess = 0x5E71_0000L;

    @BeforeEach
    void freshDriver() {
        RegistrySimulator.reset(Verdict.ALLOW);
    }

    @AfterEach
    void stopThreadAndRestoreLogLevel() {
        dispatcherThread.shutdownNow();
        Logging.setLevel(ch.qos.logback.classic.Level.WARN);
    }

    private static String policy(String action) {
        return OneRulePolicy.xml("ServiceTestRule", action, TARGET);
    }

    private int write(String value) {
        long process = nextProcess++;
        return RegistrySimulator.raise(SimulatedOperation.setValue(process, (int) (process & 0xFFFF), KEY, value,
                RegistryValueType.REG_DWORD, ValueRendering.dword(1), "C:\\Tools\\svc-writer.exe"));
    }

    private Future<Integer> startService(String... args) {
        ServiceCommand command = new ServiceCommand(() -> scm, TIMING);
        command.eventLogs = () -> new EventLog(eventLog, 100, Duration.ofMinutes(1), System::currentTimeMillis);
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(new StringWriter(), true));
        return dispatcherThread.submit(() -> cl.execute(args));
    }

    private List<Integer> eventIds() {
        return eventLog.reported().stream().map(RecordingEventLogBinding.Reported::eventId).toList();
    }

    @Test
    void paramChangeReloadsThePolicyAndPreshutdownDrainsAndFlushesBeforeStopped() throws Exception {
        Path policyFile = dir.resolve("policy.xml");
        Files.writeString(policyFile, policy("audit"), StandardCharsets.UTF_8);
        Path state = dir.resolve("state");
        Future<Integer> exit = startService("--no-log-file", "--state-dir", state.toString(), "--policy",
                policyFile.toString(), "--reload-ms", "0");
        scm.awaitReport(s -> s.currentState() == SERVICE_RUNNING, WAIT_MS);
        assertEquals("HiveGuardAgent", scm.registeredName());

        assertEquals(NtStatus.SUCCESS.code(), write("audited"), "the audit rule lets the write through");

        // status names the driver from its HELLO: version, altitude, default verdict, callback.
        String expected = "driver: version " + DRIVER_VERSION + " (wire " + Wire.VERSION_MAJOR + "." + Wire.VERSION_MINOR
                + "), altitude none, default verdict allow, registry callback simulated (user-mode host)";
        long until = System.currentTimeMillis() + WAIT_MS;
        CliRun status = CliRun.execute("status", "--state-dir", state.toString());
        while (!status.out.contains(expected) && System.currentTimeMillis() < until) {
            Thread.sleep(50);
            status = CliRun.execute("status", "--state-dir", state.toString());
        }
        assertTrue(status.out.contains(expected), status.out);

        // No polling (--reload-ms 0): only PARAMCHANGE can bring the block rule in.
        Path staged = dir.resolve("policy.xml.new");
        Files.writeString(staged, policy("block"), StandardCharsets.UTF_8);
        Files.move(staged, policyFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        assertEquals(NtStatus.SUCCESS.code(), write("before-paramchange"));
        assertEquals(ServiceStatus.NO_ERROR, scm.control(SERVICE_CONTROL_PARAMCHANGE));
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (write("probe") != NtStatus.ACCESS_DENIED.code()) {
            assertTrue(System.currentTimeMillis() < deadline, "PARAMCHANGE never brought the block rule in");
            Thread.sleep(25);
        }

        assertEquals(ServiceStatus.NO_ERROR, scm.control(SERVICE_CONTROL_PRESHUTDOWN));
        assertEquals(ExitCodes.OK, exit.get(WAIT_MS, TimeUnit.MILLISECONDS));
        ServiceStatus last = scm.reports().get(scm.reports().size() - 1);
        assertEquals(new ServiceStatus(SERVICE_STOPPED, 0, 0, 0, 0, 0), last);
        assertEquals(List.of(ServiceStatus.SERVICE_START_PENDING, SERVICE_RUNNING, ServiceStatus.SERVICE_STOP_PENDING,
                SERVICE_STOPPED), scm.reports().stream().map(ServiceStatus::currentState).distinct().toList());

        // Everything decided before STOPPED is in the trail: the stop drained and flushed it.
        List<JsonNode> lines = AuditReader.readAll(AuditOptions.in(state.resolve("audit")));
        assertTrue(lines.stream().anyMatch(l -> l.path("registry.value").asText().equals("audited")
                && l.path("event.kind").asText().equals("alert")), "the audited write is in the trail");
        assertTrue(lines.stream().anyMatch(l -> l.path("hiveguard.verdict").asText().equals("block")),
                "the blocked write is in the trail");

        List<Integer> ids = eventIds();
        assertEquals(1000, ids.get(0), "SERVICE_STARTED first: " + ids);
        assertTrue(ids.contains(3001), "an alert for the audited write: " + ids);
        assertTrue(ids.contains(3000), "an OPERATION_BLOCKED for the denied write: " + ids);
        assertEquals(2, ids.stream().filter(i -> i == 2000).count(), "POLICY_LOADED at start and on reload: " + ids);
        assertEquals(1001, ids.get(ids.size() - 1), "SERVICE_STOPPED last: " + ids);
        RecordingEventLogBinding.Reported blocked = eventLog.reported().stream().filter(r -> r.eventId() == 3000)
                .findFirst().orElseThrow();
        assertEquals("SetValue", blocked.inserts().get(0));
        assertEquals(TARGET, blocked.inserts().get(1));
        assertEquals("C:\\Tools\\svc-writer.exe", blocked.inserts().get(3));
        assertEquals("ServiceTestRule", blocked.inserts().get(6));
    }

    @Test
    void aStartWithoutTheDeviceEndsStoppedWithDeviceUnavailableAndAnEventLogEntry() throws Exception {
        try (HiveGuardDevice other = HiveGuardDevice.open()) { // another agent holds the one client slot
            Future<Integer> exit = startService("--no-log-file", "--state-dir", dir.resolve("state").toString());
            assertEquals(ExitCodes.DEVICE_UNAVAILABLE, exit.get(WAIT_MS, TimeUnit.MILLISECONDS));
        }
        List<ServiceStatus> reports = scm.reports();
        assertEquals(new ServiceStatus(ServiceStatus.SERVICE_START_PENDING, 0, 0, 0, 1, 15_000), reports.get(0));
        assertEquals(new ServiceStatus(SERVICE_STOPPED, 0, ERROR_SERVICE_SPECIFIC_ERROR, ExitCodes.DEVICE_UNAVAILABLE,
                0, 0), reports.get(reports.size() - 1), "the SCM's failure actions see a non-crash failure");
        assertTrue(reports.subList(0, reports.size() - 1).stream()
                .allMatch(s -> s.currentState() == ServiceStatus.SERVICE_START_PENDING), "never RUNNING: " + reports);
        assertEquals(List.of(1002), eventIds());
        assertEquals(Integer.toString(ExitCodes.DEVICE_UNAVAILABLE), eventLog.reported().get(0).inserts().get(0));
    }
}
