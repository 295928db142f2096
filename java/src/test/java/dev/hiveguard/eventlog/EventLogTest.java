package dev.hiveguard.eventlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The Event Log writer's rate limit, suppression accounting, insert handling and non-blocking queue. */
class EventLogTest {

    private final RecordingEventLogBinding binding = new RecordingEventLogBinding();
    private final AtomicLong clock = new AtomicLong(5_000);

    private EventLog log(int maxPerWindow) {
        return new EventLog(binding, maxPerWindow, Duration.ofSeconds(60), clock::get);
    }

    private static String[] blockInserts(int i) {
        return new String[] {"SetValue", "HKLM\\Software\\Run", "v" + i, "C:\\x.exe", "42", "S-1-5-18", "Run key"};
    }

    @Test
    void eachEventIdIsLimitedPerWindowAndTheSuppressedCountIsReportedOnceAfterIt() {
        EventLog log = log(3);
        int accepted = 0;
        for (int i = 0; i < 10; i++) {
            accepted += log.write(EventLogMessage.OPERATION_BLOCKED, blockInserts(i)) ? 1 : 0;
        }
        assertEquals(3, accepted);
        assertEquals(7, log.suppressedTotal());
        // Another ID has its own budget.
        assertTrue(log.write(EventLogMessage.POLICY_LOADED, "protect.xml", "abc", "12", "enforce"));

        clock.addAndGet(60_000);
        assertTrue(log.write(EventLogMessage.OPERATION_BLOCKED, blockInserts(10)));
        log.close();

        List<RecordingEventLogBinding.Reported> r = binding.reported();
        assertEquals(List.of(3000, 3000, 3000, 2000, 4001, 3000), r.stream().map(x -> x.eventId()).toList());
        assertEquals(List.of("7", "3000", "60"), r.get(4).inserts(), "count, Event ID, window seconds");
        assertEquals(EventLogType.WARNING, r.get(4).type());
        assertEquals("v10", r.get(5).inserts().get(2));
        assertEquals(EventLogType.WARNING, r.get(0).type());
        assertEquals(EventLogType.INFORMATION, r.get(3).type());
        assertTrue(binding.closed, "the source is deregistered at close");
    }

    @Test
    void closeReportsWhatIsStillSuppressedSoNoCountIsLost() {
        EventLog log = log(1);
        log.write(EventLogMessage.DRIVER_NOT_GUARDING, "no GET_EVENTS request is parked");
        log.write(EventLogMessage.DRIVER_NOT_GUARDING, "no GET_EVENTS request is parked");
        log.write(EventLogMessage.DRIVER_NOT_GUARDING, "no GET_EVENTS request is parked");
        clock.addAndGet(1_500);
        log.close();
        List<RecordingEventLogBinding.Reported> r = binding.reported();
        assertEquals(List.of(4000, 4001), r.stream().map(x -> x.eventId()).toList());
        assertEquals(List.of("2", "4000", "2"), r.get(1).inserts());
        assertFalse(log.write(EventLogMessage.DRIVER_NOT_GUARDING, "after close"), "nothing after close");
    }

    @Test
    void insertionStringsAreCheckedCleanedAndCapped() {
        EventLog log = log(100);
        assertThrows(IllegalArgumentException.class, () -> log.write(EventLogMessage.SERVICE_FAILED, "3"));
        String huge = "x".repeat(EventLog.MAX_INSERT_CHARS + 100);
        log.write(EventLogMessage.SERVICE_FAILED, null, "value %%1 and " + huge);
        log.write(EventLogMessage.SERVICE_STARTED, "", "h", "a");
        log.close();
        List<String> failed = binding.reported().get(0).inserts();
        assertEquals("-", failed.get(0));
        assertTrue(failed.get(1).startsWith("value % %1 and "), "no parameter-message reference survives");
        assertEquals(EventLog.MAX_INSERT_CHARS, failed.get(1).length());
        assertEquals("-", binding.reported().get(1).inserts().get(0));
    }

    @Test
    void aRefusedWriteIsCountedAndTheWriterCarriesOn() {
        binding.failingEventId = 1002;
        EventLog log = log(100);
        log.write(EventLogMessage.SERVICE_FAILED, "3", "device unavailable");
        log.write(EventLogMessage.SERVICE_STOPPED, "stop", "10", "1");
        log.close();
        assertEquals(1, log.failures());
        assertEquals(List.of(1001), binding.reported().stream().map(x -> x.eventId()).toList());
    }

    @Test
    void aSlowEventLogNeverBlocksTheWriterAndAFullQueueCountsAsSuppressed() throws Exception {
        binding.gate = new CountDownLatch(1); // the Event Log service hangs
        EventLog log = log(Integer.MAX_VALUE);
        int total = EventLog.QUEUE_CAPACITY + 50;
        long started = System.nanoTime();
        int accepted = 0;
        for (int i = 0; i < total; i++) {
            accepted += log.write(EventLogMessage.OPERATION_ALERT, blockInserts(i)) ? 1 : 0;
        }
        assertTrue(System.nanoTime() - started < 5_000_000_000L, "writes returned without waiting on the Event Log");
        // The writer thread holds one event in its hung call, the queue the next QUEUE_CAPACITY.
        assertTrue(accepted >= EventLog.QUEUE_CAPACITY && accepted <= EventLog.QUEUE_CAPACITY + 1, "" + accepted);
        assertEquals(total - accepted, log.suppressedTotal());
        binding.gate.countDown();
        log.close();
        assertEquals(accepted, binding.reported().size());
    }

    @Test
    void theDisabledWriterWritesNothing() {
        EventLog off = EventLog.disabled();
        assertFalse(off.enabled());
        assertFalse(off.write(EventLogMessage.SERVICE_STARTED, "a", "b", "c"));
        off.close();
    }
}
