package dev.hiveguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.hiveguard.device.HiveGuardDevice;
import dev.hiveguard.device.RegistrySimulator;
import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.pump.DecisionPump;
import dev.hiveguard.pump.PumpOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The pump's periodic metrics line reaches SLF4J with the pump's and the driver's numbers. */
class PumpMetricsLogIT {

    private static final long BOUND_S = 30;
    /** Counts in enum order, whatever the map implementation: the line reads the same in every run. */
    private static final String VERDICT_SENT = "verdicts {ALLOW=0, BLOCK=1}";

    private static final class Capture extends AppenderBase<ILoggingEvent> {
        final List<String> lines = new CopyOnWriteArrayList<>();
        /** A metrics line that already shows the verdict sent for the one blocked operation. */
        final CountDownLatch metricsAfterBlock = new CountDownLatch(1);

        @Override
        protected void append(ILoggingEvent e) {
            String msg = e.getFormattedMessage();
            lines.add(msg);
            if (msg.startsWith("pump: ") && msg.contains(VERDICT_SENT)) {
                metricsAfterBlock.countDown();
            }
        }
    }

    @Test
    void metricsAreLoggedPeriodicallyWithDriverCounters() throws Exception {
        RegistrySimulator.reset(Verdict.ALLOW);
        Logger logger = (Logger) LoggerFactory.getLogger(DecisionPump.class);
        Level previous = logger.getLevel();
        Capture capture = new Capture();
        capture.start();
        logger.addAppender(capture);
        logger.setLevel(Level.INFO);
        try (HiveGuardDevice device = HiveGuardDevice.open();
             DecisionPump pump = new DecisionPump(device,
                     new PrefixBlockPolicy(DecisionPumpIT.RUN_PREFIX, 5000, FailMode.OPEN), new InMemoryAuditSink(),
                     PumpOptions.defaults().withMetricsLogInterval(Duration.ofMillis(50)))) {
            pump.start();
            assertEquals(DecisionPumpIT.DENIED,
                    RegistrySimulator.raise(DecisionPumpIT.setValue(0, 1, DecisionPumpIT.RUN_PREFIX + "\\M")));
            assertTrue(capture.metricsAfterBlock.await(BOUND_S, TimeUnit.SECONDS), "no periodic metrics: " + capture.lines);
        } finally {
            logger.detachAppender(capture);
            logger.setLevel(previous);
        }
        String line = capture.lines.stream().filter(l -> l.startsWith("pump: ") && l.contains(VERDICT_SENT))
                .findFirst().orElseThrow();
        assertTrue(line.contains("ev/s") && line.contains("decisions {ALLOW=0, BLOCK=1, AUDIT=0}")
                && line.contains("latency p50") && line.contains("driver: raised 1, delivered 1, dropped 0"), line);
        assertTrue(capture.lines.stream().anyMatch(l -> l.startsWith("decision pump started")), capture.lines::toString);
        assertTrue(capture.lines.stream().anyMatch(l -> l.startsWith("decision pump stopped")), capture.lines::toString);
    }
}
