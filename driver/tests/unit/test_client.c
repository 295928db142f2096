/* test_client.c - open/HELLO/close and STATS. */
#include "tests.h"

#include <pthread.h>
#include <time.h>

int test_open_is_exclusive_and_reopens_after_close(void)
{
    hg_core_params params = { .no_client_verdict = HG_VERDICT_ALLOW, .capabilities = 0, .instance_id = 1 };
    hg_core *core;

    CHECK_EQ(hg_core_create(&params, &core), HG_STATUS_SUCCESS);
    CHECK_EQ(hg_core_open(core, 1), HG_STATUS_SUCCESS);
    CHECK_EQ(hg_core_open(core, 2), HG_STATUS_SHARING_VIOLATION);
    CHECK_EQ(hg_core_open(core, 1), HG_STATUS_SHARING_VIOLATION);
    hg_core_close(core, 1);
    hg_core_close(core, 1); /* idempotent */
    CHECK_EQ(hg_core_open(core, 2), HG_STATUS_SUCCESS);
    CHECK_EQ(fixture_hello(core, 1), HG_STATUS_ACCESS_DENIED);
    CHECK_EQ(fixture_hello(core, 2), HG_STATUS_SUCCESS);
    CHECK_EQ(stats_of(core).client_bound, 1);
    hg_core_destroy(core);
    CHECK_EQ(hg_core_create(NULL, &core), HG_STATUS_SUCCESS); /* defaults */
    hg_core_destroy(core);
    hg_core_destroy(NULL);
    return 0;
}

