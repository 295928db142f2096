/* test_match.c - subscription semantics as documented above HG_CONFIG_HEADER:
 * op masks, callers, pids, include/exclude prefixes (exclude wins, longest
 * include decides), case-insensitivity, and the cheap-first ordering. */
#include "tests.h"

#define CFG_CAP 8192

static hg_core *core_with_timeout(const cfg_prefix *p, size_t n, const uint64_t *pids, size_t npids,
                                  uint32_t op_mask, uint32_t verdict_mask, uint32_t flags,
                                  uint32_t timeout_ms)
{
    static unsigned char buf[CFG_CAP];
    HG_CONFIG_HEADER h;
    size_t len;

    cfg_defaults(&h);
    h.op_mask = op_mask;
    h.verdict_op_mask = verdict_mask;
    h.flags = flags;
    h.timeout_ms = timeout_ms;
    len = cfg_encode(buf, sizeof buf, &h, p, n, pids, npids);
    return len ? fixture_configured(buf, len) : NULL;
}

static hg_core *core_with(const cfg_prefix *p, size_t n, const uint64_t *pids, size_t npids,
                          uint32_t op_mask, uint32_t verdict_mask, uint32_t flags)
{
    return core_with_timeout(p, n, pids, npids, op_mask, verdict_mask, flags, HG_TIMEOUT_DEFAULT_MS);
}

static int delivered(hg_core *core, uint16_t operation, uint64_t pid, const char *path)
{
    hg_raise_result r;
    hg_op op;

    top_init(&op, operation, pid);
    raise_path(core, &op, path, NULL, 0, &r);
    return (int)r.delivered;
}

int test_match_op_mask(void)
{
    hg_core *core = core_with(NULL, 0, NULL, 0, HG_OP_BIT(HG_OP_SET_VALUE) | HG_OP_BIT(HG_OP_RENAME_KEY), 0, 0);

    CHECK(core != NULL);
    CHECK(delivered(core, HG_OP_SET_VALUE, 1, "\\REGISTRY\\A"));
    CHECK(delivered(core, HG_OP_RENAME_KEY, 1, "\\REGISTRY\\A"));
    CHECK(!delivered(core, HG_OP_OPEN_KEY, 1, "\\REGISTRY\\A"));
    CHECK(!delivered(core, HG_OP_NONE, 1, "\\REGISTRY\\A"));
    CHECK(!delivered(core, HG_OP_COUNT, 1, "\\REGISTRY\\A"));
    CHECK(!delivered(core, 0xFFFF, 1, "\\REGISTRY\\A"));
    hg_core_destroy(core);
    return 0;
}

/* Excluded pids name processes, not numbers: CONFIGURE translates each pid
 * into the key of the process that has it then. A later process that gets
 * the same pid is not excluded; the excluded process still is, under any
 * pid it reports; a pid with no process behind it is ignored. */
int test_match_excluded_pid_reused_by_new_process(void)
{
    static const uint64_t pids[] = { 300, 301 }; /* 301 never runs */
    const uint64_t old_key = 0xA000300u, new_key = 0xB000300u;
    hg_raise_result r;
    hg_core *core;
    hg_op op;

    CHECK(plat_posix_process_start(300, old_key));
    core = core_with(NULL, 0, pids, 2, HG_OP_MASK_ALL, 0, 0);
    CHECK(core != NULL);

    top_init(&op, HG_OP_SET_VALUE, 300);
    op.process_key = old_key;
    raise_path(core, &op, "\\REGISTRY\\A", NULL, 0, &r);
    CHECK_EQ(r.delivered, 0);

    /* The excluded process exits; a new one is given pid 300. */
    plat_posix_process_exit(old_key);
    CHECK(plat_posix_process_start(300, new_key));
    top_init(&op, HG_OP_SET_VALUE, 300);
    op.process_key = new_key;
    raise_path(core, &op, "\\REGISTRY\\A", NULL, 0, &r);
    CHECK_EQ(r.delivered, 1);

    /* 301 named no process at CONFIGURE: whoever reports it is delivered. */
    CHECK(delivered(core, HG_OP_SET_VALUE, 301, "\\REGISTRY\\A"));

    /* Reconfiguring now excludes the new holder of pid 300. */
    hg_core_destroy(core);
    core = core_with(NULL, 0, pids, 2, HG_OP_MASK_ALL, 0, 0);
    CHECK(core != NULL);
    raise_path(core, &op, "\\REGISTRY\\A", NULL, 0, &r);
    CHECK_EQ(r.delivered, 0);
    plat_posix_process_exit(new_key);
    hg_core_destroy(core);
    return 0;
}

