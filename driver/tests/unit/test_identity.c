/* test_identity.c - the lazy caller-identity hook of hg_op_source: asked only
 * for delivered operations and only for what the operation lacks, its strings
 * land in the event with the usual caps, it is released exactly once, and a
 * failing hook costs nothing but the two fields. */
#define _GNU_SOURCE /* pthread_timedjoin_np */
#include <pthread.h>
#include <time.h>

#include "tests.h"

#define IMAGE_NT_PATH   "\\Device\\HarddiskVolume3\\Windows\\regedit.exe"
#define USER_SID_TEXT   "S-1-5-21-1004336348-1177238915-682003330-1001"
#define EAGER_IMAGE     "C:\\Windows\\System32\\reg.exe"
#define EAGER_SID       "S-1-5-18"
/* Bound on proving "no lock held" from inside the hook: a raise holding the
 * core lock would keep the prober blocked until the hook returned. */
#define LOCK_PROBE_WAIT_S 5
/* Room for strings well past either cap. */
#define IDENTITY_MAX_UNITS 2048

/* The hook's side: what it lends, how often it is asked, what comes back. */
typedef struct identity_hook {
    test_source path;               /* the key-path/data part of the source */
    hg_core    *core;               /* for the lock probe, or NULL */
    uint32_t    status;             /* what resolve_identity returns */
    int         null_chars;         /* lend {NULL, n} instead of the strings */
    int         resolve_calls, release_calls;
    int         asked_image, asked_sid;      /* last resolve: pointer non-NULL */
    int         released_image, released_sid;
    int         released_same_strings;       /* release got back exactly what was lent */
    int         lock_free;                   /* 1: the lock probe finished during the hook */
    int         probe_pending;               /* the probe outlived the hook: join it after the raise */
    pthread_t   probe;
    uint32_t    image_units, sid_units;
    uint16_t    image[IDENTITY_MAX_UNITS];
    uint16_t    sid[IDENTITY_MAX_UNITS];
} identity_hook;

static void *probe_stats(void *arg)
{
    HG_STATS s;

    hg_core_get_stats((hg_core *)arg, &s);
    return NULL;
}

/* Runs hg_core_get_stats (which takes the core lock) on another thread and
 * reports whether it finished within the bound. A probe still blocked is
 * joined by probe_finish once the raise has returned: joining it here would
 * wait for a lock this very thread holds. */
static int core_lock_is_free(identity_hook *h)
{
    struct timespec deadline;

    if (pthread_create(&h->probe, NULL, probe_stats, h->core) != 0)
        return 0;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += LOCK_PROBE_WAIT_S;
    if (pthread_timedjoin_np(h->probe, NULL, &deadline) == 0)
        return 1;
    h->probe_pending = 1;
    return 0;
}

static void probe_finish(identity_hook *h)
{
    if (h->probe_pending) {
        pthread_join(h->probe, NULL);
        h->probe_pending = 0;
    }
}

static uint32_t hook_resolve(void *ctx, hg_utf16 *image, hg_utf16 *user_sid)
{
    identity_hook *h = ctx;

    h->resolve_calls++;
    h->asked_image = image != NULL;
    h->asked_sid = user_sid != NULL;
    if (h->core != NULL)
        h->lock_free = core_lock_is_free(h);
    /* Filled even when failing: core must ignore them then, and hand them
     * back to release so a half-done lookup can be freed. */
    if (image != NULL) {
        image->chars = h->null_chars ? NULL : h->image;
        image->bytes = h->image_units * 2u;
    }
    if (user_sid != NULL) {
        user_sid->chars = h->null_chars ? NULL : h->sid;
        user_sid->bytes = h->sid_units * 2u;
    }
    return h->status;
}

static void hook_release(void *ctx, hg_utf16 *image, hg_utf16 *user_sid)
{
    identity_hook *h = ctx;
    const uint16_t *want_image = h->null_chars ? NULL : h->image;
    const uint16_t *want_sid = h->null_chars ? NULL : h->sid;

    h->release_calls++;
    h->released_image = image != NULL;
    h->released_sid = user_sid != NULL;
    h->released_same_strings =
        (image == NULL || (image->chars == want_image && image->bytes == h->image_units * 2u)) &&
        (user_sid == NULL || (user_sid->chars == want_sid && user_sid->bytes == h->sid_units * 2u));
    /* The lent memory is gone now: anything core still read would show. */
    memset(h->image, 'X', sizeof h->image);
    memset(h->sid, 'X', sizeof h->sid);
}

