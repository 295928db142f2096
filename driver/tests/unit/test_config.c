/* test_config.c - CONFIGURE validation: one status per class of malformed
 * input, and a rejected buffer changes nothing. */
#include "tests.h"

#define CFG_CAP 8192

static const cfg_prefix k_three[] = {
    { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_MASK_ALL, 100, HG_FAIL_CLOSED, KEY_MACHINE_SOFTWARE "\\Run" },
    { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, HG_FAIL_INHERIT, "\\REGISTRY\\USER" },
    { HG_PREFIX_EXCLUDE, 0, HG_OP_MASK_ALL, 0, HG_FAIL_INHERIT, KEY_MACHINE_SOFTWARE "\\Run\\Quiet" },
};
static const uint64_t k_pids[] = { 4, 1234 };

static size_t good_config(unsigned char *buf)
{
    HG_CONFIG_HEADER h;
    cfg_defaults(&h);
    h.verdict_op_mask = HG_OP_BIT(HG_OP_SET_VALUE);
    return cfg_encode(buf, CFG_CAP, &h, k_three, 3, k_pids, 2);
}

static HG_CONFIG_HEADER *hdr(unsigned char *buf)
{
    return (HG_CONFIG_HEADER *)(void *)buf;
}

static HG_PREFIX_ENTRY *entry(unsigned char *buf, int i)
{
    return (HG_PREFIX_ENTRY *)(void *)(buf + sizeof(HG_CONFIG_HEADER) + (size_t)i * sizeof(HG_PREFIX_ENTRY));
}

/* Applies `len` bytes of buf to a bound core that already has the good
 * configuration and checks the status and that generation did not move. */
static int expect_reject(unsigned char *buf, size_t len, uint32_t status)
{
    unsigned char good[CFG_CAP];
    size_t glen = good_config(good);
    hg_core *core = fixture_configured(good, glen);
    HG_STATS before, after;

    CHECK(core != NULL);
    before = stats_of(core);
    CHECK_EQ(hg_core_configure(core, TEST_CLIENT_KEY, buf, len), status);
    after = stats_of(core);
    CHECK_EQ(after.config_generation, before.config_generation);
    hg_core_destroy(core);
    return 0;
}

int test_config_accepts_canonical_and_counts_generation(void)
{
    unsigned char buf[CFG_CAP];
    size_t len = good_config(buf);
    hg_core *core = fixture_bound(HG_VERDICT_ALLOW);

    CHECK(core != NULL);
    CHECK_EQ(stats_of(core).config_generation, 0);
    CHECK_EQ(hg_core_configure(core, TEST_CLIENT_KEY, buf, len), HG_STATUS_SUCCESS);
    CHECK_EQ(hg_core_configure(core, TEST_CLIENT_KEY, buf, len), HG_STATUS_SUCCESS);
    CHECK_EQ(stats_of(core).config_generation, 2);
    hg_core_destroy(core);
    return 0;
}

int test_config_size_classes(void)
{
    unsigned char buf[CFG_CAP];
    size_t len = good_config(buf);
    unsigned char *big;

    if (expect_reject(buf, sizeof(HG_CONFIG_HEADER) - 1, HG_STATUS_BUFFER_TOO_SMALL)) return 1;
    if (expect_reject(buf, 0, HG_STATUS_BUFFER_TOO_SMALL)) return 1;
    if (expect_reject(buf, len - 2, HG_STATUS_INFO_LENGTH_MISMATCH)) return 1;
    big = calloc(1, HG_CONFIG_MAX_BYTES + 8);
    CHECK(big != NULL);
    memcpy(big, buf, len);
    hdr(big)->total_bytes = HG_CONFIG_MAX_BYTES + 8;
    if (expect_reject(big, HG_CONFIG_MAX_BYTES + 8, HG_STATUS_INVALID_BUFFER_SIZE)) { free(big); return 1; }
    free(big);
    return 0;
}

int test_config_trailing_pool_bytes_are_legal(void)
{
    unsigned char buf[CFG_CAP];
    size_t len = good_config(buf);
    hg_core *core = fixture_bound(HG_VERDICT_ALLOW);

    CHECK(core != NULL);
    buf[len] = 0;
    buf[len + 1] = 0;
    hdr(buf)->total_bytes = (uint32_t)len + 2;
    CHECK_EQ(hg_core_configure(core, TEST_CLIENT_KEY, buf, len + 2), HG_STATUS_SUCCESS);
    hg_core_destroy(core);
    return 0;
}

