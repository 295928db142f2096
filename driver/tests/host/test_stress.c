/*
 * test_stress.c - the host's own concurrency: many registry callers, two
 * consumer threads on one completion port, cancels, and the client going
 * away mid-flight (CloseHandle or process exit) and coming back, over and
 * over. Run under TSan by host-test-tsan (it is an mt_ case).
 *
 * What must hold whatever the interleaving: every caller returns with
 * SUCCESS or ACCESS_DENIED; every completion is a well-formed batch or an
 * abort; no reply is ever "unknown" or "duplicate"; and once quiet
 *   raised == filtered_out + delivered + dropped,
 * with no waiter and no parked request left.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ht_device.h"

#define STRESS_RAISERS        8
#define STRESS_RAISES_EACH    1500   /* at least; they go on until the last session ends */
#define STRESS_MIN_SESSIONS   12
#define STRESS_PUMPS          2
#define STRESS_SLOTS          4      /* parked requests per session */
#define STRESS_TIMEOUT_MS     5u     /* shorter than a session: timeouts happen too */
#define STRESS_UNANSWERED     8u     /* every 8th verdict id is never answered */
#define STRESS_SESSION_MS     15u    /* a client lives this long before it goes away */
#define STRESS_KEY            0x5E55u
#define STRESS_POLL_MS        1u

static const wchar_t *const k_stress_key = L"\\REGISTRY\\MACHINE\\SOFTWARE\\Stress";

typedef struct session {
    HANDLE     dev, port;
    void      *buf[STRESS_SLOTS];
    OVERLAPPED ov[STRESS_SLOTS];
    atomic_int closing;
    atomic_int outstanding; /* submitted and not yet dequeued from the port */
} session;

static atomic_int g_raisers_left;
static atomic_int g_go;   /* raisers start once the first client is pumping */
static atomic_int g_stop; /* ... and stop after the last session */
static atomic_long g_raised;
static atomic_int g_bad_status;
static atomic_int g_bad_packet;
static atomic_int g_bad_reply;

static void *stress_raiser(void *arg)
{
    uintptr_t index = (uintptr_t)arg;
    while (!atomic_load(&g_go))
        ht_sleep_ms(STRESS_POLL_MS);
    int i;
    for (i = 0; i < STRESS_RAISES_EACH || !atomic_load(&g_stop); i++) {
        uint32_t st = hg_sim_raise(HG_OP_SET_VALUE, HT_OTHER_PROCESS + index, HT_OTHER_PID + index,
                                   (uint64_t)i, 1, 0, k_stress_key, (i & 1) ? L"Block" : L"Allow",
                                   NULL, NULL, NULL, 4, &i, sizeof i);
        if (st != HG_SIM_STATUS_SUCCESS && st != HG_SIM_STATUS_ACCESS_DENIED)
            atomic_fetch_add(&g_bad_status, 1);
    }
    atomic_fetch_add(&g_raised, i);
    atomic_fetch_sub(&g_raisers_left, 1);
    return NULL;
}

static int slot_of(session *s, OVERLAPPED *ov)
{
    for (int i = 0; i < STRESS_SLOTS; i++) {
        if (ov == &s->ov[i])
            return i;
    }
    return -1;
}

static void repark(session *s, int slot)
{
    if (atomic_load(&s->closing))
        return;
    memset(&s->ov[slot], 0, sizeof s->ov[slot]);
    DWORD got;
    /* Counted before the call: the packet may be dequeued before it returns. */
    atomic_fetch_add(&s->outstanding, 1);
    if (DeviceIoControl(s->dev, HG_IOCTL_GET_EVENTS, NULL, 0, s->buf[slot], HT_EVENTS_BYTES, &got,
                        &s->ov[slot]))
        return; /* completed at once; its packet is on the port */
    DWORD err = GetLastError();
    if (err == ERROR_IO_PENDING)
        return;
    atomic_fetch_sub(&s->outstanding, 1); /* failed at once: no packet will come */
    /* The client may vanish under us at any moment. */
    if (err != ERROR_INVALID_HANDLE && err != ERROR_BAD_COMMAND)
        atomic_fetch_add(&g_bad_packet, 1);
}

static void *stress_pump(void *arg)
{
    session *s = arg;
    for (;;) {
        DWORD bytes = 0;
        ULONG_PTR key = 0;
        OVERLAPPED *done = NULL;
        BOOL ok = GetQueuedCompletionStatus(s->port, &bytes, &key, &done, INFINITE);
        if (done == NULL)
            return NULL; /* the port was closed */
        atomic_fetch_sub(&s->outstanding, 1);
        int slot = slot_of(s, done);
        if (slot < 0 || key != STRESS_KEY) {
            atomic_fetch_add(&g_bad_packet, 1);
            continue;
        }
        if (!ok) {
            if (GetLastError() != ERROR_OPERATION_ABORTED)
                atomic_fetch_add(&g_bad_packet, 1);
            repark(s, slot); /* a cancel while the session lives: park again */
            continue;
        }
        ht_event_view ev[HT_MAX_BATCH_EVENTS];
        int n = ht_batch_events(s->buf[slot], bytes, ev, HT_MAX_BATCH_EVENTS);
        if (n <= 0) {
            atomic_fetch_add(&g_bad_packet, 1);
            continue;
        }
        for (int i = 0; i < n; i++) {
            if (!(ev[i].h->flags & HG_EVENT_F_VERDICT_REQUESTED) ||
                ev[i].h->id % STRESS_UNANSWERED == 0)
                continue;
            uint32_t verdict = ht_utf16_eq(ev[i].value_name, ev[i].h->value_name_bytes, L"Block")
                                   ? HG_VERDICT_BLOCK : HG_VERDICT_ALLOW;
            HG_REPLY_RESULT res;
            memset(&res, 0, sizeof res);
            if (ht_reply(s->dev, 1, ev[i].h->id, verdict, &res)) {
                if (res.unknown != 0 || res.duplicate != 0)
                    atomic_fetch_add(&g_bad_reply, 1);
            }
        }
        repark(s, slot);
    }
}

