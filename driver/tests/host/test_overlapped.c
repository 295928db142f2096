/*
 * test_overlapped.c - OVERLAPPED DeviceIoControl, completion ports,
 * GetOverlappedResult and cancellation, as the agent's pump uses them.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "ht_device.h"

#define KEY_DEVICE 0xC0FFEEu
#define PARK_MANY  3
/* Time given to a thread to reach its blocking call before we act on it; the
 * outcome checked is the same either way, this only makes the tested
 * interleaving the likely one. */
#define HEAD_START_MS 10u

static const wchar_t *const k_run_key = L"\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run";

/* An overlapped client associated with a fresh port. */
static int overlapped_client(HANDLE *dev, HANDLE *port, uint32_t verdict_mask, uint32_t timeout_ms,
                             uint16_t fail_mode, uint16_t default_verdict)
{
    *dev = ht_client(1, verdict_mask, timeout_ms, fail_mode, default_verdict);
    HT_CHECK_R(*dev != INVALID_HANDLE_VALUE, 0);
    *port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    HT_CHECK_R(*port != NULL, 0);
    HT_CHECK_R(CreateIoCompletionPort(*dev, *port, KEY_DEVICE, 0) == *port, 0);
    return 1;
}

HT_TEST(overlapped_handle_requires_overlapped)
{
    HANDLE h = ht_open(1);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    HG_HELLO_REQUEST req = { HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, HG_WIRE_VERSION_MINOR, 0, 0 };
    HG_HELLO_REPLY rep;
    DWORD got = 0;
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_HELLO, &req, sizeof req, &rep, sizeof rep, &got,
                                  NULL), ERROR_INVALID_PARAMETER);
    HT_CHECK(ht_stats().client_bound == 0); /* the refused HELLO bound nothing */
    HT_CHECK(ht_hello(h, 1) != 0);
    HT_CHECK(CloseHandle(h));
}

HT_TEST(immediate_success_queues_a_packet)
{
    HANDLE h = ht_open(1);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    HANDLE port = CreateIoCompletionPort(h, NULL, KEY_DEVICE, 0); /* create + associate */
    HT_CHECK(port != NULL && port != INVALID_HANDLE_VALUE);

    HG_HELLO_REQUEST req = { HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, HG_WIRE_VERSION_MINOR, 0, 0 };
    HG_HELLO_REPLY rep;
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    DWORD got = 0;
    HT_CHECK(DeviceIoControl(h, HG_IOCTL_HELLO, &req, sizeof req, &rep, sizeof rep, &got, &ov));
    HT_CHECK(got == sizeof rep);
    HT_CHECK(ov.Internal == HG_STATUS_SUCCESS && ov.InternalHigh == sizeof rep);

    DWORD bytes = 0;
    ULONG_PTR key = 0;
    OVERLAPPED *done = NULL;
    HT_CHECK(GetQueuedCompletionStatus(port, &bytes, &key, &done, 0));
    HT_CHECK(done == &ov && key == KEY_DEVICE && bytes == sizeof rep);

    /* hEvent with its low bit set: completed, but no packet. */
    memset(&ov, 0, sizeof ov);
    ov.hEvent = (HANDLE)(uintptr_t)1;
    HT_CHECK(DeviceIoControl(h, HG_IOCTL_STATS, NULL, 0, &(HG_STATS){ 0 }, sizeof(HG_STATS), &got,
                             &ov));
    HT_CHECK(ov.Internal == HG_STATUS_SUCCESS);
    HT_CHECK_ERR(!GetQueuedCompletionStatus(port, &bytes, &key, &done, 0), WAIT_TIMEOUT);
    HT_CHECK(done == NULL);
    HT_CHECK(CloseHandle(h));
    HT_CHECK(CloseHandle(port));
}