int test_config_bad_magic(void)
{
    unsigned char buf[CFG_CAP];
    size_t len = good_config(buf);

    hdr(buf)->magic ^= 1u;
    return expect_reject(buf, len, HG_STATUS_UNKNOWN_REVISION);
}

/* Each header field one step outside its legal range. */
int test_config_header_ranges(void)
{
    static const struct { size_t offset; unsigned width; uint32_t value; } cases[] = {
        { offsetof(HG_CONFIG_HEADER, op_mask), 4, 1u },                       /* bit 0 unused */
        { offsetof(HG_CONFIG_HEADER, op_mask), 4, HG_OP_BIT(HG_OP_COUNT) },
        { offsetof(HG_CONFIG_HEADER, verdict_op_mask), 4, HG_OP_BIT(HG_OP_COUNT) },
        { offsetof(HG_CONFIG_HEADER, flags), 4, 2u },
        { offsetof(HG_CONFIG_HEADER, timeout_ms), 4, HG_TIMEOUT_MIN_MS - 1u },
        { offsetof(HG_CONFIG_HEADER, timeout_ms), 4, HG_TIMEOUT_MAX_MS + 1u },
        { offsetof(HG_CONFIG_HEADER, fail_mode), 2, HG_FAIL_INHERIT },
        { offsetof(HG_CONFIG_HEADER, fail_mode), 2, 3u },
        { offsetof(HG_CONFIG_HEADER, default_verdict), 2, HG_VERDICT_NONE },
        { offsetof(HG_CONFIG_HEADER, default_verdict), 2, 3u },
        { offsetof(HG_CONFIG_HEADER, max_backlog), 4, HG_BACKLOG_MIN - 1u },
        { offsetof(HG_CONFIG_HEADER, max_backlog), 4, HG_BACKLOG_MAX + 1u },
        { offsetof(HG_CONFIG_HEADER, data_cap), 4, HG_DATA_CAP_MAX + 1u },
        { offsetof(HG_CONFIG_HEADER, prefix_count), 2, HG_PREFIX_MAX_COUNT + 1u },
        { offsetof(HG_CONFIG_HEADER, excluded_pid_count), 2, HG_EXCLUDED_PID_MAX_COUNT + 1u },
        { offsetof(HG_CONFIG_HEADER, reserved0), 4, 1u },
        { offsetof(HG_CONFIG_HEADER, volume_count), 2, HG_VOLUME_MAX_COUNT + 1u },
        { offsetof(HG_CONFIG_HEADER, group_count), 2, 0x8000u },
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char buf[CFG_CAP];
        size_t len = good_config(buf);

        if (cases[i].width == 4)
            memcpy(buf + cases[i].offset, &cases[i].value, 4);
        else {
            uint16_t v = (uint16_t)cases[i].value;
            memcpy(buf + cases[i].offset, &v, 2);
        }
        if (expect_reject(buf, len, HG_STATUS_INVALID_PARAMETER)) {
            fprintf(stderr, "  case %zu (offset %zu)\n", i, cases[i].offset);
            return 1;
        }
    }
    return 0;
}

int test_config_verdict_mask_must_be_subset(void)
{
    unsigned char buf[CFG_CAP];
    size_t len = good_config(buf);

    hdr(buf)->op_mask = HG_OP_BIT(HG_OP_DELETE_KEY);
    hdr(buf)->verdict_op_mask = HG_OP_BIT(HG_OP_SET_VALUE);
    return expect_reject(buf, len, HG_STATUS_INVALID_PARAMETER);
}

int test_config_tables_must_fit(void)
{
    unsigned char buf[CFG_CAP];
    size_t len = good_config(buf);

    hdr(buf)->excluded_pid_count = 200; /* tables now run past total_bytes */
    return expect_reject(buf, len, HG_STATUS_INVALID_PARAMETER);
}

