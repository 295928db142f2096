/*
 * test_verdict.c - registry callers waiting for the agent: verdicts, timeouts
 * with both fail modes, defaults, and every way a client can go away.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "ht_device.h"

#define KEY_DEVICE     0xD00Du
#define RAISERS        4
#define RAISES_EACH    200
#define WAITERS        6
#define SHORT_TIMEOUT  50u
/* Upper sanity bound for "released at once": far below the 30 s timeout the
 * waiters would otherwise sit out, far above any scheduling hiccup. */
#define RELEASED_WITHIN_MS 10000u

static const wchar_t *const k_key = L"\\REGISTRY\\MACHINE\\SOFTWARE\\Policies\\Test";

/* ---- an agent: one consumer thread on the port, replying by value name -- */

typedef struct agent {
    HANDLE     dev, port;
    void      *buf[2];
    OVERLAPPED ov[2];
    atomic_int replies;
    atomic_int stop;
} agent;

static void *agent_pump(void *arg)
{
    agent *a = arg;
    for (;;) {
        DWORD bytes = 0;
        ULONG_PTR key = 0;
        OVERLAPPED *done = NULL;
        BOOL ok = GetQueuedCompletionStatus(a->port, &bytes, &key, &done, INFINITE);
        if (done == NULL)
            return NULL; /* port closed: ERROR_ABANDONED_WAIT_0 */
        int slot = done == &a->ov[0] ? 0 : 1;
        if (!ok) {
            HT_CHECK_T(GetLastError() == ERROR_OPERATION_ABORTED);
            continue; /* cancelled at close: do not re-park */
        }
        ht_event_view ev[HT_MAX_BATCH_EVENTS];
        int n = ht_batch_events(a->buf[slot], bytes, ev, HT_MAX_BATCH_EVENTS);
        HT_CHECK_T(n > 0);
        for (int i = 0; i < n; i++) {
            if (!(ev[i].h->flags & HG_EVENT_F_VERDICT_REQUESTED))
                continue;
            uint32_t verdict = ht_utf16_eq(ev[i].value_name, ev[i].h->value_name_bytes, L"Block")
                                   ? HG_VERDICT_BLOCK : HG_VERDICT_ALLOW;
            HG_REPLY_RESULT res;
            HT_CHECK_T(ht_reply(a->dev, 1, ev[i].h->id, verdict, &res));
            HT_CHECK_T(res.accepted == 1);
            atomic_fetch_add(&a->replies, 1);
        }
        if (atomic_load(&a->stop))
            continue;
        memset(&a->ov[slot], 0, sizeof a->ov[slot]);
        DWORD got;
        if (!DeviceIoControl(a->dev, HG_IOCTL_GET_EVENTS, NULL, 0, a->buf[slot], HT_EVENTS_BYTES,
                             &got, &a->ov[slot]))
            HT_CHECK_T(GetLastError() == ERROR_IO_PENDING);
    }
}

static int agent_start(agent *a, pthread_t *t, uint32_t timeout_ms, uint16_t fail_mode)
{
    memset(a, 0, sizeof *a);
    a->dev = ht_client(1, HG_OP_BIT(HG_OP_SET_VALUE), timeout_ms, fail_mode, HG_VERDICT_ALLOW);
    HT_CHECK_R(a->dev != INVALID_HANDLE_VALUE, 0);
    a->port = CreateIoCompletionPort(a->dev, NULL, KEY_DEVICE, 0);
    HT_CHECK_R(a->port != NULL, 0);
    for (int i = 0; i < 2; i++) {
        a->buf[i] = malloc(HT_EVENTS_BYTES);
        HT_CHECK_R(ht_park(a->dev, &a->ov[i], a->buf[i]), 0);
    }
    HT_CHECK_R(pthread_create(t, NULL, agent_pump, a) == 0, 0);
    return 1;
}

static void agent_stop(agent *a, pthread_t t)
{
    atomic_store(&a->stop, 1);
    CloseHandle(a->dev);  /* cancels the parked requests; their packets still arrive */
    CloseHandle(a->port); /* then the pump's wait is abandoned */
    pthread_join(t, NULL);
    free(a->buf[0]);
    free(a->buf[1]);
}