HT_TEST(immediate_failure_queues_nothing)
{
    HANDLE h, port;
    if (!overlapped_client(&h, &port, 0, 100, HG_FAIL_OPEN, HG_VERDICT_ALLOW))
        return;
    HG_HELLO_REQUEST req = { HG_WIRE_MAGIC, 99, 0, 0, 0 };
    HG_HELLO_REPLY rep;
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    DWORD got = 0;
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_HELLO, &req, sizeof req, &rep, sizeof rep, &got,
                                  &ov), ERROR_REVISION_MISMATCH);
    /* A GET_EVENTS buffer below the minimum fails at once too. */
    unsigned char small[64];
    OVERLAPPED ov2;
    memset(&ov2, 0, sizeof ov2);
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_GET_EVENTS, NULL, 0, small, sizeof small, &got,
                                  &ov2), ERROR_INSUFFICIENT_BUFFER);
    /* ... and one above the maximum. */
    void *huge = malloc(HG_GET_EVENTS_MAX_BYTES + HG_EVENT_ALIGN);
    HT_CHECK(huge != NULL);
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_GET_EVENTS, NULL, 0, huge,
                                  HG_GET_EVENTS_MAX_BYTES + HG_EVENT_ALIGN, &got, &ov2),
                 ERROR_INVALID_USER_BUFFER);
    free(huge);
    HT_CHECK(ov2.Internal == HG_STATUS_INVALID_BUFFER_SIZE);
    HT_CHECK_ERR(!GetOverlappedResult(h, &ov2, &got, 1), ERROR_INVALID_USER_BUFFER);
    DWORD bytes;
    ULONG_PTR key;
    OVERLAPPED *done = (OVERLAPPED *)&ov;
    HT_CHECK_ERR(!GetQueuedCompletionStatus(port, &bytes, &key, &done, 0), WAIT_TIMEOUT);
    HT_CHECK(done == NULL);
    HT_CHECK(ht_stats().parked_requests == 0);
    HT_CHECK(CloseHandle(h));
    HT_CHECK(CloseHandle(port));
}

HT_TEST(get_events_pends_until_a_raise_completes_it)
{
    HANDLE h, port;
    if (!overlapped_client(&h, &port, 0, 100, HG_FAIL_OPEN, HG_VERDICT_ALLOW))
        return;
    void *buf = malloc(HT_EVENTS_BYTES);
    OVERLAPPED ov;
    HT_CHECK(ht_park(h, &ov, buf));
    DWORD bytes = 0;
    HT_CHECK_ERR(!GetOverlappedResult(h, &ov, &bytes, 0), ERROR_IO_INCOMPLETE);
    HT_CHECK(ht_stats().parked_requests == 1);

    static const unsigned char data[] = { 'c', 0, 'm', 0, 'd', 0, 0, 0 };
    HT_CHECK(hg_sim_raise(HG_OP_SET_VALUE, HT_OTHER_PROCESS, HT_OTHER_PID, 99, 1, 0, k_run_key,
                          L"Updater", NULL, L"C:\\x.exe", L"S-1-5-21-1", 1 /* REG_SZ */, data,
                          sizeof data) == HG_SIM_STATUS_SUCCESS);

    ULONG_PTR key = 0;
    OVERLAPPED *done = NULL;
    HT_CHECK(GetQueuedCompletionStatus(port, &bytes, &key, &done, INFINITE));
    HT_CHECK(done == &ov && key == KEY_DEVICE);
    HT_CHECK(ov.Internal == HG_STATUS_SUCCESS && ov.InternalHigh == bytes);
    DWORD again = 0;
    HT_CHECK(GetOverlappedResult(h, &ov, &again, 0) && again == bytes);

    ht_event_view ev[2];
    HT_CHECK(ht_batch_events(buf, bytes, ev, 2) == 1);
    HT_CHECK(ev[0].h->operation == HG_OP_SET_VALUE);
    HT_CHECK(ev[0].h->pid == HT_OTHER_PID && ev[0].h->tid == 99 && ev[0].h->session_id == 1);
    HT_CHECK(ev[0].h->value_type == 1 && ev[0].h->data_bytes == sizeof data);
    HT_CHECK(ht_utf16_eq(ev[0].key_path, ev[0].h->key_path_bytes, k_run_key));
    HT_CHECK(ht_utf16_eq(ev[0].value_name, ev[0].h->value_name_bytes, L"Updater"));
    HT_CHECK(memcmp(ev[0].data, data, sizeof data) == 0);
    HT_CHECK((ev[0].h->flags & HG_EVENT_F_VERDICT_REQUESTED) == 0);
    HT_CHECK(ht_stats().delivered == 1);
    free(buf);
    HT_CHECK(CloseHandle(h));
    HT_CHECK(CloseHandle(port));
}