/* Each prefix entry field one step outside its legal range. */
int test_config_prefix_ranges(void)
{
    int i;

    for (i = 0; i < 19; i++) {
        unsigned char buf[CFG_CAP];
        size_t len = good_config(buf);
        HG_PREFIX_ENTRY *e = entry(buf, 0), *x = entry(buf, 2);
        size_t pool = sizeof(HG_CONFIG_HEADER) + 3 * sizeof(HG_PREFIX_ENTRY) + 2 * sizeof(uint64_t);

        switch (i) {
        case 0: e->kind = 0; break;
        case 1: e->kind = 3; break;
        case 2: e->flags = 2; break;
        case 3: x->flags = HG_PREFIX_F_VERDICT; break;         /* EXCLUDE carries no verdict */
        case 4: e->op_mask = 0; break;
        case 5: e->op_mask = 1; break;
        case 6: e->timeout_ms = HG_TIMEOUT_MAX_MS + 1; break;
        case 7: e->fail_mode = 3; break;
        case 8: e->string_bytes = 3; break;                    /* odd */
        case 9: e->string_bytes = 0; break;
        case 10: e->string_offset += 1; break;                 /* odd offset */
        case 11: e->string_offset = (uint32_t)pool - 2; break; /* inside the pid table */
        case 12: e->string_offset = (uint32_t)len; break;      /* past the end */
        case 13: e->match = HG_MATCH_EXACT + 1; break;
        case 14: e->target = HG_TARGET_NEW_NAME + 1; break;
        case 15: e->target = HG_TARGET_FULL_NAME; break;       /* every class, but full name: value classes only */
        case 16: e->match = HG_MATCH_SUFFIX;                   /* full name: value classes only */
                 e->target = HG_TARGET_FULL_NAME; break;
        case 17: x->match = HG_MATCH_CONTAINS;
                 x->target = HG_TARGET_FULL_NAME;
                 x->op_mask = HG_TARGET_FULL_NAME_OPS | HG_OP_BIT(HG_OP_CREATE_KEY); break;
        case 18: e->target = HG_TARGET_FULL_NAME;              /* EXACT too: value classes only */
                 e->match = HG_MATCH_EXACT; break;
        }
        if (expect_reject(buf, len, HG_STATUS_INVALID_PARAMETER)) {
            fprintf(stderr, "  case %d\n", i);
            return 1;
        }
    }
    return 0;
}

int test_config_prefix_too_long(void)
{
    static unsigned char buf[2 * HG_PREFIX_MAX_BYTES + 256];
    char longest[HG_PREFIX_MAX_BYTES / 2 + 2];
    cfg_prefix p = { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, longest };
    HG_CONFIG_HEADER h;
    size_t len;
    hg_core *core = fixture_bound(HG_VERDICT_ALLOW);

    CHECK(core != NULL);
    cfg_defaults(&h);
    memset(longest, 'K', HG_PREFIX_MAX_BYTES / 2);
    longest[HG_PREFIX_MAX_BYTES / 2] = '\0';
    len = cfg_encode(buf, sizeof buf, &h, &p, 1, NULL, 0);
    CHECK(len != 0);
    CHECK_EQ(hg_core_configure(core, TEST_CLIENT_KEY, buf, len), HG_STATUS_SUCCESS);
    longest[HG_PREFIX_MAX_BYTES / 2] = 'K';
    longest[HG_PREFIX_MAX_BYTES / 2 + 1] = '\0';
    len = cfg_encode(buf, sizeof buf, &h, &p, 1, NULL, 0);
    CHECK(len != 0);
    CHECK_EQ(hg_core_configure(core, TEST_CLIENT_KEY, buf, len), HG_STATUS_INVALID_PARAMETER);
    hg_core_destroy(core);
    return 0;
}

int test_config_overlapping_strings(void)
{
    unsigned char buf[CFG_CAP];
    size_t len = good_config(buf);

    entry(buf, 1)->string_offset = entry(buf, 0)->string_offset; /* same start */
    if (expect_reject(buf, len, HG_STATUS_INVALID_PARAMETER))
        return 1;
    len = good_config(buf);
    entry(buf, 1)->string_offset = entry(buf, 0)->string_offset + 2; /* inside the first */
    return expect_reject(buf, len, HG_STATUS_INVALID_PARAMETER);
}

