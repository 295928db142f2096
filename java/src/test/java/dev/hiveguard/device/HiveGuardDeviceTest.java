package dev.hiveguard.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.wire.DriverStats;
import dev.hiveguard.wire.EventBatch;
import dev.hiveguard.wire.HelloReply;
import dev.hiveguard.wire.NtStatus;
import dev.hiveguard.wire.ReplyEntry;
import dev.hiveguard.wire.ReplyResult;
import dev.hiveguard.wire.Wire;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The JNA binding against the real user-mode host library: every IOCTL of the
 * protocol, its error statuses, completion-port delivery, cancellation and the
 * death of the handle's process.
 */
class HiveGuardDeviceTest {

    private static final long WAIT_S = 10;
    private static final String RUN_KEY = "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run";

    private HiveGuardDevice device;

    @BeforeEach
    void freshDriver() {
        RegistrySimulator.reset(Verdict.ALLOW);
        device = HiveGuardDevice.open();
    }

    @AfterEach
    void closeDevice() {
        if (device != null) {
            device.close();
        }
    }

    private record Completion(IoRequest request, IoResult result) {
    }

    @Test
    void helloReportsTheHostAndItsLimits() {
        HelloReply h = device.hello();
        assertEquals(Wire.VERSION_MAJOR, h.versionMajor());
        assertTrue(h.has(Wire.CAP_SIMULATOR));
        assertEquals(Wire.GET_EVENTS_MIN_BYTES, h.getEventsMinBytes());
        assertEquals(Wire.PARKED_MAX, h.parkedMax());
        assertEquals(Wire.REPLY_MAX_ENTRIES, h.replyMaxEntries());
        assertEquals(1, device.stats().clientBound());
    }

    @Test
    void helloFromAnotherMajorVersionIsRefusedWithAClearMessage() {
        DeviceException e = assertThrows(DeviceException.class,
                () -> device.hello(new dev.hiveguard.wire.HelloRequest(Wire.MAGIC, Wire.VERSION_MAJOR + 1, 0, 0, 0)));
        assertEquals(Win32Error.ERROR_REVISION_MISMATCH, e.error());
        assertTrue(e.getMessage().contains("does not speak wire version " + (Wire.VERSION_MAJOR + 1)), e.getMessage());
        DeviceException magic = assertThrows(DeviceException.class,
                () -> device.hello(new dev.hiveguard.wire.HelloRequest(0x12345678, Wire.VERSION_MAJOR, 0, 0, 0)));
        assertEquals(Win32Error.ERROR_UNKNOWN_REVISION, magic.error());
        // The refusals bound nothing: the right HELLO still works on the same handle.
        assertEquals(Wire.VERSION_MAJOR, device.hello().versionMajor());
    }

    @Test
    void secondClientGetsSharingViolationWithAnExplanation() {
        DeviceException e = assertThrows(DeviceException.class, HiveGuardDevice::open);
        assertEquals(Win32Error.ERROR_SHARING_VIOLATION, e.error());
        assertTrue(e.getMessage().contains("one client at a time"), e.getMessage());
    }

    @Test
    void missingDeviceIsFileNotFoundWithAnExplanation() {
        DeviceException e = assertThrows(DeviceException.class, () -> HiveGuardDevice.open("\\\\.\\NoSuchDevice"));
        assertEquals(Win32Error.ERROR_FILE_NOT_FOUND, e.error());
        assertTrue(e.getMessage().contains("driver is not loaded"), e.getMessage());
    }

    @Test
    void configureBeforeHelloIsRejectedAsOutOfOrder() {
        DeviceException e = assertThrows(DeviceException.class,
                () -> device.configure(Subscription.auditEverything()));
        assertEquals(Win32Error.ERROR_BAD_COMMAND, e.error());
        assertTrue(e.getMessage().contains("CONFIGURE"), e.getMessage());
    }

