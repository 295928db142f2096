/*
 * hg_host.h - public interface of libhiveguardhost.so, the user-mode host of
 * driver/core for Linux.
 *
 * The Java agent talks to hiveguard.sys through kernel32 on Windows. On Linux
 * JNA binds this library through the very same interface, so the library
 * exports the Win32 device-I/O subset the agent calls, under the Win32 names,
 * with Win32 types and semantics: CreateFileW on \\.\HiveGuard, synchronous
 * and OVERLAPPED DeviceIoControl, I/O completion ports, GetOverlappedResult,
 * CancelIo(Ex), CloseHandle and a thread-local last error. Behind them runs
 * the same core/ the kernel driver runs.
 *
 * The second half is the configuration-manager simulator: it raises registry
 * operations into the core the way CmpCallCallBacks calls a RegistryCallback,
 * from any number of threads, and returns the NTSTATUS the registry call
 * would get.
 *
 * The exported names and signatures are a contract with the Java side
 * (java/.../device); do not change them.
 */
#ifndef HG_HOST_H
#define HG_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>
#include "../include/hiveguard_wire.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(HG_HOST_BUILDING)
#define HG_HOST_API __attribute__((visibility("default")))
#else
#define HG_HOST_API
#endif

/* ------------------------------------------------------------------ */
/* Win32 types, laid out as on x64 Windows                              */
/* ------------------------------------------------------------------ */

typedef void     *HANDLE;
typedef uint32_t  DWORD;
typedef int32_t   BOOL;
typedef uint32_t  ULONG;
typedef uintptr_t ULONG_PTR;

typedef struct _OVERLAPPED {
    ULONG_PTR Internal;      /* NTSTATUS of the I/O: STATUS_PENDING until it completes */
    ULONG_PTR InternalHigh;  /* bytes transferred */
    union {
        struct {
            DWORD Offset;
            DWORD OffsetHigh;
        };
        void *Pointer;
    };
    HANDLE hEvent;           /* low bit set: no completion packet (as on Windows) */
} OVERLAPPED;

typedef struct _OVERLAPPED_ENTRY {
    ULONG_PTR   lpCompletionKey;
    OVERLAPPED *lpOverlapped;
    ULONG_PTR   Internal;    /* NTSTATUS of the I/O */
    DWORD       dwNumberOfBytesTransferred;
} OVERLAPPED_ENTRY;

_Static_assert(sizeof(OVERLAPPED) == 32, "OVERLAPPED is 32 bytes on x64 Windows");
_Static_assert(__builtin_offsetof(OVERLAPPED, Internal) == 0, "OVERLAPPED.Internal");
_Static_assert(__builtin_offsetof(OVERLAPPED, InternalHigh) == 8, "OVERLAPPED.InternalHigh");
_Static_assert(__builtin_offsetof(OVERLAPPED, Offset) == 16, "OVERLAPPED.Offset");
_Static_assert(__builtin_offsetof(OVERLAPPED, OffsetHigh) == 20, "OVERLAPPED.OffsetHigh");
_Static_assert(__builtin_offsetof(OVERLAPPED, hEvent) == 24, "OVERLAPPED.hEvent");
_Static_assert(sizeof(OVERLAPPED_ENTRY) == 32, "OVERLAPPED_ENTRY is 32 bytes on x64 Windows");
_Static_assert(__builtin_offsetof(OVERLAPPED_ENTRY, lpOverlapped) == 8, "OVERLAPPED_ENTRY.lpOverlapped");
_Static_assert(__builtin_offsetof(OVERLAPPED_ENTRY, Internal) == 16, "OVERLAPPED_ENTRY.Internal");
_Static_assert(__builtin_offsetof(OVERLAPPED_ENTRY, dwNumberOfBytesTransferred) == 24,
               "OVERLAPPED_ENTRY.dwNumberOfBytesTransferred");

/* ------------------------------------------------------------------ */
/* Win32 constants (values from the Windows SDK)                        */
/* ------------------------------------------------------------------ */

#define INVALID_HANDLE_VALUE   ((HANDLE)(intptr_t)-1)
#define INFINITE               0xFFFFFFFFu