int test_config_state_and_caller(void)
{
    unsigned char buf[CFG_CAP];
    size_t len = good_config(buf);
    hg_core_params params = { .no_client_verdict = HG_VERDICT_ALLOW, .capabilities = 0, .instance_id = 1 };
    hg_core *core;

    CHECK_EQ(hg_core_create(&params, &core), HG_STATUS_SUCCESS);
    CHECK_EQ(hg_core_configure(core, TEST_CLIENT_KEY, buf, len), HG_STATUS_INVALID_DEVICE_STATE);
    CHECK_EQ(hg_core_open(core, TEST_CLIENT_KEY), HG_STATUS_SUCCESS);
    CHECK_EQ(hg_core_configure(core, TEST_CLIENT_KEY, buf, len), HG_STATUS_INVALID_DEVICE_STATE);
    CHECK_EQ(fixture_hello(core, TEST_CLIENT_KEY), HG_STATUS_SUCCESS);
    CHECK_EQ(hg_core_configure(core, TEST_CLIENT_KEY + 1, buf, len), HG_STATUS_ACCESS_DENIED);
    CHECK_EQ(stats_of(core).config_generation, 0);
    CHECK_EQ(hg_core_configure(core, TEST_CLIENT_KEY, buf, len), HG_STATUS_SUCCESS);
    hg_core_destroy(core);
    return 0;
}

/* A rejected configuration leaves the previous one in force. */
int test_config_rejected_keeps_previous(void)
{
    unsigned char buf[CFG_CAP];
    size_t len = cfg_simple(buf, sizeof buf, HG_OP_BIT(HG_OP_SET_VALUE), 0);
    hg_core *core = fixture_configured(buf, len);
    hg_raise_result r;
    hg_op op;

    CHECK(core != NULL);
    len = cfg_simple(buf, sizeof buf, HG_OP_BIT(HG_OP_DELETE_KEY), 0);
    hdr(buf)->reserved0 = 7;
    CHECK_EQ(hg_core_configure(core, TEST_CLIENT_KEY, buf, len), HG_STATUS_INVALID_PARAMETER);
    top_init(&op, HG_OP_SET_VALUE, 10);
    raise_path(core, &op, KEY_MACHINE_SOFTWARE, NULL, 0, &r);
    CHECK_EQ(r.delivered, 1);
    top_init(&op, HG_OP_DELETE_KEY, 10);
    raise_path(core, &op, KEY_MACHINE_SOFTWARE, NULL, 0, &r);
    CHECK_EQ(r.delivered, 0);
    hg_core_destroy(core);
    return 0;
}

/* The largest legal tables compile (4096 prefixes, 256 pids). */
int test_config_maximum_tables(void)
{
    static cfg_prefix many[HG_PREFIX_MAX_COUNT];
    static char names[HG_PREFIX_MAX_COUNT][48];
    static uint64_t pids[HG_EXCLUDED_PID_MAX_COUNT];
    unsigned char *buf = malloc(HG_CONFIG_MAX_BYTES);
    HG_CONFIG_HEADER h;
    size_t len, i;
    hg_core *core;
    hg_raise_result r;
    hg_op op;

    CHECK(buf != NULL);
    for (i = 0; i < HG_PREFIX_MAX_COUNT; i++) {
        snprintf(names[i], sizeof names[i], "\\REGISTRY\\MACHINE\\SOFTWARE\\V%04zu", i);
        many[i].kind = (i % 2) ? HG_PREFIX_EXCLUDE : HG_PREFIX_INCLUDE;
        many[i].op_mask = HG_OP_MASK_ALL;
        many[i].utf8 = names[i];
    }
    for (i = 0; i < HG_EXCLUDED_PID_MAX_COUNT; i++)
        pids[i] = 5000 - i;
    processes_start(pids, HG_EXCLUDED_PID_MAX_COUNT);
    cfg_defaults(&h);
    len = cfg_encode(buf, HG_CONFIG_MAX_BYTES, &h, many, HG_PREFIX_MAX_COUNT, pids, HG_EXCLUDED_PID_MAX_COUNT);
    CHECK(len != 0);
    core = fixture_configured(buf, len);
    CHECK(core != NULL);
    top_init(&op, HG_OP_SET_VALUE, 1);
    raise_path(core, &op, KEY_MACHINE_SOFTWARE "\\V0100\\x", NULL, 0, &r);
    CHECK_EQ(r.delivered, 1);
    raise_path(core, &op, KEY_MACHINE_SOFTWARE "\\V0101\\x", NULL, 0, &r);
    CHECK_EQ(r.delivered, 0);
    top_init(&op, HG_OP_SET_VALUE, 5000 - 255);
    raise_path(core, &op, KEY_MACHINE_SOFTWARE "\\V0100\\x", NULL, 0, &r);
    CHECK_EQ(r.delivered, 0);
    processes_exit(pids, HG_EXCLUDED_PID_MAX_COUNT);
    hg_core_destroy(core);
    free(buf);
    return 0;
}

