package dev.hiveguard.device;

/**
 * The Win32 error codes the device I/O path can report, with the names and meanings
 * of the Windows documentation (System Error Codes). The driver's NTSTATUS values
 * arrive here through RtlNtStatusToDosError on Windows and through the host's equal
 * mapping on Linux; {@code NtStatus} lists which status becomes which code.
 */
public enum Win32Error {
    ERROR_SUCCESS(0, "The operation completed successfully."),
    ERROR_INVALID_FUNCTION(1, "Incorrect function (the driver does not know this IOCTL)."),
    ERROR_FILE_NOT_FOUND(2, "The system cannot find the file specified."),
    ERROR_PATH_NOT_FOUND(3, "The system cannot find the path specified."),
    ERROR_ACCESS_DENIED(5, "Access is denied."),
    ERROR_INVALID_HANDLE(6, "The handle is invalid."),
    ERROR_NOT_ENOUGH_MEMORY(8, "Not enough memory resources are available to process this command."),
    ERROR_NOT_READY(21, "The device is not ready."),
    ERROR_BAD_COMMAND(22, "The device does not recognize the command (request out of order)."),
    ERROR_BAD_LENGTH(24, "The program issued a command but the command length is incorrect."),
    ERROR_GEN_FAILURE(31, "A device attached to the system is not functioning."),
    ERROR_SHARING_VIOLATION(32, "The process cannot access the file because it is being used by another process."),
    ERROR_NOT_SUPPORTED(50, "The request is not supported."),
    ERROR_INVALID_PARAMETER(87, "The parameter is incorrect."),
    ERROR_INSUFFICIENT_BUFFER(122, "The data area passed to a system call is too small."),
    WAIT_TIMEOUT(258, "The wait operation timed out."),
    ERROR_MORE_DATA(234, "More data is available."),
    ERROR_ABANDONED_WAIT_0(735, "The I/O completion port was closed while waiting."),
    ERROR_OPERATION_ABORTED(995, "The I/O operation has been aborted because of either a thread exit or an "
            + "application request."),
    ERROR_IO_INCOMPLETE(996, "Overlapped I/O event is not in a signaled state."),
    ERROR_IO_PENDING(997, "Overlapped I/O operation is in progress."),
    ERROR_NOT_FOUND(1168, "Element not found (no such I/O request to cancel)."),
    ERROR_UNKNOWN_REVISION(1305, "The revision level is unknown (wrong wire magic)."),
    ERROR_REVISION_MISMATCH(1306, "Indicates two revision levels are incompatible (wire major version)."),
    ERROR_NO_SYSTEM_RESOURCES(1450, "Insufficient system resources exist to complete the requested service."),
    ERROR_TIMEOUT(1460, "This operation returned because the timeout period expired."),
    ERROR_INVALID_USER_BUFFER(1784, "The supplied user buffer is not valid for the requested operation."),
    ERROR_NOT_ENOUGH_QUOTA(1816, "Not enough quota is available to process this command.");

    private final int code;
    private final String meaning;

    Win32Error(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    public int code() {
        return code;
    }

    public String meaning() {
        return meaning;
    }

    /** The named error, or null for a code this table does not list. */
    public static Win32Error fromCode(int code) {
        for (Win32Error e : values()) {
            if (e.code == code) {
                return e;
            }
        }
        return null;
    }

    /** {@code ERROR_ACCESS_DENIED (5): Access is denied.}, or the bare number when unlisted. */
    public static String describe(int code) {
        Win32Error e = fromCode(code);
        return e == null ? "Win32 error " + code : e.name() + " (" + code + "): " + e.meaning();
    }
}