#define GENERIC_READ           0x80000000u
#define GENERIC_WRITE          0x40000000u
#define GENERIC_ALL            0x10000000u
#define MAXIMUM_ALLOWED        0x02000000u
#define FILE_READ_DATA         0x0001u
#define FILE_WRITE_DATA        0x0002u

#define FILE_SHARE_READ        0x00000001u
#define FILE_SHARE_WRITE       0x00000002u

#define CREATE_NEW             1u
#define CREATE_ALWAYS          2u
#define OPEN_EXISTING          3u
#define OPEN_ALWAYS            4u
#define TRUNCATE_EXISTING      5u

#define FILE_ATTRIBUTE_NORMAL  0x00000080u
#define FILE_FLAG_OVERLAPPED   0x40000000u

#define ERROR_SUCCESS                 0u
#define ERROR_INVALID_FUNCTION        1u
#define ERROR_FILE_NOT_FOUND          2u
#define ERROR_TOO_MANY_OPEN_FILES     4u
#define ERROR_ACCESS_DENIED           5u
#define ERROR_INVALID_HANDLE          6u
#define ERROR_NOT_ENOUGH_MEMORY       8u
#define ERROR_BAD_COMMAND             22u
#define ERROR_BAD_LENGTH              24u
#define ERROR_SHARING_VIOLATION       32u
#define ERROR_NOT_SUPPORTED           50u
#define ERROR_INVALID_PARAMETER       87u
#define ERROR_INSUFFICIENT_BUFFER     122u
#define WAIT_TIMEOUT                  258u
#define ERROR_MR_MID_NOT_FOUND        317u
#define ERROR_ABANDONED_WAIT_0        735u
#define ERROR_OPERATION_ABORTED       995u
#define ERROR_IO_INCOMPLETE           996u
#define ERROR_IO_PENDING              997u
#define ERROR_NOACCESS                998u
#define ERROR_NOT_FOUND               1168u
#define ERROR_UNKNOWN_REVISION        1305u
#define ERROR_REVISION_MISMATCH       1306u
#define ERROR_NO_SYSTEM_RESOURCES     1450u
#define ERROR_INVALID_USER_BUFFER     1784u
#define ERROR_NOT_ENOUGH_QUOTA        1816u

/* ------------------------------------------------------------------ */
/* The Win32 device-I/O subset                                          */
/* ------------------------------------------------------------------ */
/*
 * Handles are small tagged integers from a table, never pointers: a stale or
 * forged handle is ERROR_INVALID_HANDLE, never a crash. Every failure sets
 * the calling thread's last error AND errno to the Win32 code, because JNA's
 * Native.getLastError() reads errno on Linux and GetLastError on Windows;
 * success leaves both alone, as on Windows.
 *
 * As on Windows, an OVERLAPPED and the output buffer of a request that pended
 * belong to the I/O until its completion is known (its packet dequeued, or
 * GetOverlappedResult reporting it) - cancelled and aborted requests included.
 * All functions may be called from any thread.
 */
HG_HOST_API HANDLE CreateFileW(const wchar_t *name, DWORD access, DWORD share, void *security,
                               DWORD disposition, DWORD flags, HANDLE template_file);
HG_HOST_API BOOL   DeviceIoControl(HANDLE device, DWORD code, void *in, DWORD in_len,
                                   void *out, DWORD out_len, DWORD *returned, OVERLAPPED *ov);
HG_HOST_API HANDLE CreateIoCompletionPort(HANDLE file, HANDLE existing_port, ULONG_PTR key,
                                          DWORD concurrent_threads);
HG_HOST_API BOOL   GetQueuedCompletionStatus(HANDLE port, DWORD *bytes, ULONG_PTR *key,
                                             OVERLAPPED **ov, DWORD ms);
HG_HOST_API BOOL   GetQueuedCompletionStatusEx(HANDLE port, OVERLAPPED_ENTRY *entries, ULONG count,
                                               ULONG *removed, DWORD ms, BOOL alertable);
