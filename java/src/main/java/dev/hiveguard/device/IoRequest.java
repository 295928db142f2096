package dev.hiveguard.device;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * Pre-allocated native memory for one overlapped DeviceIoControl: input buffer,
 * output buffer, OVERLAPPED and the bytes-returned DWORD. Between submission and the
 * dequeue of its completion packet the kernel (or host) may write into this memory
 * at any moment, so while a request is in flight the device holds it strongly (its
 * OVERLAPPED table slot, or its in-flight map for requests past the table) (JNA frees {@link Memory} only when it becomes unreachable) and it
 * cannot be resubmitted. A request whose packet can never arrive is retired into a
 * table that is never emptied: leaking a few kilobytes beats a write into freed memory.
 */
public final class IoRequest {

    private final Memory input;
    private final Memory output;
    /**
     * The OVERLAPPED: the request's own until it is first submitted for a completion
     * packet, then a slot of the device's OVERLAPPED table when one is free (see
     * {@link HiveGuardDevice}), so a dequeued packet finds its request by arithmetic.
     */
    private volatile Pointer overlapped;
    /** Keeps the memory behind {@link #overlapped} alive (the request's own, or the device's table). */
    private Memory overlappedMemory;
    /** The device whose table slot this request uses, and the slot; null / -1 for none. */
    private Object slotOwner;
    private int slot = -1;
    private final Memory bytesReturned;
    private final int inCapacity;
    private final int outCapacity;
    /**
     * Views of the whole buffers, made once: Memory.getByteBuffer registers every view it
     * makes in a synchronized weak map and cleans it up later, microseconds per call on
     * the hot path; a duplicate of a cached view costs an object.
     */
    private final ByteBuffer inputView;
    private final ByteBuffer outputView;

    private final Object monitor = new Object();
    private boolean inFlight;
    /** In flight with a completion packet to come (submit, not a packet-less call). */
    private boolean packetDue;
    private boolean retired;
    private IoResult last;
    private IoCompletionHandler handler;

    IoRequest(int inCapacity, int outCapacity) {
        if (inCapacity < 0 || outCapacity < 0) {
            throw new IllegalArgumentException("negative buffer size");
        }
        this.inCapacity = inCapacity;
        this.outCapacity = outCapacity;
        // Memory(0) is illegal in JNA; a 1-byte buffer stands in and is passed with length 0.
        this.input = new Memory(Math.max(1, inCapacity));
        this.output = new Memory(Math.max(1, outCapacity));
        this.overlappedMemory = new Memory(Overlapped.SIZE);
        this.overlapped = overlappedMemory;
        this.bytesReturned = new Memory(4);
        input.clear();
        output.clear();
        this.inputView = input.getByteBuffer(0, Math.max(1, inCapacity));
        this.outputView = output.getByteBuffer(0, Math.max(1, outCapacity));
    }

    public int inCapacity() {
        return inCapacity;
    }

    public int outCapacity() {
        return outCapacity;
    }

    /** Little-endian view of the whole input buffer, for encoding a message in place. */
    public ByteBuffer input() {
        checkIdle("write the input of");
        return inputView.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Little-endian view of the first {@code length} bytes the driver wrote. */
    public ByteBuffer output(int length) {
        checkIdle("read the output of");
        if (length < 0 || length > outCapacity) {
            throw new IllegalArgumentException("output length " + length + " outside [0, " + outCapacity + "]");
        }
        return outputView.duplicate().limit(length).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    public boolean inFlight() {
        synchronized (monitor) {
            return inFlight;
        }
    }

    /** True once abandoned: its memory may still be written by a dead handle's completion. */
    public boolean retired() {
        synchronized (monitor) {
            return retired;
        }
    }

    private void checkIdle(String what) {
        synchronized (monitor) {
            if (inFlight) {
                throw new IllegalStateException("cannot " + what + " a request that is in flight");
            }
        }
    }

    // ---- used by HiveGuardDevice ----------------------------------------------

    Pointer inputPointer() {
        return input;
    }

    Pointer outputPointer() {
        return output;
    }

    Pointer overlappedPointer() {
        return overlapped;
    }

    Pointer bytesReturnedPointer() {
        return bytesReturned;
    }

    long key() {
        return Pointer.nativeValue(overlapped);
    }

    /** The table slot this request holds in {@code owner}'s table, or -1. */
    int slotIn(Object owner) {
        return slotOwner == owner ? slot : -1;
    }

    /** Submitted with a completion packet to come, and the packet not yet dequeued. */
    boolean packetDue() {
        synchronized (monitor) {
            return packetDue;
        }
    }

    boolean hasSlot() {
        return slotOwner != null;
    }

    /**
     * Moves the OVERLAPPED into slot {@code index} of {@code owner}'s table ({@code table},
     * at {@code offset}); only while idle, once per request.
     */
    void useSlot(Object owner, int index, Memory table, long offset) {
        synchronized (monitor) {
            if (inFlight || slotOwner != null) {
                throw new IllegalStateException("a request takes a table slot once, while idle");
            }
            slotOwner = owner;
            slot = index;
            overlappedMemory = table;
            overlapped = table.share(offset, Overlapped.SIZE);
        }
    }

    /** Marks the request in flight; the OVERLAPPED must be zero before each use. */
    void begin(IoCompletionHandler onCompletion) {
        synchronized (monitor) {
            if (retired) {
                throw new IllegalStateException("request was retired after its handle disappeared");
            }
            if (inFlight) {
                throw new IllegalStateException("request is already in flight");
            }
            inFlight = true;
            packetDue = true;
            last = null;
            handler = onCompletion;
        }
        overlapped.clear(Overlapped.SIZE);
        bytesReturned.setInt(0, 0);
    }

    /**
     * As {@link #begin} for a call that must queue no completion packet: the
     * OVERLAPPED's hEvent gets its low bit set. The caller finishes it itself.
     */
    void beginWithoutPacket() {
        begin(null);
        synchronized (monitor) {
            packetDue = false;
        }
        overlapped.setLong(Overlapped.H_EVENT, Overlapped.H_EVENT_NO_PACKET);
    }

    /** Bytes the driver reported through lpBytesReturned (a call that completed in DeviceIoControl). */
    int bytesReturned() {
        return bytesReturned.getInt(0);
    }

    /** Retired while in flight: its memory belongs to the device for good. */
    void retire() {
        synchronized (monitor) {
            retired = true;
        }
    }

    /** The submission failed at once: no packet will come, the memory is free again. */
    void failedImmediately() {
        synchronized (monitor) {
            inFlight = false;
            packetDue = false;
            handler = null;
        }
    }

    /** Its packet was dequeued (or it was abandoned); returns the handler to run. */
    IoCompletionHandler finish(IoResult result) {
        synchronized (monitor) {
            inFlight = false;
            packetDue = false;
            last = result;
            if (result.abandoned()) {
                retired = true;
            }
            IoCompletionHandler h = handler;
            handler = null;
            monitor.notifyAll();
            return h;
        }
    }

    /** NTSTATUS the driver left in OVERLAPPED.Internal. */
    int overlappedStatus() {
        return (int) overlapped.getLong(Overlapped.INTERNAL);
    }

    /** Waits for the completion of the current submission; null on timeout. */
    IoResult await(long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        synchronized (monitor) {
            while (inFlight) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                TimeUnit.NANOSECONDS.timedWait(monitor, left);
            }
            return last;
        }
    }
}
