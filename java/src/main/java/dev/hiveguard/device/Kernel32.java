package dev.hiveguard.device;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.win32.W32APIOptions;

/**
 * The cold half of the device I/O subset, in interface mapping (set-up and tear-down
 * calls, where JNA's ~1 µs per call does not matter). Declared here rather than by
 * extending JNA Platform's Kernel32 because that interface loads "kernel32" in its
 * static initializer, which does not exist on Linux, and lacks GetOverlappedResult,
 * CancelIoEx, CancelIo and GetQueuedCompletionStatusEx (the last is direct-mapped in
 * {@link Kernel32Direct}). GetOverlappedResultEx is not declared: the agent never waits
 * on an OVERLAPPED (every completion comes through the port) and the Linux host does
 * not export it. Handles are {@link Pointer}s; {@link #INVALID_HANDLE_VALUE} is
 * {@code (HANDLE)-1}.
 *
 * <p>With {@link W32APIOptions#DEFAULT_OPTIONS} {@code CreateFile} binds to
 * {@code CreateFileW} and passes a wide string, on Windows and in the host alike.
 */
public interface Kernel32 extends Library {

    Kernel32 INSTANCE = Native.load(DeviceLibrary.NAME, Kernel32.class, W32APIOptions.DEFAULT_OPTIONS);

    Pointer INVALID_HANDLE_VALUE = Pointer.createConstant(-1L);

    int GENERIC_READ = 0x80000000;
    int GENERIC_WRITE = 0x40000000;
    int OPEN_EXISTING = 3;
    int FILE_FLAG_OVERLAPPED = 0x40000000;

    /**
     * Creates or opens a file or I/O device. If the function succeeds, the return
     * value is an open handle to the specified device; if it fails, the return value
     * is INVALID_HANDLE_VALUE and GetLastError gives extended error information.
     */
    Pointer CreateFile(String lpFileName, int dwDesiredAccess, int dwShareMode, Pointer lpSecurityAttributes,
                       int dwCreationDisposition, int dwFlagsAndAttributes, Pointer hTemplateFile);

    /** Closes an open object handle. */
    boolean CloseHandle(Pointer hObject);

    /**
     * Creates an input/output (I/O) completion port and associates it with a specified
     * file handle, or creates an I/O completion port that is not yet associated with a
     * file handle, allowing association at a later time. CompletionKey is a ULONG_PTR,
     * passed here as a pointer-sized value.
     */
    Pointer CreateIoCompletionPort(Pointer FileHandle, Pointer ExistingCompletionPort, Pointer CompletionKey,
                                   int NumberOfConcurrentThreads);

    /**
     * Retrieves the results of an overlapped operation on the specified file, named
     * pipe, or communications device. If bWait is FALSE and the operation is still
     * pending, the function returns FALSE and GetLastError returns ERROR_IO_INCOMPLETE.
     */
    boolean GetOverlappedResult(Pointer hFile, Pointer lpOverlapped, IntByReference lpNumberOfBytesTransferred,
                                boolean bWait);

    /**
     * Marks any outstanding I/O operations for the specified file handle. The function
     * only cancels I/O operations in the current process, regardless of which thread
     * created the I/O operation. If lpOverlapped is NULL, all I/O requests issued by
     * the current process for the handle are cancelled. Cancelled operations still
     * complete, with ERROR_OPERATION_ABORTED, through the usual completion mechanism
     * (a completion packet when the handle is associated with a port). Returns FALSE
     * with ERROR_NOT_FOUND when there was nothing to cancel.
     */
    boolean CancelIoEx(Pointer hFile, Pointer lpOverlapped);

    /**
     * Cancels all pending input and output (I/O) operations that are issued by the
     * calling thread for the specified file.
     */
    boolean CancelIo(Pointer hFile);
}
