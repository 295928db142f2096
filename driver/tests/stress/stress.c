/*
 * stress.c - the core under concurrency, built with ThreadSanitizer.
 *
 * Each run: RAISERS threads raise OPS_PER_RUN operations in total (a mix of
 * verdict-waiting, notification-only, unsubscribed, prefix-excluded,
 * pid-excluded and self-excluded operations), CONSUMERS threads park
 * GET_EVENTS requests, read batches, reply (sometimes late, twice or never)
 * and randomly cancel their parked request; in the "disconnect" runs a
 * controller thread closes and re-opens the client mid-flight and
 * reconfigures it. After every run it checks:
 *   - every raiser returned, and raised == operations issued;
 *   - raised == filtered_out + delivered + dropped, nothing pending;
 *   - every GET_EVENTS that pended was completed exactly once;
 *   - a BLOCK only ever reached a caller whose event the consumers blocked,
 *     and the blocked counter equals the BLOCKs callers saw.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support.h"

#define RAISERS          8
#define CONSUMERS        3
#define OPS_PER_RUN      100000u
#define EXCLUDED_PID     4u
#define BLOCK_EVERY_TID  5u       /* consumers block events whose tid % 5 == 0 */
#define VERDICT_TIMEOUT_MS 40u
#define CONSUMER_WAIT_MS 20u
#define BATCH_BYTES      (HG_GET_EVENTS_MIN_BYTES * 2u)

typedef struct run_config {
    const char *name;
    int         disconnects;  /* controller closes/re-opens the client */
    uint32_t    max_backlog;
    uint32_t    cancel_one_in;
} run_config;

typedef struct shared {
    hg_core          *core;
    const run_config *cfg;
    atomic_int        raisers_left;
    atomic_ulong      ops_returned;
    atomic_ulong      blocks_seen;
    atomic_ulong      wrong_blocks;
    atomic_ulong      tid_counter;
    atomic_long       pended;      /* GET_EVENTS that returned PENDING */
    atomic_long       completed;   /* ... and were then completed */
} shared;

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void sleep_us(long us)
{
    struct timespec ts = { us / 1000000L, (us % 1000000L) * 1000L };
    nanosleep(&ts, NULL);
}

static size_t encode_config(unsigned char *buf, size_t cap, uint32_t max_backlog)
{
    static const cfg_prefix prefixes[] = {
        { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_MASK_ALL, 0, HG_FAIL_INHERIT, "\\REGISTRY\\MACHINE\\SOFTWARE" },
        { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, HG_FAIL_INHERIT, "\\REGISTRY\\USER" },
        { HG_PREFIX_EXCLUDE, 0, HG_OP_MASK_ALL, 0, HG_FAIL_INHERIT, "\\REGISTRY\\MACHINE\\SOFTWARE\\Noise" },
    };
    static const uint64_t pids[] = { EXCLUDED_PID };
    HG_CONFIG_HEADER h;

    cfg_defaults(&h);
    h.op_mask = HG_OP_MASK_ALL & ~HG_OP_BIT(HG_OP_OPEN_KEY);
    h.verdict_op_mask = HG_OP_BIT(HG_OP_SET_VALUE) | HG_OP_BIT(HG_OP_DELETE_KEY);
    h.timeout_ms = VERDICT_TIMEOUT_MS;
    h.fail_mode = HG_FAIL_OPEN;
    h.default_verdict = HG_VERDICT_ALLOW;
    h.max_backlog = max_backlog;
    h.data_cap = 64;
    /* Excluded pids are translated at CONFIGURE: the process must run. */
    processes_start(pids, 1);
    return cfg_encode(buf, cap, &h, prefixes, 3, pids, 1);
}

static int bind_client(hg_core *core, uint32_t max_backlog)
{
    unsigned char buf[1024];
    size_t len = encode_config(buf, sizeof buf, max_backlog);

    if (hg_core_open(core, TEST_CLIENT_KEY) != HG_STATUS_SUCCESS)
        return -1;
    if (fixture_hello(core, TEST_CLIENT_KEY) != HG_STATUS_SUCCESS)
        return -1;
    return hg_core_configure(core, TEST_CLIENT_KEY, buf, len) == HG_STATUS_SUCCESS ? 0 : -1;
}

