/*
 * test_cancel_race.c - the claim/cancel race, counted exactly: registry
 * callers complete parked requests while another thread cancels them
 * (CancelIoEx) as fast as it can. Whichever wins, every parked request must
 * complete exactly once, and every event core counts as delivered must be in
 * exactly one successful completion - none lost in a cancelled request, none
 * delivered twice.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "ht_device.h"

#define CR_RAISERS      4
#define CR_RAISES_EACH  3000
#define CR_SLOTS        4
#define CR_KEY          0xCA9Cu
#define CR_POLL_MS      1u

typedef struct cr_state {
    HANDLE     dev, port;
    void      *buf[CR_SLOTS];
    OVERLAPPED ov[CR_SLOTS];
    int        parked[CR_SLOTS];   /* pump thread only */
    atomic_int stop_parking;
    atomic_int stop_cancelling;
    atomic_long parks, packets, events, doubles, bad;
    atomic_int outstanding;
} cr_state;

static void cr_park(cr_state *s, int slot)
{
    memset(&s->ov[slot], 0, sizeof s->ov[slot]);
    s->parked[slot] = 1;
    atomic_fetch_add(&s->outstanding, 1);
    atomic_fetch_add(&s->parks, 1);
    DWORD got;
    if (!DeviceIoControl(s->dev, HG_IOCTL_GET_EVENTS, NULL, 0, s->buf[slot], HT_EVENTS_BYTES, &got,
                         &s->ov[slot]) && GetLastError() != ERROR_IO_PENDING) {
        atomic_fetch_add(&s->bad, 1); /* the client lives throughout: nothing may fail at once */
        s->parked[slot] = 0;
        atomic_fetch_sub(&s->outstanding, 1);
        atomic_fetch_sub(&s->parks, 1);
    }
}

static void *cr_pump(void *arg)
{
    cr_state *s = arg;
    for (int i = 0; i < CR_SLOTS; i++)
        cr_park(s, i);
    for (;;) {
        DWORD bytes = 0;
        ULONG_PTR key = 0;
        OVERLAPPED *done = NULL;
        BOOL ok = GetQueuedCompletionStatus(s->port, &bytes, &key, &done, INFINITE);
        if (done == NULL)
            return NULL; /* port closed at the end */
        int slot = (int)(done - s->ov);
        if (slot < 0 || slot >= CR_SLOTS || key != CR_KEY) {
            atomic_fetch_add(&s->bad, 1);
            continue;
        }
        if (!s->parked[slot])
            atomic_fetch_add(&s->doubles, 1); /* a second completion of one request */
        s->parked[slot] = 0;
        atomic_fetch_add(&s->packets, 1);
        if (ok) {
            int n = ht_batch_events(s->buf[slot], bytes, NULL, 0);
            if (n <= 0)
                atomic_fetch_add(&s->bad, 1);
            else
                atomic_fetch_add(&s->events, n);
        } else if (GetLastError() != ERROR_OPERATION_ABORTED) {
            atomic_fetch_add(&s->bad, 1);
        }
        atomic_fetch_sub(&s->outstanding, 1);
        if (!atomic_load(&s->stop_parking))
            cr_park(s, slot);
    }
}

static void *cr_canceller(void *arg)
{
    cr_state *s = arg;
    while (!atomic_load(&s->stop_cancelling)) {
        if (!CancelIoEx(s->dev, NULL) && GetLastError() != ERROR_NOT_FOUND)
            atomic_fetch_add(&s->bad, 1);
    }
    return NULL;
}

static void *cr_raiser(void *arg)
{
    uintptr_t index = (uintptr_t)arg;
    for (int i = 0; i < CR_RAISES_EACH; i++) {
        if (hg_sim_raise(HG_OP_SET_VALUE, HT_OTHER_PROCESS + index, HT_OTHER_PID, index, 1, 0,
                         L"\\REGISTRY\\MACHINE\\SOFTWARE\\Race", L"v", NULL, NULL, NULL, 4, &i,
                         sizeof i) != HG_SIM_STATUS_SUCCESS)
            return (void *)1;
    }
    return NULL;
}

HT_TEST(mt_cancel_racing_delivery_completes_each_request_once)
{
    static cr_state s; /* large; zeroed per run below */
    memset(&s, 0, sizeof s);
    s.dev = ht_client(1, 0, HG_TIMEOUT_DEFAULT_MS, HG_FAIL_OPEN, HG_VERDICT_ALLOW);
    HT_CHECK(s.dev != INVALID_HANDLE_VALUE);
    s.port = CreateIoCompletionPort(s.dev, NULL, CR_KEY, 0);
    HT_CHECK(s.port != NULL);
    for (int i = 0; i < CR_SLOTS; i++)
        s.buf[i] = malloc(HT_EVENTS_BYTES);

    pthread_t pump, canceller, raisers[CR_RAISERS];
    HT_CHECK(pthread_create(&pump, NULL, cr_pump, &s) == 0);
    HT_CHECK(pthread_create(&canceller, NULL, cr_canceller, &s) == 0);
    for (uintptr_t i = 0; i < CR_RAISERS; i++)
        HT_CHECK(pthread_create(&raisers[i], NULL, cr_raiser, (void *)i) == 0);
    int raiser_failed = 0;
    for (int i = 0; i < CR_RAISERS; i++) {
        void *rc;
        pthread_join(raisers[i], &rc);
        raiser_failed |= rc != NULL;
    }

    /* Quiesce: no new parks, cancel what is parked, wait for every packet. */
    atomic_store(&s.stop_parking, 1);
    atomic_store(&s.stop_cancelling, 1);
    pthread_join(canceller, NULL);
    while (atomic_load(&s.outstanding) > 0) {
        (void)CancelIoEx(s.dev, NULL);
        ht_sleep_ms(CR_POLL_MS);
    }
    HG_STATS st = ht_stats();
    HT_CHECK(CloseHandle(s.dev));
    HT_CHECK(CloseHandle(s.port));
    pthread_join(pump, NULL);
    for (int i = 0; i < CR_SLOTS; i++)
        free(s.buf[i]);

    HT_CHECK(!raiser_failed);
    HT_CHECK(atomic_load(&s.bad) == 0);
    HT_CHECK(atomic_load(&s.doubles) == 0);
    HT_CHECK(atomic_load(&s.packets) == atomic_load(&s.parks));
    HT_CHECK((uint64_t)atomic_load(&s.events) == st.delivered);
    HT_CHECK(st.raised == (uint64_t)CR_RAISERS * CR_RAISES_EACH);
    HT_CHECK(st.raised == st.filtered_out + st.delivered + st.dropped + st.backlog_events);
    HT_CHECK(st.parked_requests == 0);
}