HT_TEST(get_events_completes_at_once_from_the_backlog)
{
    HANDLE h, port;
    if (!overlapped_client(&h, &port, 0, 100, HG_FAIL_OPEN, HG_VERDICT_ALLOW))
        return;
    HT_CHECK(ht_raise(HG_OP_CREATE_KEY, L"\\REGISTRY\\MACHINE\\SOFTWARE\\One", NULL) == 0);
    HT_CHECK(ht_raise(HG_OP_DELETE_KEY, L"\\REGISTRY\\MACHINE\\SOFTWARE\\Two", NULL) == 0);
    void *buf = malloc(HT_EVENTS_BYTES);
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    DWORD got = 0;
    HT_CHECK(DeviceIoControl(h, HG_IOCTL_GET_EVENTS, NULL, 0, buf, HT_EVENTS_BYTES, &got, &ov));
    HT_CHECK(got > 0 && ov.Internal == 0 && ov.InternalHigh == got);
    ht_event_view ev[4];
    HT_CHECK(ht_batch_events(buf, got, ev, 4) == 2);
    HT_CHECK(ev[0].h->operation == HG_OP_CREATE_KEY && ev[1].h->operation == HG_OP_DELETE_KEY);
    HT_CHECK(ev[1].h->sequence == ev[0].h->sequence + 1);
    /* ... and its packet is queued like any other completion. */
    DWORD bytes;
    ULONG_PTR key;
    OVERLAPPED *done = NULL;
    HT_CHECK(GetQueuedCompletionStatus(port, &bytes, &key, &done, 0));
    HT_CHECK(done == &ov && bytes == got);
    free(buf);
    HT_CHECK(CloseHandle(h));
    HT_CHECK(CloseHandle(port));
}

HT_TEST(get_events_on_a_synchronous_handle_returns_the_batch)
{
    HANDLE h = ht_client(0, 0, 100, HG_FAIL_OPEN, HG_VERDICT_ALLOW);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    HT_CHECK(ht_raise(HG_OP_FLUSH_KEY, L"\\REGISTRY\\USER\\S-1-5-18", NULL) == 0);
    void *buf = malloc(HT_EVENTS_BYTES);
    DWORD got = 0;
    HT_CHECK(DeviceIoControl(h, HG_IOCTL_GET_EVENTS, NULL, 0, buf, HT_EVENTS_BYTES, &got, NULL));
    ht_event_view ev[1];
    HT_CHECK(ht_batch_events(buf, got, ev, 1) == 1 && ev[0].h->operation == HG_OP_FLUSH_KEY);
    free(buf);
    HT_CHECK(CloseHandle(h));
}

HT_TEST(cancel_one_then_all)
{
    HANDLE h, port;
    if (!overlapped_client(&h, &port, 0, 100, HG_FAIL_OPEN, HG_VERDICT_ALLOW))
        return;
    void *buf[PARK_MANY];
    OVERLAPPED ov[PARK_MANY];
    for (int i = 0; i < PARK_MANY; i++) {
        buf[i] = malloc(HT_EVENTS_BYTES);
        HT_CHECK(ht_park(h, &ov[i], buf[i]));
    }
    HT_CHECK(ht_stats().parked_requests == PARK_MANY);

    HT_CHECK(CancelIoEx(h, &ov[1]));
    DWORD bytes = 1;
    ULONG_PTR key = 0;
    OVERLAPPED *done = NULL;
    HT_CHECK_ERR(!GetQueuedCompletionStatus(port, &bytes, &key, &done, INFINITE),
                 ERROR_OPERATION_ABORTED);
    HT_CHECK(done == &ov[1] && key == KEY_DEVICE && bytes == 0);
    HT_CHECK(ov[1].Internal == HG_STATUS_CANCELLED);
    HT_CHECK_ERR(!GetOverlappedResult(h, &ov[1], &bytes, 0), ERROR_OPERATION_ABORTED);
    HT_CHECK_ERR(!GetOverlappedResult(h, &ov[0], &bytes, 0), ERROR_IO_INCOMPLETE);
    HT_CHECK_ERR(!CancelIoEx(h, &ov[1]), ERROR_NOT_FOUND);
    HT_CHECK(ht_stats().parked_requests == PARK_MANY - 1);

    HT_CHECK(CancelIoEx(h, NULL));
    OVERLAPPED_ENTRY e[8];
    ULONG n = 0;
    HT_CHECK(GetQueuedCompletionStatusEx(port, e, 8, &n, INFINITE, 0));
    /* Both cancellations are queued before CancelIoEx returns. */
    HT_CHECK(n == PARK_MANY - 1);
    for (ULONG i = 0; i < n; i++) {
        HT_CHECK(e[i].Internal == HG_STATUS_CANCELLED);
        HT_CHECK(e[i].lpCompletionKey == KEY_DEVICE && e[i].dwNumberOfBytesTransferred == 0);
        HT_CHECK(e[i].lpOverlapped == &ov[0] || e[i].lpOverlapped == &ov[2]);
    }
    HT_CHECK(e[0].lpOverlapped != e[1].lpOverlapped);
    HT_CHECK_ERR(!CancelIoEx(h, NULL), ERROR_NOT_FOUND);
    HT_CHECK(ht_stats().parked_requests == 0);
    for (int i = 0; i < PARK_MANY; i++)
        free(buf[i]);
    HT_CHECK(CloseHandle(h));
    HT_CHECK(CloseHandle(port));
}