/* A hook lending IMAGE_NT_PATH and USER_SID_TEXT with status SUCCESS. */
static int hook_init(identity_hook *h, const char *key_path)
{
    int n;

    memset(h, 0, sizeof *h);
    if (tsrc_init(&h->path, key_path) != 0)
        return -1;
    h->status = HG_STATUS_SUCCESS;
    n = utf8_to_utf16(IMAGE_NT_PATH, h->image, IDENTITY_MAX_UNITS);
    if (n < 0)
        return -1;
    h->image_units = (uint32_t)n;
    n = utf8_to_utf16(USER_SID_TEXT, h->sid, IDENTITY_MAX_UNITS);
    if (n < 0)
        return -1;
    h->sid_units = (uint32_t)n;
    return 0;
}

/* The test source's path and data callbacks, plus the identity hook. */
static void hook_bind(identity_hook *h, hg_op_source *source)
{
    tsrc_bind(&h->path, source);
    source->resolve_identity = hook_resolve;
    source->release_identity = hook_release;
}

static void raise_with(hg_core *core, identity_hook *h, hg_op *op, hg_raise_result *r)
{
    hg_op_source source;

    hook_bind(h, &source);
    hg_core_raise(core, op, &source, r);
}

static int take_one(hg_core *core, test_request *t, const HG_EVENT_HEADER **e)
{
    size_t w;

    treq_reset(t);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &t->req, &w), HG_STATUS_SUCCESS);
    *e = batch_event(t->buffer, 0);
    CHECK(*e != NULL);
    return 0;
}

static int utf16_is(const unsigned char *p, uint32_t bytes, const char *utf8)
{
    uint16_t units[IDENTITY_MAX_UNITS];
    int n = utf8_to_utf16(utf8, units, IDENTITY_MAX_UNITS);

    return n >= 0 && (uint32_t)n * 2u == bytes && memcmp(p, units, bytes) == 0;
}

static const unsigned char *event_image(const HG_EVENT_HEADER *e)
{
    return (const unsigned char *)e + HG_EVENT_HEADER_BYTES + e->key_path_bytes +
           e->value_name_bytes + e->new_name_bytes;
}

static const unsigned char *event_sid(const HG_EVENT_HEADER *e)
{
    return event_image(e) + e->image_bytes;
}

static hg_utf16 utf16_static(uint16_t *buf, size_t units, const char *utf8)
{
    hg_utf16 s = { buf, 0 };
    int n = utf8_to_utf16(utf8, buf, units);

    s.bytes = n > 0 ? (uint32_t)n * 2u : 0u;
    return s;
}

