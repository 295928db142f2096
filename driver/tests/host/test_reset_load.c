/*
 * test_reset_load.c - hg_sim_reset (driver unload + reload) while registry
 * callers raise from several threads and an agent keeps reconnecting: the
 * unload's rundown must neither hang nor let anything touch a destroyed
 * instance (TSan/ASan see to the second).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ht_device.h"

#define RL_RAISERS      4
#define RL_RESETS       10
#define RL_SLOTS        2
#define RL_TIMEOUT_MS   50u
#define RL_BETWEEN_MS   10u
#define RL_POLL_MS      5u
#define RL_KEY          0x4E5Eu

static atomic_int g_rl_stop;
static atomic_int g_rl_bad;
static atomic_long g_rl_raised;
static atomic_int g_rl_sessions;

/* Counts an unexpected outcome and says where, with the last error. */
#define RL_BAD() rl_bad(__LINE__, GetLastError())
static void rl_bad(int line, DWORD err)
{
    fprintf(stderr, "    test_reset_load.c:%d: unexpected outcome, last error %u\n", line,
            (unsigned)err);
    atomic_fetch_add(&g_rl_bad, 1);
}

/* What a call on a handle that a reset is closing may get: the handle is
 * gone (ERROR_INVALID_HANDLE), or the request reached the driver just after
 * the client was unbound (ERROR_BAD_COMMAND, STATUS_INVALID_DEVICE_STATE). */
static int closed_under_us(DWORD err)
{
    return err == ERROR_INVALID_HANDLE || err == ERROR_BAD_COMMAND;
}

static void *rl_raiser(void *arg)
{
    uintptr_t index = (uintptr_t)arg;
    long n = 0;
    while (!atomic_load(&g_rl_stop)) {
        uint32_t st = hg_sim_raise(HG_OP_SET_VALUE, HT_OTHER_PROCESS + index, HT_OTHER_PID, index,
                                   1, 0, L"\\REGISTRY\\MACHINE\\SOFTWARE\\Reload", L"v", NULL, NULL,
                                   NULL, 4, &n, sizeof n);
        if (st != HG_SIM_STATUS_SUCCESS && st != HG_SIM_STATUS_ACCESS_DENIED)
            RL_BAD();
        n++;
    }
    atomic_fetch_add(&g_rl_raised, n);
    return NULL;
}

/* One agent life: connect, pump until the handle dies under a reset (or the
 * test ends), drain every packet, and let go of everything. */
static void rl_session(void)
{
    HANDLE dev = ht_client(1, HG_OP_BIT(HG_OP_SET_VALUE), RL_TIMEOUT_MS, HG_FAIL_CLOSED,
                           HG_VERDICT_ALLOW);
    if (dev == INVALID_HANDLE_VALUE) {
        /* A reset closed it between open and CONFIGURE: that is the point. */
        if (!closed_under_us(GetLastError()))
            RL_BAD();
        return;
    }
    HANDLE port = CreateIoCompletionPort(dev, NULL, RL_KEY, 0);
    if (port == NULL) {
        if (!closed_under_us(GetLastError()))
            RL_BAD();
        CloseHandle(dev);
        return;
    }
    atomic_fetch_add(&g_rl_sessions, 1);
    void *buf[RL_SLOTS];
    OVERLAPPED ov[RL_SLOTS];
    int outstanding = 0, alive = 1;
    for (int i = 0; i < RL_SLOTS; i++) {
        buf[i] = malloc(HT_EVENTS_BYTES);
        memset(&ov[i], 0, sizeof ov[i]);
        DWORD got;
        if (DeviceIoControl(dev, HG_IOCTL_GET_EVENTS, NULL, 0, buf[i], HT_EVENTS_BYTES, &got, &ov[i]) ||
            GetLastError() == ERROR_IO_PENDING)
            outstanding++;
    }
    while (outstanding > 0) {
        DWORD bytes;
        ULONG_PTR key;
        OVERLAPPED *done = NULL;
        BOOL ok = GetQueuedCompletionStatus(port, &bytes, &key, &done, RL_POLL_MS);
        if (done == NULL) {
            if (GetLastError() != WAIT_TIMEOUT)
                RL_BAD();
            if (atomic_load(&g_rl_stop) && alive) {
                alive = 0;
                CloseHandle(dev); /* the test is over: cancel what is parked */
            }
            continue;
        }
        outstanding--;
        int slot = done == &ov[0] ? 0 : 1;
        if (ok) {
            ht_event_view ev[HT_MAX_BATCH_EVENTS];
            int n = ht_batch_events(buf[slot], bytes, ev, HT_MAX_BATCH_EVENTS);
            if (n <= 0)
                RL_BAD();
            for (int i = 0; i < n; i++) {
                if (ev[i].h->flags & HG_EVENT_F_VERDICT_REQUESTED)
                    (void)ht_reply(dev, 1, ev[i].h->id, HG_VERDICT_ALLOW, NULL);
            }
        } else if (GetLastError() != ERROR_OPERATION_ABORTED) {
            RL_BAD();
        }
        if (!alive)
            continue;
        memset(&ov[slot], 0, sizeof ov[slot]);
        DWORD got;
        if (DeviceIoControl(dev, HG_IOCTL_GET_EVENTS, NULL, 0, buf[slot], HT_EVENTS_BYTES, &got,
                            &ov[slot]) || GetLastError() == ERROR_IO_PENDING) {
            outstanding++;
        } else {
            /* The reset closed the handle: drain what is left, then reconnect. */
            if (!closed_under_us(GetLastError()))
                RL_BAD();
            alive = 0;
        }
    }
    if (alive)
        CloseHandle(dev);
    CloseHandle(port);
    for (int i = 0; i < RL_SLOTS; i++)
        free(buf[i]);
}

static void *rl_agent(void *arg)
{
    (void)arg;
    while (!atomic_load(&g_rl_stop))
        rl_session();
    return NULL;
}

HT_TEST(mt_reset_under_load)
{
    atomic_store(&g_rl_stop, 0);
    atomic_store(&g_rl_bad, 0);
    atomic_store(&g_rl_raised, 0);
    atomic_store(&g_rl_sessions, 0);
    pthread_t raisers[RL_RAISERS], agent;
    for (uintptr_t i = 0; i < RL_RAISERS; i++)
        HT_CHECK(pthread_create(&raisers[i], NULL, rl_raiser, (void *)i) == 0);
    HT_CHECK(pthread_create(&agent, NULL, rl_agent, NULL) == 0);

    for (int i = 0; i < RL_RESETS; i++) {
        ht_sleep_ms(RL_BETWEEN_MS);
        hg_sim_reset((i & 1) ? HG_VERDICT_BLOCK : HG_VERDICT_ALLOW);
    }
    atomic_store(&g_rl_stop, 1);
    pthread_join(agent, NULL);
    for (int i = 0; i < RL_RAISERS; i++)
        pthread_join(raisers[i], NULL);

    HT_CHECK(atomic_load(&g_rl_bad) == 0);
    HT_CHECK(atomic_load(&g_rl_raised) > 0);
    HT_CHECK(atomic_load(&g_rl_sessions) >= 1);
    HG_STATS s = ht_stats();
    HT_CHECK(s.pending_waiters == 0 && s.parked_requests == 0 && s.client_bound == 0);
    HT_CHECK(s.raised == s.filtered_out + s.delivered + s.dropped);
}