    @Test
    void malformedIoctlsGetStatusCodesNotCrashes() {
        device.hello();
        IoRequest r = device.newRequest(64, 64);
        DeviceException unknown = assertThrows(DeviceException.class,
                () -> device.call(r, Wire.ctlCode(Wire.DEVICE_TYPE, 0x999, 0, 3), 0, 0, "unknown IOCTL"));
        assertEquals(Win32Error.ERROR_INVALID_FUNCTION, unknown.error());
        // A REPLY with a wrong magic.
        r.input().putInt(0, 0x11111111).putInt(4, 1).putLong(8, 1).putInt(16, 1).putInt(20, 0);
        assertEquals(Win32Error.ERROR_UNKNOWN_REVISION, assertThrows(DeviceException.class,
                () -> device.call(r, Wire.IOCTL_REPLY, 24, 16, "REPLY")).error());
        // A REPLY whose count disagrees with its length.
        r.input().putInt(0, Wire.MAGIC).putInt(4, 3);
        DeviceException len = assertThrows(DeviceException.class,
                () -> device.call(r, Wire.IOCTL_REPLY, 24, 16, "REPLY"));
        assertTrue(len.win32Error() == Win32Error.ERROR_BAD_LENGTH.code()
                || len.win32Error() == Win32Error.ERROR_INVALID_PARAMETER.code(), len.getMessage());
        // STATS into a buffer shorter than HG_STATS.
        assertEquals(Win32Error.ERROR_INSUFFICIENT_BUFFER, assertThrows(DeviceException.class,
                () -> device.call(r, Wire.IOCTL_STATS, 0, 16, "STATS")).error());
        // GET_EVENTS with a buffer below HG_GET_EVENTS_MIN_BYTES, and above HG_GET_EVENTS_MAX_BYTES.
        assertThrows(DeviceException.class, () -> device.call(r, Wire.IOCTL_GET_EVENTS, 0, 64, "GET_EVENTS"));
        IoRequest huge = device.newRequest(0, Wire.GET_EVENTS_MAX_BYTES + 8);
        assertEquals(Win32Error.ERROR_INVALID_USER_BUFFER, assertThrows(DeviceException.class,
                () -> device.call(huge, Wire.IOCTL_GET_EVENTS, 0, huge.outCapacity(), "GET_EVENTS")).error());
        // A CONFIGURE of zeros (no magic), and one that is only half a header.
        IoRequest config = device.newRequest(Wire.CONFIG_HEADER_BYTES, 0);
        assertEquals(Win32Error.ERROR_UNKNOWN_REVISION, assertThrows(DeviceException.class,
                () -> device.call(config, Wire.IOCTL_CONFIGURE, Wire.CONFIG_HEADER_BYTES, 0, "CONFIGURE")).error());
        assertEquals(Win32Error.ERROR_INSUFFICIENT_BUFFER, assertThrows(DeviceException.class,
                () -> device.call(config, Wire.IOCTL_CONFIGURE, Wire.CONFIG_HEADER_BYTES / 2, 0, "CONFIGURE")).error());
        // Nothing of this left a request behind or broke the handle.
        assertEquals(0, device.inFlight());
        assertEquals(1, device.stats().clientBound());
    }

    @Test
    void parkedRequestCompletesWithTheRaisedEvent() throws Exception {
        device.hello();
        device.configure(Subscription.auditEverything());
        BlockingQueue<Completion> done = new ArrayBlockingQueue<>(4);
        IoRequest r = device.newRequest(0, Wire.GET_EVENTS_MIN_BYTES);
        device.submit(r, Wire.IOCTL_GET_EVENTS, 0, r.outCapacity(), (req, res) -> done.add(new Completion(req, res)));
        assertTrue(r.inFlight());
        byte[] data = "C:\\evil.exe\0".getBytes(StandardCharsets.UTF_16LE);
        SimulatedOperation op = new SimulatedOperation(Operation.SET_VALUE, 0x5150, 321, 322, 2, false, RUN_KEY,
                "Updater", null, "C:\\Users\\u\\dropper.exe", "S-1-5-21-1-2-3-1001", 1, data);
        assertEquals(0, RegistrySimulator.raise(op), "audit-only subscription: allowed without waiting");

        Completion c = done.poll(WAIT_S, TimeUnit.SECONDS);
        assertNotNull(c, "no completion packet");
        assertTrue(c.result().succeeded(), c.result().toString());
        EventBatch batch = EventBatch.decode(c.request().output(c.result().bytes()));
        assertEquals(1, batch.events().size());
        RegistryEvent e = batch.events().get(0);
        assertEquals(Operation.SET_VALUE, e.operation());
        assertEquals(RUN_KEY, e.keyPath());
        assertEquals("Updater", e.valueName());
        assertEquals("C:\\Users\\u\\dropper.exe", e.image());
        assertEquals("S-1-5-21-1-2-3-1001", e.userSid());
        assertEquals(321, e.pid());
        assertEquals(322, e.tid());
        assertEquals(2, e.sessionId());
        assertEquals(1, e.valueType());
        assertArrayEquals(data, e.data());
        assertFalse(e.verdictRequested());
        assertEquals(0, device.inFlight());
    }