int test_identity_not_resolved_for_filtered_operations(void)
{
    static const cfg_prefix software[] = {
        { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, HG_FAIL_INHERIT, KEY_MACHINE_SOFTWARE },
    };
    static const uint64_t excluded_pid = 77;
    static identity_hook h;
    unsigned char cfg[512];
    HG_CONFIG_HEADER ch;
    hg_core *core, *unbound;
    hg_raise_result r;
    hg_op op;
    size_t len;
    HG_STATS s;

    cfg_defaults(&ch);
    ch.op_mask = HG_OP_BIT(HG_OP_SET_VALUE) | HG_OP_BIT(HG_OP_CREATE_KEY);
    len = cfg_encode(cfg, sizeof cfg, &ch, software, 1, &excluded_pid, 1);
    CHECK(len != 0);
    processes_start(&excluded_pid, 1);
    core = fixture_configured(cfg, len);
    processes_exit(&excluded_pid, 1);
    CHECK(core != NULL);

    /* outside every include prefix */
    CHECK_EQ(hook_init(&h, "\\REGISTRY\\USER\\S-1-5-18\\Software\\X"), 0);
    top_init(&op, HG_OP_SET_VALUE, 1);
    raise_with(core, &h, &op, &r);
    CHECK_EQ(r.delivered, 0);
    /* a class the subscription does not take (same hook: counts go on) */
    CHECK_EQ(tsrc_init(&h.path, KEY_MACHINE_SOFTWARE "\\X"), 0);
    top_init(&op, HG_OP_DELETE_KEY, 1);
    raise_with(core, &h, &op, &r);
    CHECK_EQ(r.delivered, 0);
    /* a kernel-mode caller without HG_CFG_F_INCLUDE_KERNEL_CALLERS */
    top_init(&op, HG_OP_SET_VALUE, 1);
    op.kernel_caller = 1;
    raise_with(core, &h, &op, &r);
    /* an excluded process */
    top_init(&op, HG_OP_SET_VALUE, excluded_pid);
    raise_with(core, &h, &op, &r);
    /* the agent's own operation */
    top_init(&op, HG_OP_SET_VALUE, 1);
    op.process_key = TEST_CLIENT_KEY;
    raise_with(core, &h, &op, &r);
    /* the key name cannot be resolved: no event on a guessed path (dropped,
     * not filtered: see test_verdict_name_failure_drops_and_fails_closed) */
    h.path.fail_resolve = 1;
    top_init(&op, HG_OP_SET_VALUE, 1);
    raise_with(core, &h, &op, &r);
    CHECK_EQ(r.delivered, 0);
    h.path.fail_resolve = 0;

    CHECK_EQ(h.resolve_calls, 0);
    CHECK_EQ(h.release_calls, 0);
    s = stats_of(core);
    CHECK_EQ(s.filtered_out, 5);
    CHECK_EQ(s.name_unresolved, 1);
    CHECK_EQ(s.backlog_events, 0);

    /* nobody bound: the no-client default, and no identity either */
    CHECK_EQ(hg_core_create(&(hg_core_params){ .no_client_verdict = HG_VERDICT_ALLOW, .capabilities = 0, .instance_id = 1 }, &unbound), HG_STATUS_SUCCESS);
    top_init(&op, HG_OP_SET_VALUE, 1);
    raise_with(unbound, &h, &op, &r);
    CHECK_EQ(r.delivered, 0);
    CHECK_EQ(stats_of(unbound).no_client, 1);
    CHECK_EQ(h.resolve_calls, 0);
    hg_core_destroy(unbound);

    /* the same hook is asked as soon as an operation gets through: the
     * zeros above are not a hook that is never wired in */
    top_init(&op, HG_OP_SET_VALUE, 1);
    raise_with(core, &h, &op, &r);
    CHECK_EQ(r.delivered, 1);
    CHECK_EQ(h.resolve_calls, 1);
    CHECK_EQ(h.release_calls, 1);
    hg_core_destroy(core);
    return 0;
}

