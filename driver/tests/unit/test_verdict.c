/* test_verdict.c - the verdict table: waiting callers, replies (accepted,
 * unknown, late, duplicate), REPLY validation, defaults, timeouts, fail
 * modes, release at disconnect and unload. */
#include "tests.h"

#include <pthread.h>
#include <time.h>

typedef struct raiser {
    pthread_t       thread;
    hg_core        *core;
    hg_op           op;
    const char     *path;
    hg_raise_result result;
} raiser;

static void *raiser_main(void *arg)
{
    raiser *r = arg;
    raise_path(r->core, &r->op, r->path, NULL, 0, &r->result);
    return NULL;
}

static void raiser_start(raiser *r, hg_core *core, uint16_t operation, const char *path)
{
    memset(r, 0, sizeof *r);
    r->core = core;
    r->path = path;
    top_init(&r->op, operation, 321);
    pthread_create(&r->thread, NULL, raiser_main, r);
}

static hg_core *verdict_core(uint32_t timeout_ms, uint16_t fail_mode, uint16_t default_verdict,
                             const cfg_prefix *p, size_t n)
{
    static unsigned char buf[1024];
    HG_CONFIG_HEADER h;
    size_t len;

    cfg_defaults(&h);
    h.verdict_op_mask = HG_OP_BIT(HG_OP_SET_VALUE) | HG_OP_BIT(HG_OP_DELETE_KEY);
    h.timeout_ms = timeout_ms;
    h.fail_mode = fail_mode;
    h.default_verdict = default_verdict;
    len = cfg_encode(buf, sizeof buf, &h, p, n, NULL, 0);
    return fixture_configured(buf, len);
}

typedef struct reply_msg {
    HG_REPLY_HEADER h;
    HG_REPLY_ENTRY  e[4];
} reply_msg;

static uint32_t reply(hg_core *core, const uint64_t *ids, const uint32_t *verdicts, uint32_t n,
                      HG_REPLY_RESULT *res)
{
    reply_msg m;
    size_t w;
    uint32_t i;

    memset(&m, 0, sizeof m);
    memset(res, 0, sizeof *res);
    m.h.magic = HG_WIRE_MAGIC;
    m.h.count = n;
    for (i = 0; i < n; i++) {
        m.e[i].id = ids[i];
        m.e[i].verdict = verdicts[i];
    }
    return hg_core_reply(core, TEST_CLIENT_KEY, &m, sizeof m.h + n * sizeof m.e[0], res, sizeof *res, &w);
}

/* Parks a request, starts a raiser, and returns the event it produced. */
static const HG_EVENT_HEADER *park_and_raise(hg_core *core, test_request *t, raiser *r, uint16_t operation)
{
    size_t w;

    treq_reset(t);
    if (hg_core_get_events(core, TEST_CLIENT_KEY, &t->req, &w) != HG_STATUS_PENDING)
        return NULL;
    raiser_start(r, core, operation, "\\REGISTRY\\MACHINE\\SOFTWARE\\Run");
    if (!treq_wait(t, 5000))
        return NULL;
    return batch_event(t->buffer, 0);
}

