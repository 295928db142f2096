/*
 * host_status.c - NTSTATUS -> Win32 error mapping and the thread-local last
 * error.
 *
 * On Windows the driver completes an IRP with an NTSTATUS and kernel32 turns
 * it into the caller's last error with RtlNtStatusToDosError. The host does
 * the same with the table below, which holds exactly the pairs
 * RtlNtStatusToDosError produces for every status core and the host can
 * return (hiveguard_wire.h lists the driver's ones next to their codes).
 * A status missing from the table maps to ERROR_MR_MID_NOT_FOUND, which is
 * what RtlNtStatusToDosError returns for a code it does not know.
 *
 * The last error is kept per thread like the TEB's LastErrorValue, and is
 * also written to errno: JNA's Native.getLastError() reads errno on Linux
 * (GetLastError on Windows), so one Java code path reads both.
 */
#include <errno.h>
#include "host_internal.h"

#define STATUS_ABANDONED_WAIT_0   0x00000080u
#define STATUS_ACCESS_VIOLATION   0xC0000005u
#define STATUS_INVALID_HANDLE     0xC0000008u
#define STATUS_NO_MEMORY          0xC0000017u
#define STATUS_NOT_FOUND          0xC0000225u

typedef struct nt_win32_pair {
    uint32_t status;
    DWORD    error;
} nt_win32_pair;

static const nt_win32_pair k_nt_to_win32[] = {
    { HG_STATUS_SUCCESS,                ERROR_SUCCESS },
    { HG_STATUS_PENDING,                ERROR_IO_PENDING },
    { STATUS_ABANDONED_WAIT_0,          ERROR_ABANDONED_WAIT_0 },
    { HG_STATUS_INFO_LENGTH_MISMATCH,   ERROR_BAD_LENGTH },
    { STATUS_ACCESS_VIOLATION,          ERROR_NOACCESS },
    { STATUS_INVALID_HANDLE,            ERROR_INVALID_HANDLE },
    { HG_STATUS_INVALID_PARAMETER,      ERROR_INVALID_PARAMETER },
    { HG_STATUS_INVALID_DEVICE_REQUEST, ERROR_INVALID_FUNCTION },
    { STATUS_NO_MEMORY,                 ERROR_NOT_ENOUGH_MEMORY },
    { HG_STATUS_ACCESS_DENIED,          ERROR_ACCESS_DENIED },
    { HG_STATUS_BUFFER_TOO_SMALL,       ERROR_INSUFFICIENT_BUFFER },
    { HG_STATUS_SHARING_VIOLATION,      ERROR_SHARING_VIOLATION },
    { HG_STATUS_QUOTA_EXCEEDED,         ERROR_NOT_ENOUGH_QUOTA },
    { HG_STATUS_UNKNOWN_REVISION,       ERROR_UNKNOWN_REVISION },
    { HG_STATUS_REVISION_MISMATCH,      ERROR_REVISION_MISMATCH },
    { HG_STATUS_INSUFFICIENT_RESOURCES, ERROR_NO_SYSTEM_RESOURCES },
    { HG_STATUS_NOT_SUPPORTED,          ERROR_NOT_SUPPORTED },
    { HG_STATUS_CANCELLED,              ERROR_OPERATION_ABORTED },
    { HG_STATUS_INVALID_DEVICE_STATE,   ERROR_BAD_COMMAND },
    { HG_STATUS_INVALID_BUFFER_SIZE,    ERROR_INVALID_USER_BUFFER },
    { STATUS_NOT_FOUND,                 ERROR_NOT_FOUND },
};

DWORD host_nt_to_win32(uint32_t status)
{
    for (size_t i = 0; i < sizeof k_nt_to_win32 / sizeof k_nt_to_win32[0]; i++) {
        if (k_nt_to_win32[i].status == status)
            return k_nt_to_win32[i].error;
    }
    return ERROR_MR_MID_NOT_FOUND;
}

static _Thread_local DWORD t_last_error;

HG_HOST_API DWORD GetLastError(void)
{
    return t_last_error;
}

HG_HOST_API void SetLastError(DWORD error)
{
    t_last_error = error;
    errno = (int)error;
}

BOOL host_fail(DWORD error)
{
    SetLastError(error);
    return 0;
}

BOOL host_fail_nt(uint32_t status)
{
    return host_fail(host_nt_to_win32(status));
}
