/*
 * test_flood.c - a flood cannot buy an unjudged protected write (issue 9,
 * item 1).
 *
 * An unprivileged process that floods a delivered prefix (here HKCU) keeps the
 * backlog full and the agent's parked requests busy. Before the fix every
 * verdict-requested operation that found nothing parked, or a full backlog,
 * got the configuration's default at once, so a protected write racing the
 * flood went through unjudged. Here 16 threads flood audit-only and
 * verdict-requested operations while one thread makes a protected write every
 * millisecond, and a C agent (one pump thread, batched replies) answers:
 *   - every protected write is blocked: by the agent (it blocks them all) or by
 *     the rule's fail mode (closed); the default (allow) never applies;
 *   - every verdict-requested event is accounted for:
 *       verdicts_requested == replies_accepted + timed_out
 *     and the outcomes nobody waited for are counted where STATS says;
 *   - once quiet, raised == filtered_out + delivered + dropped exactly, and
 *     raised equals what the threads raised.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "ht_device.h"

#define FLOOD_THREADS        16
#define FLOOD_PROTECTED      400     /* one per ms */
#define FLOOD_TIMEOUT_MS     2000u   /* generous: the agent answers well within it */
#define FLOOD_KEY_PORT       0xF100u
#define FLOOD_SLOTS          2
#define FLOOD_PROCESS_BASE   0x7000u /* flooding processes; never the client */
#define FLOOD_PROTECTED_PROC 0x7F00u

static const wchar_t *const k_flood_key = L"\\REGISTRY\\USER\\S-1-5-21-1-2-3-1001\\Software\\Flood";
static const wchar_t *const k_protected_key =
    L"\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run";

typedef struct flood_agent {
    HANDLE     dev, port;
    void      *buf[FLOOD_SLOTS];
    OVERLAPPED ov[FLOOD_SLOTS];
    atomic_int stop;
    atomic_long protected_judged; /* protected events the agent answered (accepted) */
    atomic_long accepted;
} flood_agent;

static atomic_int  g_flood_stop;
static atomic_long g_flood_raised;
static atomic_int  g_flood_bad_status;

/* Replies to every verdict-requested event of one batch in one REPLY. */
static void agent_answer(flood_agent *a, const ht_event_view *ev, int n)
{
    size_t bytes = sizeof(HG_REPLY_HEADER) + (size_t)n * sizeof(HG_REPLY_ENTRY);
    unsigned char *msg = calloc(1, bytes);
    HG_REPLY_HEADER hdr = { 0 };
    uint32_t count = 0;
    long protected_here = 0;

    HT_CHECK_T(msg != NULL);
    if (msg == NULL)
        return;
    for (int i = 0; i < n; i++) {
        if (!(ev[i].h->flags & HG_EVENT_F_VERDICT_REQUESTED))
            continue;
        HG_REPLY_ENTRY e = { 0 };
        int is_protected = ht_utf16_eq(ev[i].value_name, ev[i].h->value_name_bytes, L"Protected");
        e.id = ev[i].h->id;
        e.verdict = is_protected ? HG_VERDICT_BLOCK : HG_VERDICT_ALLOW;
        memcpy(msg + sizeof hdr + (size_t)count * sizeof e, &e, sizeof e);
        count++;
        protected_here += is_protected;
    }
    if (count != 0) {
        HG_REPLY_RESULT res;
        DWORD got = 0;
        hdr.magic = HG_WIRE_MAGIC;
        hdr.count = count;
        memcpy(msg, &hdr, sizeof hdr);
        HT_CHECK_T(ht_ioctl(a->dev, 1, HG_IOCTL_REPLY, msg,
                            (DWORD)(sizeof hdr + (size_t)count * sizeof(HG_REPLY_ENTRY)),
                            &res, sizeof res, &got));
        /* A waiter may have timed out just before: late, never unknown/duplicate. */
        HT_CHECK_T(res.unknown == 0 && res.duplicate == 0);
        atomic_fetch_add(&a->accepted, (long)res.accepted);
        if (res.late == 0)
            atomic_fetch_add(&a->protected_judged, protected_here);
    }
    free(msg);
}

static void *flood_agent_pump(void *arg)
{
    flood_agent *a = arg;
    ht_event_view *ev = malloc(sizeof *ev * HT_MAX_BATCH_EVENTS);

    HT_CHECK_T(ev != NULL);
    for (;;) {
        DWORD bytes = 0;
        ULONG_PTR key = 0;
        OVERLAPPED *done = NULL;
        BOOL ok = GetQueuedCompletionStatus(a->port, &bytes, &key, &done, INFINITE);
        if (done == NULL)
            break; /* port closed */
        int slot = done == &a->ov[0] ? 0 : 1;
        if (!ok)
            continue; /* cancelled at close */
        int n = ht_batch_events(a->buf[slot], bytes, ev, HT_MAX_BATCH_EVENTS);
        HT_CHECK_T(n > 0);
        if (n > 0 && ev != NULL)
            agent_answer(a, ev, n);
        if (atomic_load(&a->stop))
            continue;
        memset(&a->ov[slot], 0, sizeof a->ov[slot]);
        DWORD got;
        if (!DeviceIoControl(a->dev, HG_IOCTL_GET_EVENTS, NULL, 0, a->buf[slot], HT_EVENTS_BYTES,
                             &got, &a->ov[slot]))
            HT_CHECK_T(GetLastError() == ERROR_IO_PENDING);
    }
    free(ev);
    return NULL;
}