/* ---- the volume map (wire minor 2) ------------------------------------------------ */

static const cfg_pattern k_image_entry[] = {
    { { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "C:\\Windows\\" }, HG_MATCH_PREFIX, HG_TARGET_IMAGE },
};

static size_t volume_config(unsigned char *buf, const cfg_volume *v, size_t n)
{
    HG_CONFIG_HEADER h;
    cfg_defaults(&h);
    return cfg_encode_volumes(buf, CFG_CAP, &h, k_image_entry, 1, k_pids, 2, v, n);
}

static HG_VOLUME_ENTRY *volume(unsigned char *buf, int i)
{
    return (HG_VOLUME_ENTRY *)(void *)(buf + sizeof(HG_CONFIG_HEADER) + sizeof(HG_PREFIX_ENTRY) +
                                       2 * sizeof(uint64_t) + (size_t)i * sizeof(HG_VOLUME_ENTRY));
}

/* A full map (26 letters) is accepted; each entry field one step outside
 * its range, a letter or a device twice, or a name sharing bytes with an
 * entry string is rejected and leaves the previous configuration. */
int test_config_volume_map_ranges(void)
{
    static char names[HG_VOLUME_MAX_COUNT][40];
    cfg_volume full[HG_VOLUME_MAX_COUNT];
    char longest[HG_VOLUME_DEVICE_MAX_BYTES / 2 + 2];
    int i;

    for (i = 0; i < (int)HG_VOLUME_MAX_COUNT; i++) {
        snprintf(names[i], sizeof names[i], "\\Device\\HarddiskVolume%d", i + 1);
        full[i].device = names[i];
        full[i].drive = (uint16_t)('A' + i);
    }
    {
        unsigned char buf[CFG_CAP];
        size_t len = volume_config(buf, full, HG_VOLUME_MAX_COUNT);
        hg_core *core = fixture_configured(buf, len);
        CHECK(len != 0 && core != NULL);
        hg_core_destroy(core);
    }
    memset(longest, 'x', sizeof longest);
    longest[0] = '\\';
    longest[HG_VOLUME_DEVICE_MAX_BYTES / 2 + 1] = '\0'; /* one unit too long */
    for (i = 0; i < 14; i++) {
        unsigned char buf[CFG_CAP];
        cfg_volume v[2] = { { "\\Device\\HarddiskVolume3", 'C' }, { "\\Device\\HarddiskVolume4", 'D' } };
        size_t len;
        size_t pool = sizeof(HG_CONFIG_HEADER) + sizeof(HG_PREFIX_ENTRY) + 2 * sizeof(uint64_t) +
                      2 * sizeof(HG_VOLUME_ENTRY);

        switch (i) {
        case 0: v[1].drive = 'C'; break;                              /* a letter twice */
        case 1: v[1].device = "\\DEVICE\\harddiskvolume3"; break;     /* a device twice, any case */
        case 2: v[1].drive = 'd'; break;                              /* upper-case letters only */
        case 3: v[1].drive = 'A' - 1; break;
        case 4: v[1].drive = 'Z' + 1; break;
        case 5: v[1].device = "Device\\HarddiskVolume4"; break;       /* not \X */
        case 6: v[1].device = "\\Device\\HarddiskVolume4\\"; break;   /* trailing separator */
        case 7: v[1].device = "\\"; break;                            /* too short */
        case 8: v[1].device = longest; break;
        default: break;
        }
        len = volume_config(buf, v, 2);
        CHECK(len != 0);
        switch (i) {
        case 9: volume(buf, 1)->string_bytes = 3; break;               /* odd */
        case 10: volume(buf, 1)->string_offset += 1; break;           /* odd offset */
        case 11: volume(buf, 1)->string_offset = (uint32_t)pool - 8; break; /* inside the volume table */
        case 12: volume(buf, 1)->string_offset = (uint32_t)len; break; /* past the end */
        case 13: volume(buf, 1)->string_offset = entry(buf, 0)->string_offset; /* shares the entry's bytes */
                 volume(buf, 1)->string_bytes = 4; break;
        default: break;
        }
        if (expect_reject(buf, len, HG_STATUS_INVALID_PARAMETER)) {
            fprintf(stderr, "  case %d\n", i);
            return 1;
        }
    }
    return 0;
}
