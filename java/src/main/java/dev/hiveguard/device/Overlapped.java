package dev.hiveguard.device;

/**
 * Byte layouts of OVERLAPPED and OVERLAPPED_ENTRY on 64-bit Windows (and in the host,
 * which mirrors them). Kept as offsets into raw {@code Memory} rather than JNA
 * Structures: the pump owns these bytes for the whole life of a request and only
 * ever reads two fields, so auto-read/write of a Structure would be pure cost.
 */
final class Overlapped {

    private Overlapped() {
    }

    /** ULONG_PTR Internal (NTSTATUS of the completed request), InternalHigh (bytes), Offset, OffsetHigh, hEvent. */
    static final int SIZE = 32;
    static final int INTERNAL = 0;
    static final int INTERNAL_HIGH = 8;
    static final int H_EVENT = 24;
    /**
     * hEvent with its low bit set: Windows queues no completion packet for the I/O, even on a
     * handle bound to a completion port (documented for GetQueuedCompletionStatus).
     */
    static final long H_EVENT_NO_PACKET = 1;

    /** ULONG_PTR lpCompletionKey, LPOVERLAPPED lpOverlapped, ULONG_PTR Internal, DWORD bytes (+4 padding). */
    static final int ENTRY_SIZE = 32;
    static final int ENTRY_OVERLAPPED = 8;
    static final int ENTRY_INTERNAL = 16;
    static final int ENTRY_BYTES = 24;
}
