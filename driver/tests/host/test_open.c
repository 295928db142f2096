/*
 * test_open.c - CreateFileW, CloseHandle, handle validation, last error.
 */
#include <pthread.h>
#include <string.h>
#include "ht_device.h"

HT_TEST(open_device_any_case)
{
    HANDLE h = CreateFileW(L"\\\\.\\hIVEgUARD", GENERIC_READ | GENERIC_WRITE, 0, NULL,
                           OPEN_EXISTING, 0, NULL);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    HT_CHECK(h != NULL);
    HT_CHECK(((uintptr_t)h & 3u) == 0); /* NT handles are multiples of 4 */
    HT_CHECK(CloseHandle(h));
}

HT_TEST(open_bad_name_is_file_not_found)
{
    static const wchar_t *const names[] = {
        L"\\\\.\\HiveGuardX", L"\\\\.\\HiveGuar", L"", L"\\\\.\\Other", L"HiveGuard",
        L"\\\\.\\HiveGuard\U0001F600",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        HANDLE h = CreateFileW(names[i], GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0,
                               NULL);
        HT_CHECK_ERR(h == INVALID_HANDLE_VALUE, ERROR_FILE_NOT_FOUND);
    }
    HANDLE h = CreateFileW(NULL, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    HT_CHECK_ERR(h == INVALID_HANDLE_VALUE, ERROR_INVALID_PARAMETER);
    /* None of them left a client bound. */
    HT_CHECK(ht_stats().client_bound == 0);
}

HT_TEST(open_without_read_and_write_is_access_denied)
{
    static const DWORD access[] = { 0, GENERIC_READ, GENERIC_WRITE, FILE_READ_DATA };
    for (size_t i = 0; i < sizeof access / sizeof access[0]; i++) {
        HANDLE h = CreateFileW(L"\\\\.\\HiveGuard", access[i], 0, NULL, OPEN_EXISTING, 0, NULL);
        HT_CHECK_ERR(h == INVALID_HANDLE_VALUE, ERROR_ACCESS_DENIED);
    }
    /* The generic mapping: GENERIC_ALL and the specific rights are enough. */
    HANDLE h = CreateFileW(L"\\\\.\\HiveGuard", GENERIC_ALL, 0, NULL, OPEN_EXISTING, 0, NULL);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    HT_CHECK(CloseHandle(h));
    h = CreateFileW(L"\\\\.\\HiveGuard", FILE_READ_DATA | FILE_WRITE_DATA, 0, NULL, OPEN_EXISTING,
                    0, NULL);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    HT_CHECK(CloseHandle(h));
}

HT_TEST(open_bad_disposition_is_invalid_parameter)
{
    HANDLE h = CreateFileW(L"\\\\.\\HiveGuard", GENERIC_READ | GENERIC_WRITE, 0, NULL, 0, 0, NULL);
    HT_CHECK_ERR(h == INVALID_HANDLE_VALUE, ERROR_INVALID_PARAMETER);
    h = CreateFileW(L"\\\\.\\HiveGuard", GENERIC_READ | GENERIC_WRITE, 0, NULL, 6, 0, NULL);
    HT_CHECK_ERR(h == INVALID_HANDLE_VALUE, ERROR_INVALID_PARAMETER);
}

HT_TEST(open_second_client_is_sharing_violation)
{
    HANDLE a = ht_open(0);
    HT_CHECK(a != INVALID_HANDLE_VALUE);
    HANDLE b = ht_open(1);
    HT_CHECK_ERR(b == INVALID_HANDLE_VALUE, ERROR_SHARING_VIOLATION);
    HT_CHECK(ht_hello(a, 0) != 0); /* the refused open did not disturb the first */
    HT_CHECK(ht_stats().client_bound == 1);
    HT_CHECK(CloseHandle(a));
    HT_CHECK(ht_stats().client_bound == 0);
    b = ht_open(1);
    HT_CHECK(b != INVALID_HANDLE_VALUE);
    HT_CHECK(b != a); /* the slot's generation moved on */
    HT_CHECK(CloseHandle(b));
}

HT_TEST(stale_and_forged_handles_are_invalid_handle)
{
    HANDLE h = ht_open(0);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    HT_CHECK(ht_hello(h, 0) != 0);
    HT_CHECK(CloseHandle(h));

    HG_STATS s;
    DWORD got = 7;
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_STATS, NULL, 0, &s, sizeof s, &got, NULL),
                 ERROR_INVALID_HANDLE);
    HT_CHECK(got == 0);
    HT_CHECK_ERR(!CloseHandle(h), ERROR_INVALID_HANDLE);
    HT_CHECK_ERR(!CancelIoEx(h, NULL), ERROR_INVALID_HANDLE);
    HT_CHECK_ERR(!CancelIo(h), ERROR_INVALID_HANDLE);
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    HT_CHECK_ERR(!GetOverlappedResult(h, &ov, &got, 0), ERROR_INVALID_HANDLE);

    /* A reopened device reuses no stale value. */
    HANDLE again = ht_open(0);
    HT_CHECK(again != INVALID_HANDLE_VALUE);
    HT_CHECK(again != h);
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_STATS, NULL, 0, &s, sizeof s, &got, NULL),
                 ERROR_INVALID_HANDLE);

    static const uintptr_t forged[] = {
        0, (uintptr_t)-1, 1, 2, 3, 0x1234, 0x40000, (uintptr_t)0xDEADBEEF0ull,
        (uintptr_t)0xFFFFFFFFFFFF0004ull, 4, 1u << 16,
    };
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        HANDLE f = (HANDLE)forged[i];
        if (f == again)
            continue;
        HT_CHECK_ERR(!DeviceIoControl(f, HG_IOCTL_STATS, NULL, 0, &s, sizeof s, &got, NULL),
                     ERROR_INVALID_HANDLE);
        HT_CHECK_ERR(!CloseHandle(f), ERROR_INVALID_HANDLE);
    }

    /* Type confusion: a port is not a file, a file is not a port. */
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    HT_CHECK(port != NULL);
    HT_CHECK_ERR(!DeviceIoControl(port, HG_IOCTL_STATS, NULL, 0, &s, sizeof s, &got, NULL),
                 ERROR_INVALID_HANDLE);
    ULONG_PTR key;
    OVERLAPPED *pov;
    HT_CHECK_ERR(!GetQueuedCompletionStatus(again, &got, &key, &pov, 0), ERROR_INVALID_HANDLE);
    HT_CHECK(CloseHandle(port));
    HT_CHECK_ERR(!GetQueuedCompletionStatus(port, &got, &key, &pov, 0), ERROR_INVALID_HANDLE);
    HT_CHECK(pov == NULL);
    OVERLAPPED_ENTRY e[1];
    ULONG removed = 9;
    HT_CHECK_ERR(!GetQueuedCompletionStatusEx(port, e, 1, &removed, 0, 0), ERROR_INVALID_HANDLE);
    HT_CHECK(removed == 0);
    HT_CHECK_ERR(!GetOverlappedResult(again, NULL, &got, 0), ERROR_INVALID_PARAMETER);
    HT_CHECK(CloseHandle(again));
}

HT_TEST(last_error_is_mirrored_in_errno)
{
    SetLastError(1234);
    HT_CHECK(GetLastError() == 1234);
    HT_CHECK(errno == 1234);
    HT_CHECK_ERR(!CloseHandle((HANDLE)(uintptr_t)0x40), ERROR_INVALID_HANDLE);
    SetLastError(0);
    HT_CHECK(GetLastError() == 0 && errno == 0);
}

static void *set_last_error_elsewhere(void *arg)
{
    (void)arg;
    SetLastError(ERROR_NOT_FOUND);
    HT_CHECK_T(GetLastError() == ERROR_NOT_FOUND);
    return NULL;
}

HT_TEST(mt_last_error_is_per_thread)
{
    SetLastError(ERROR_ACCESS_DENIED);
    pthread_t t;
    HT_CHECK(pthread_create(&t, NULL, set_last_error_elsewhere, NULL) == 0);
    pthread_join(t, NULL);
    HT_CHECK(GetLastError() == ERROR_ACCESS_DENIED);
    HT_CHECK(errno == (int)ERROR_ACCESS_DENIED);
}
