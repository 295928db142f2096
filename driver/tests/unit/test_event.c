/* test_event.c - event encoding: layout, string order, caps and truncation
 * flags, data capture, sequence numbers. */
#include "tests.h"

static hg_core *core_data_cap(uint32_t data_cap)
{
    static unsigned char buf[512];
    HG_CONFIG_HEADER h;
    size_t len;

    cfg_defaults(&h);
    h.data_cap = data_cap;
    len = cfg_encode(buf, sizeof buf, &h, NULL, 0, NULL, 0);
    return fixture_configured(buf, len);
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

static int utf16_equals(const unsigned char *p, const char *utf8, uint32_t bytes)
{
    uint16_t units[1024];
    int n = utf8_to_utf16(utf8, units, 1024);

    return n >= 0 && (uint32_t)n * 2u == bytes && memcmp(p, units, bytes) == 0;
}

int test_event_layout_and_string_order(void)
{
    hg_core *core = core_data_cap(64);
    test_request *t = treq_new(core, GE_MIN);
    const HG_EVENT_HEADER *e;
    const unsigned char *p;
    static uint16_t vn[8], nn[8], im[32], sid[32];
    hg_raise_result r;
    hg_op op;
    const char data[] = "h\0i\0";

    CHECK(core != NULL && t != NULL);
    top_init(&op, HG_OP_SET_VALUE, 4242);
    op.session_id = 3;
    op.value_type = 1; /* REG_SZ */
    op.value_name.chars = vn;
    op.value_name.bytes = (uint32_t)utf8_to_utf16("Run", vn, 8) * 2u;
    op.new_name.chars = nn;
    op.new_name.bytes = (uint32_t)utf8_to_utf16("New", nn, 8) * 2u;
    op.image.chars = im;
    op.image.bytes = (uint32_t)utf8_to_utf16("C:\\x.exe", im, 32) * 2u;
    op.user_sid.chars = sid;
    op.user_sid.bytes = (uint32_t)utf8_to_utf16("S-1-5-18", sid, 32) * 2u;
    raise_path(core, &op, "\\REGISTRY\\MACHINE\\K", data, sizeof data - 1, &r);
    CHECK_EQ(r.delivered, 1);
    if (take_one(core, t, &e)) return 1;
    CHECK_EQ(e->operation, HG_OP_SET_VALUE);
    CHECK_EQ(e->pid, 4242);
    CHECK_EQ(e->tid, 42421);
    CHECK_EQ(e->session_id, 3);
    CHECK_EQ(e->value_type, 1);
    CHECK_EQ(e->id, 0);
    CHECK_EQ(e->sequence, 1);
    CHECK_EQ(e->timeout_ms, 0);
    CHECK_EQ(e->flags, 0);
    CHECK_EQ(e->reserved, 0);
    CHECK(e->timestamp > 130000000000000000ull); /* after 2012 in FILETIME */
    CHECK_EQ(e->data_original_size, 4);
    CHECK_EQ(e->data_bytes, 4);
    CHECK_EQ(e->size % HG_EVENT_ALIGN, 0);
    CHECK_EQ(e->size, (HG_EVENT_HEADER_BYTES + e->key_path_bytes + e->value_name_bytes + e->new_name_bytes +
                       e->image_bytes + e->user_sid_bytes + e->data_bytes + 7u) & ~7u);
    p = (const unsigned char *)e + HG_EVENT_HEADER_BYTES;
    CHECK(utf16_equals(p, "\\REGISTRY\\MACHINE\\K", e->key_path_bytes));
    p += e->key_path_bytes;
    CHECK(utf16_equals(p, "Run", e->value_name_bytes));
    p += e->value_name_bytes;
    CHECK(utf16_equals(p, "New", e->new_name_bytes));
    p += e->new_name_bytes;
    CHECK(utf16_equals(p, "C:\\x.exe", e->image_bytes));
    p += e->image_bytes;
    CHECK(utf16_equals(p, "S-1-5-18", e->user_sid_bytes));
    p += e->user_sid_bytes;
    CHECK(memcmp(p, data, 4) == 0);
    p += 4;
    while (p < (const unsigned char *)e + e->size)
        CHECK_EQ(*p++, 0); /* padding is zero */
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

int test_event_data_cap_and_flags(void)
{
    hg_core *core = core_data_cap(5);
    test_request *t = treq_new(core, GE_MIN);
    static test_source src;
    hg_op_source source;
    const HG_EVENT_HEADER *e;
    hg_raise_result r;
    hg_op op;
    char data[32];

    CHECK(core != NULL && t != NULL);
    memset(data, 'd', sizeof data);
    top_init(&op, HG_OP_SET_VALUE, 1);
    raise_path(core, &op, "\\REGISTRY\\K", data, sizeof data, &r);
    if (take_one(core, t, &e)) return 1;
    CHECK_EQ(e->data_bytes, 5);
    CHECK_EQ(e->data_original_size, 32);
    CHECK(e->flags & HG_EVENT_F_DATA_TRUNCATED);

    /* unreadable caller buffer: no data, its own flag */
    tsrc_init(&src, "\\REGISTRY\\K");
    src.unreadable = 1;
    tsrc_bind(&src, &source);
    top_init(&op, HG_OP_SET_VALUE, 1);
    op.data_original_size = 12;
    hg_core_raise(core, &op, &source, &r);
    if (take_one(core, t, &e)) return 1;
    CHECK_EQ(e->data_bytes, 0);
    CHECK(e->flags & HG_EVENT_F_DATA_UNREADABLE);
    CHECK(!(e->flags & HG_EVENT_F_DATA_TRUNCATED));

    /* fits: no flag; kernel caller flag passes through */
    top_init(&op, HG_OP_SET_VALUE, 1);
    op.kernel_caller = 1;
    hg_core_destroy(core);
    core = core_data_cap(HG_DATA_CAP_MAX);
    t->core = core;
    {
        unsigned char cfg[256];
        HG_CONFIG_HEADER h;
        size_t len;
        cfg_defaults(&h);
        h.flags = HG_CFG_F_INCLUDE_KERNEL_CALLERS;
        len = cfg_encode(cfg, sizeof cfg, &h, NULL, 0, NULL, 0);
        CHECK_EQ(hg_core_configure(core, TEST_CLIENT_KEY, cfg, len), HG_STATUS_SUCCESS);
    }
    raise_path(core, &op, "\\REGISTRY\\K", data, 3, &r);
    if (take_one(core, t, &e)) return 1;
    CHECK_EQ(e->data_bytes, 3);
    CHECK_EQ(e->flags, HG_EVENT_F_KERNEL_CALLER);

    /* data_cap 0: nothing captured, truncation visible */
    hg_core_destroy(core);
    core = core_data_cap(0);
    t->core = core;
    top_init(&op, HG_OP_SET_VALUE, 1);
    tsrc_init(&src, "\\REGISTRY\\K");
    src.data = data;
    src.data_len = 8;
    tsrc_bind(&src, &source);
    op.data_original_size = 8;
    hg_core_raise(core, &op, &source, &r);
    CHECK_EQ(src.capture_calls, 0);
    if (take_one(core, t, &e)) return 1;
    CHECK_EQ(e->data_bytes, 0);
    CHECK(e->flags & HG_EVENT_F_DATA_TRUNCATED);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

int test_event_name_caps_and_surrogates(void)
{
    hg_core *core = core_data_cap(0);
    test_request *t = treq_new(core, GE_MIN);
    static test_source src;
    static uint16_t value[HG_VALUE_NAME_MAX_BYTES];
    hg_op_source source;
    const HG_EVENT_HEADER *e;
    hg_raise_result r;
    hg_op op;
    uint32_t i;

    CHECK(core != NULL && t != NULL);
    /* a key path longer than its cap: cut, flagged; matching used all of it */
    tsrc_init(&src, "\\REGISTRY\\");
    for (i = src.path_units; i < HG_KEY_PATH_MAX_BYTES / 2 + 100; i++)
        src.path[i] = 'k';
    src.path_units = i;
    tsrc_bind(&src, &source);
    top_init(&op, HG_OP_CREATE_KEY, 1);
    hg_core_raise(core, &op, &source, &r);
    if (take_one(core, t, &e)) return 1;
    CHECK_EQ(e->key_path_bytes, HG_KEY_PATH_MAX_BYTES);
    CHECK(e->flags & HG_EVENT_F_NAME_TRUNCATED);

    /* a value name cut in the middle of a surrogate pair loses the high half */
    for (i = 0; i < HG_VALUE_NAME_MAX_BYTES / 2 - 1; i++)
        value[i] = 'v';
    value[i++] = 0xD83D; /* U+1F600 as D83D DE00, straddling the cap */
    value[i++] = 0xDE00;
    top_init(&op, HG_OP_SET_VALUE, 1);
    op.value_name.chars = value;
    op.value_name.bytes = i * 2u;
    raise_path(core, &op, "\\REGISTRY\\K", NULL, 0, &r);
    if (take_one(core, t, &e)) return 1;
    CHECK_EQ(e->value_name_bytes, HG_VALUE_NAME_MAX_BYTES - 2);
    CHECK(e->flags & HG_EVENT_F_NAME_TRUNCATED);

    /* odd byte counts from a source are rounded down, never read past */
    op.value_name.bytes = 7;
    raise_path(core, &op, "\\REGISTRY\\K", NULL, 0, &r);
    if (take_one(core, t, &e)) return 1;
    CHECK_EQ(e->value_name_bytes, 6);
    CHECK(!(e->flags & HG_EVENT_F_NAME_TRUNCATED));
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}

/* Sequence: +1 per event past the filter, so a drop leaves a visible gap.
 * These are audit-only events: they stop at the watermark (3/4 of the
 * backlog), the rest is kept for verdict events. */
#define AUDIT_LIMIT (HG_BACKLOG_MIN / 4u * 3u)
int test_event_sequence_gaps_show_drops(void)
{
    unsigned char buf[256];
    HG_CONFIG_HEADER h;
    hg_core *core;
    test_request *t;
    hg_raise_result r;
    hg_op op;
    size_t len, w;
    uint32_t i;

    cfg_defaults(&h);
    h.max_backlog = HG_BACKLOG_MIN;
    len = cfg_encode(buf, sizeof buf, &h, NULL, 0, NULL, 0);
    core = fixture_configured(buf, len);
    t = treq_new(core, HG_GET_EVENTS_MAX_BYTES);
    CHECK(core != NULL && t != NULL);
    top_init(&op, HG_OP_SET_VALUE, 1);
    for (i = 0; i < AUDIT_LIMIT + 3; i++)
        raise_path(core, &op, "\\REGISTRY\\K", NULL, 0, &r);
    CHECK_EQ(r.delivered, 0); /* the last ones were dropped */
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &t->req, &w), HG_STATUS_SUCCESS);
    CHECK_EQ(((const HG_BATCH_HEADER *)(const void *)t->buffer)->count, AUDIT_LIMIT);
    CHECK_EQ(((const HG_BATCH_HEADER *)(const void *)t->buffer)->dropped_total, 3);
    for (i = 0; i < AUDIT_LIMIT; i++)
        CHECK_EQ(batch_event(t->buffer, i)->sequence, i + 1u);
    raise_path(core, &op, "\\REGISTRY\\K", NULL, 0, &r);
    treq_reset(t);
    CHECK_EQ(hg_core_get_events(core, TEST_CLIENT_KEY, &t->req, &w), HG_STATUS_SUCCESS);
    CHECK_EQ(batch_event(t->buffer, 0)->sequence, AUDIT_LIMIT + 4u);
    treq_free(t);
    hg_core_destroy(core);
    return 0;
}