int test_match_self_and_kernel_and_pids(void)
{
    static const uint64_t pids[] = { 900, 4, 77 };
    hg_core *core;
    hg_raise_result r;
    hg_op op;
    HG_STATS s;

    processes_start(pids, 3);
    core = core_with(NULL, 0, pids, 3, HG_OP_MASK_ALL, 0, 0);
    processes_exit(pids, 3); /* translated at CONFIGURE: their keys stay excluded */

    CHECK(core != NULL);
    top_init(&op, HG_OP_SET_VALUE, 50);
    op.process_key = TEST_CLIENT_KEY; /* the agent itself */
    raise_path(core, &op, "\\REGISTRY\\A", NULL, 0, &r);
    CHECK_EQ(r.delivered, 0);
    s = stats_of(core);
    CHECK_EQ(s.self_excluded, 1);
    CHECK_EQ(s.filtered_out, 1);

    top_init(&op, HG_OP_SET_VALUE, 50);
    op.kernel_caller = 1;
    raise_path(core, &op, "\\REGISTRY\\A", NULL, 0, &r);
    CHECK_EQ(r.delivered, 0);
    CHECK(!delivered(core, HG_OP_SET_VALUE, 4, "\\REGISTRY\\A"));
    CHECK(!delivered(core, HG_OP_SET_VALUE, 77, "\\REGISTRY\\A"));
    CHECK(!delivered(core, HG_OP_SET_VALUE, 900, "\\REGISTRY\\A"));
    CHECK(delivered(core, HG_OP_SET_VALUE, 5, "\\REGISTRY\\A"));
    s = stats_of(core);
    CHECK_EQ(s.filtered_out, 5);
    CHECK_EQ(s.self_excluded, 1);
    hg_core_destroy(core);

    core = core_with(NULL, 0, NULL, 0, HG_OP_MASK_ALL, 0, HG_CFG_F_INCLUDE_KERNEL_CALLERS);
    CHECK(core != NULL);
    top_init(&op, HG_OP_SET_VALUE, 50);
    op.kernel_caller = 1;
    raise_path(core, &op, "\\REGISTRY\\A", NULL, 0, &r);
    CHECK_EQ(r.delivered, 1);
    hg_core_destroy(core);
    return 0;
}