static void *raiser_main(void *arg)
{
    shared *sh = arg;
    static const char *paths[] = {
        "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
        "\\REGISTRY\\MACHINE\\SOFTWARE\\Noise\\Counter",
        "\\REGISTRY\\USER\\S-1-5-21-1\\Software\\Vendor",
        "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services",
    };
    static const uint16_t ops[] = { HG_OP_SET_VALUE, HG_OP_DELETE_KEY, HG_OP_CREATE_KEY,
                                    HG_OP_OPEN_KEY, HG_OP_RENAME_KEY, HG_OP_DELETE_VALUE };
    uint64_t seed = ((uint64_t)(uintptr_t)&seed ^ (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull) | 1u;
    uint32_t quota = OPS_PER_RUN / RAISERS, i;
    const char data[] = "stress-data-0123456789";

    for (i = 0; i < quota; i++) {
        uint64_t r = xorshift(&seed);
        hg_raise_result res;
        hg_op op;
        uint64_t tid = atomic_fetch_add(&sh->tid_counter, 1) + 1;

        top_init(&op, ops[r % 6], 100 + (r >> 8) % 50);
        op.tid = tid;
        if ((r >> 16) % 50 == 0) {
            op.pid = EXCLUDED_PID;
            op.process_key = TEST_PROCESS_KEY(EXCLUDED_PID);
        }
        if ((r >> 24) % 40 == 0)
            op.process_key = TEST_CLIENT_KEY; /* the agent's own operation */
        if ((r >> 32) % 3 == 0) {
            /* SET_VALUE carries data, the rest with a chance of unreadable */
            raise_path(sh->core, &op, paths[(r >> 40) % 4], data, sizeof data, &res);
        } else {
            raise_path(sh->core, &op, paths[(r >> 40) % 4], NULL, 0, &res);
        }
        if (res.verdict == HG_VERDICT_BLOCK) {
            atomic_fetch_add(&sh->blocks_seen, 1);
            if (tid % BLOCK_EVERY_TID != 0)
                atomic_fetch_add(&sh->wrong_blocks, 1);
        }
        atomic_fetch_add(&sh->ops_returned, 1);
        if ((r >> 48) % 64 == 0)
            sleep_us(50); /* let consumers park, so more callers really wait */
    }
    atomic_fetch_sub(&sh->raisers_left, 1);
    return NULL;
}

/* Replies to every verdict request in the batch (with a few deliberate
 * duplicates, unknown ids and silences). */
static void answer_batch(shared *sh, const unsigned char *buf, uint64_t *seed)
{
    static _Thread_local struct { HG_REPLY_HEADER h; HG_REPLY_ENTRY e[HG_REPLY_MAX_ENTRIES]; } m;
    const HG_BATCH_HEADER *b = (const HG_BATCH_HEADER *)(const void *)buf;
    uint32_t i, n = 0;
    size_t w;
    HG_REPLY_RESULT res;

    for (i = 0; i < b->count && n + 2 < HG_REPLY_MAX_ENTRIES; i++) {
        const HG_EVENT_HEADER *e = batch_event(buf, i);
        uint64_t r = xorshift(seed);

        if (!(e->flags & HG_EVENT_F_VERDICT_REQUESTED))
            continue;
        if (r % 100 == 0)
            continue; /* never answered: the caller times out */
        m.e[n].id = e->id;
        m.e[n].verdict = (e->tid % BLOCK_EVERY_TID == 0) ? HG_VERDICT_BLOCK : HG_VERDICT_ALLOW;
        m.e[n].reserved = 0;
        n++;
        if (r % 50 == 1) {
            m.e[n] = m.e[n - 1]; /* duplicate within the message */
            n++;
        }
        if (r % 70 == 2) {
            m.e[n] = m.e[n - 1];
            m.e[n].id += 1000000u; /* unknown */
            n++;
        }
    }
    if (n == 0)
        return;
    if (xorshift(seed) % 200 == 0)
        sleep_us((VERDICT_TIMEOUT_MS + 10u) * 1000L); /* a slow agent: these answers arrive late */
    m.h.magic = HG_WIRE_MAGIC;
    m.h.count = n;
    (void)hg_core_reply(sh->core, TEST_CLIENT_KEY, &m, sizeof m.h + n * sizeof m.e[0], &res, sizeof res, &w);
}

static void *consumer_main(void *arg)
{
    shared *sh = arg;
    test_request *t = treq_new(sh->core, BATCH_BYTES);
    uint64_t seed = (uint64_t)(uintptr_t)t | 1u;

    while (atomic_load(&sh->raisers_left) > 0) {
        size_t w = 0;
        uint32_t st;

        treq_reset(t);
        st = hg_core_get_events(sh->core, TEST_CLIENT_KEY, &t->req, &w);
        if (st == HG_STATUS_SUCCESS) {
            answer_batch(sh, t->buffer, &seed);
            continue;
        }
        if (st != HG_STATUS_PENDING) {
            sleep_us(200); /* not bound right now (controller is reconnecting) */
            continue;
        }
        atomic_fetch_add(&sh->pended, 1);
        if (sh->cfg->cancel_one_in && xorshift(&seed) % sh->cfg->cancel_one_in == 0) {
            sleep_us((long)(xorshift(&seed) % 300));
            treq_cancel(t);
        }
        while (!treq_wait(t, CONSUMER_WAIT_MS)) {
            if (atomic_load(&sh->raisers_left) == 0)
                treq_cancel(t); /* the run is over: take the request back */
        }
        if (treq_completions(t) != 1) {
            fprintf(stderr, "request completed %d times\n", treq_completions(t));
            abort();
        }
        atomic_fetch_add(&sh->completed, 1);
        if (t->status == HG_STATUS_SUCCESS)
            answer_batch(sh, t->buffer, &seed);
    }
    treq_free(t);
    return NULL;
}

static void *controller_main(void *arg)
{
    shared *sh = arg;
    uint64_t seed = 0x9E3779B97F4A7C15ull;

    while (atomic_load(&sh->raisers_left) > 0) {
        sleep_us(2000 + (long)(xorshift(&seed) % 8000));
        hg_core_close(sh->core, TEST_CLIENT_KEY);
        sleep_us((long)(xorshift(&seed) % 1000));
        if (bind_client(sh->core, sh->cfg->max_backlog) != 0) {
            fprintf(stderr, "rebind failed\n");
            abort();
        }
    }
    return NULL;
}

static int run_once(const run_config *cfg)
{
    hg_core_params params = { .no_client_verdict = HG_VERDICT_ALLOW, .capabilities = HG_CAP_SIMULATOR, .instance_id = 77 };
    pthread_t raisers[RAISERS], consumers[CONSUMERS], controller;
    shared sh;
    HG_STATS s;
    int i, failed = 0;

    memset(&sh, 0, sizeof sh);
    sh.cfg = cfg;
    atomic_store(&sh.raisers_left, RAISERS);
    if (hg_core_create(&params, &sh.core) != HG_STATUS_SUCCESS || bind_client(sh.core, cfg->max_backlog) != 0) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    for (i = 0; i < CONSUMERS; i++)
        pthread_create(&consumers[i], NULL, consumer_main, &sh);
    if (cfg->disconnects)
        pthread_create(&controller, NULL, controller_main, &sh);
    for (i = 0; i < RAISERS; i++)
        pthread_create(&raisers[i], NULL, raiser_main, &sh);
    for (i = 0; i < RAISERS; i++)
        pthread_join(raisers[i], NULL);
    if (cfg->disconnects)
        pthread_join(controller, NULL);
    for (i = 0; i < CONSUMERS; i++)
        pthread_join(consumers[i], NULL);

    /* Quiesce: the backlog is discarded (counted dropped) at close. */
    hg_core_close(sh.core, TEST_CLIENT_KEY);
    hg_core_get_stats(sh.core, &s);

#define EXPECT(cond)                                                      \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "  %s: FAILED %s\n", cfg->name, #cond);       \
            failed = 1;                                                   \
        }                                                                 \
    } while (0)
    EXPECT(atomic_load(&sh.ops_returned) == OPS_PER_RUN);
    EXPECT(s.raised == OPS_PER_RUN);
    EXPECT(s.raised == s.filtered_out + s.delivered + s.dropped);
    EXPECT(s.pending_waiters == 0);
    EXPECT(s.parked_requests == 0);
    EXPECT(s.backlog_events == 0 && s.backlog_bytes == 0);
    EXPECT(atomic_load(&sh.pended) == atomic_load(&sh.completed));
    EXPECT(atomic_load(&sh.wrong_blocks) == 0);
    EXPECT(atomic_load(&sh.blocks_seen) == s.blocked);
    EXPECT(s.timed_out == s.fail_open_applied + s.fail_closed_applied);
    EXPECT(s.self_excluded > 0 && s.delivered > 0);
    printf("%-12s raised=%" PRIu64 " filtered=%" PRIu64 " (self=%" PRIu64 " no_client=%" PRIu64 ") delivered=%" PRIu64
           " dropped=%" PRIu64 " waited=%" PRIu64 " accepted=%" PRIu64 " late=%" PRIu64 " dup=%" PRIu64
           " unknown=%" PRIu64 " timed_out=%" PRIu64 " defaults=%" PRIu64 " blocked=%" PRIu64 " batches=%" PRIu64
           " gets_pended=%ld %s\n",
           cfg->name, s.raised, s.filtered_out, s.self_excluded, s.no_client, s.delivered, s.dropped,
           s.verdicts_requested, s.replies_accepted, s.replies_late, s.replies_duplicate, s.replies_unknown,
           s.timed_out, s.defaults_applied, s.blocked, s.batches, atomic_load(&sh.pended),
           failed ? "FAILED" : "ok");
    hg_core_destroy(sh.core);
    return failed;
}

int main(void)
{
    static const run_config runs[] = {
        { "steady", 0, HG_BACKLOG_DEFAULT, 0 },
        { "cancels", 0, HG_BACKLOG_DEFAULT, 7 },
        { "disconnects", 1, HG_BACKLOG_DEFAULT, 11 },
        { "pressure", 1, HG_BACKLOG_MIN, 5 },
    };
    size_t i, passed = 0, failed = 0;

    for (i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        if (run_once(&runs[i]) == 0)
            passed++;
        else
            failed++;
        fflush(stdout);
    }
    printf("%zu passed, %zu failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
