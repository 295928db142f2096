package dev.hiveguard.pump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.audit.AuditSink;
import dev.hiveguard.device.HiveGuardDevice;
import dev.hiveguard.device.ImagePaths;
import dev.hiveguard.device.RegistrySimulator;
import dev.hiveguard.device.SimulatedOperation;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.Decision;
import dev.hiveguard.policy.PolicyParser;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A drive letter moves under a running agent: the pump's poll sees the changed table and sends
 * CONFIGURE again, so the real core (host library) judges anchored image entries by the new map,
 * and between the move and the re-send an image on a device the map no longer names is delivered,
 * never hidden.
 */
class VolumeMapResendTest {

    private static final String KEY = "\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor\\App";
    private static final String OLD_VOLUME = "\\Device\\HarddiskVolume5";
    private static final String NEW_VOLUME = "\\Device\\HarddiskVolume7";
    private static final long BOUND_MS = 10_000;

    @BeforeEach
    void freshDriver() {
        RegistrySimulator.reset(Verdict.ALLOW);
    }

    @Test
    void aMovedDriveLetterReachesTheDriverAndAnUnnamedVolumeIsDelivered() throws Exception {
        // Audit every registry write by E:\Tools\watched.exe: one EXACT image INCLUDE in the kernel.
        CompiledPolicy policy = CompiledPolicy.compile(PolicyParser.parse("watched.xml", ("<Sysmon schemaversion=\"4.90\">"
                + "<EventFiltering><RuleGroup groupRelation=\"or\"><RegistryEvent onmatch=\"include\" action=\"audit\">"
                + "<Image condition=\"is\">E:\\Tools\\watched.exe</Image></RegistryEvent></RuleGroup>"
                + "</EventFiltering></Sysmon>").getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of("EXACT IMAGE E:\\Tools\\watched.exe"), policy.subscription().prefixes().stream()
                .map(x -> x.match() + " " + x.target() + " " + x.prefix()).toList());
        AtomicReference<Map<String, String>> table = new AtomicReference<>(Map.of(OLD_VOLUME, "E:"));
        AtomicLong audited = new AtomicLong();
        AuditSink audit = new AuditSink() {
            @Override
            public void record(RegistryEvent event, Decision decision, Verdict applied, long latencyNanos) {
                audited.incrementAndGet();
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        PumpOptions options = PumpOptions.defaults().withMetricsLogInterval(Duration.ZERO).withWarmUpDecisions(0);

        try (HiveGuardDevice device = HiveGuardDevice.open();
             DecisionPump pump = new DecisionPump(device, policy, audit, options, ImagePaths.ofTable(table::get),
                     Duration.ofMillis(50))) {
            pump.start();
            // E: is volume 5: its watched.exe crosses, another program on it stays in the kernel.
            assertTrue(delivered(device, OLD_VOLUME + "\\Tools\\watched.exe"));
            assertTrue(!delivered(device, OLD_VOLUME + "\\Tools\\other.exe"));

            table.set(Map.of(NEW_VOLUME, "E:"));
            // Until the re-send the driver's map does not name volume 7: every anchored include
            // counts for it (delivered). After it, E: is volume 7 and other.exe stays in the kernel.
            long deadline = System.nanoTime() + BOUND_MS * 1_000_000L;
            while (delivered(device, NEW_VOLUME + "\\Tools\\other.exe")) {
                assertTrue(System.nanoTime() < deadline, "CONFIGURE was not re-sent after the drive letter moved");
                Thread.sleep(20);
            }
            assertTrue(delivered(device, NEW_VOLUME + "\\Tools\\watched.exe"));
            // Volume 5 has no letter now: unmapped, so its images are delivered, never hidden.
            assertTrue(delivered(device, OLD_VOLUME + "\\Tools\\other.exe"));
        }
    }

    /** Raises one SetValue by {@code image} and tells whether the core delivered it. */
    private static boolean delivered(HiveGuardDevice device, String image) {
        long before = device.stats().delivered();
        int status = RegistrySimulator.raise(SimulatedOperation.setValue(0x7100, 4100, KEY, "v",
                4, new byte[] {1, 0, 0, 0}, image));
        assertEquals(0, status, "an audited write is allowed");
        return device.stats().delivered() - before == 1;
    }
}