typedef struct raiser {
    int        index;
    atomic_int wrong;
    atomic_int done;
} raiser;

static void *raise_alternating(void *arg)
{
    raiser *r = arg;
    for (int i = 0; i < RAISES_EACH; i++) {
        int block = (i + r->index) % 2;
        uint32_t st = hg_sim_raise(HG_OP_SET_VALUE, HT_OTHER_PROCESS + (uint64_t)r->index,
                                   HT_OTHER_PID, (uint64_t)r->index, 1, 0, k_key,
                                   block ? L"Block" : L"Allow", NULL, NULL, NULL, 4, &i, sizeof i);
        uint32_t want = block ? HG_SIM_STATUS_ACCESS_DENIED : HG_SIM_STATUS_SUCCESS;
        /* Every raise waits for the agent, parked request or not (the timeout
         * is 30 s): the agent's verdict is the only possible outcome. */
        if (st != want)
            atomic_fetch_add(&r->wrong, 1);
    }
    atomic_store(&r->done, 1);
    return NULL;
}

HT_TEST(mt_verdicts_reach_the_raisers)
{
    agent a;
    pthread_t pump;
    if (!agent_start(&a, &pump, HT_LONG_TIMEOUT_MS, HG_FAIL_OPEN))
        return;
    raiser r[RAISERS];
    pthread_t t[RAISERS];
    for (int i = 0; i < RAISERS; i++) {
        r[i].index = i;
        atomic_init(&r[i].wrong, 0);
        atomic_init(&r[i].done, 0);
        HT_CHECK(pthread_create(&t[i], NULL, raise_alternating, &r[i]) == 0);
    }
    for (int i = 0; i < RAISERS; i++) {
        pthread_join(t[i], NULL);
        HT_CHECK(atomic_load(&r[i].done) && atomic_load(&r[i].wrong) == 0);
    }
    /* The pump counts a reply after the raiser may already have returned:
     * compare only once it has stopped. */
    agent_stop(&a, pump);
    HG_STATS s = ht_stats();
    HT_CHECK(s.raised == RAISERS * RAISES_EACH);
    HT_CHECK(s.replies_accepted == (uint64_t)atomic_load(&a.replies));
    HT_CHECK(s.verdicts_requested == s.replies_accepted);
    HT_CHECK(s.verdicts_requested == RAISERS * RAISES_EACH && s.defaults_applied == 0);
    HT_CHECK(s.timed_out == 0 && s.pending_waiters == 0);
    HT_CHECK(s.verdicts_requested > 0 && s.blocked > 0);
    HT_CHECK(s.raised == s.filtered_out + s.delivered + s.dropped);
}

/* One raise that waits for a reply nobody sends. */
static void timeout_case(uint16_t fail_mode, uint32_t expect)
{
    HANDLE h = ht_client(1, HG_OP_BIT(HG_OP_DELETE_VALUE), SHORT_TIMEOUT, fail_mode,
                         HG_VERDICT_ALLOW);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    void *buf = malloc(HT_EVENTS_BYTES);
    OVERLAPPED ov;
    HT_CHECK(ht_park(h, &ov, buf));
    uint64_t t0 = ht_now_ms();
    HT_CHECK(ht_raise(HG_OP_DELETE_VALUE, k_key, L"v") == expect);
    HT_CHECK(ht_now_ms() - t0 >= SHORT_TIMEOUT); /* it did wait for the agent */
    HG_STATS s = ht_stats();
    HT_CHECK(s.timed_out == 1 && s.verdicts_requested == 1);
    HT_CHECK(fail_mode == HG_FAIL_CLOSED ? s.fail_closed_applied == 1 : s.fail_open_applied == 1);
    /* The event did reach the agent, flagged and with its budget. */
    ht_event_view ev[1];
    HT_CHECK(ov.Internal == HG_STATUS_SUCCESS);
    HT_CHECK(ht_batch_events(buf, (DWORD)ov.InternalHigh, ev, 1) == 1);
    HT_CHECK((ev[0].h->flags & HG_EVENT_F_VERDICT_REQUESTED) && ev[0].h->timeout_ms == SHORT_TIMEOUT);
    /* A reply now is late, never an error. */
    HG_REPLY_RESULT res;
    HT_CHECK(ht_reply(h, 1, ev[0].h->id, HG_VERDICT_BLOCK, &res));
    HT_CHECK(res.late == 1 && res.accepted == 0);
    free(buf);
    HT_CHECK(CloseHandle(h));
}