HT_TEST(gqcs_ex_takes_what_is_there_up_to_count)
{
    HANDLE h, port;
    if (!overlapped_client(&h, &port, 0, 100, HG_FAIL_OPEN, HG_VERDICT_ALLOW))
        return;
    void *buf[PARK_MANY];
    OVERLAPPED ov[PARK_MANY];
    for (int i = 0; i < PARK_MANY; i++) {
        buf[i] = malloc(HT_EVENTS_BYTES);
        HT_CHECK(ht_park(h, &ov[i], buf[i]));
    }
    HT_CHECK(CancelIoEx(h, NULL));
    OVERLAPPED_ENTRY e[2];
    ULONG n = 0;
    HT_CHECK(GetQueuedCompletionStatusEx(port, e, 2, &n, 0, 1));
    HT_CHECK(n == 2);
    HT_CHECK(GetQueuedCompletionStatusEx(port, e, 2, &n, 0, 0));
    HT_CHECK(n == 1 && e[0].Internal == HG_STATUS_CANCELLED);
    n = 99;
    HT_CHECK_ERR(!GetQueuedCompletionStatusEx(port, e, 2, &n, 5, 0), WAIT_TIMEOUT);
    HT_CHECK(n == 0);
    HT_CHECK_ERR(!GetQueuedCompletionStatusEx(port, e, 0, &n, 0, 0), ERROR_INVALID_PARAMETER);
    HT_CHECK_ERR(!GetQueuedCompletionStatusEx(port, NULL, 2, &n, 0, 0), ERROR_INVALID_PARAMETER);
    for (int i = 0; i < PARK_MANY; i++)
        free(buf[i]);
    HT_CHECK(CloseHandle(h));
    HT_CHECK(CloseHandle(port));
}

HT_TEST(gqcs_times_out_with_no_packet)
{
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    HT_CHECK(port != NULL);
    DWORD bytes = 5;
    ULONG_PTR key = 5;
    OVERLAPPED *done = (OVERLAPPED *)&bytes;
    uint64_t t0 = ht_now_ms();
    HT_CHECK_ERR(!GetQueuedCompletionStatus(port, &bytes, &key, &done, 20), WAIT_TIMEOUT);
    HT_CHECK(done == NULL);
    HT_CHECK(ht_now_ms() - t0 >= 20); /* a lower bound only: it did wait */
    HT_CHECK_ERR(!GetQueuedCompletionStatus(port, NULL, &key, &done, 0), ERROR_INVALID_PARAMETER);
    HT_CHECK(CloseHandle(port));
}