int test_match_include_exclude_semantics(void)
{
    static const cfg_prefix p[] = {
        { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, KEY_MACHINE_SOFTWARE },
        { HG_PREFIX_EXCLUDE, 0, HG_OP_MASK_ALL, 0, 0, KEY_MACHINE_SOFTWARE "\\Noise" },
        { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, KEY_MACHINE_SOFTWARE "\\Noise\\Important" },
        { HG_PREFIX_EXCLUDE, 0, HG_OP_BIT(HG_OP_OPEN_KEY), 0, 0, "\\REGISTRY\\USER" },
        { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL & ~HG_OP_BIT(HG_OP_FLUSH_KEY), 0, 0, "\\REGISTRY\\USER" },
    };
    hg_core *core = core_with(p, 5, NULL, 0, HG_OP_MASK_ALL, 0, 0);

    CHECK(core != NULL);
    CHECK(delivered(core, HG_OP_SET_VALUE, 1, KEY_MACHINE_SOFTWARE "\\Vendor"));
    CHECK(delivered(core, HG_OP_SET_VALUE, 1, KEY_MACHINE_SOFTWARE));
    /* plain string prefix: no separator required */
    CHECK(delivered(core, HG_OP_SET_VALUE, 1, KEY_MACHINE_SOFTWARE "Other"));
    CHECK(!delivered(core, HG_OP_SET_VALUE, 1, "\\REGISTRY\\MACHINE\\SYSTEM"));
    CHECK(!delivered(core, HG_OP_SET_VALUE, 1, "\\REGISTRY\\MACHINE"));
    /* exclude wins, even over a longer include below it */
    CHECK(!delivered(core, HG_OP_SET_VALUE, 1, KEY_MACHINE_SOFTWARE "\\Noise"));
    CHECK(!delivered(core, HG_OP_SET_VALUE, 1, KEY_MACHINE_SOFTWARE "\\Noise\\Important\\x"));
    /* per-prefix op masks */
    CHECK(!delivered(core, HG_OP_OPEN_KEY, 1, "\\REGISTRY\\USER\\S-1-5-21"));
    CHECK(delivered(core, HG_OP_CREATE_KEY, 1, "\\REGISTRY\\USER\\S-1-5-21"));
    CHECK(!delivered(core, HG_OP_FLUSH_KEY, 1, "\\REGISTRY\\USER\\S-1-5-21"));
    CHECK(!delivered(core, HG_OP_SET_VALUE, 1, ""));
    hg_core_destroy(core);
    return 0;
}

int test_match_case_insensitive_including_non_ascii(void)
{
    static const cfg_prefix p[] = {
        { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "\\registry\\user\\café\\ŁÓDŹ\\中文" },
        { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "\\REGISTRY\\USER\\Πελάτης" },
    };
    hg_core *core = core_with(p, 2, NULL, 0, HG_OP_MASK_ALL, 0, 0);

    CHECK(core != NULL);
    CHECK(delivered(core, HG_OP_SET_VALUE, 1, "\\REGISTRY\\USER\\CAFÉ\\łódź\\中文\\Run"));
    CHECK(delivered(core, HG_OP_SET_VALUE, 1, "\\Registry\\User\\Café\\Łódź\\中文"));
    CHECK(!delivered(core, HG_OP_SET_VALUE, 1, "\\REGISTRY\\USER\\CAFE\\LODZ\\中文"));
    CHECK(delivered(core, HG_OP_SET_VALUE, 1, "\\REGISTRY\\USER\\ΠΕΛΆΤΗΣ"));
    /* dotless i is not folded onto ASCII I */
    CHECK(!delivered(core, HG_OP_SET_VALUE, 1, "\\REGıSTRY\\USER\\CAFÉ\\ŁÓDŹ\\中文"));
    hg_core_destroy(core);
    return 0;
}