int test_identity_hook_fills_delivered_event_once_outside_the_lock(void)
{
    unsigned char cfg[256];
    size_t len = cfg_simple(cfg, sizeof cfg, HG_OP_MASK_ALL, 0);
    hg_core *core = fixture_configured(cfg, len);
    test_request *t = treq_new(core, GE_MIN);
    static identity_hook h;
    const HG_EVENT_HEADER *e;
    hg_raise_result r;
    hg_op op;

    CHECK(core != NULL && t != NULL);
    CHECK_EQ(hook_init(&h, KEY_MACHINE_SOFTWARE "\\Run"), 0);
    h.core = core;
    top_init(&op, HG_OP_CREATE_KEY, 900);
    raise_with(core, &h, &op, &r);
    probe_finish(&h);
    CHECK_EQ(r.delivered, 1);
    CHECK_EQ(r.verdict, HG_VERDICT_ALLOW);
    CHECK_EQ(h.resolve_calls, 1);
    CHECK_EQ(h.release_calls, 1);
    CHECK(h.asked_image && h.asked_sid);
    CHECK(h.released_image && h.released_sid);
    CHECK(h.released_same_strings);
    CHECK_EQ(h.lock_free, 1);
    /* the hook ran after the key name was resolved and before it was let go */
    CHECK_EQ(h.path.resolve_calls, 1);
    CHECK_EQ(h.path.release_calls, 1);

    /* copied before release: the hook has since overwritten its buffers */
    if (take_one(core, t, &e)) return 1;
    CHECK(utf16_is(event_image(e), e->image_bytes, IMAGE_NT_PATH));
    CHECK(utf16_is(event_sid(e), e->user_sid_bytes, USER_SID_TEXT));
    CHECK_EQ(e->flags & HG_EVENT_F_NAME_TRUNCATED, 0);
    CHECK_EQ(e->size, (HG_EVENT_HEADER_BYTES + e->key_path_bytes + e->image_bytes +
                       e->user_sid_bytes + HG_EVENT_ALIGN - 1u) & ~(HG_EVENT_ALIGN - 1u));
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

int test_identity_eager_strings_win_over_the_hook(void)
{
    unsigned char cfg[256];
    size_t len = cfg_simple(cfg, sizeof cfg, HG_OP_MASK_ALL, 0);
    hg_core *core = fixture_configured(cfg, len);
    test_request *t = treq_new(core, GE_MIN);
    static identity_hook h;
    static uint16_t eager_image[64], eager_sid[64];
    const HG_EVENT_HEADER *e;
    hg_raise_result r;
    hg_op op;

    CHECK(core != NULL && t != NULL);

    /* image known eagerly: only the SID is asked for */
    CHECK_EQ(hook_init(&h, KEY_MACHINE_SOFTWARE), 0);
    top_init(&op, HG_OP_SET_VALUE, 5);
    op.image = utf16_static(eager_image, 64, EAGER_IMAGE);
    raise_with(core, &h, &op, &r);
    CHECK_EQ(h.resolve_calls, 1);
    CHECK(!h.asked_image && h.asked_sid);
    CHECK(!h.released_image && h.released_sid);
    CHECK_EQ(h.release_calls, 1);
    if (take_one(core, t, &e)) return 1;
    CHECK(utf16_is(event_image(e), e->image_bytes, EAGER_IMAGE));
    CHECK(utf16_is(event_sid(e), e->user_sid_bytes, USER_SID_TEXT));

    /* SID known eagerly: only the image is asked for */
    CHECK_EQ(hook_init(&h, KEY_MACHINE_SOFTWARE), 0);
    top_init(&op, HG_OP_SET_VALUE, 5);
    op.user_sid = utf16_static(eager_sid, 64, EAGER_SID);
    raise_with(core, &h, &op, &r);
    CHECK_EQ(h.resolve_calls, 1);
    CHECK(h.asked_image && !h.asked_sid);
    CHECK(h.released_image && !h.released_sid);
    if (take_one(core, t, &e)) return 1;
    CHECK(utf16_is(event_image(e), e->image_bytes, IMAGE_NT_PATH));
    CHECK(utf16_is(event_sid(e), e->user_sid_bytes, EAGER_SID));

    /* both known (the user-mode host's case): the hook is never called */
    CHECK_EQ(hook_init(&h, KEY_MACHINE_SOFTWARE), 0);
    top_init(&op, HG_OP_SET_VALUE, 5);
    op.image = utf16_static(eager_image, 64, EAGER_IMAGE);
    op.user_sid = utf16_static(eager_sid, 64, EAGER_SID);
    raise_with(core, &h, &op, &r);
    CHECK_EQ(r.delivered, 1);
    CHECK_EQ(h.resolve_calls, 0);
    CHECK_EQ(h.release_calls, 0);
    if (take_one(core, t, &e)) return 1;
    CHECK(utf16_is(event_image(e), e->image_bytes, EAGER_IMAGE));
    CHECK(utf16_is(event_sid(e), e->user_sid_bytes, EAGER_SID));
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

int test_identity_failing_hook_yields_empty_fields(void)
{
    unsigned char cfg[256];
    HG_CONFIG_HEADER ch;
    size_t len;
    hg_core *core;
    test_request *t;
    static identity_hook h;
    static uint16_t eager_image[64];
    const HG_EVENT_HEADER *e;
    hg_op_source source;
    hg_raise_result r;
    hg_op op;
    HG_STATS before, after;

    cfg_defaults(&ch);
    ch.verdict_op_mask = HG_OP_BIT(HG_OP_DELETE_VALUE);
    ch.timeout_ms = HG_TIMEOUT_MIN_MS; /* nobody answers the verdict case below */
    len = cfg_encode(cfg, sizeof cfg, &ch, NULL, 0, NULL, 0);
    core = fixture_configured(cfg, len);
    t = treq_new(core, GE_MIN);
    CHECK(core != NULL && t != NULL);

    /* failure after lending: nothing of it on the wire, still released */
    CHECK_EQ(hook_init(&h, KEY_MACHINE_SOFTWARE), 0);
    h.status = HG_STATUS_INSUFFICIENT_RESOURCES;
    before = stats_of(core);
    top_init(&op, HG_OP_SET_VALUE, 6);
    raise_with(core, &h, &op, &r);
    after = stats_of(core);
    CHECK_EQ(r.delivered, 1);
    CHECK_EQ(r.verdict, HG_VERDICT_ALLOW);
    CHECK_EQ(h.resolve_calls, 1);
    CHECK_EQ(h.release_calls, 1);
    CHECK(h.released_same_strings);
    CHECK_EQ(after.filtered_out, before.filtered_out);
    CHECK_EQ(after.dropped, before.dropped);
    if (take_one(core, t, &e)) return 1;
    CHECK_EQ(e->image_bytes, 0);
    CHECK_EQ(e->user_sid_bytes, 0);
    CHECK_EQ(e->flags, 0);

    /* failure keeps the eager string that was not asked for */
    CHECK_EQ(hook_init(&h, KEY_MACHINE_SOFTWARE), 0);
    h.status = HG_STATUS_INVALID_PARAMETER;
    top_init(&op, HG_OP_SET_VALUE, 6);
    op.image = utf16_static(eager_image, 64, EAGER_IMAGE);
    raise_with(core, &h, &op, &r);
    if (take_one(core, t, &e)) return 1;
    CHECK(utf16_is(event_image(e), e->image_bytes, EAGER_IMAGE));
    CHECK_EQ(e->user_sid_bytes, 0);

    /* "success" with a NULL buffer and a length is read as empty */
    CHECK_EQ(hook_init(&h, KEY_MACHINE_SOFTWARE), 0);
    h.null_chars = 1;
    top_init(&op, HG_OP_SET_VALUE, 6);
    raise_with(core, &h, &op, &r);
    CHECK_EQ(h.release_calls, 1);
    CHECK(h.released_same_strings);
    if (take_one(core, t, &e)) return 1;
    CHECK_EQ(e->image_bytes, 0);
    CHECK_EQ(e->user_sid_bytes, 0);

    /* a failing hook on an operation that wants a verdict: it still asks
     * the agent and waits, exactly as without a hook (nobody answers here:
     * the fail mode, open, at the timeout) */
    CHECK_EQ(hook_init(&h, KEY_MACHINE_SOFTWARE), 0);
    h.status = HG_STATUS_INSUFFICIENT_RESOURCES;
    top_init(&op, HG_OP_DELETE_VALUE, 6);
    raise_with(core, &h, &op, &r);
    CHECK_EQ(r.verdict, HG_VERDICT_ALLOW);
    CHECK_EQ(r.waited, 1);
    CHECK_EQ(r.timed_out, 1);
    if (take_one(core, t, &e)) return 1;
    CHECK(e->flags & HG_EVENT_F_VERDICT_REQUESTED);
    CHECK_EQ(e->image_bytes, 0);

    /* a hook without a release routine is legal (static strings) */
    CHECK_EQ(hook_init(&h, KEY_MACHINE_SOFTWARE), 0);
    hook_bind(&h, &source);
    source.release_identity = NULL;
    top_init(&op, HG_OP_SET_VALUE, 6);
    hg_core_raise(core, &op, &source, &r);
    CHECK_EQ(h.resolve_calls, 1);
    CHECK_EQ(h.release_calls, 0);
    if (take_one(core, t, &e)) return 1;
    CHECK(utf16_is(event_image(e), e->image_bytes, IMAGE_NT_PATH));
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

int test_identity_caps_and_truncation(void)
{
    unsigned char cfg[256];
    size_t len = cfg_simple(cfg, sizeof cfg, HG_OP_MASK_ALL, 0);
    hg_core *core = fixture_configured(cfg, len);
    test_request *t = treq_new(core, GE_MIN);
    static identity_hook h;
    const HG_EVENT_HEADER *e;
    hg_raise_result r;
    hg_op op;
    uint32_t i;

    CHECK(core != NULL && t != NULL);
    /* longer than both caps: cut to them and flagged */
    CHECK_EQ(hook_init(&h, KEY_MACHINE_SOFTWARE), 0);
    for (i = 0; i < HG_IMAGE_MAX_BYTES / 2u + 10u; i++)
        h.image[i] = 'i';
    h.image_units = i;
    for (i = 0; i < HG_USER_SID_MAX_BYTES / 2u + 10u; i++)
        h.sid[i] = 's';
    h.sid_units = i;
    top_init(&op, HG_OP_SET_VALUE, 7);
    raise_with(core, &h, &op, &r);
    CHECK_EQ(h.release_calls, 1);
    if (take_one(core, t, &e)) return 1;
    CHECK_EQ(e->image_bytes, HG_IMAGE_MAX_BYTES);
    CHECK_EQ(e->user_sid_bytes, HG_USER_SID_MAX_BYTES);
    CHECK(e->flags & HG_EVENT_F_NAME_TRUNCATED);
    CHECK_EQ(event_image(e)[0], 'i');
    CHECK_EQ(event_sid(e)[HG_USER_SID_MAX_BYTES - 2u], 's');

    /* exactly at the caps: whole, no flag */
    CHECK_EQ(hook_init(&h, KEY_MACHINE_SOFTWARE), 0);
    for (i = 0; i < HG_IMAGE_MAX_BYTES / 2u; i++)
        h.image[i] = 'i';
    h.image_units = i;
    for (i = 0; i < HG_USER_SID_MAX_BYTES / 2u; i++)
        h.sid[i] = 's';
    h.sid_units = i;
    top_init(&op, HG_OP_SET_VALUE, 7);
    raise_with(core, &h, &op, &r);
    if (take_one(core, t, &e)) return 1;
    CHECK_EQ(e->image_bytes, HG_IMAGE_MAX_BYTES);
    CHECK_EQ(e->user_sid_bytes, HG_USER_SID_MAX_BYTES);
    CHECK_EQ(e->flags & HG_EVENT_F_NAME_TRUNCATED, 0);

    /* a surrogate pair straddling the image cap loses its high half */
    CHECK_EQ(hook_init(&h, KEY_MACHINE_SOFTWARE), 0);
    for (i = 0; i < HG_IMAGE_MAX_BYTES / 2u - 1u; i++)
        h.image[i] = 'i';
    h.image[i++] = 0xD83D;
    h.image[i++] = 0xDE00;
    h.image_units = i;
    top_init(&op, HG_OP_SET_VALUE, 7);
    raise_with(core, &h, &op, &r);
    if (take_one(core, t, &e)) return 1;
    CHECK_EQ(e->image_bytes, HG_IMAGE_MAX_BYTES - 2u);
    CHECK(e->flags & HG_EVENT_F_NAME_TRUNCATED);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

int test_identity_released_when_the_event_is_dropped(void)
{
    unsigned char cfg[256];
    HG_CONFIG_HEADER ch;
    static identity_hook h;
    hg_raise_result r;
    hg_core *core;
    uint32_t i;
    size_t len;
    hg_op op;
    HG_STATS s;

    cfg_defaults(&ch);
    ch.max_backlog = HG_BACKLOG_MIN;
    len = cfg_encode(cfg, sizeof cfg, &ch, NULL, 0, NULL, 0);
    core = fixture_configured(cfg, len);
    CHECK(core != NULL);
    CHECK_EQ(hook_init(&h, KEY_MACHINE_SOFTWARE), 0);
    for (i = 0; i < HG_BACKLOG_MIN + 3u; i++) {
        top_init(&op, HG_OP_SET_VALUE, 8);
        raise_with(core, &h, &op, &r);
    }
    s = stats_of(core);
    CHECK_EQ(s.dropped, HG_BACKLOG_MIN + 3u - HG_BACKLOG_MIN / 4u * 3u); /* audit-only: the watermark */
    /* matched, so asked - and every loan came back, dropped or not */
    CHECK_EQ(h.resolve_calls, HG_BACKLOG_MIN + 3u);
    CHECK_EQ(h.release_calls, HG_BACKLOG_MIN + 3u);
    hg_core_destroy(core);
    return 0;
}

/* Image subscription entries: the hook is asked once, before the match
 * completes, only when the path entries leave the decision open, and that
 * one lookup also fills the event; a failed lookup delivers. */
int test_identity_image_entries_resolve_once_and_fail_open(void)
{
    static const cfg_pattern p[] = {
        { { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, HG_FAIL_INHERIT, "\\regedit.exe" }, HG_MATCH_SUFFIX, HG_TARGET_IMAGE },
        { { HG_PREFIX_EXCLUDE, 0, HG_OP_MASK_ALL, 0, HG_FAIL_INHERIT, KEY_MACHINE_SOFTWARE "\\Quiet" }, HG_MATCH_PREFIX, HG_TARGET_KEY_PATH },
    };
    static identity_hook h;
    static uint16_t eager_image[64];
    unsigned char cfg[1024];
    HG_CONFIG_HEADER ch;
    const HG_EVENT_HEADER *e;
    hg_core *core;
    test_request *t;
    hg_raise_result r;
    hg_op op;
    size_t len;

    cfg_defaults(&ch);
    len = cfg_encode_patterns(cfg, sizeof cfg, &ch, p, 2, NULL, 0);
    CHECK(len != 0u);
    core = fixture_configured(cfg, len);
    t = treq_new(core, GE_MIN);
    CHECK(core != NULL && t != NULL);

    /* the image decides: one lookup, reused by the event */
    CHECK_EQ(hook_init(&h, KEY_MACHINE_SOFTWARE "\\Run"), 0);
    top_init(&op, HG_OP_SET_VALUE, 900);
    raise_with(core, &h, &op, &r);
    CHECK_EQ(r.delivered, 1);
    CHECK_EQ(h.resolve_calls, 1);
    CHECK_EQ(h.release_calls, 1);
    CHECK(h.released_same_strings);
    if (take_one(core, t, &e)) return 1;
    CHECK(utf16_is(event_image(e), e->image_bytes, IMAGE_NT_PATH));
    CHECK(utf16_is(event_sid(e), e->user_sid_bytes, USER_SID_TEXT));

    /* another image: filtered out after its one lookup */
    CHECK_EQ(hook_init(&h, KEY_MACHINE_SOFTWARE "\\Run"), 0);
    h.image_units = (uint32_t)utf8_to_utf16("\\Device\\HarddiskVolume3\\Windows\\notepad.exe", h.image, IDENTITY_MAX_UNITS);
    raise_with(core, &h, &op, &r);
    CHECK_EQ(r.delivered, 0);
    CHECK_EQ(h.resolve_calls, 1);
    CHECK_EQ(h.release_calls, 1);

    /* the path excludes: no lookup at all */
    CHECK_EQ(hook_init(&h, KEY_MACHINE_SOFTWARE "\\Quiet\\X"), 0);
    raise_with(core, &h, &op, &r);
    CHECK_EQ(r.delivered, 0);
    CHECK_EQ(h.resolve_calls, 0);

    /* the eager image is matched without the hook being asked for it */
    CHECK_EQ(hook_init(&h, KEY_MACHINE_SOFTWARE "\\Run"), 0);
    op.image = utf16_static(eager_image, 64, "C:\\Windows\\regedit.exe");
    raise_with(core, &h, &op, &r);
    CHECK_EQ(r.delivered, 1);
    CHECK(!h.asked_image && h.asked_sid);
    CHECK_EQ(h.resolve_calls, 1);
    if (take_one(core, t, &e)) return 1;
    CHECK(utf16_is(event_image(e), e->image_bytes, "C:\\Windows\\regedit.exe"));
    memset(&op.image, 0, sizeof op.image);

    /* a failed lookup never hides the operation */
    CHECK_EQ(hook_init(&h, KEY_MACHINE_SOFTWARE "\\Run"), 0);
    h.status = HG_STATUS_ACCESS_DENIED;
    raise_with(core, &h, &op, &r);
    CHECK_EQ(r.delivered, 1);
    CHECK_EQ(h.resolve_calls, 1);
    CHECK_EQ(h.release_calls, 1);
    if (take_one(core, t, &e)) return 1;
    CHECK_EQ(e->image_bytes, 0u);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}