HT_TEST(port_association_rules)
{
    HANDLE h = ht_open(1);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    HT_CHECK(port != NULL);
    HT_CHECK(CreateIoCompletionPort(h, port, 1, 0) == port);
    /* A file joins one port, once. */
    HT_CHECK_ERR(CreateIoCompletionPort(h, port, 2, 0) == NULL, ERROR_INVALID_PARAMETER);
    HT_CHECK_ERR(CreateIoCompletionPort(INVALID_HANDLE_VALUE, port, 0, 0) == NULL,
                 ERROR_INVALID_PARAMETER);
    HT_CHECK_ERR(CreateIoCompletionPort(h, (HANDLE)(uintptr_t)0x7770, 0, 0) == NULL,
                 ERROR_INVALID_HANDLE);
    HT_CHECK_ERR(CreateIoCompletionPort(port, port, 0, 0) == NULL, ERROR_INVALID_HANDLE);
    /* The port outlives its handle while a file holds it: I/O still completes. */
    HT_CHECK(ht_hello(h, 1) != 0);
    HT_CHECK(CloseHandle(port));
    HT_CHECK(ht_configure(h, 1, 0, 100, HG_FAIL_OPEN, HG_VERDICT_ALLOW));
    void *buf = malloc(HT_EVENTS_BYTES);
    OVERLAPPED ov;
    HT_CHECK(ht_park(h, &ov, buf));
    HT_CHECK(CancelIoEx(h, &ov));
    HT_CHECK(ov.Internal == HG_STATUS_CANCELLED);
    free(buf);
    HT_CHECK(CloseHandle(h));
}

typedef struct port_waiter {
    HANDLE     port;
    BOOL       ok;
    DWORD      error;
    OVERLAPPED *ov;
} port_waiter;

static void *wait_on_port(void *arg)
{
    port_waiter *w = arg;
    DWORD bytes;
    ULONG_PTR key;
    w->ok = GetQueuedCompletionStatus(w->port, &bytes, &key, &w->ov, INFINITE);
    w->error = GetLastError();
    return NULL;
}

/* Attempts with a growing head start for the waiter: whether it is already
 * blocked when the port closes cannot be observed, only made near certain. */
#define PORT_CLOSE_ATTEMPTS 5

HT_TEST(mt_closing_the_port_releases_its_waiter)
{
    int abandoned = 0;
    for (int attempt = 0; attempt < PORT_CLOSE_ATTEMPTS && !abandoned; attempt++) {
        HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
        HT_CHECK(port != NULL);
        port_waiter w = { port, 1, 0, (OVERLAPPED *)&w };
        pthread_t t;
        HT_CHECK(pthread_create(&t, NULL, wait_on_port, &w) == 0);
        ht_sleep_ms((2u * HEAD_START_MS) << attempt);
        HT_CHECK(CloseHandle(port));
        pthread_join(t, NULL);
        HT_CHECK(!w.ok && w.ov == NULL);
        /* Closed before the wait began, it is a stale handle instead. */
        HT_CHECK(w.error == ERROR_ABANDONED_WAIT_0 || w.error == ERROR_INVALID_HANDLE);
        abandoned = w.error == ERROR_ABANDONED_WAIT_0;
    }
    HT_CHECK(abandoned);
}

typedef struct overlapped_waiter {
    HANDLE      dev;
    OVERLAPPED *ov;
    BOOL        ok;
    DWORD       bytes;
    DWORD       error;
} overlapped_waiter;

static void *wait_overlapped(void *arg)
{
    overlapped_waiter *w = arg;
    w->ok = GetOverlappedResult(w->dev, w->ov, &w->bytes, 1);
    w->error = GetLastError();
    return NULL;
}

HT_TEST(mt_get_overlapped_result_waits_for_completion)
{
    HANDLE h, port;
    if (!overlapped_client(&h, &port, 0, 100, HG_FAIL_OPEN, HG_VERDICT_ALLOW))
        return;
    void *buf = malloc(HT_EVENTS_BYTES);
    OVERLAPPED ov;
    HT_CHECK(ht_park(h, &ov, buf));
    overlapped_waiter w = { h, &ov, 0, 0, 0 };
    pthread_t t;
    HT_CHECK(pthread_create(&t, NULL, wait_overlapped, &w) == 0);
    ht_sleep_ms(HEAD_START_MS);
    HT_CHECK(ht_raise(HG_OP_SET_VALUE, L"\\REGISTRY\\MACHINE\\SYSTEM\\X", L"y") == 0);
    pthread_join(t, NULL);
    HT_CHECK(w.ok && w.bytes > sizeof(HG_BATCH_HEADER) && w.bytes == ov.InternalHigh);

    /* and reports an abort the same way */
    HT_CHECK(ht_park(h, &ov, buf));
    w.ok = 1;
    HT_CHECK(pthread_create(&t, NULL, wait_overlapped, &w) == 0);
    ht_sleep_ms(HEAD_START_MS);
    HT_CHECK(CancelIoEx(h, &ov));
    pthread_join(t, NULL);
    HT_CHECK(!w.ok && w.error == ERROR_OPERATION_ABORTED);
    free(buf);
    HT_CHECK(CloseHandle(h));
    HT_CHECK(CloseHandle(port));
}