    @Test
    void replyIsCountedUnknownForAnIdNeverIssued() {
        device.hello();
        IoRequest r = device.newRequest(64, Wire.REPLY_RESULT_BYTES);
        ReplyResult result = device.reply(r, List.of(new ReplyEntry(424242, Verdict.BLOCK)));
        assertEquals(new ReplyResult(0, 1, 0, 0), result);
        DriverStats s = device.stats();
        assertEquals(1, s.repliesUnknown());
    }

    @Test
    void cancelledRequestStillDeliversItsPacket() throws Exception {
        device.hello();
        CompletableFuture<IoResult> done = new CompletableFuture<>();
        IoRequest r = device.newRequest(0, Wire.GET_EVENTS_MIN_BYTES);
        device.submit(r, Wire.IOCTL_GET_EVENTS, 0, r.outCapacity(), (req, res) -> done.complete(res));
        assertTrue(device.cancel(r));
        IoResult res = done.get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(NtStatus.CANCELLED.code(), res.ntStatus());
        assertTrue(res.cancelled());
        assertFalse(device.cancel(r), "nothing left to cancel: ERROR_NOT_FOUND");
        assertFalse(r.inFlight());
    }

    @Test
    void getOverlappedResultReadsACompletedRequest() {
        device.hello();
        IoRequest r = device.newRequest(0, Wire.STATS_BYTES);
        IoResult res = device.call(r, Wire.IOCTL_STATS, 0, Wire.STATS_BYTES, "STATS");
        com.sun.jna.ptr.IntByReference bytes = new com.sun.jna.ptr.IntByReference(-1);
        assertTrue(Kernel32.INSTANCE.GetOverlappedResult(device.handle(), r.overlappedPointer(), bytes, false));
        assertEquals(res.bytes(), bytes.getValue());
        assertEquals(Wire.STATS_BYTES, bytes.getValue());
    }

    @Test
    void cancelIoCancelsOnlyTheCallingThreadsRequests() throws Exception {
        device.hello();
        CompletableFuture<IoResult> mine = new CompletableFuture<>();
        CompletableFuture<IoResult> other = new CompletableFuture<>();
        IoRequest a = device.newRequest(0, Wire.GET_EVENTS_MIN_BYTES);
        IoRequest b = device.newRequest(0, Wire.GET_EVENTS_MIN_BYTES);
        device.submit(a, Wire.IOCTL_GET_EVENTS, 0, a.outCapacity(), (req, res) -> mine.complete(res));
        Thread t = new Thread(() -> device.submit(b, Wire.IOCTL_GET_EVENTS, 0, b.outCapacity(),
                (req, res) -> other.complete(res)));
        t.start();
        t.join();
        assertTrue(Kernel32.INSTANCE.CancelIo(device.handle()));
        assertTrue(mine.get(WAIT_S, TimeUnit.SECONDS).cancelled());
        assertFalse(other.isDone(), "CancelIo must leave another thread's request parked");
        assertTrue(b.inFlight());
    }

