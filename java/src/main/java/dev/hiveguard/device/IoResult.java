package dev.hiveguard.device;

import dev.hiveguard.wire.NtStatus;

/**
 * How one overlapped request ended: the NTSTATUS the driver completed it with
 * (OVERLAPPED.Internal) and the bytes it wrote (the packet's byte count).
 *
 * @param abandoned true when no completion packet will ever come because the device
 *                  or port handle disappeared underneath the agent (the process was
 *                  torn down); the request's memory is then retired, never reused
 */
public record IoResult(int ntStatus, int bytes, boolean abandoned) {

    static IoResult abandonedResult() {
        return new IoResult(NtStatus.CANCELLED.code(), 0, true);
    }

    public boolean succeeded() {
        return !abandoned && NtStatus.isSuccess(ntStatus);
    }

    /** Cancelled by CancelIoEx, by handle close, or abandoned. */
    public boolean cancelled() {
        return abandoned || ntStatus == NtStatus.CANCELLED.code();
    }

    /** The Win32 error the status surfaces as (what GetOverlappedResult would report). */
    public int win32Error() {
        NtStatus s = NtStatus.fromCode(ntStatus);
        return s != null ? s.win32Error() : Win32Error.ERROR_GEN_FAILURE.code();
    }

    @Override
    public String toString() {
        return (abandoned ? "abandoned " : "") + NtStatus.describe(ntStatus) + ", " + bytes + " bytes";
    }
}