HT_TEST(timeout_fails_open)
{
    timeout_case(HG_FAIL_OPEN, HG_SIM_STATUS_SUCCESS);
}

HT_TEST(timeout_fails_closed)
{
    timeout_case(HG_FAIL_CLOSED, HG_SIM_STATUS_ACCESS_DENIED);
}

static const wchar_t *const k_run_key =
    L"\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run";

HT_TEST(no_client_gets_the_default_at_once)
{
    HT_CHECK(ht_raise(HG_OP_SET_VALUE, k_run_key, L"v") == HG_SIM_STATUS_SUCCESS);
    hg_sim_reset(HG_VERDICT_BLOCK);
    /* The lock-down blocks user-mode writes on protected keys only. */
    HT_CHECK(ht_raise(HG_OP_SET_VALUE, k_run_key, L"v") == HG_SIM_STATUS_ACCESS_DENIED);
    HT_CHECK(ht_raise(HG_OP_SET_VALUE, k_key, L"v") == HG_SIM_STATUS_SUCCESS);
    HT_CHECK(ht_raise(HG_OP_OPEN_KEY, k_run_key, NULL) == HG_SIM_STATUS_SUCCESS);
    HG_STATS s = ht_stats();
    HT_CHECK(s.no_client == 3 && s.raised == 3 && s.pending_waiters == 0 && s.timed_out == 0);
    HT_CHECK(s.lockdown_blocked == 1 && s.lockdown_exempt == 2 && s.blocked == 1);
    /* An open but not yet HELLOed handle is still "no client". */
    HANDLE h = ht_open(0);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    HT_CHECK(ht_raise(HG_OP_SET_VALUE, k_run_key, L"v") == HG_SIM_STATUS_ACCESS_DENIED);
    HT_CHECK(CloseHandle(h));
    /* An unknown verdict leaves the instance alone. */
    uint64_t raised = ht_stats().raised;
    hg_sim_reset(77);
    HT_CHECK(GetLastError() == ERROR_INVALID_PARAMETER);
    HT_CHECK(ht_stats().raised == raised);
    hg_sim_reset(HG_VERDICT_ALLOW);
}

typedef struct sync_raise {
    pthread_t thread;
    uint32_t  status;
} sync_raise;

static void *sync_raise_main(void *arg)
{
    sync_raise *r = arg;
    r->status = ht_raise(HG_OP_SET_VALUE, k_key, L"v");
    return NULL;
}

/* Issue 9: nothing parked is no reason to skip the agent. The caller waits
 * until the agent asks for events and replies; the default never applies. */
HT_TEST(nothing_parked_still_waits_for_the_agent)
{
    HANDLE h = ht_client(0, HG_OP_BIT(HG_OP_SET_VALUE), HT_LONG_TIMEOUT_MS, HG_FAIL_OPEN,
                         HG_VERDICT_ALLOW);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    HT_CHECK(ht_raise(HG_OP_CREATE_KEY, k_key, NULL) == HG_SIM_STATUS_SUCCESS); /* audit only */
    sync_raise r = { 0 };
    HT_CHECK(pthread_create(&r.thread, NULL, sync_raise_main, &r) == 0);
    HT_CHECK(ht_wait_stats(ht_pred_pending_waiters, 1));
    void *buf = malloc(HT_EVENTS_BYTES);
    DWORD got = 0;
    HT_CHECK(DeviceIoControl(h, HG_IOCTL_GET_EVENTS, NULL, 0, buf, HT_EVENTS_BYTES, &got, NULL));
    ht_event_view ev[2];
    HT_CHECK(ht_batch_events(buf, got, ev, 2) == 2);
    HT_CHECK(!(ev[0].h->flags & HG_EVENT_F_VERDICT_REQUESTED));
    HT_CHECK((ev[1].h->flags & HG_EVENT_F_VERDICT_REQUESTED) && ev[1].h->id != 0);
    HT_CHECK(!(ev[1].h->flags & HG_EVENT_F_DEFAULT_APPLIED));
    HG_REPLY_RESULT res;
    HT_CHECK(ht_reply(h, 0, ev[1].h->id, HG_VERDICT_BLOCK, &res) && res.accepted == 1);
    pthread_join(r.thread, NULL);
    HT_CHECK(r.status == HG_SIM_STATUS_ACCESS_DENIED);
    HG_STATS s = ht_stats();
    HT_CHECK(s.defaults_applied == 0 && s.timed_out == 0 && s.verdicts_requested == 1);
    free(buf);
    HT_CHECK(CloseHandle(h));
}