int test_verdict_accepted_block_and_allow(void)
{
    hg_core *core = verdict_core(10000, HG_FAIL_OPEN, HG_VERDICT_ALLOW, NULL, 0);
    test_request *t = treq_new(core, GE_MIN);
    const HG_EVENT_HEADER *e;
    HG_REPLY_RESULT res;
    raiser r;
    uint64_t id, first_id;
    uint32_t v = HG_VERDICT_BLOCK;

    CHECK(core != NULL && t != NULL);
    CHECK((e = park_and_raise(core, t, &r, HG_OP_SET_VALUE)) != NULL);
    CHECK(e->flags & HG_EVENT_F_VERDICT_REQUESTED);
    CHECK(e->id != 0);
    CHECK_EQ(e->timeout_ms, 10000);
    first_id = id = e->id;
    CHECK_EQ(stats_of(core).pending_waiters, 1);
    CHECK_EQ(reply(core, &id, &v, 1, &res), HG_STATUS_SUCCESS);
    CHECK_EQ(res.accepted, 1);
    pthread_join(r.thread, NULL);
    CHECK_EQ(r.result.verdict, HG_VERDICT_BLOCK);
    CHECK_EQ(r.result.waited, 1);
    CHECK_EQ(r.result.timed_out, 0);

    v = HG_VERDICT_ALLOW;
    CHECK((e = park_and_raise(core, t, &r, HG_OP_DELETE_KEY)) != NULL);
    CHECK(e->id > first_id); /* monotonic */
    id = e->id;
    CHECK_EQ(reply(core, &id, &v, 1, &res), HG_STATUS_SUCCESS);
    pthread_join(r.thread, NULL);
    CHECK_EQ(r.result.verdict, HG_VERDICT_ALLOW);
    {
        HG_STATS s = stats_of(core);
        CHECK_EQ(s.verdicts_requested, 2);
        CHECK_EQ(s.replies_accepted, 2);
        CHECK_EQ(s.blocked, 1);
        CHECK_EQ(s.pending_waiters, 0);
        CHECK_EQ(s.timed_out, 0);
    }
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

int test_verdict_unknown_late_duplicate(void)
{
    hg_core *core = verdict_core(10000, HG_FAIL_OPEN, HG_VERDICT_ALLOW, NULL, 0);
    test_request *t = treq_new(core, GE_MIN);
    const HG_EVENT_HEADER *e;
    HG_REPLY_RESULT res;
    raiser r;
    uint64_t ids[4];
    uint32_t vs[4] = { HG_VERDICT_ALLOW, HG_VERDICT_BLOCK, HG_VERDICT_ALLOW, HG_VERDICT_ALLOW };
    HG_STATS s;

    CHECK(core != NULL && t != NULL);
    /* nothing issued yet: everything unknown */
    ids[0] = 0;
    ids[1] = 1;
    CHECK_EQ(reply(core, ids, vs, 2, &res), HG_STATUS_SUCCESS);
    CHECK_EQ(res.unknown, 2);

    CHECK((e = park_and_raise(core, t, &r, HG_OP_SET_VALUE)) != NULL);
    /* the same id twice in one message, plus one beyond the last issued */
    ids[0] = e->id;
    ids[1] = e->id;
    ids[2] = e->id + 1;
    CHECK_EQ(reply(core, ids, vs, 3, &res), HG_STATUS_SUCCESS);
    CHECK_EQ(res.accepted, 1);
    CHECK_EQ(res.duplicate, 1);
    CHECK_EQ(res.unknown, 1);
    pthread_join(r.thread, NULL);
    CHECK_EQ(r.result.verdict, HG_VERDICT_ALLOW); /* the first entry decided */
    CHECK_EQ(reply(core, ids, vs, 1, &res), HG_STATUS_SUCCESS);
    CHECK_EQ(res.duplicate, 1); /* answered, caller gone */
    s = stats_of(core);
    CHECK_EQ(s.replies_accepted, 1);
    CHECK_EQ(s.replies_duplicate, 2);
    CHECK_EQ(s.replies_unknown, 3);
    CHECK_EQ(s.replies_late, 0);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

int test_verdict_timeout_fail_closed_then_late(void)
{
    hg_core *core = verdict_core(30, HG_FAIL_CLOSED, HG_VERDICT_ALLOW, NULL, 0);
    test_request *t = treq_new(core, GE_MIN);
    const HG_EVENT_HEADER *e;
    HG_REPLY_RESULT res;
    raiser r;
    uint64_t ids[2];
    uint32_t vs[2] = { HG_VERDICT_ALLOW, HG_VERDICT_ALLOW };
    HG_STATS s;

    CHECK(core != NULL && t != NULL);
    CHECK((e = park_and_raise(core, t, &r, HG_OP_SET_VALUE)) != NULL);
    ids[0] = e->id;
    ids[1] = e->id;
    pthread_join(r.thread, NULL);
    CHECK_EQ(r.result.verdict, HG_VERDICT_BLOCK);
    CHECK_EQ(r.result.timed_out, 1);
    CHECK_EQ(reply(core, ids, vs, 2, &res), HG_STATUS_SUCCESS);
    CHECK_EQ(res.late, 1);
    CHECK_EQ(res.duplicate, 1); /* a second answer to a late id */
    s = stats_of(core);
    CHECK_EQ(s.timed_out, 1);
    CHECK_EQ(s.fail_closed_applied, 1);
    CHECK_EQ(s.fail_open_applied, 0);
    CHECK_EQ(s.blocked, 1);
    CHECK_EQ(s.replies_late, 1);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

int test_verdict_prefix_overrides_timeout_and_fail_mode(void)
{
    static const cfg_prefix p[] = {
        { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_MASK_ALL, 25, HG_FAIL_CLOSED, "\\REGISTRY\\MACHINE\\SOFTWARE\\Run" },
        { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_MASK_ALL, 0, HG_FAIL_INHERIT, "\\REGISTRY" },
    };
    hg_core *core = verdict_core(20, HG_FAIL_OPEN, HG_VERDICT_ALLOW, p, 2);
    test_request *t = treq_new(core, GE_MIN);
    const HG_EVENT_HEADER *e;
    raiser r;

    CHECK(core != NULL && t != NULL);
    CHECK((e = park_and_raise(core, t, &r, HG_OP_SET_VALUE)) != NULL);
    CHECK_EQ(e->timeout_ms, 25);
    pthread_join(r.thread, NULL);
    CHECK_EQ(r.result.timed_out, 1);
    CHECK_EQ(r.result.verdict, HG_VERDICT_BLOCK);
    CHECK_EQ(stats_of(core).fail_closed_applied, 1);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

static void sleep_1ms(void)
{
    struct timespec ts = { 0, 1000000L };
    nanosleep(&ts, NULL);
}

/* Nothing parked is no reason to skip the agent: the caller waits (bounded)
 * until a GET_EVENTS takes the event and the reply comes. Never the default. */
int test_verdict_waits_when_nothing_parked(void)
{
    hg_core *core = verdict_core(10000, HG_FAIL_OPEN, HG_VERDICT_ALLOW, NULL, 0);
    test_request *t = treq_new(core, GE_MIN);
    const HG_EVENT_HEADER *e;
    HG_REPLY_RESULT res;
    raiser r;
    uint64_t id;
    uint32_t verdict = HG_VERDICT_BLOCK;
    size_t w;
    int i;
    HG_STATS s;

    CHECK(core != NULL && t != NULL);
    raiser_start(&r, core, HG_OP_SET_VALUE, "\\REGISTRY\\K");
    for (i = 0; i < 5000 && stats_of(core).pending_waiters == 0; i++)
        sleep_1ms();
    CHECK_EQ(stats_of(core).pending_waiters, 1);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &t->req, &w), HG_STATUS_SUCCESS);
    e = batch_event(t->buffer, 0);
    CHECK(e->flags & HG_EVENT_F_VERDICT_REQUESTED);
    CHECK(!(e->flags & HG_EVENT_F_DEFAULT_APPLIED));
    id = e->id;
    CHECK(id != 0);
    CHECK_EQ(reply(core, &id, &verdict, 1, &res), HG_STATUS_SUCCESS);
    CHECK_EQ(res.accepted, 1);
    pthread_join(r.thread, NULL);
    CHECK_EQ(r.result.verdict, HG_VERDICT_BLOCK);
    CHECK_EQ(r.result.waited, 1);
    CHECK_EQ(r.result.timed_out, 0);
    s = stats_of(core);
    CHECK_EQ(s.defaults_applied, 0);
    CHECK_EQ(s.verdicts_requested, 1);
    CHECK_EQ(s.blocked, 1);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

/* Backlog room is reserved for verdict events: audit-only events stop at the
 * watermark, a verdict event still queues beyond it; only a backlog full to
 * max_backlog turns one away, and then it gets its rule's fail mode. */
int test_verdict_backlog_reserved_then_fail_mode(void)
{
    static unsigned char buf[1024];
    static const cfg_prefix p[] = {
        { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_MASK_ALL, 0, HG_FAIL_CLOSED, "\\REGISTRY\\V" },
        { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "\\REGISTRY\\A" },
    };
    const uint32_t audit_limit = HG_BACKLOG_MIN / 4u * 3u;
    HG_CONFIG_HEADER h;
    hg_core *core;
    hg_raise_result rr;
    raiser r[HG_BACKLOG_MIN];
    hg_op op;
    uint32_t i, n;
    int k;
    HG_STATS s;

    cfg_defaults(&h);
    h.max_backlog = HG_BACKLOG_MIN;
    h.verdict_op_mask = HG_OP_BIT(HG_OP_SET_VALUE);
    h.timeout_ms = HG_TIMEOUT_MAX_MS;
    h.default_verdict = HG_VERDICT_ALLOW;
    core = fixture_configured(buf, cfg_encode(buf, sizeof buf, &h, p, 2, NULL, 0));
    CHECK(core != NULL);
    top_init(&op, HG_OP_SET_VALUE, 9);
    for (i = 0; i < HG_BACKLOG_MIN; i++)
        raise_path(core, &op, "\\REGISTRY\\A\\Noise", NULL, 0, &rr);
    s = stats_of(core);
    CHECK_EQ(s.backlog_events, audit_limit);
    CHECK_EQ(s.audit_refused, HG_BACKLOG_MIN - audit_limit);
    /* the reserved quarter takes verdict events (they wait: nobody reads) */
    n = HG_BACKLOG_MIN - audit_limit;
    for (i = 0; i < n; i++)
        raiser_start(&r[i], core, HG_OP_SET_VALUE, "\\REGISTRY\\V\\Protected");
    for (k = 0; k < 5000 && stats_of(core).pending_waiters < n; k++)
        sleep_1ms();
    s = stats_of(core);
    CHECK_EQ(s.pending_waiters, n);
    CHECK_EQ(s.backlog_events, HG_BACKLOG_MIN);
    CHECK_EQ(s.verdict_unqueued, 0);
    /* full to max_backlog: the next one gets its rule's fail mode (closed),
     * not the default (allow), at once */
    top_init(&op, HG_OP_SET_VALUE, 10);
    raise_path(core, &op, "\\REGISTRY\\V\\Protected", NULL, 0, &rr);
    CHECK_EQ(rr.verdict, HG_VERDICT_BLOCK);
    CHECK_EQ(rr.waited, 0);
    CHECK_EQ(rr.delivered, 0);
    s = stats_of(core);
    CHECK_EQ(s.verdict_unqueued, 1);
    CHECK_EQ(s.defaults_applied, 0);
    CHECK_EQ(s.dropped, s.audit_refused + s.verdict_unqueued);
    hg_core_close(core, TEST_CLIENT_KEY); /* releases the waiters with the default */
    for (i = 0; i < n; i++) {
        pthread_join(r[i].thread, NULL);
        CHECK_EQ(r[i].result.waited, 1);
    }
    s = stats_of(core);
    CHECK_EQ(s.raised, s.filtered_out + s.delivered + s.dropped);
    hg_core_destroy(core);
    return 0;
}

/* A name that cannot be resolved: released anyway, dropped with a sequence
 * number (the agent sees the gap), and the global fail mode when the class
 * wants verdicts - never a silent allow. */
typedef struct failing_name_source {
    int resolve_calls, release_calls;
    int partial; /* what a half-done resolution left behind */
} failing_name_source;

static uint32_t failing_resolve(void *ctx, hg_utf16 *path)
{
    failing_name_source *f = ctx;

    f->resolve_calls++;
    f->partial = 1;
    path->chars = NULL;
    path->bytes = 0;
    return HG_STATUS_INSUFFICIENT_RESOURCES;
}

static void failing_release(void *ctx, hg_utf16 *path)
{
    failing_name_source *f = ctx;

    (void)path;
    f->release_calls++;
    f->partial = 0;
}

int test_verdict_name_failure_drops_and_fails_closed(void)
{
    failing_name_source f;
    hg_op_source source = { failing_resolve, failing_release, NULL, &f, NULL, NULL };
    hg_core *core = verdict_core(10000, HG_FAIL_CLOSED, HG_VERDICT_ALLOW, NULL, 0);
    test_request *t = treq_new(core, GE_MIN);
    hg_raise_result r;
    hg_op op;
    size_t w;
    HG_STATS s;

    CHECK(core != NULL && t != NULL);
    memset(&f, 0, sizeof f);
    top_init(&op, HG_OP_SET_VALUE, 5); /* in verdict_op_mask: the global fail mode */
    hg_core_raise(core, &op, &source, &r);
    CHECK_EQ(r.verdict, HG_VERDICT_BLOCK);
    CHECK_EQ(r.waited, 0);
    CHECK_EQ(r.delivered, 0);
    CHECK_EQ(f.resolve_calls, 1);
    CHECK_EQ(f.release_calls, 1);
    CHECK_EQ(f.partial, 0);
    top_init(&op, HG_OP_CREATE_KEY, 5); /* audit-only class: dropped, allowed */
    hg_core_raise(core, &op, &source, &r);
    CHECK_EQ(r.verdict, HG_VERDICT_ALLOW);
    CHECK_EQ(f.release_calls, 2);
    s = stats_of(core);
    CHECK_EQ(s.name_unresolved, 2);
    CHECK_EQ(s.dropped, 2);
    CHECK_EQ(s.filtered_out, 0);
    CHECK_EQ(s.blocked, 1);
    CHECK_EQ(s.raised, s.filtered_out + s.delivered + s.dropped);
    /* the next event shows the two spent sequence numbers */
    raise_path(core, &op, "\\REGISTRY\\K", NULL, 0, &r);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &t->req, &w), HG_STATUS_SUCCESS);
    CHECK_EQ(batch_event(t->buffer, 0)->sequence, 3);
    CHECK_EQ(((const HG_BATCH_HEADER *)(const void *)t->buffer)->dropped_total, 2);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

/* No client, DefaultVerdict=block: a user-mode write on a protected key is
 * blocked (lockdown.c; its exemptions are tested in test_lockdown.c). */
int test_verdict_no_client_applies_param_default(void)
{
    hg_core_params params = { .no_client_verdict = HG_VERDICT_BLOCK, .capabilities = 0, .instance_id = 1 };
    hg_core *core;
    hg_raise_result r;
    hg_op op;
    HG_STATS s;

    CHECK_EQ(hg_core_create(&params, &core), HG_STATUS_SUCCESS);
    top_init(&op, HG_OP_SET_VALUE, 5);
    raise_path(core, &op, KEY_MACHINE_SOFTWARE "\\Microsoft\\Windows\\CurrentVersion\\Run", NULL, 0, &r);
    CHECK_EQ(r.verdict, HG_VERDICT_BLOCK);
    CHECK_EQ(r.waited, 0);
    CHECK_EQ(r.delivered, 0);
    CHECK_EQ(hg_core_open(core, TEST_CLIENT_KEY), HG_STATUS_SUCCESS);
    raise_path(core, &op, KEY_MACHINE_SOFTWARE "\\Microsoft\\Windows\\CurrentVersion\\Run", NULL, 0,
               &r); /* open but no HELLO: still no client */
    CHECK_EQ(r.verdict, HG_VERDICT_BLOCK);
    raise_path(core, &op, "\\REGISTRY\\K", NULL, 0, &r); /* not protected */
    CHECK_EQ(r.verdict, HG_VERDICT_ALLOW);
    s = stats_of(core);
    CHECK_EQ(s.no_client, 3);
    CHECK_EQ(s.filtered_out, 3);
    CHECK_EQ(s.blocked, 2);
    CHECK_EQ(s.lockdown_blocked, 2);
    CHECK_EQ(s.lockdown_exempt, 1);
    CHECK_EQ(s.raised, 3);
    hg_core_destroy(core);
    params.no_client_verdict = 0;
    CHECK_EQ(hg_core_create(&params, &core), HG_STATUS_INVALID_PARAMETER);
    return 0;
}

int test_verdict_close_releases_waiters_with_default(void)
{
    hg_core *core = verdict_core(HG_TIMEOUT_MAX_MS, HG_FAIL_OPEN, HG_VERDICT_BLOCK, NULL, 0);
    test_request *t = treq_new(core, GE_MIN);
    const HG_EVENT_HEADER *e;
    raiser r;
    HG_STATS s;

    CHECK(core != NULL && t != NULL);
    CHECK((e = park_and_raise(core, t, &r, HG_OP_SET_VALUE)) != NULL);
    hg_core_close(core, TEST_CLIENT_KEY);
    pthread_join(r.thread, NULL);
    CHECK_EQ(r.result.verdict, HG_VERDICT_BLOCK);
    CHECK_EQ(r.result.timed_out, 0);
    s = stats_of(core);
    CHECK_EQ(s.defaults_applied, 1);
    CHECK_EQ(s.pending_waiters, 0);
    CHECK_EQ(s.client_bound, 0);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

int test_verdict_destroy_releases_waiters(void)
{
    hg_core *core = verdict_core(HG_TIMEOUT_MAX_MS, HG_FAIL_OPEN, HG_VERDICT_ALLOW, NULL, 0);
    test_request *t = treq_new(core, GE_MIN);
    raiser r;

    CHECK(core != NULL && t != NULL);
    CHECK(park_and_raise(core, t, &r, HG_OP_SET_VALUE) != NULL);
    hg_core_destroy(core); /* returns only once the raiser has left the core */
    pthread_join(r.thread, NULL);
    CHECK_EQ(r.result.verdict, HG_VERDICT_ALLOW);
    CHECK_EQ(r.result.waited, 1);
    treq_free(t);
    return 0;
}

int test_reply_validation(void)
{
    hg_core *core = verdict_core(10000, HG_FAIL_OPEN, HG_VERDICT_ALLOW, NULL, 0);
    test_request *t = treq_new(core, GE_MIN);
    const HG_EVENT_HEADER *e;
    HG_REPLY_RESULT res;
    reply_msg m;
    raiser r;
    size_t w, one = sizeof m.h + sizeof m.e[0];
    unsigned char *huge;
    uint32_t v = HG_VERDICT_BLOCK;
    uint64_t id;

    CHECK(core != NULL && t != NULL);
    CHECK((e = park_and_raise(core, t, &r, HG_OP_SET_VALUE)) != NULL);
    id = e->id;
    memset(&m, 0, sizeof m);
    m.h.magic = HG_WIRE_MAGIC;
    m.h.count = 1;
    m.e[0].id = id;
    m.e[0].verdict = HG_VERDICT_ALLOW;
    CHECK_EQ(hg_core_reply(core, TEST_CLIENT_KEY, &m, sizeof m.h - 1, NULL, 0, &w), HG_STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(hg_core_reply(core, TEST_CLIENT_KEY, NULL, 0, NULL, 0, &w), HG_STATUS_BUFFER_TOO_SMALL);
    huge = calloc(1, sizeof m.h + (HG_REPLY_MAX_ENTRIES + 1) * sizeof m.e[0]);
    CHECK(huge != NULL);
    memcpy(huge, &m, sizeof m);
    CHECK_EQ(hg_core_reply(core, TEST_CLIENT_KEY, huge, sizeof m.h + (HG_REPLY_MAX_ENTRIES + 1) * sizeof m.e[0],
                           NULL, 0, &w), HG_STATUS_INVALID_BUFFER_SIZE);
    free(huge);
    CHECK_EQ(hg_core_reply(core, TEST_CLIENT_KEY, &m, one + 1, NULL, 0, &w), HG_STATUS_INFO_LENGTH_MISMATCH);
    CHECK_EQ(hg_core_reply(core, TEST_CLIENT_KEY, &m, one + sizeof m.e[0], NULL, 0, &w), HG_STATUS_INFO_LENGTH_MISMATCH);
    m.h.magic = 0;
    CHECK_EQ(hg_core_reply(core, TEST_CLIENT_KEY, &m, one, NULL, 0, &w), HG_STATUS_UNKNOWN_REVISION);
    m.h.magic = HG_WIRE_MAGIC;
    m.h.count = 0;
    CHECK_EQ(hg_core_reply(core, TEST_CLIENT_KEY, &m, sizeof m.h, NULL, 0, &w), HG_STATUS_INVALID_PARAMETER);
    m.h.count = HG_REPLY_MAX_ENTRIES + 1;
    CHECK_EQ(hg_core_reply(core, TEST_CLIENT_KEY, &m, one, NULL, 0, &w), HG_STATUS_INVALID_PARAMETER);
    m.h.count = 2;
    m.e[1] = m.e[0];
    m.e[1].verdict = HG_VERDICT_NONE; /* the bad second entry stops the good first one too */
    CHECK_EQ(hg_core_reply(core, TEST_CLIENT_KEY, &m, one + sizeof m.e[0], NULL, 0, &w), HG_STATUS_INVALID_PARAMETER);
    m.e[1].verdict = 3;
    CHECK_EQ(hg_core_reply(core, TEST_CLIENT_KEY, &m, one + sizeof m.e[0], NULL, 0, &w), HG_STATUS_INVALID_PARAMETER);
    m.e[1].verdict = HG_VERDICT_ALLOW;
    m.e[1].reserved = 1;
    CHECK_EQ(hg_core_reply(core, TEST_CLIENT_KEY, &m, one + sizeof m.e[0], NULL, 0, &w), HG_STATUS_INVALID_PARAMETER);
    m.h.count = 1;
    CHECK_EQ(hg_core_reply(core, TEST_CLIENT_KEY, &m, one, &res, sizeof res - 1, &w), HG_STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(hg_core_reply(core, TEST_CLIENT_KEY + 1, &m, one, NULL, 0, &w), HG_STATUS_ACCESS_DENIED);
    /* nothing above touched the waiter: a valid reply is still accepted */
    CHECK_EQ(stats_of(core).replies_accepted + stats_of(core).replies_unknown, 0);
    CHECK_EQ(reply(core, &id, &v, 1, &res), HG_STATUS_SUCCESS);
    CHECK_EQ(res.accepted, 1);
    pthread_join(r.thread, NULL);
    CHECK_EQ(r.result.verdict, HG_VERDICT_BLOCK);
    /* without an output buffer the reply still applies */
    m.e[0].id = 12345;
    CHECK_EQ(hg_core_reply(core, TEST_CLIENT_KEY, &m, one, NULL, 0, &w), HG_STATUS_SUCCESS);
    CHECK_EQ(w, 0);
    CHECK_EQ(stats_of(core).replies_unknown, 1);
    hg_core_close(core, TEST_CLIENT_KEY);
    CHECK_EQ(hg_core_reply(core, TEST_CLIENT_KEY, &m, one, NULL, 0, &w), HG_STATUS_INVALID_DEVICE_STATE);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

/* Many waiters at once, answered in one REPLY in reverse order. */
int test_verdict_many_waiters_one_reply(void)
{
    enum { N = 40 };
    hg_core *core = verdict_core(10000, HG_FAIL_OPEN, HG_VERDICT_ALLOW, NULL, 0);
    test_request *t[N];
    raiser r[N];
    struct { HG_REPLY_HEADER h; HG_REPLY_ENTRY e[N]; } m;
    HG_REPLY_RESULT res;
    size_t w;
    int i;

    CHECK(core != NULL);
    memset(&m, 0, sizeof m);
    for (i = 0; i < N; i++) {
        t[i] = treq_new(core, GE_MIN);
        CHECK(t[i] != NULL);
        CHECK(park_and_raise(core, t[i], &r[i], HG_OP_SET_VALUE) != NULL);
        m.e[N - 1 - i].id = batch_event(t[i]->buffer, 0)->id;
        m.e[N - 1 - i].verdict = (i % 2) ? HG_VERDICT_BLOCK : HG_VERDICT_ALLOW;
    }
    CHECK_EQ(stats_of(core).pending_waiters, N);
    m.h.magic = HG_WIRE_MAGIC;
    m.h.count = N;
    CHECK_EQ(hg_core_reply(core, TEST_CLIENT_KEY, &m, sizeof m, &res, sizeof res, &w), HG_STATUS_SUCCESS);
    CHECK_EQ(w, sizeof res);
    CHECK_EQ(res.accepted, N);
    for (i = 0; i < N; i++) {
        pthread_join(r[i].thread, NULL);
        CHECK_EQ(r[i].result.verdict, (i % 2) ? HG_VERDICT_BLOCK : HG_VERDICT_ALLOW);
        treq_free(t[i]);
    }
    hg_core_destroy(core);
    return 0;
}

typedef struct closing_source {
    hg_core *core;
    uint16_t path[64];
    uint32_t units;
} closing_source;

static uint32_t resolve_and_disconnect(void *ctx, hg_utf16 *path)
{
    closing_source *s = ctx;

    hg_core_close(s->core, TEST_CLIENT_KEY); /* the agent goes away while we resolve */
    path->chars = s->path;
    path->bytes = s->units * 2u;
    return HG_STATUS_SUCCESS;
}

/* A raiser that passed the cheap checks, then found the client gone when it
 * came back to queue: no event, the no-client verdict, counted as no_client,
 * and its reference to the old configuration released (ASan checks the leak). */
int test_verdict_disconnect_while_resolving(void)
{
    hg_core_params params = { .no_client_verdict = HG_VERDICT_BLOCK, .capabilities = 0, .instance_id = 1 };
    unsigned char buf[256];
    size_t len = cfg_simple(buf, sizeof buf, HG_OP_MASK_ALL, HG_OP_MASK_ALL);
    closing_source cs;
    hg_op_source source = { resolve_and_disconnect, NULL, NULL, &cs, NULL, NULL };
    hg_raise_result r;
    hg_op op;
    HG_STATS s;

    CHECK_EQ(hg_core_create(&params, &cs.core), HG_STATUS_SUCCESS);
    CHECK_EQ(hg_core_open(cs.core, TEST_CLIENT_KEY), HG_STATUS_SUCCESS);
    CHECK_EQ(fixture_hello(cs.core, TEST_CLIENT_KEY), HG_STATUS_SUCCESS);
    CHECK_EQ(hg_core_configure(cs.core, TEST_CLIENT_KEY, buf, len), HG_STATUS_SUCCESS);
    cs.units = (uint32_t)utf8_to_utf16(KEY_MACHINE_SOFTWARE "\\Microsoft\\Windows\\CurrentVersion\\Run",
                                       cs.path, 64);
    top_init(&op, HG_OP_SET_VALUE, 5);
    hg_core_raise(cs.core, &op, &source, &r);
    CHECK_EQ(r.verdict, HG_VERDICT_BLOCK);
    CHECK_EQ(r.delivered, 0);
    CHECK_EQ(r.waited, 0);
    s = stats_of(cs.core);
    CHECK_EQ(s.no_client, 1);
    CHECK_EQ(s.lockdown_blocked, 1);
    CHECK_EQ(s.filtered_out, 1);
    CHECK_EQ(s.backlog_events, 0);
    CHECK_EQ(s.raised, s.filtered_out + s.delivered + s.dropped);
    hg_core_destroy(cs.core);
    return 0;
}