    @Test
    void closeWaitsForEveryParkedRequestToComeBack() {
        device.hello();
        IoRequest[] rs = new IoRequest[4];
        int[] completions = new int[1];
        for (int i = 0; i < rs.length; i++) {
            rs[i] = device.newRequest(0, Wire.GET_EVENTS_MIN_BYTES);
            device.submit(rs[i], Wire.IOCTL_GET_EVENTS, 0, rs[i].outCapacity(), (req, res) -> {
                synchronized (completions) {
                    completions[0]++;
                }
            });
        }
        assertEquals(4, device.inFlight());
        device.close();
        synchronized (completions) {
            assertEquals(4, completions[0]);
        }
        for (IoRequest r : rs) {
            assertFalse(r.inFlight());
            assertFalse(r.retired());
        }
        device = null;
        assertEquals(0, RegistrySimulator.stats().clientBound());
    }

    @Test
    void requestsBeyondTheOverlappedTableStillFindTheirCompletion() throws Exception {
        // Fill the OVERLAPPED table with short calls, then park requests that can no longer
        // get a slot beside ones that have one: every packet must reach its own handler.
        device.hello();
        IoRequest slotted = device.newRequest(0, Wire.GET_EVENTS_MIN_BYTES);
        CompletableFuture<IoResult> slottedDone = new CompletableFuture<>();
        device.submit(slotted, Wire.IOCTL_GET_EVENTS, 0, slotted.outCapacity(), (req, res) -> slottedDone.complete(res));
        for (int i = 0; i < HiveGuardDevice.OVERLAPPED_SLOTS; i++) {
            IoRequest r = device.newRequest(0, Wire.STATS_BYTES);
            device.call(r, Wire.IOCTL_STATS, 0, Wire.STATS_BYTES, "STATS");
        }
        IoRequest unslotted = device.newRequest(0, Wire.GET_EVENTS_MIN_BYTES);
        CompletableFuture<IoResult> unslottedDone = new CompletableFuture<>();
        device.submit(unslotted, Wire.IOCTL_GET_EVENTS, 0, unslotted.outCapacity(),
                (req, res) -> unslottedDone.complete(res));
        assertEquals(2, device.inFlight());
        assertTrue(device.cancel(unslotted));
        assertTrue(unslottedDone.get(WAIT_S, TimeUnit.SECONDS).cancelled());
        assertFalse(slottedDone.isDone(), "the other request stays parked");
        assertEquals(1, device.inFlight());
        assertTrue(device.cancel(slotted));
        assertTrue(slottedDone.get(WAIT_S, TimeUnit.SECONDS).cancelled());
        assertTrue(device.awaitIdle(WAIT_S * 1000));
        assertEquals(0, device.inFlight());
        // Both kinds are reusable after their packet came back.
        CompletableFuture<IoResult> again = new CompletableFuture<>();
        device.submit(unslotted, Wire.IOCTL_GET_EVENTS, 0, unslotted.outCapacity(), (req, res) -> again.complete(res));
        assertTrue(device.cancel(unslotted));
        assertTrue(again.get(WAIT_S, TimeUnit.SECONDS).cancelled());
    }

    @Test
    void processExitAbandonsWhatIsInFlightAndFreesTheDevice() throws Exception {
        device.hello();
        CompletableFuture<IoResult> done = new CompletableFuture<>();
        IoRequest r = device.newRequest(0, Wire.GET_EVENTS_MIN_BYTES);
        device.submit(r, Wire.IOCTL_GET_EVENTS, 0, r.outCapacity(), (req, res) -> done.complete(res));
        RegistrySimulator.processExit(RegistrySimulator.currentProcessKey());
        IoResult res = done.get(WAIT_S, TimeUnit.SECONDS);
        assertTrue(res.abandoned() || res.cancelled(), res.toString());
        assertEquals(0, RegistrySimulator.stats().clientBound());
        // A new agent in the same process can connect at once.
        try (HiveGuardDevice again = HiveGuardDevice.open()) {
            HelloReply h = again.hello();
            assertNotEquals(0, h.instanceId());
        }
    }
}
