/* test_delivery.c - GET_EVENTS: buffer limits, immediate completion,
 * parking, batching whole events, cancel races, backlog bounds. */
#include "tests.h"

static hg_core *core_all(uint32_t max_backlog)
{
    static unsigned char buf[256];
    HG_CONFIG_HEADER h;
    size_t len;

    cfg_defaults(&h);
    h.max_backlog = max_backlog;
    h.data_cap = HG_DATA_CAP_MAX;
    len = cfg_encode(buf, sizeof buf, &h, NULL, 0, NULL, 0);
    return fixture_configured(buf, len);
}

static void raise_n(hg_core *core, uint32_t n, uint32_t data_len)
{
    static char data[HG_DATA_CAP_MAX];
    hg_raise_result r;
    hg_op op;
    uint32_t i;

    for (i = 0; i < n; i++) {
        top_init(&op, HG_OP_SET_VALUE, 1);
        raise_path(core, &op, "\\REGISTRY\\MACHINE\\SOFTWARE\\Key", data, data_len, &r);
    }
}

int test_get_events_buffer_limits_and_state(void)
{
    hg_core_params params = { .no_client_verdict = HG_VERDICT_ALLOW, .capabilities = 0, .instance_id = 1 };
    hg_core *core;
    test_request *small, *big, *ok;
    size_t w = 99;

    CHECK_EQ(hg_core_create(&params, &core), HG_STATUS_SUCCESS);
    small = treq_new(core, GE_MIN - 1);
    big = treq_new(core, HG_GET_EVENTS_MAX_BYTES + 1);
    ok = treq_new(core, GE_MIN);
    CHECK(small && big && ok);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &small->req, &w), HG_STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(w, 0);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &big->req, &w), HG_STATUS_INVALID_BUFFER_SIZE);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &ok->req, &w), HG_STATUS_INVALID_DEVICE_STATE);
    CHECK_EQ(hg_core_open(core, TEST_CLIENT_KEY), HG_STATUS_SUCCESS);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &ok->req, &w), HG_STATUS_INVALID_DEVICE_STATE);
    CHECK_EQ(fixture_hello(core, TEST_CLIENT_KEY), HG_STATUS_SUCCESS);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY + 1, &ok->req, &w), HG_STATUS_ACCESS_DENIED);
    ok->req.buffer = NULL;
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &ok->req, &w), HG_STATUS_BUFFER_TOO_SMALL);
    ok->req.buffer = ok->buffer;
    CHECK_EQ(stats_of(core).parked_requests, 0);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &ok->req, &w), HG_STATUS_PENDING);
    CHECK_EQ(stats_of(core).parked_requests, 1);
    hg_core_destroy(core); /* completes the parked one with CANCELLED */
    CHECK_EQ(treq_completions(ok), 1);
    CHECK_EQ(ok->status, HG_STATUS_CANCELLED);
    treq_free(small);
    treq_free(big);
    treq_free(ok);
    return 0;
}

int test_get_events_parks_then_completes_on_raise(void)
{
    hg_core *core = core_all(HG_BACKLOG_DEFAULT);
    test_request *t = treq_new(core, GE_MIN);
    const HG_BATCH_HEADER *b;
    size_t w;

    CHECK(core != NULL && t != NULL);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &t->req, &w), HG_STATUS_PENDING);
    CHECK_EQ(treq_completions(t), 0);
    raise_n(core, 1, 4);
    CHECK_EQ(treq_completions(t), 1);
    CHECK_EQ(t->status, HG_STATUS_SUCCESS);
    b = (const HG_BATCH_HEADER *)(const void *)t->buffer;
    CHECK_EQ(b->magic, HG_WIRE_MAGIC);
    CHECK_EQ(b->count, 1);
    CHECK_EQ(b->total_bytes, t->bytes);
    CHECK_EQ(b->reserved, 0);
    CHECK_EQ(b->total_bytes, sizeof *b + batch_event(t->buffer, 0)->size);
    CHECK_EQ(stats_of(core).delivered, 1);
    CHECK_EQ(stats_of(core).batches, 1);
    CHECK_EQ(stats_of(core).parked_requests, 0);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

/* As many whole events as fit: never a partial event, the rest stay queued
 * in order. */
int test_get_events_batches_whole_events(void)
{
    hg_core *core = core_all(HG_BACKLOG_DEFAULT);
    test_request *t = treq_new(core, GE_MIN);
    uint32_t total = 0, batches = 0, expected_seq = 1, i;
    size_t w;

    CHECK(core != NULL && t != NULL);
    raise_n(core, 10, 10000); /* ~10 KiB each: 3 fit in a 32 KiB batch */
    while (stats_of(core).backlog_events != 0) {
        const HG_BATCH_HEADER *b = (const HG_BATCH_HEADER *)(const void *)t->buffer;
        treq_reset(t);
        CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &t->req, &w), HG_STATUS_SUCCESS);
        CHECK(w <= GE_MIN);
        CHECK_EQ(w, b->total_bytes);
        CHECK(b->count >= 1);
        for (i = 0; i < b->count; i++)
            CHECK_EQ(batch_event(t->buffer, i)->sequence, expected_seq++);
        if (stats_of(core).backlog_events != 0) /* the next event would not have fitted */
            CHECK(GE_MIN - w < 10000 + HG_EVENT_HEADER_BYTES);
        total += b->count;
        batches++;
    }
    CHECK_EQ(total, 10);
    CHECK_EQ(batches, 4);
    CHECK_EQ(stats_of(core).delivered, 10);
    CHECK_EQ(stats_of(core).backlog_bytes, 0);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

