package dev.hiveguard.device;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.wire.ConfigMessage;
import dev.hiveguard.wire.DriverStats;
import dev.hiveguard.wire.HelloReply;
import dev.hiveguard.wire.HelloRequest;
import dev.hiveguard.wire.NtStatus;
import dev.hiveguard.wire.ReplyEntry;
import dev.hiveguard.wire.ReplyMessage;
import dev.hiveguard.wire.ReplyResult;
import dev.hiveguard.wire.Wire;
import dev.hiveguard.wire.WireFormatException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's connection to {@code \\.\HiveGuard}: one overlapped handle, one I/O
 * completion port associated with it, and one completion thread that dequeues
 * packets (GetQueuedCompletionStatusEx) and hands each finished {@link IoRequest}
 * back to whoever submitted it. Windows queues a packet for every overlapped
 * operation on an associated handle, even one that succeeds at once, unless the
 * OVERLAPPED's hEvent has its low bit set; a packet arriving for memory the caller had
 * already reused would be a use-after-free. So parked requests ({@link #submit}) always
 * come back through the port, and the control calls the driver completes at once
 * ({@link #hello}, {@link #configure}, {@link #reply}, {@link #stats}) are issued
 * without a packet ({@link #callWithoutPacket}): they never wait for the completion
 * thread, which may itself be the caller (the pump answers verdicts there).
 *
 * <p>The same code runs on Windows (kernel32) and on Linux over the user-mode host.
 */
public final class HiveGuardDevice implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HiveGuardDevice.class);

    /**
     * Control IOCTLs are completed by the driver without pending; a packet that has
     * not arrived after this long means the port or the driver is broken.
     */
    static final long CONTROL_CALL_TIMEOUT_MS = 10_000;
    /** How long close() waits for the packets of cancelled requests before giving up on them. */
    static final long CLOSE_DRAIN_TIMEOUT_MS = 5_000;
    /** The completion thread wakes at least this often to notice close(). */
    static final int DEQUEUE_POLL_MS = 100;
    /** Entries taken per GetQueuedCompletionStatusEx call. */
    static final int DEQUEUE_MAX_ENTRIES = 64;
    /** Consecutive unexplained dequeue failures after which the port is treated as gone. */
    static final int DEQUEUE_FAILURE_LIMIT = 50;
    /** Our only completion key; one handle is associated with the port. */
    private static final long COMPLETION_KEY = 0x4847;

    /**
     * Requests whose completion packet can never arrive (their handle vanished) but
     * whose memory the driver or host might still write: kept reachable forever.
     */
    private static final Set<IoRequest> RETIRED = ConcurrentHashMap.newKeySet();

    private final String path;
    private final Pointer handle;
    private final Pointer port;
    /**
     * Requests that go through the port find their way back by their OVERLAPPED's address:
     * a request's first submit() moves its OVERLAPPED into a slot of this table, and a
     * dequeued packet's OVERLAPPED address gives the slot by subtraction and division - no
     * map insert and remove (and no boxed key) per request. The table is native memory of
     * the device that every slotted request also references, so it lives as long as the
     * last of them (a retired request keeps it). Requests beyond {@link #OVERLAPPED_SLOTS}
     * (short-lived {@link #call} requests) use {@link #inFlightUnslotted}.
     */
    static final int OVERLAPPED_SLOTS = 256;
    private final Memory overlappedTable = new Memory((long) Overlapped.SIZE * OVERLAPPED_SLOTS);
    private final long overlappedTableBase = Pointer.nativeValue(overlappedTable);
    private final IoRequest[] slotted = new IoRequest[OVERLAPPED_SLOTS];
    /** Slots handed out so far (never reused: a slot is the request's for its life); guarded by slotted. */
    private int slotsUsed;
    private final Map<Long, IoRequest> inFlightUnslotted = new ConcurrentHashMap<>();
    /** Submitted requests whose packet has not been dequeued (slotted and unslotted). */
    private final AtomicInteger inFlightCount = new AtomicInteger();
    private final Object drainMonitor = new Object();
    private final Thread completionThread;
    private volatile boolean closing;
    private volatile boolean stopCompletionThread;
    private volatile boolean handlesLost;
    private volatile boolean completionThreadDead;
    private volatile Runnable dequeueGroupEnd;

    private HiveGuardDevice(String path, Pointer handle, Pointer port) {
        this.path = path;
        this.handle = handle;
        this.port = port;
        this.completionThread = new Thread(this::completionLoop, "hiveguard-completion");
        this.completionThread.setDaemon(true);
    }

    /** Opens {@code \\.\HiveGuard}. */
    public static HiveGuardDevice open() {
        return open(Wire.USER_PATH);
    }

    /**
     * Opens the device for overlapped read/write with no sharing (the driver accepts
     * one client at a time) and associates it with a new completion port.
     *
     * @throws DeviceException with the Win32 error and what it means for HiveGuard
     */
    public static HiveGuardDevice open(String path) {
        Kernel32 k32 = Kernel32.INSTANCE;
        Pointer h = k32.CreateFile(path, Kernel32.GENERIC_READ | Kernel32.GENERIC_WRITE, 0, null,
                Kernel32.OPEN_EXISTING, Kernel32.FILE_FLAG_OVERLAPPED, null);
        if (isInvalid(h)) {
            int err = Native.getLastError();
            throw new DeviceException("CreateFileW(" + path + ")", err, openHint(err));
        }
        Pointer p = k32.CreateIoCompletionPort(h, null, new Pointer(COMPLETION_KEY), 1);
        if (p == null) {
            int err = Native.getLastError();
            k32.CloseHandle(h);
            throw new DeviceException("CreateIoCompletionPort", err);
        }
        HiveGuardDevice device = new HiveGuardDevice(path, h, p);
        device.completionThread.start();
        LOG.info("opened {}", path);
        return device;
    }

    private static boolean isInvalid(Pointer h) {
        return h == null || Pointer.nativeValue(h) == -1L;
    }

    private static String openHint(int err) {
        Win32Error e = Win32Error.fromCode(err);
        if (e == null) {
            return null;
        }
        return switch (e) {
            case ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND ->
                    "- the HiveGuard device does not exist: the driver is not loaded (sc start HiveGuard).";
            case ERROR_ACCESS_DENIED ->
                    "- the device is reachable by SYSTEM and Administrators only: run the agent elevated.";
            case ERROR_SHARING_VIOLATION ->
                    "- another agent is already connected; the driver serves one client at a time.";
            default -> null;
        };
    }

    public String path() {
        return path;
    }

    /** The raw device handle, for tests of the binding itself. */
    Pointer handle() {
        return handle;
    }

    /** A request with its own pre-allocated native buffers, reusable after each completion. */
    public IoRequest newRequest(int inCapacity, int outCapacity) {
        return new IoRequest(inCapacity, outCapacity);
    }

    /**
     * {@code action} runs on the completion thread after the handlers of every packet that
     * one GetQueuedCompletionStatusEx call returned (and after the handlers of abandoned
     * requests): a handler may leave work for it, e.g. answer several completed batches
     * with one REPLY. Null removes it.
     */
    public void onDequeueGroupEnd(Runnable action) {
        dequeueGroupEnd = action;
    }

    private void runDequeueGroupEnd() {
        Runnable action = dequeueGroupEnd;
        if (action != null) {
            try {
                action.run();
            } catch (RuntimeException | Error e) {
                LOG.error("end-of-dequeue action failed", e);
            }
        }
    }

    /** Requests whose completion packet has not been dequeued yet. */
    public int inFlight() {
        return inFlightCount.get();
    }

    /** Gives a request a table slot on its first packet-queuing submit, while slots last. */
    private void assignSlot(IoRequest request) {
        if (request.hasSlot()) {
            return;
        }
        synchronized (slotted) {
            if (slotsUsed == OVERLAPPED_SLOTS) {
                return;
            }
            int index = slotsUsed++;
            request.useSlot(this, index, overlappedTable, (long) index * Overlapped.SIZE);
            slotted[index] = request;
        }
    }

    /** Registers a request as in flight before its DeviceIoControl. */
    private void trackInFlight(IoRequest request) {
        inFlightCount.incrementAndGet();
        if (request.slotIn(this) < 0) {
            inFlightUnslotted.put(request.key(), request);
        }
    }

    /** The submission failed at once: nothing will come back for it. */
    private void untrackFailed(IoRequest request) {
        if (request.slotIn(this) < 0) {
            inFlightUnslotted.remove(request.key());
        }
        inFlightCount.decrementAndGet();
    }

    /** The in-flight request a dequeued packet's OVERLAPPED belongs to, taken out of the tables; or null. */
    private IoRequest takeInFlight(long overlappedAddress) {
        long offset = overlappedAddress - overlappedTableBase;
        if (offset >= 0 && offset < (long) Overlapped.SIZE * OVERLAPPED_SLOTS && offset % Overlapped.SIZE == 0) {
            IoRequest r;
            synchronized (slotted) {
                r = slotted[(int) (offset / Overlapped.SIZE)];
            }
            if (r != null && r.packetDue()) {
                inFlightCount.decrementAndGet();
                return r;
            }
            return null;
        }
        IoRequest r = inFlightUnslotted.remove(overlappedAddress);
        if (r != null) {
            inFlightCount.decrementAndGet();
        }
        return r;
    }

    /** Every request in flight now (slotted and unslotted). */
    private List<IoRequest> inFlightRequests() {
        List<IoRequest> out = new ArrayList<>();
        synchronized (slotted) {
            for (int i = 0; i < slotsUsed; i++) {
                if (slotted[i].packetDue()) {
                    out.add(slotted[i]);
                }
            }
        }
        out.addAll(inFlightUnslotted.values());
        return out;
    }

    /** True when the handles vanished underneath the agent (a simulated process exit). */
    public boolean handlesLost() {
        return handlesLost;
    }

    /**
     * Issues an overlapped DeviceIoControl. Unless it fails at once (then it throws and
     * the request is idle again) exactly one call of {@code handler} follows on the
     * completion thread.
     */
    public void submit(IoRequest request, int ioctl, int inLength, int outLength, IoCompletionHandler handler) {
        if (closing || handlesLost || completionThreadDead) {
            throw new DeviceException("DeviceIoControl on a closing or broken device",
                    Win32Error.ERROR_INVALID_HANDLE.code());
        }
        if (inLength < 0 || inLength > request.inCapacity() || outLength < 0 || outLength > request.outCapacity()) {
            throw new IllegalArgumentException("lengths " + inLength + "/" + outLength + " exceed the request's "
                    + request.inCapacity() + "/" + request.outCapacity() + " bytes");
        }
        assignSlot(request);
        request.begin(handler);
        trackInFlight(request);
        int ok = Kernel32Direct.DeviceIoControl(handle, ioctl, inLength > 0 ? request.inputPointer() : null,
                inLength, outLength > 0 ? request.outputPointer() : null, outLength,
                request.bytesReturnedPointer(), request.overlappedPointer());
        if (ok == 0) {
            int err = Native.getLastError();
            if (err != Win32Error.ERROR_IO_PENDING.code()) {
                // Failed before it was queued: Windows posts no packet, the memory is ours again.
                request.failedImmediately();
                untrackFailed(request);
                signalDrain();
                throw new DeviceException("DeviceIoControl(" + Wire.ioctlName(ioctl) + ")", err);
            }
        }
    }

    /** Submits and waits for the completion; a failed status becomes a DeviceException. */
    public IoResult call(IoRequest request, int ioctl, int inLength, int outLength, String what) {
        if (Thread.currentThread() == completionThread) {
            throw new IllegalStateException("a synchronous device call on the completion thread would wait for "
                    + "itself");
        }
        submit(request, ioctl, inLength, outLength, null);
        IoResult result;
        try {
            result = request.await(TimeUnit.MILLISECONDS.toNanos(CONTROL_CALL_TIMEOUT_MS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeviceException(what + " (interrupted while its request is in flight)",
                    Win32Error.ERROR_OPERATION_ABORTED.code());
        }
        if (result == null) {
            throw new DeviceException(what, Win32Error.ERROR_TIMEOUT.code(),
                    "- no completion packet within " + CONTROL_CALL_TIMEOUT_MS + " ms.");
        }
        if (result.abandoned()) {
            throw new DeviceException(what, Win32Error.ERROR_INVALID_HANDLE.code(),
                    "- the device handle was closed underneath the agent.");
        }
        if (!result.succeeded()) {
            throw new DeviceException(what, result.win32Error(), "(" + NtStatus.describe(result.ntStatus()) + ")");
        }
        return result;
    }

    /**
     * A control IOCTL the driver completes inside its dispatch routine (HELLO, CONFIGURE,
     * REPLY, STATS), issued so that no completion packet is queued for it (hEvent low
     * bit): the result is in the request's buffers when DeviceIoControl returns. No
     * thread waits for a packet - the completion thread may be busy deciding, and a
     * REPLY sent from the completion thread would otherwise wait for itself. Should
     * the I/O ever pend, it is polled with GetOverlappedResult for at most
     * {@link #CONTROL_CALL_TIMEOUT_MS}; a request still pending then is retired, since
     * the driver may write its memory later.
     *
     * @throws DeviceException on a failed status, a dead handle or the timeout
     */
    public IoResult callWithoutPacket(IoRequest request, int ioctl, int inLength, int outLength, String what) {
        if (closing || handlesLost) {
            throw new DeviceException(what + " on a closing or broken device", Win32Error.ERROR_INVALID_HANDLE.code());
        }
        if (inLength < 0 || inLength > request.inCapacity() || outLength < 0 || outLength > request.outCapacity()) {
            throw new IllegalArgumentException("lengths " + inLength + "/" + outLength + " exceed the request's "
                    + request.inCapacity() + "/" + request.outCapacity() + " bytes");
        }
        request.beginWithoutPacket();
        int ok = Kernel32Direct.DeviceIoControl(handle, ioctl, inLength > 0 ? request.inputPointer() : null,
                inLength, outLength > 0 ? request.outputPointer() : null, outLength,
                request.bytesReturnedPointer(), request.overlappedPointer());
        IoResult result;
        if (ok != 0) {
            result = new IoResult(request.overlappedStatus(), request.bytesReturned(), false);
        } else {
            int err = Native.getLastError();
            if (err != Win32Error.ERROR_IO_PENDING.code()) {
                request.failedImmediately();
                throw new DeviceException("DeviceIoControl(" + Wire.ioctlName(ioctl) + ")", err);
            }
            result = pollPending(request, what);
        }
        request.finish(result);
        if (!result.succeeded()) {
            throw new DeviceException(what, result.win32Error(), "(" + NtStatus.describe(result.ntStatus()) + ")");
        }
        return result;
    }

    /** A packet-less control IOCTL that pended after all (no HiveGuard IOCTL does): poll it. */
    private IoResult pollPending(IoRequest request, String what) {
        LOG.warn("{} pended although the driver completes it at once; polling its OVERLAPPED", what);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONTROL_CALL_TIMEOUT_MS);
        IntByReference bytes = new IntByReference();
        while (System.nanoTime() < deadline) {
            if (Kernel32.INSTANCE.GetOverlappedResult(handle, request.overlappedPointer(), bytes, false)) {
                return new IoResult(request.overlappedStatus(), bytes.getValue(), false);
            }
            int err = Native.getLastError();
            if (err != Win32Error.ERROR_IO_INCOMPLETE.code()) {
                return new IoResult(request.overlappedStatus(), 0, false);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        request.retire();
        RETIRED.add(request);
        throw new DeviceException(what, Win32Error.ERROR_TIMEOUT.code(),
                "- still pending after " + CONTROL_CALL_TIMEOUT_MS + " ms; its memory is retired.");
    }

    /**
     * HELLO: binds this handle's process as the client and checks the wire version.
     *
     * @throws DeviceException when the driver rejects the version or the handle
     * @throws WireFormatException when the reply is malformed
     */
    public HelloReply hello() {
        return hello(HelloRequest.current());
    }

    /** HELLO with a given request: tests use it to play an agent of another wire version. */
    HelloReply hello(HelloRequest request) {
        IoRequest r = newRequest(Wire.HELLO_REQUEST_BYTES, Wire.HELLO_REPLY_BYTES);
        r.input().put(request.encode());
        IoResult res;
        try {
            res = callWithoutPacket(r, Wire.IOCTL_HELLO, Wire.HELLO_REQUEST_BYTES, Wire.HELLO_REPLY_BYTES, "HELLO");
        } catch (DeviceException e) {
            if (e.win32Error() == Win32Error.ERROR_REVISION_MISMATCH.code()) {
                throw new DeviceException("HELLO", e.win32Error(), "- the driver does not speak wire version "
                        + request.versionMajor() + ".x of this agent (" + Wire.VERSION_MAJOR + "."
                        + Wire.VERSION_MINOR + " is this build's); install a matching agent and driver.");
            }
            throw e;
        }
        return HelloReply.decode(r.output(res.bytes()));
    }

    /** CONFIGURE with the canonical encoding of {@code subscription}. */
    public void configure(Subscription subscription) {
        byte[] message = ConfigMessage.encode(subscription);
        IoRequest r = newRequest(message.length, 0);
        r.input().put(message);
        callWithoutPacket(r, Wire.IOCTL_CONFIGURE, message.length, 0, "CONFIGURE");
    }

    /**
     * REPLY through a caller-owned, pre-allocated request (input at least
     * {@code ReplyMessage.encodedSize(entries.size())}, output HG_REPLY_RESULT).
     */
    public ReplyResult reply(IoRequest request, List<ReplyEntry> entries) {
        int length = ReplyMessage.encodeInto(entries, request.input());
        IoResult res = callWithoutPacket(request, Wire.IOCTL_REPLY, length, Wire.REPLY_RESULT_BYTES, "REPLY");
        return ReplyResult.decode(request.output(res.bytes()));
    }

    /** STATS: the driver's counters. */
    public DriverStats stats() {
        IoRequest r = newRequest(0, Wire.STATS_BYTES);
        IoResult res = callWithoutPacket(r, Wire.IOCTL_STATS, 0, Wire.STATS_BYTES, "STATS");
        return DriverStats.decode(r.output(res.bytes()));
    }

    /**
     * CancelIoEx for every request of this process on the handle. Cancelled requests
     * still complete through the port (with STATUS_CANCELLED). Returns false when
     * nothing was pending (ERROR_NOT_FOUND).
     */
    public boolean cancelAll() {
        return cancel(null);
    }

    /** CancelIoEx for one request. */
    public boolean cancel(IoRequest request) {
        if (handlesLost) {
            return false;
        }
        Pointer ov = request == null ? null : request.overlappedPointer();
        if (Kernel32.INSTANCE.CancelIoEx(handle, ov)) {
            return true;
        }
        int err = Native.getLastError();
        if (err != Win32Error.ERROR_NOT_FOUND.code()) {
            throw new DeviceException("CancelIoEx", err);
        }
        return false;
    }

    /** Waits until every submitted request has completed; false on timeout. */
    public boolean awaitIdle(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (drainMonitor) {
            while (inFlightCount.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(drainMonitor, left);
            }
            return true;
        }
    }

    private void signalDrain() {
        synchronized (drainMonitor) {
            drainMonitor.notifyAll();
        }
    }

    private void completionLoop() {
        try {
            dequeueUntilStopped();
        } catch (RuntimeException | Error e) {
            // Nothing would ever complete again: fail everything in flight loudly rather than hang.
            LOG.error("completion thread of {} died; abandoning {} in-flight requests", path, inFlightCount.get(), e);
            completionThreadDead = true;
            abandonAll(false);
        }
    }

    private void dequeueUntilStopped() {
        Memory entries = new Memory((long) Overlapped.ENTRY_SIZE * DEQUEUE_MAX_ENTRIES);
        Memory removed = new Memory(4);
        int failures = 0;
        while (!stopCompletionThread) {
            removed.setInt(0, 0);
            int ok = Kernel32Direct.GetQueuedCompletionStatusEx(port, entries, DEQUEUE_MAX_ENTRIES, removed,
                    DEQUEUE_POLL_MS, 0);
            if (ok == 0) {
                int err = Native.getLastError();
                if (err == Win32Error.WAIT_TIMEOUT.code()) {
                    failures = 0;
                    continue;
                }
                if (err == Win32Error.ERROR_ABANDONED_WAIT_0.code() || err == Win32Error.ERROR_INVALID_HANDLE.code()
                        || ++failures >= DEQUEUE_FAILURE_LIMIT) {
                    if (!stopCompletionThread) {
                        LOG.warn("completion port of {} is gone ({}); abandoning {} in-flight requests", path,
                                Win32Error.describe(err), inFlightCount.get());
                        abandonAll(true);
                    }
                    return;
                }
                LOG.warn("GetQueuedCompletionStatusEx failed: {}", Win32Error.describe(err));
                continue;
            }
            failures = 0;
            int n = removed.getInt(0);
            for (int i = 0; i < n; i++) {
                long base = (long) i * Overlapped.ENTRY_SIZE;
                long ov = entries.getLong(base + Overlapped.ENTRY_OVERLAPPED);
                int bytes = entries.getInt(base + Overlapped.ENTRY_BYTES);
                IoRequest r = takeInFlight(ov);
                if (r == null) {
                    LOG.warn("completion packet for an unknown OVERLAPPED 0x{}", Long.toHexString(ov));
                    continue;
                }
                IoResult result = new IoResult(r.overlappedStatus(), bytes, false);
                dispatch(r, result);
            }
            if (n > 0) {
                runDequeueGroupEnd();
            }
            if (inFlightCount.get() == 0) {
                signalDrain();
            }
        }
    }

    private void dispatch(IoRequest r, IoResult result) {
        IoCompletionHandler h = r.finish(result);
        if (h != null) {
            try {
                h.completed(r, result);
            } catch (RuntimeException | Error e) {
                LOG.error("completion handler failed for {}", result, e);
            }
        }
    }

    /**
     * No packet will ever be dequeued for what is in flight: the handles vanished
     * ({@code handlesGone}), or the completion thread died. The requests are retired.
     */
    private void abandonAll(boolean handlesGone) {
        if (handlesGone) {
            handlesLost = true;
        }
        for (IoRequest inFlightNow : inFlightRequests()) {
            IoRequest r = takeInFlight(inFlightNow.key());
            if (r != null) {
                RETIRED.add(r);
                dispatch(r, IoResult.abandonedResult());
            }
        }
        runDequeueGroupEnd();
        signalDrain();
    }

    /**
     * Cancels what is in flight, waits for every completion packet (cancelled ones
     * included) so that no buffer is released while the driver may write it, then
     * closes the device and the port. Requests whose packets never come are retired,
     * not freed. After a simulated process exit the handles are already closed and
     * their values may belong to a successor; they are then not closed again.
     */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        boolean drained = true;
        if (!handlesLost) {
            try {
                cancelAll();
            } catch (DeviceException e) {
                LOG.warn("cancelling in-flight requests on close: {}", e.getMessage());
            }
            try {
                drained = awaitIdle(CLOSE_DRAIN_TIMEOUT_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                drained = false;
            }
        }
        if (!handlesLost) {
            Kernel32.INSTANCE.CloseHandle(handle);
            if (!drained) {
                // Closing the handle cancels what CancelIoEx could not reach; give those packets a moment.
                try {
                    drained = awaitIdle(CLOSE_DRAIN_TIMEOUT_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        stopCompletionThread = true;
        try {
            completionThread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!handlesLost) {
            Kernel32.INSTANCE.CloseHandle(port);
        }
        if (!drained || inFlightCount.get() > 0) {
            List<IoRequest> stuck = inFlightRequests();
            LOG.error("{} requests never completed on {}; their memory is retired, not freed", stuck.size(), path);
            RETIRED.addAll(stuck);
        }
        LOG.info("closed {}", path);
    }
}
