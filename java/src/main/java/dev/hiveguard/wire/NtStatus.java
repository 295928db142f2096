package dev.hiveguard.wire;

/**
 * The NTSTATUS values of the wire contract, with the Win32 error code each maps to
 * (what {@code RtlNtStatusToDosError} returns, and so what {@code GetLastError}
 * reports after a failed DeviceIoControl, on Windows and in the Linux host).
 */
public enum NtStatus {
    SUCCESS(0x00000000, 0, "success"),
    /** A success code: a wait that hit its timeout. Handled explicitly, never as an error. */
    TIMEOUT(0x00000102, 1460, "wait timed out"),
    PENDING(0x00000103, 997, "pending"),
    INFO_LENGTH_MISMATCH(0xC0000004, 24, "declared size differs from the buffer size"),
    INVALID_PARAMETER(0xC000000D, 87, "a value is outside its legal range"),
    INVALID_DEVICE_REQUEST(0xC0000010, 1, "unknown IOCTL"),
    ACCESS_DENIED(0xC0000022, 5, "access denied (blocked, or not the bound client)"),
    BUFFER_TOO_SMALL(0xC0000023, 122, "buffer shorter than the fixed part"),
    SHARING_VIOLATION(0xC0000043, 32, "another client is connected"),
    UNKNOWN_REVISION(0xC0000058, 1305, "wrong magic"),
    REVISION_MISMATCH(0xC0000059, 1306, "wire major version mismatch"),
    INSUFFICIENT_RESOURCES(0xC000009A, 1450, "insufficient resources"),
    NOT_SUPPORTED(0xC00000BB, 50, "not supported"),
    CANCELLED(0xC0000120, 995, "cancelled"),
    INVALID_DEVICE_STATE(0xC0000184, 22, "out of order (e.g. CONFIGURE before HELLO)"),
    INVALID_BUFFER_SIZE(0xC0000206, 1784, "buffer larger than the legal maximum"),
    QUOTA_EXCEEDED(0xC0000044, 1816, "too many parked requests");

    private final int code;
    private final int win32Error;
    private final String meaning;

    NtStatus(int code, int win32Error, String meaning) {
        this.code = code;
        this.win32Error = win32Error;
        this.meaning = meaning;
    }

    public int code() {
        return code;
    }

    /** The Win32 error code the driver's status surfaces as. */
    public int win32Error() {
        return win32Error;
    }

    public String meaning() {
        return meaning;
    }

    /** NT_SUCCESS: severity bits 00 or 01 (success and informational codes). */
    public static boolean isSuccess(int status) {
        return status >= 0;
    }

    /** The contract's status for a code, or null for a code outside the contract. */
    public static NtStatus fromCode(int code) {
        for (NtStatus s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }

    /** {@code STATUS_ACCESS_DENIED (0xC0000022)} or just the hex for unknown codes. */
    public static String describe(int code) {
        NtStatus s = fromCode(code);
        String hex = String.format("0x%08X", code);
        return s == null ? hex : "STATUS_" + s.name() + " (" + hex + ")";
    }
}