/* Flooders on one HKCU key, as fast as the core lets them: even threads raise
 * an audit-only class (CREATE_KEY, never waits, fills the backlog), odd ones a
 * verdict class (SET_VALUE, waits for the agent). */
static void *flooder(void *arg)
{
    uint64_t index = (uint64_t)(uintptr_t)arg;
    long raised = 0;
    for (uint32_t i = 0; !atomic_load(&g_flood_stop); i++) {
        uint32_t op = (index & 1u) ? HG_OP_SET_VALUE : HG_OP_CREATE_KEY;
        uint32_t st = hg_sim_raise(op, FLOOD_PROCESS_BASE + index, 5000 + index, i, 1, 0,
                                   k_flood_key, L"Noise", NULL, NULL, NULL, 4, &i, sizeof i);
        if (st != HG_SIM_STATUS_SUCCESS && st != HG_SIM_STATUS_ACCESS_DENIED)
            atomic_fetch_add(&g_flood_bad_status, 1);
        raised++;
    }
    atomic_fetch_add(&g_flood_raised, raised);
    return NULL;
}

HT_TEST(flood_cannot_unjudge_a_protected_write)
{
    flood_agent a;
    pthread_t pump, t[FLOOD_THREADS];
    long allowed = 0, denied = 0;

    memset(&a, 0, sizeof a);
    atomic_store(&g_flood_stop, 0);
    atomic_store(&g_flood_raised, 0);
    atomic_store(&g_flood_bad_status, 0);
    /* Fail closed, default allow: a protected write that came back allowed
     * was judged by nobody. */
    a.dev = ht_client(1, HG_OP_BIT(HG_OP_SET_VALUE), FLOOD_TIMEOUT_MS, HG_FAIL_CLOSED,
                      HG_VERDICT_ALLOW);
    HT_CHECK(a.dev != INVALID_HANDLE_VALUE);
    a.port = CreateIoCompletionPort(a.dev, NULL, FLOOD_KEY_PORT, 0);
    HT_CHECK(a.port != NULL);
    for (int i = 0; i < FLOOD_SLOTS; i++) {
        a.buf[i] = malloc(HT_EVENTS_BYTES);
        HT_CHECK(a.buf[i] != NULL && ht_park(a.dev, &a.ov[i], a.buf[i]));
    }
    HT_CHECK(pthread_create(&pump, NULL, flood_agent_pump, &a) == 0);
    for (int i = 0; i < FLOOD_THREADS; i++)
        HT_CHECK(pthread_create(&t[i], NULL, flooder, (void *)(uintptr_t)i) == 0);

    for (uint32_t i = 0; i < FLOOD_PROTECTED; i++) {
        uint32_t st = hg_sim_raise(HG_OP_SET_VALUE, FLOOD_PROTECTED_PROC, 6666, i, 1, 0,
                                   k_protected_key, L"Protected", NULL, NULL, NULL, 4, &i, sizeof i);
        if (st == HG_SIM_STATUS_ACCESS_DENIED)
            denied++;
        else
            allowed++;
        ht_sleep_ms(1);
    }
    atomic_store(&g_flood_stop, 1);
    for (int i = 0; i < FLOOD_THREADS; i++)
        pthread_join(t[i], NULL);

    /* Quiet now: no raiser is inside. Stop the agent, then read the counters. */
    atomic_store(&a.stop, 1);
    CloseHandle(a.dev);
    CloseHandle(a.port);
    pthread_join(pump, NULL);
    free(a.buf[0]);
    free(a.buf[1]);

    HG_STATS s = ht_stats();
    fprintf(stderr, "    flood: %ld raised by flooders, protected %ld denied / %ld allowed, "
            "%ld judged by the agent; requested %llu accepted %llu timed out %llu "
            "defaults %llu dropped %llu (audit refused %llu, verdict unqueued %llu)\n",
            atomic_load(&g_flood_raised), denied, allowed, atomic_load(&a.protected_judged),
            (unsigned long long)s.verdicts_requested, (unsigned long long)s.replies_accepted,
            (unsigned long long)s.timed_out, (unsigned long long)s.defaults_applied,
            (unsigned long long)s.dropped, (unsigned long long)s.audit_refused,
            (unsigned long long)s.verdict_unqueued);
    HT_CHECK(atomic_load(&g_flood_bad_status) == 0);
    HT_CHECK(allowed == 0 && denied == FLOOD_PROTECTED);
    HT_CHECK(atomic_load(&g_flood_raised) > FLOOD_PROTECTED); /* it was a flood */
    HT_CHECK(s.raised == (uint64_t)atomic_load(&g_flood_raised) + FLOOD_PROTECTED);
    HT_CHECK(s.raised == s.filtered_out + s.delivered + s.dropped);
    HT_CHECK(s.defaults_applied == 0);
    /* Only audit-only events were turned away; every verdict event queued. */
    HT_CHECK(s.verdict_unqueued == 0 && s.name_unresolved == 0);
    HT_CHECK(s.audit_refused > 0 && s.dropped >= s.audit_refused);
    HT_CHECK(s.verdicts_requested == s.replies_accepted + s.timed_out);
    HT_CHECK(s.replies_accepted == (uint64_t)atomic_load(&a.accepted));
    HT_CHECK(s.pending_waiters == 0);
}