int test_match_longest_include_decides_verdict(void)
{
    static const cfg_prefix p[] = {
        { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_MASK_ALL, 0, 0, KEY_MACHINE_SOFTWARE },
        { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, KEY_MACHINE_SOFTWARE "\\Audit" },
        { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_MASK_ALL, 7, HG_FAIL_CLOSED, KEY_MACHINE_SOFTWARE "\\Audit\\Block" },
    };
    hg_core *core = core_with_timeout(p, 3, NULL, 0, HG_OP_MASK_ALL, HG_OP_BIT(HG_OP_SET_VALUE), 0,
                                      HG_TIMEOUT_MIN_MS);
    test_request *t = treq_new(core, GE_MIN);
    const HG_EVENT_HEADER *e;
    hg_raise_result r;
    hg_op op;
    size_t w;

    CHECK(core != NULL && t != NULL);
    /* nothing parked: a verdict request still queues and waits (1 ms here,
     * nobody reads) - the flag on the event tells us the match wanted a
     * verdict, the timeout which rule's fail mode applied */
    top_init(&op, HG_OP_SET_VALUE, 1);
    raise_path(core, &op, KEY_MACHINE_SOFTWARE "\\X", NULL, 0, &r);
    CHECK(r.waited && r.timed_out && r.verdict == HG_VERDICT_ALLOW);
    raise_path(core, &op, KEY_MACHINE_SOFTWARE "\\Audit\\X", NULL, 0, &r);
    CHECK(!r.waited);
    raise_path(core, &op, KEY_MACHINE_SOFTWARE "\\Audit\\Block\\X", NULL, 0, &r);
    CHECK(r.waited && r.timed_out && r.verdict == HG_VERDICT_BLOCK); /* the rule fails closed */
    top_init(&op, HG_OP_DELETE_KEY, 1); /* not in verdict_op_mask */
    raise_path(core, &op, KEY_MACHINE_SOFTWARE "\\Audit\\Block\\X", NULL, 0, &r);
    CHECK(!r.waited);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &t->req, &w), HG_STATUS_SUCCESS);
    CHECK((e = batch_event(t->buffer, 0)) != NULL);
    CHECK(e->flags & HG_EVENT_F_VERDICT_REQUESTED);
    CHECK((e = batch_event(t->buffer, 1)) != NULL);
    CHECK(!(e->flags & HG_EVENT_F_VERDICT_REQUESTED));
    CHECK((e = batch_event(t->buffer, 2)) != NULL);
    CHECK(e->flags & HG_EVENT_F_VERDICT_REQUESTED);
    CHECK_EQ(e->timeout_ms, 7);
    CHECK((e = batch_event(t->buffer, 3)) != NULL);
    CHECK(!(e->flags & HG_EVENT_F_VERDICT_REQUESTED));
    CHECK_EQ(stats_of(core).defaults_applied, 0);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

int test_match_duplicate_includes_first_wins(void)
{
    static const cfg_prefix p[] = {
        { HG_PREFIX_INCLUDE, 0, HG_OP_BIT(HG_OP_SET_VALUE), 0, 0, "\\REGISTRY\\A" },
        { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_MASK_ALL, 0, 0, "\\registry\\a" },
    };
    hg_core *core = core_with_timeout(p, 2, NULL, 0, HG_OP_MASK_ALL, HG_OP_MASK_ALL, 0,
                                      HG_TIMEOUT_MIN_MS);
    test_request *t = treq_new(core, GE_MIN);
    hg_raise_result r;
    hg_op op;
    size_t w;

    CHECK(core != NULL && t != NULL);
    top_init(&op, HG_OP_SET_VALUE, 1);
    raise_path(core, &op, "\\REGISTRY\\A\\B", NULL, 0, &r);   /* first entry: no verdict */
    top_init(&op, HG_OP_DELETE_KEY, 1);
    raise_path(core, &op, "\\REGISTRY\\A\\B", NULL, 0, &r);   /* only the second has the class */
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &t->req, &w), HG_STATUS_SUCCESS);
    CHECK(!(batch_event(t->buffer, 0)->flags & HG_EVENT_F_VERDICT_REQUESTED));
    CHECK(batch_event(t->buffer, 1)->flags & HG_EVENT_F_VERDICT_REQUESTED);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

/* Cheap things first: no name resolution for what the class, the caller or
 * the pid already rules out; no data copy for what the prefixes rule out. */