int test_get_events_quota(void)
{
    hg_core *core = core_all(HG_BACKLOG_DEFAULT);
    test_request *t[HG_PARKED_MAX + 1];
    size_t w;
    int i;

    CHECK(core != NULL);
    for (i = 0; i <= (int)HG_PARKED_MAX; i++) {
        t[i] = treq_new(core, GE_MIN);
        CHECK(t[i] != NULL);
    }
    for (i = 0; i < (int)HG_PARKED_MAX; i++)
        CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &t[i]->req, &w), HG_STATUS_PENDING);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &t[HG_PARKED_MAX]->req, &w), HG_STATUS_QUOTA_EXCEEDED);
    CHECK_EQ(treq_completions(t[HG_PARKED_MAX]), 0);
    /* events go to the oldest parked request first */
    raise_n(core, 1, 0);
    CHECK_EQ(treq_completions(t[0]), 1);
    CHECK_EQ(treq_completions(t[1]), 0);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &t[HG_PARKED_MAX]->req, &w), HG_STATUS_PENDING);
    hg_core_close(core, TEST_CLIENT_KEY);
    for (i = 1; i <= (int)HG_PARKED_MAX; i++) {
        CHECK_EQ(treq_completions(t[i]), 1);
        CHECK_EQ(t[i]->status, HG_STATUS_CANCELLED);
    }
    hg_core_destroy(core);
    for (i = 0; i <= (int)HG_PARKED_MAX; i++)
        treq_free(t[i]);
    return 0;
}

int test_cancel_parked_request(void)
{
    hg_core *core = core_all(HG_BACKLOG_DEFAULT);
    test_request *t = treq_new(core, GE_MIN);
    size_t w;

    CHECK(core != NULL && t != NULL);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &t->req, &w), HG_STATUS_PENDING);
    CHECK_EQ(treq_cancel(t), 1);
    CHECK_EQ(treq_completions(t), 1);
    CHECK_EQ(t->status, HG_STATUS_CANCELLED);
    CHECK_EQ(stats_of(core).parked_requests, 0);
    /* a cancel routine arriving after the request left the list is harmless */
    hg_core_cancel_request(core, &t->req);
    CHECK_EQ(treq_completions(t), 1);
    raise_n(core, 1, 0); /* stays in the backlog: nobody parked */
    CHECK_EQ(stats_of(core).backlog_events, 1);
    CHECK_EQ(treq_completions(t), 1);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

/* Cancelled before it could park (arm sees the cancel): core completes it
 * once with CANCELLED and reports PENDING. */
int test_cancel_before_arm(void)
{
    hg_core *core = core_all(HG_BACKLOG_DEFAULT);
    test_request *t = treq_new(core, GE_MIN);
    size_t w;

    CHECK(core != NULL && t != NULL);
    atomic_store(&t->cancel_requested, 1);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &t->req, &w), HG_STATUS_PENDING);
    CHECK_EQ(treq_completions(t), 1);
    CHECK_EQ(t->status, HG_STATUS_CANCELLED);
    CHECK_EQ(stats_of(core).parked_requests, 0);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

/* The cancel routine has cleared the "armed" flag but not yet reached
 * hg_core_cancel_request: delivery must skip the request (claim fails),
 * leave it listed, and serve the next one; the late cancel then completes
 * it exactly once. */
int test_claim_failure_leaves_request_to_cancel(void)
{
    hg_core *core = core_all(HG_BACKLOG_DEFAULT);
    test_request *a = treq_new(core, GE_MIN), *b = treq_new(core, GE_MIN);
    size_t w;

    CHECK(core && a && b);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &a->req, &w), HG_STATUS_PENDING);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &b->req, &w), HG_STATUS_PENDING);
    atomic_store(&a->cancel_requested, 1);
    CHECK_EQ(atomic_exchange(&a->armed, 0), 1); /* cancel routine started */
    raise_n(core, 1, 0);
    CHECK_EQ(treq_completions(a), 0);
    CHECK_EQ(treq_completions(b), 1);
    CHECK_EQ(b->status, HG_STATUS_SUCCESS);
    CHECK_EQ(stats_of(core).parked_requests, 1);
    hg_core_close(core, TEST_CLIENT_KEY); /* cannot claim it either */
    CHECK_EQ(treq_completions(a), 0);
    hg_core_cancel_request(core, &a->req); /* the cancel routine arrives */
    CHECK_EQ(treq_completions(a), 1);
    CHECK_EQ(a->status, HG_STATUS_CANCELLED);
    hg_core_destroy(core);
    treq_free(a);
    treq_free(b);
    return 0;
}

int test_backlog_bounds_count_drops(void)
{
    hg_core *core = core_all(HG_BACKLOG_MIN);
    HG_STATS s;

    CHECK(core != NULL);
    /* audit-only events: refused beyond the watermark (3/4), counted */
    raise_n(core, HG_BACKLOG_MIN + 5, 0);
    s = stats_of(core);
    CHECK_EQ(s.backlog_events, HG_BACKLOG_MIN / 4u * 3u);
    CHECK_EQ(s.dropped, HG_BACKLOG_MIN + 5 - HG_BACKLOG_MIN / 4u * 3u);
    CHECK_EQ(s.audit_refused, s.dropped);
    CHECK_EQ(s.raised, HG_BACKLOG_MIN + 5);
    hg_core_destroy(core);

    /* the byte ceiling holds whatever max_backlog says */
    core = core_all(HG_BACKLOG_MAX);
    CHECK(core != NULL);
    raise_n(core, HG_BACKLOG_MAX_BYTES / HG_DATA_CAP_MAX + 10, HG_DATA_CAP_MAX);
    s = stats_of(core);
    CHECK(s.backlog_bytes <= HG_BACKLOG_MAX_BYTES);
    CHECK(s.dropped >= 10);
    CHECK_EQ(s.backlog_events + s.dropped, s.raised);
    hg_core_destroy(core);
    return 0;
}