/* One client life: open, park, pump, cancel some, then vanish. */
static int run_session(int round)
{
    session s;
    memset(&s, 0, sizeof s);
    s.dev = ht_client(1, HG_OP_BIT(HG_OP_SET_VALUE), STRESS_TIMEOUT_MS,
                      (round & 1) ? HG_FAIL_CLOSED : HG_FAIL_OPEN, HG_VERDICT_ALLOW);
    HT_CHECK_R(s.dev != INVALID_HANDLE_VALUE, 0);
    s.port = CreateIoCompletionPort(s.dev, NULL, STRESS_KEY, 0);
    HT_CHECK_R(s.port != NULL, 0);
    for (int i = 0; i < STRESS_SLOTS; i++) {
        s.buf[i] = malloc(HT_EVENTS_BYTES);
        repark(&s, i);
    }
    pthread_t pumps[STRESS_PUMPS];
    for (int i = 0; i < STRESS_PUMPS; i++)
        HT_CHECK_R(pthread_create(&pumps[i], NULL, stress_pump, &s) == 0, 0);
    atomic_store(&g_go, 1);

    ht_sleep_ms(STRESS_SESSION_MS / 2);
    if (!CancelIoEx(s.dev, round % 3 == 0 ? NULL : &s.ov[round % STRESS_SLOTS]))
        HT_CHECK_R(GetLastError() == ERROR_NOT_FOUND, 0); /* that one was between parks */
    ht_sleep_ms(STRESS_SESSION_MS / 2);

    atomic_store(&s.closing, 1);
    if (round % 4 == 3) {
        hg_sim_process_exit(hg_sim_current_process_key()); /* the agent is killed */
    } else {
        /* As the agent must: a buffer stays alive until its packet is back,
         * aborted ones included, so drain the port before closing it. */
        HT_CHECK_R(CloseHandle(s.dev), 0);
        while (atomic_load(&s.outstanding) > 0)
            ht_sleep_ms(STRESS_POLL_MS);
        HT_CHECK_R(CloseHandle(s.port), 0);
    }
    for (int i = 0; i < STRESS_PUMPS; i++)
        pthread_join(pumps[i], NULL);
    for (int i = 0; i < STRESS_SLOTS; i++)
        free(s.buf[i]);
    return 1;
}

HT_TEST(mt_stress_callers_consumers_cancels_disconnects)
{
    atomic_store(&g_raisers_left, STRESS_RAISERS);
    atomic_store(&g_bad_status, 0);
    atomic_store(&g_bad_packet, 0);
    atomic_store(&g_bad_reply, 0);
    atomic_store(&g_go, 0);
    atomic_store(&g_stop, 0);
    atomic_store(&g_raised, 0);
    pthread_t raisers[STRESS_RAISERS];
    for (uintptr_t i = 0; i < STRESS_RAISERS; i++)
        HT_CHECK(pthread_create(&raisers[i], NULL, stress_raiser, (void *)i) == 0);

    int sessions = 0;
    while (sessions < STRESS_MIN_SESSIONS || atomic_load(&g_raisers_left) > 0) {
        if (!run_session(sessions++))
            break;
        if (sessions >= STRESS_MIN_SESSIONS)
            atomic_store(&g_stop, 1);
    }
    atomic_store(&g_stop, 1);
    atomic_store(&g_go, 1); /* in case the first session failed before starting them */
    for (int i = 0; i < STRESS_RAISERS; i++)
        pthread_join(raisers[i], NULL);

    HT_CHECK(sessions >= STRESS_MIN_SESSIONS);
    HT_CHECK(atomic_load(&g_bad_status) == 0);
    HT_CHECK(atomic_load(&g_bad_packet) == 0);
    HT_CHECK(atomic_load(&g_bad_reply) == 0);
    HG_STATS s = ht_stats();
    printf("    %d sessions, %llu raised, %llu waited, %llu answered, %llu timed out, "
           "%llu defaults, %llu dropped\n", sessions, (unsigned long long)s.raised,
           (unsigned long long)s.verdicts_requested, (unsigned long long)s.replies_accepted,
           (unsigned long long)s.timed_out, (unsigned long long)s.defaults_applied,
           (unsigned long long)s.dropped);
    HT_CHECK(s.raised == (uint64_t)atomic_load(&g_raised));
    HT_CHECK(s.raised >= (uint64_t)STRESS_RAISERS * STRESS_RAISES_EACH);
    HT_CHECK(s.raised == s.filtered_out + s.delivered + s.dropped);
    HT_CHECK(s.pending_waiters == 0 && s.parked_requests == 0 && s.client_bound == 0);
    HT_CHECK(s.replies_unknown == 0 && s.replies_duplicate == 0);
    HT_CHECK(s.verdicts_requested > 0 && s.replies_accepted > 0);
}