HG_HOST_API BOOL   GetOverlappedResult(HANDLE file, OVERLAPPED *ov, DWORD *bytes, BOOL wait);
HG_HOST_API BOOL   CancelIoEx(HANDLE file, OVERLAPPED *ov);
HG_HOST_API BOOL   CancelIo(HANDLE file);
HG_HOST_API BOOL   CloseHandle(HANDLE handle);
HG_HOST_API DWORD  GetLastError(void);
HG_HOST_API void   SetLastError(DWORD error);

/* ------------------------------------------------------------------ */
/* The configuration-manager simulator                                  */
/* ------------------------------------------------------------------ */

#define HG_SIM_STATUS_SUCCESS            0x00000000u /* STATUS_SUCCESS */
#define HG_SIM_STATUS_ACCESS_DENIED      0xC0000022u /* blocked */
#define HG_SIM_STATUS_INVALID_PARAMETER  0xC000000Du /* not raised at all */
#define HG_SIM_STATUS_NO_RESOURCES       0xC000009Au /* out of memory: not raised at all */

/*
 * Raise one registry operation as a registry caller would and block until
 * the verdict or the timeout. Returns HG_SIM_STATUS_SUCCESS or
 * HG_SIM_STATUS_ACCESS_DENIED; HG_SIM_STATUS_INVALID_PARAMETER without
 * raising for an unknown operation, a string longer than a UNICODE_STRING can
 * hold, or data == NULL with data_len != 0; HG_SIM_STATUS_NO_RESOURCES without
 * raising when its strings cannot be converted for lack of memory (a real
 * registry call fails the same way). NULL strings are empty. Strings
 * are wchar_t (UTF-32 here) and reach the core as UTF-16LE. key_path is the
 * full kernel path (\REGISTRY\MACHINE\...).
 */
HG_HOST_API uint32_t hg_sim_raise(uint32_t operation, uint64_t process_key, uint64_t pid,
                                  uint64_t tid, uint32_t session_id, int32_t kernel_caller,
                                  const wchar_t *key_path, const wchar_t *value_name,
                                  const wchar_t *new_name, const wchar_t *image,
                                  const wchar_t *user_sid, uint32_t value_type,
                                  const void *data, uint32_t data_len);

/* Counters of the current driver instance. 0 on success, else an NTSTATUS
 * (STATUS_INVALID_PARAMETER for a NULL out, STATUS_INSUFFICIENT_RESOURCES if
 * no instance can be created). */
HG_HOST_API int32_t  hg_sim_get_stats(HG_STATS *out);

/* Unload and reload the "driver": every device handle is closed as if its
 * process had exited (their I/O completes with STATUS_CANCELLED), every
 * waiting caller is released, and a new instance (new HELLO instance_id)
 * starts with the given verdict for callers that find no client
 * (HG_VERDICT_ALLOW or HG_VERDICT_BLOCK; 0 means ALLOW). */
HG_HOST_API void     hg_sim_reset(uint32_t no_client_verdict);

/* TEST HOOK: the HELLO capabilities of the instances loaded from now on
 * (the next hg_sim_reset, or the first use); the host reports
 * HG_CAP_SIMULATOR by default. Lets the agent's tests show what it does
 * with a driver whose registry callback is not registered (0) or is
 * (HG_CAP_REGISTRY_CALLBACK), over the real library. */
HG_HOST_API void     hg_sim_test_set_capabilities(uint32_t capabilities);

/* The process key CreateFileW records for this OS process. */
HG_HOST_API uint64_t hg_sim_current_process_key(void);

/* A simulated process with this key now holds `pid` (replacing whichever
 * process held it). CONFIGURE translates excluded pids into the keys of the
 * processes holding them at that moment, as the driver does with process
 * start keys, so a pid reused later by another process is not excluded; a
 * pid no process holds is ignored. HG_SIM_STATUS_SUCCESS, or
 * INVALID_PARAMETER for pid 0, NO_RESOURCES when the table is full. */
HG_HOST_API uint32_t hg_sim_process_start(uint64_t process_key, uint64_t pid);

/* What Windows does when a process dies: every handle it opened (devices and
 * completion ports) is closed and its I/O cancelled; returns once all of that
 * I/O has completed, so nothing writes into the dead process's buffers after. */
HG_HOST_API void     hg_sim_process_exit(uint64_t process_key);

#ifdef __cplusplus
}
#endif
#endif /* HG_HOST_H */