int test_match_cheap_first_ordering(void)
{
    static const cfg_prefix p[] = {
        { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, KEY_MACHINE_SOFTWARE },
    };
    static const uint64_t pids[] = { 66 };
    hg_core *core;
    static test_source src;
    hg_op_source source;
    hg_raise_result r;
    hg_op op;
    char data[8] = "payload";

    processes_start(pids, 1);
    core = core_with(p, 1, pids, 1, HG_OP_BIT(HG_OP_SET_VALUE), 0, 0);
    processes_exit(pids, 1);
    CHECK(core != NULL);
    tsrc_init(&src, "\\REGISTRY\\MACHINE\\SYSTEM");
    src.data = data;
    src.data_len = sizeof data;
    tsrc_bind(&src, &source);
    top_init(&op, HG_OP_DELETE_KEY, 1);
    hg_core_raise(core, &op, &source, &r);
    top_init(&op, HG_OP_SET_VALUE, 66);
    hg_core_raise(core, &op, &source, &r);
    top_init(&op, HG_OP_SET_VALUE, 1);
    op.process_key = TEST_CLIENT_KEY;
    hg_core_raise(core, &op, &source, &r);
    CHECK_EQ(src.resolve_calls, 0);
    top_init(&op, HG_OP_SET_VALUE, 1);
    op.data_original_size = sizeof data;
    hg_core_raise(core, &op, &source, &r);
    CHECK_EQ(src.resolve_calls, 1);
    CHECK_EQ(src.release_calls, 1);
    CHECK_EQ(src.capture_calls, 0);
    CHECK_EQ(r.delivered, 0);
    tsrc_init(&src, KEY_MACHINE_SOFTWARE "\\X");
    src.data = data;
    src.data_len = sizeof data;
    hg_core_raise(core, &op, &source, &r);
    CHECK_EQ(src.capture_calls, 1);
    CHECK_EQ(r.delivered, 1);
    /* a name that cannot be resolved: dropped (not filtered), released,
     * allowed here because the class wants no verdict (see test_verdict.c
     * for the fail mode) */
    src.fail_resolve = 1;
    src.release_calls = 0;
    hg_core_raise(core, &op, &source, &r);
    CHECK_EQ(r.delivered, 0);
    CHECK_EQ(r.verdict, HG_VERDICT_ALLOW);
    CHECK_EQ(src.release_calls, 1);
    CHECK_EQ(stats_of(core).filtered_out, 4);
    CHECK_EQ(stats_of(core).name_unresolved, 1);
    hg_core_destroy(core);
    return 0;
}

/* Matching cost does not depend on the number of prefixes: with 4096
 * prefixes sharing a node, a path still resolves correctly at every depth
 * (the cost itself is measured by the benchmark, not here). */
int test_match_wide_fanout(void)
{
    static cfg_prefix many[HG_PREFIX_MAX_COUNT];
    static char names[HG_PREFIX_MAX_COUNT][32];
    unsigned char *buf = malloc(HG_CONFIG_MAX_BYTES);
    HG_CONFIG_HEADER h;
    hg_core *core;
    size_t len, i;
    char path[64];

    CHECK(buf != NULL);
    for (i = 0; i < HG_PREFIX_MAX_COUNT; i++) {
        /* every prefix diverges at one shared node: one unit per prefix */
        names[i][0] = '\\';
        names[i][1] = 'R';
        names[i][2] = (char)0; /* filled below as UTF-8 of U+4E00 + i: CJK, caseless, so
                                  no two prefixes fold to the same unit */
        snprintf(names[i] + 2, sizeof names[i] - 2, "%c%c%c",
                 (char)(0xE0 | ((0x4E00 + i) >> 12)), (char)(0x80 | (((0x4E00 + i) >> 6) & 0x3F)),
                 (char)(0x80 | ((0x4E00 + i) & 0x3F)));
        many[i].kind = (i % 3 == 0) ? HG_PREFIX_EXCLUDE : HG_PREFIX_INCLUDE;
        many[i].op_mask = HG_OP_MASK_ALL;
        many[i].utf8 = names[i];
    }
    cfg_defaults(&h);
    len = cfg_encode(buf, HG_CONFIG_MAX_BYTES, &h, many, HG_PREFIX_MAX_COUNT, NULL, 0);
    CHECK(len != 0);
    core = fixture_configured(buf, len);
    CHECK(core != NULL);
    for (i = 0; i < HG_PREFIX_MAX_COUNT; i += 97) {
        snprintf(path, sizeof path, "%s\\key", names[i]);
        CHECK_EQ(delivered(core, HG_OP_SET_VALUE, 1, path), i % 3 != 0);
    }
    hg_core_destroy(core);
    free(buf);
    return 0;
}