int test_hello_validation_and_reply(void)
{
    hg_core_params params = { .no_client_verdict = HG_VERDICT_ALLOW, .capabilities = HG_CAP_SIMULATOR | HG_CAP_INJECT, .instance_id = 0xFEEDull };
    HG_HELLO_REQUEST req = { HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, 7, 0, 0 }, bad;
    unsigned char in[sizeof req + 4];
    HG_HELLO_REPLY rep;
    hg_core *core;
    size_t w = 1;

    CHECK_EQ(hg_core_create(&params, &core), HG_STATUS_SUCCESS);
    CHECK_EQ(hg_core_hello(core, 1, &req, sizeof req, &rep, sizeof rep, &w), HG_STATUS_INVALID_DEVICE_STATE);
    CHECK_EQ(w, 0);
    CHECK_EQ(hg_core_open(core, 1), HG_STATUS_SUCCESS);
    CHECK_EQ(hg_core_hello(core, 1, &req, sizeof req - 1, &rep, sizeof rep, &w), HG_STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(hg_core_hello(core, 1, NULL, 0, &rep, sizeof rep, &w), HG_STATUS_BUFFER_TOO_SMALL);
    memset(in, 0, sizeof in);
    memcpy(in, &req, sizeof req);
    CHECK_EQ(hg_core_hello(core, 1, in, sizeof in, &rep, sizeof rep, &w), HG_STATUS_INFO_LENGTH_MISMATCH);
    bad = req;
    bad.magic = 0x48475244u; /* byte-swapped */
    CHECK_EQ(hg_core_hello(core, 1, &bad, sizeof bad, &rep, sizeof rep, &w), HG_STATUS_UNKNOWN_REVISION);
    bad = req;
    bad.version_major = HG_WIRE_VERSION_MAJOR + 1;
    CHECK_EQ(hg_core_hello(core, 1, &bad, sizeof bad, &rep, sizeof rep, &w), HG_STATUS_REVISION_MISMATCH);
    bad = req;
    bad.flags = 1;
    CHECK_EQ(hg_core_hello(core, 1, &bad, sizeof bad, &rep, sizeof rep, &w), HG_STATUS_INVALID_PARAMETER);
    bad = req;
    bad.reserved = 1;
    CHECK_EQ(hg_core_hello(core, 1, &bad, sizeof bad, &rep, sizeof rep, &w), HG_STATUS_INVALID_PARAMETER);
    CHECK_EQ(hg_core_hello(core, 1, &req, sizeof req, &rep, HG_HELLO_REPLY_V1_0_BYTES - 1, &w),
             HG_STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(hg_core_hello(core, 1, &req, sizeof req, NULL, 0, &w), HG_STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(stats_of(core).client_bound, 0); /* none of the above bound the client */
    CHECK_EQ(hg_core_hello(core, 2, &req, sizeof req, &rep, sizeof rep, &w), HG_STATUS_ACCESS_DENIED);
    memset(&rep, 0xAA, sizeof rep);
    CHECK_EQ(hg_core_hello(core, 1, &req, sizeof req, &rep, sizeof rep, &w), HG_STATUS_SUCCESS);
    CHECK_EQ(w, sizeof rep);
    CHECK_EQ(rep.magic, HG_WIRE_MAGIC);
    CHECK_EQ(rep.version_major, HG_WIRE_VERSION_MAJOR);
    CHECK_EQ(rep.version_minor, HG_WIRE_VERSION_MINOR);
    CHECK_EQ(rep.capabilities, HG_CAP_SIMULATOR | HG_CAP_INJECT);
    CHECK_EQ(rep.max_event_bytes, HG_MAX_EVENT_BYTES);
    CHECK_EQ(rep.get_events_min_bytes, HG_GET_EVENTS_MIN_BYTES);
    CHECK_EQ(rep.get_events_max_bytes, HG_GET_EVENTS_MAX_BYTES);
    CHECK_EQ(rep.reply_max_entries, HG_REPLY_MAX_ENTRIES);
    CHECK_EQ(rep.parked_max, HG_PARKED_MAX);
    CHECK_EQ(rep.instance_id, 0xFEEDull);
    CHECK_EQ(rep.driver_version, HG_DRIVER_VERSION);
    CHECK_EQ(rep.altitude, 0); /* core never registers a callback; the kernel glue fills it in */
    CHECK_EQ(rep.no_client_verdict, HG_VERDICT_ALLOW);
    CHECK_EQ(rep.reserved, 0);
    CHECK_EQ(stats_of(core).client_bound, 1);
    /* HELLO again from the bound client is harmless */
    CHECK_EQ(hg_core_hello(core, 1, &req, sizeof req, &rep, sizeof rep, &w), HG_STATUS_SUCCESS);
    /* A 1.0 agent's buffer gets the 1.0 prefix and nothing past it. */
    memset(&rep, 0xAA, sizeof rep);
    CHECK_EQ(hg_core_hello(core, 1, &req, sizeof req, &rep, HG_HELLO_REPLY_V1_0_BYTES, &w), HG_STATUS_SUCCESS);
    CHECK_EQ(w, HG_HELLO_REPLY_V1_0_BYTES);
    CHECK_EQ(rep.instance_id, 0xFEEDull);
    CHECK_EQ(rep.driver_version, 0xAAAAAAAAu);
    /* A buffer between the two sizes gets the 1.0 prefix too: no field is cut. */
    memset(&rep, 0xAA, sizeof rep);
    CHECK_EQ(hg_core_hello(core, 1, &req, sizeof req, &rep, sizeof rep - 1, &w), HG_STATUS_SUCCESS);
    CHECK_EQ(w, HG_HELLO_REPLY_V1_0_BYTES);
    CHECK_EQ(rep.driver_version, 0xAAAAAAAAu);
    hg_core_destroy(core);
    return 0;
}

/* Close discards the backlog (counted dropped), cancels parked requests and
 * forgets the configuration: the next client starts from nothing. */
int test_close_discards_backlog_and_configuration(void)
{
    unsigned char buf[256];
    size_t len = cfg_simple(buf, sizeof buf, HG_OP_MASK_ALL, 0), w;
    hg_core *core = fixture_configured(buf, len);
    test_request *t = treq_new(core, GE_MIN);
    hg_raise_result r;
    hg_op op;
    HG_STATS s;
    int i;

    CHECK(core != NULL && t != NULL);
    top_init(&op, HG_OP_SET_VALUE, 9);
    for (i = 0; i < 5; i++)
        raise_path(core, &op, "\\REGISTRY\\K", NULL, 0, &r);
    CHECK_EQ(stats_of(core).backlog_events, 5);
    hg_core_close(core, TEST_CLIENT_KEY);
    s = stats_of(core);
    CHECK_EQ(s.backlog_events, 0);
    CHECK_EQ(s.backlog_bytes, 0);
    CHECK_EQ(s.dropped, 5);
    CHECK_EQ(s.client_bound, 0);
    CHECK_EQ(s.raised, s.filtered_out + s.delivered + s.dropped);

    CHECK_EQ(hg_core_open(core, TEST_CLIENT_KEY), HG_STATUS_SUCCESS);
    CHECK_EQ(fixture_hello(core, TEST_CLIENT_KEY), HG_STATUS_SUCCESS);
    raise_path(core, &op, "\\REGISTRY\\K", NULL, 0, &r);
    CHECK_EQ(r.delivered, 0); /* bound, but not configured */
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &t->req, &w), HG_STATUS_PENDING);
    hg_core_close(core, 0xBADull); /* close from an arbitrary context still unbinds */
    CHECK_EQ(treq_completions(t), 1);
    CHECK_EQ(t->status, HG_STATUS_CANCELLED);
    CHECK_EQ(stats_of(core).client_bound, 0);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

int test_stats_buffer_and_invariant(void)
{
    unsigned char buf[256];
    size_t len = cfg_simple(buf, sizeof buf, HG_OP_BIT(HG_OP_SET_VALUE), 0), w = 7;
    hg_core *core = fixture_configured(buf, len);
    test_request *t = treq_new(core, GE_MIN);
    unsigned char out[sizeof(HG_STATS) + 8];
    HG_STATS s;
    hg_raise_result r;
    hg_op op;
    int i;

    CHECK(core != NULL && t != NULL);
    CHECK_EQ(hg_core_stats(core, out, sizeof(HG_STATS) - 1, &w), HG_STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(w, 0);
    CHECK_EQ(hg_core_stats(core, NULL, 0, &w), HG_STATUS_BUFFER_TOO_SMALL);
    for (i = 0; i < 30; i++) {
        top_init(&op, (i % 3) ? HG_OP_SET_VALUE : HG_OP_OPEN_KEY, (uint64_t)i);
        raise_path(core, &op, "\\REGISTRY\\K", NULL, 0, &r);
    }
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &t->req, &w), HG_STATUS_SUCCESS);
    CHECK_EQ(hg_core_stats(core, out, sizeof out, &w), HG_STATUS_SUCCESS);
    CHECK_EQ(w, sizeof(HG_STATS));
    memcpy(&s, out, sizeof s);
    CHECK_EQ(s.magic, HG_WIRE_MAGIC);
    CHECK_EQ(s.size, sizeof(HG_STATS));
    CHECK_EQ(s.raised, 30);
    CHECK_EQ(s.filtered_out, 10);
    CHECK_EQ(s.delivered, 20);
    CHECK_EQ(s.dropped, 0);
    CHECK_EQ(s.batches, 1);
    CHECK_EQ(s.config_generation, 1);
    CHECK_EQ(s.raised, s.filtered_out + s.delivered + s.dropped);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

typedef struct late_cancel {
    hg_core      *core;
    test_request *t;
} late_cancel;

static void *cancel_later(void *arg)
{
    late_cancel *lc = arg;
    struct timespec ts = { 0, 30 * 1000000L };

    nanosleep(&ts, NULL);
    hg_core_cancel_request(lc->core, &lc->t->req);
    return NULL;
}

/* Unload while a request's cancel routine is already running (it has taken
 * the request but not yet reached the core): destroy must wait for it
 * rather than free the core under it. */
int test_destroy_waits_for_running_cancel(void)
{
    unsigned char buf[256];
    size_t len = cfg_simple(buf, sizeof buf, HG_OP_MASK_ALL, 0), w;
    hg_core *core = fixture_configured(buf, len);
    test_request *t = treq_new(core, GE_MIN);
    late_cancel lc = { core, t };
    pthread_t thread;

    CHECK(core != NULL && t != NULL);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &t->req, &w), HG_STATUS_PENDING);
    atomic_store(&t->cancel_requested, 1);
    CHECK_EQ(atomic_exchange(&t->armed, 0), 1);
    pthread_create(&thread, NULL, cancel_later, &lc);
    hg_core_destroy(core);
    CHECK_EQ(treq_completions(t), 1); /* completed by the cancel, before destroy returned */
    CHECK_EQ(t->status, HG_STATUS_CANCELLED);
    pthread_join(thread, NULL);
    treq_free(t);
    return 0;
}