/* ---- callers left waiting when the client goes away --------------------- */

typedef struct blocked_raiser {
    uint32_t status;
    uint64_t elapsed_ms;
} blocked_raiser;

static void *raise_and_wait(void *arg)
{
    blocked_raiser *b = arg;
    uint64_t t0 = ht_now_ms();
    b->status = ht_raise(HG_OP_SET_VALUE, k_key, L"Block");
    b->elapsed_ms = ht_now_ms() - t0;
    return NULL;
}

static int waiting_and_delivered(const HG_STATS *s, uint64_t n)
{
    return s->pending_waiters == n && s->backlog_events == 0;
}

/* A client with WAITERS callers waiting on it (one parked request each).
 * Fail mode CLOSED, default ALLOW: released callers are told apart from
 * timed-out ones by their status. */
static int waiters_on_client(HANDLE *dev, HANDLE *port, void **bufs, OVERLAPPED *ov,
                             blocked_raiser *b, pthread_t *t)
{
    *dev = ht_client(1, HG_OP_BIT(HG_OP_SET_VALUE), HT_LONG_TIMEOUT_MS, HG_FAIL_CLOSED,
                     HG_VERDICT_ALLOW);
    HT_CHECK_R(*dev != INVALID_HANDLE_VALUE, 0);
    *port = CreateIoCompletionPort(*dev, NULL, KEY_DEVICE, 0);
    HT_CHECK_R(*port != NULL, 0);
    for (int i = 0; i < WAITERS; i++) {
        bufs[i] = malloc(HT_EVENTS_BYTES);
        HT_CHECK_R(ht_park(*dev, &ov[i], bufs[i]), 0);
    }
    for (int i = 0; i < WAITERS; i++)
        HT_CHECK_R(pthread_create(&t[i], NULL, raise_and_wait, &b[i]) == 0, 0);
    /* All waiting, and every event handed out (a waiter is counted just
     * before its event is delivered). */
    HT_CHECK_R(ht_wait_stats(waiting_and_delivered, WAITERS), 0);
    return 1;
}

static void check_released(blocked_raiser *b, pthread_t *t, void **bufs)
{
    for (int i = 0; i < WAITERS; i++) {
        pthread_join(t[i], NULL);
        HT_CHECK_T(b[i].status == HG_SIM_STATUS_SUCCESS); /* the default, not fail-closed */
        HT_CHECK_T(b[i].elapsed_ms < RELEASED_WITHIN_MS);
        free(bufs[i]);
    }
    HG_STATS s = ht_stats();
    HT_CHECK_T(s.pending_waiters == 0 && s.timed_out == 0 && s.client_bound == 0);
}

HT_TEST(mt_close_with_callers_waiting_releases_them_all)
{
    HANDLE dev, port;
    void *bufs[WAITERS];
    OVERLAPPED ov[WAITERS];
    blocked_raiser b[WAITERS];
    pthread_t t[WAITERS];
    if (!waiters_on_client(&dev, &port, bufs, ov, b, t))
        return;
    HT_CHECK(CloseHandle(dev));
    check_released(b, t, bufs);
    /* Every parked request completed exactly once: with events (a batch may
     * carry several) or cancelled by the close. */
    OVERLAPPED_ENTRY e[WAITERS + 1];
    ULONG n = 0;
    HT_CHECK(GetQueuedCompletionStatusEx(port, e, WAITERS + 1, &n, 0, 0));
    HT_CHECK(n == WAITERS);
    int with_events = 0;
    for (ULONG i = 0; i < n; i++) {
        HT_CHECK(e[i].Internal == HG_STATUS_SUCCESS || e[i].Internal == HG_STATUS_CANCELLED);
        with_events += e[i].Internal == HG_STATUS_SUCCESS;
    }
    HT_CHECK(with_events >= 1);
    HT_CHECK(CloseHandle(port));
}