typedef struct sync_reader {
    HANDLE dev;
    void  *buf;
    BOOL   ok;
    DWORD  got;
    DWORD  error;
} sync_reader;

static void *read_sync(void *arg)
{
    sync_reader *r = arg;
    r->ok = DeviceIoControl(r->dev, HG_IOCTL_GET_EVENTS, NULL, 0, r->buf, HT_EVENTS_BYTES, &r->got,
                            NULL);
    r->error = GetLastError();
    return NULL;
}

static void *cancel_io_from_here(void *arg)
{
    HT_CHECK_T(CancelIo(*(HANDLE *)arg)); /* none of this thread's: succeeds, cancels nothing */
    return NULL;
}

HT_TEST(mt_synchronous_get_events_blocks_until_completed_or_cancelled)
{
    HANDLE h = ht_client(0, 0, 100, HG_FAIL_OPEN, HG_VERDICT_ALLOW);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    sync_reader r = { h, malloc(HT_EVENTS_BYTES), 0, 0, 0 };
    pthread_t t;
    HT_CHECK(pthread_create(&t, NULL, read_sync, &r) == 0);
    HT_CHECK(ht_wait_stats(ht_pred_parked, 1));
    HT_CHECK(ht_raise(HG_OP_RENAME_KEY, L"\\REGISTRY\\MACHINE\\SOFTWARE\\Old", NULL) == 0);
    pthread_join(t, NULL);
    ht_event_view ev[1];
    HT_CHECK(r.ok && ht_batch_events(r.buf, r.got, ev, 1) == 1);

    /* Blocked again; CancelIo from another thread leaves it alone,
     * CancelIoEx(NULL) cancels it. */
    HT_CHECK(pthread_create(&t, NULL, read_sync, &r) == 0);
    HT_CHECK(ht_wait_stats(ht_pred_parked, 1));
    pthread_t c;
    HT_CHECK(pthread_create(&c, NULL, cancel_io_from_here, &h) == 0);
    pthread_join(c, NULL);
    HT_CHECK(ht_stats().parked_requests == 1);
    HT_CHECK(CancelIoEx(h, NULL));
    pthread_join(t, NULL);
    HT_CHECK(!r.ok && r.error == ERROR_OPERATION_ABORTED && r.got == 0);

    /* Blocked a third time; closing the handle under it aborts it too. */
    HT_CHECK(pthread_create(&t, NULL, read_sync, &r) == 0);
    HT_CHECK(ht_wait_stats(ht_pred_parked, 1));
    HT_CHECK(CloseHandle(h));
    pthread_join(t, NULL);
    HT_CHECK(!r.ok && r.error == ERROR_OPERATION_ABORTED);
    free(r.buf);
}

HT_TEST(cancel_io_cancels_the_calling_threads_io)
{
    HANDLE h, port;
    if (!overlapped_client(&h, &port, 0, 100, HG_FAIL_OPEN, HG_VERDICT_ALLOW))
        return;
    void *buf = malloc(HT_EVENTS_BYTES);
    OVERLAPPED ov;
    HT_CHECK(ht_park(h, &ov, buf));
    HT_CHECK(CancelIo(h));
    HT_CHECK(ov.Internal == HG_STATUS_CANCELLED);
    HT_CHECK(CancelIo(h)); /* nothing left: still TRUE, as on Windows */
    free(buf);
    HT_CHECK(CloseHandle(h));
    HT_CHECK(CloseHandle(port));
}