HT_TEST(mt_process_exit_closes_everything_and_releases_callers)
{
    HANDLE dev, port;
    void *bufs[WAITERS];
    OVERLAPPED ov[WAITERS];
    blocked_raiser b[WAITERS];
    pthread_t t[WAITERS];
    if (!waiters_on_client(&dev, &port, bufs, ov, b, t))
        return;
    /* One more request parked and never completed: exit cancels it. */
    void *extra = malloc(HT_EVENTS_BYTES);
    OVERLAPPED ov_extra;
    HT_CHECK(ht_park(dev, &ov_extra, extra));
    hg_sim_process_exit(hg_sim_current_process_key());
    check_released(b, t, bufs);
    HT_CHECK(ov_extra.Internal == HG_STATUS_CANCELLED);
    DWORD got;
    HT_CHECK_ERR(!DeviceIoControl(dev, HG_IOCTL_STATS, NULL, 0, NULL, 0, &got, &ov_extra),
                 ERROR_INVALID_HANDLE);
    ULONG_PTR key;
    OVERLAPPED *done;
    HT_CHECK_ERR(!GetQueuedCompletionStatus(port, &got, &key, &done, 0), ERROR_INVALID_HANDLE);
    /* The process may open the device again. */
    HANDLE again = ht_open(0);
    HT_CHECK(again != INVALID_HANDLE_VALUE);
    HT_CHECK(CloseHandle(again));
    free(extra);
}

HT_TEST(mt_reset_unloads_releases_and_reloads)
{
    HANDLE dev, port;
    void *bufs[WAITERS];
    OVERLAPPED ov[WAITERS];
    blocked_raiser b[WAITERS];
    pthread_t t[WAITERS];
    if (!waiters_on_client(&dev, &port, bufs, ov, b, t))
        return;
    HANDLE probe = ht_open(1);
    HT_CHECK_ERR(probe == INVALID_HANDLE_VALUE, ERROR_SHARING_VIOLATION);
    void *extra = malloc(HT_EVENTS_BYTES);
    OVERLAPPED ov_extra;
    HT_CHECK(ht_park(dev, &ov_extra, extra));

    hg_sim_reset(HG_VERDICT_ALLOW);
    check_released(b, t, bufs);
    /* The parked request was cancelled and its packet reached the port,
     * which is not the driver's and survives the unload. */
    DWORD bytes;
    ULONG_PTR key;
    OVERLAPPED *done = NULL;
    HT_CHECK(ov_extra.Internal == HG_STATUS_CANCELLED);
    for (int i = 0; i <= WAITERS; i++) {
        BOOL ok = GetQueuedCompletionStatus(port, &bytes, &key, &done, 0);
        HT_CHECK(done != NULL);
        HT_CHECK(ok || GetLastError() == ERROR_OPERATION_ABORTED);
        if (done == &ov_extra)
            HT_CHECK(!ok);
    }
    /* The old handle died with the old instance. */
    HT_CHECK_ERR(!DeviceIoControl(dev, HG_IOCTL_STATS, NULL, 0, NULL, 0, &bytes, &ov_extra),
                 ERROR_INVALID_HANDLE);
    HG_STATS s = ht_stats();
    HT_CHECK(s.raised == 0 && s.client_bound == 0);

    HANDLE h1 = ht_open(0);
    HT_CHECK(h1 != INVALID_HANDLE_VALUE);
    uint64_t id1 = ht_hello(h1, 0);
    HT_CHECK(id1 != 0);
    HT_CHECK(CloseHandle(h1));
    hg_sim_reset(0);
    HANDLE h2 = ht_open(0);
    HT_CHECK(h2 != INVALID_HANDLE_VALUE);
    uint64_t id2 = ht_hello(h2, 0);
    HT_CHECK(id2 != 0 && id2 != id1);
    HT_CHECK(CloseHandle(h2));
    HT_CHECK(CloseHandle(port));
    free(extra);
}
