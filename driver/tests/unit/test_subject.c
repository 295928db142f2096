/* DATA and NEW_NAME entries (wire minor 2): Sysmon's Details rendering,
 * matching after path and image, the unknown rule, validation. */
#include <string.h>

#include "tests.h"
#include "core_internal.h"

#define SET HG_OP_SET_VALUE
#define REN HG_OP_RENAME_KEY
#define DATA_OPS HG_TARGET_DATA_OPS
#define NEW_OPS HG_TARGET_NEW_NAME_OPS

static hg_subscription *compile_with(const cfg_pattern *p, size_t n, uint32_t verdict_mask, uint32_t *status)
{
    return cfg_compile(p, n, verdict_mask, NULL, 0, status);
}

/* A value's data as the callback would hand it to capture_data. */
typedef struct fake_data {
    const unsigned char *bytes;
    uint32_t size;
    int faults;
} fake_data;

static uint32_t fake_capture(void *ctx, void *dst, uint32_t cap, int *unreadable)
{
    fake_data *d = (fake_data *)ctx;
    uint32_t n = cap < d->size ? cap : d->size;

    if (d->faults) {
        *unreadable = 1;
        return 0;
    }
    memcpy(dst, d->bytes, n);
    return n;
}

/* Renders into `room` units and compares with the expected UTF-8 text;
 * NULL expected: unknown. */
static int renders_in(uint32_t room, uint32_t type, const void *bytes, uint32_t size, int faults,
                      const char *expected)
{
    fake_data d = { (const unsigned char *)bytes, size, faults };
    hg_op_source src;
    hg_op op;
    static uint16_t out[HG_DATA_MATCH_MAX_BYTES / 2u + 16u], want[HG_DATA_MATCH_MAX_BYTES / 2u + 16u];
    uint32_t units = 99;
    int known, n;

    memset(&src, 0, sizeof src);
    memset(&op, 0, sizeof op);
    src.capture_data = size != 0u ? fake_capture : NULL;
    src.ctx = &d;
    op.operation = SET;
    op.value_type = type;
    op.data_original_size = size;
    if (room > sizeof out / sizeof out[0])
        return 0;
    known = hg_details_render(&op, &src, out, room, &units);
    if (expected == NULL)
        return !known;
    n = utf8_to_utf16(expected, want, sizeof want / sizeof want[0]);
    return known && n >= 0 && units == (uint32_t)n && memcmp(out, want, units * 2u) == 0;
}

/* ... into what the raise path keeps on its stack. */
static int renders(uint32_t type, const void *bytes, uint32_t size, int faults, const char *expected)
{
    return renders_in(HG_DETAILS_STACK_UNITS, type, bytes, size, faults, expected);
}

/* UTF-16LE text with its NUL, as RegSetValueExW stores a REG_SZ. */
static uint32_t sz(const char *s, unsigned char *out)
{
    uint32_t i = 0;

    for (; s[i] != '\0'; i++) {
        out[2 * i] = (unsigned char)s[i];
        out[2 * i + 1] = 0;
    }
    out[2 * i] = out[2 * i + 1] = 0;
    return 2 * i + 2;
}

int test_subject_details_render_like_sysmon(void)
{
    static unsigned char big[HG_DATA_MATCH_MAX_BYTES + 2];
    static char big_text[HG_DATA_MATCH_MAX_BYTES / 2u + 1u];
    unsigned char text[64];
    const unsigned char dword[] = { 0x0a, 0, 0, 0 }, qword[] = { 2, 0, 0, 0, 1, 0, 0, 0 };
    const unsigned char with_nul[] = { 'a', 0, 0, 0, 'b', 0, 0, 0 };
    uint32_t n = sz("C:\\Windows\\evil.vbs", text), i;

    /* the formats of the recordings (model/ValueRendering) */
    CHECK(renders(1, text, n, 0, "C:\\Windows\\evil.vbs"));
    CHECK(renders(2, text, n, 0, "C:\\Windows\\evil.vbs"));
    CHECK(renders(1, text, 0, 0, "(Empty)"));
    CHECK(renders(1, "\0\0", 2, 0, "(Empty)"));
    CHECK(renders(1, with_nul, sizeof with_nul, 0, "a"));                /* up to the first NUL */
    CHECK(renders(1, text, n - 3u, 0, "C:\\Windows\\evil.vb"));         /* no NUL, odd byte dropped */
    CHECK(renders(4, dword, 4, 0, "DWORD (0x0000000a)"));
    CHECK(renders(4, "\xff\xff\xff\xff", 4, 0, "DWORD (0xffffffff)"));
    CHECK(renders(4, dword, 3, 0, "Binary Data"));
    CHECK(renders(11, qword, 8, 0, "QWORD (0x00000001-0x00000002)"));
    CHECK(renders(11, qword, 7, 0, "Binary Data"));
    CHECK(renders(3, qword, 8, 0, "Binary Data"));
    CHECK(renders(0, NULL, 0, 0, "Binary Data"));
    CHECK(renders(5, dword, 4, 0, "Binary Data"));                     /* big-endian DWORD */
    /* unknown: a type not rendered, too long, unreadable */
    CHECK(renders(7, text, n, 0, NULL));
    /* a text longer than the stack buffer: known in a buffer of its size
     * (raise.c's pool buffer), up to the cap; "unknown" in a smaller one
     * and past the cap; the other renderings fit the stack whatever the
     * data's length */
    for (i = 0; i < HG_DATA_MATCH_MAX_BYTES / 2u; i++) {
        big[2u * i] = 'A';
        big[2u * i + 1u] = 0;
        big_text[i] = 'A';
    }
    big[HG_DATA_MATCH_MAX_BYTES] = 'A';
    big[HG_DATA_MATCH_MAX_BYTES + 1u] = 0;
    CHECK(renders(1, big, 2u * HG_DETAILS_STACK_UNITS, 0, NULL) == 0); /* fills the stack buffer: known */
    CHECK(renders(1, big, 2u * HG_DETAILS_STACK_UNITS + 2u, 0, NULL)); /* one unit more: not there */
    CHECK(renders_in(HG_DATA_MATCH_MAX_BYTES / 2u, 1, big, HG_DATA_MATCH_MAX_BYTES, 0, big_text));
    CHECK(renders_in(HG_DATA_MATCH_MAX_BYTES / 2u + 16u, 1, big, HG_DATA_MATCH_MAX_BYTES + 2u, 0, NULL));
    CHECK(renders(3, big, HG_DATA_MATCH_MAX_BYTES + 2u, 0, "Binary Data"));
    CHECK(renders(4, big, HG_DATA_MATCH_MAX_BYTES + 2u, 0, "DWORD (0x00410041)"));
    CHECK(renders(1, text, n, 1, NULL));
    CHECK(renders(4, dword, 4, 1, NULL));
    return 0;
}

/* The path part, then the image part (never here: no image entry), then
 * - only if still open - the subject, as raise.c runs them. *asked tells
 * whether the subject was needed. known 0: unknown subject. */
static hg_match match_subject(const hg_subscription *sub, uint16_t operation, const char *path,
                              const char *value, const char *head, const char *tail, int known, int *asked)
{
    return cfg_match_stages(sub, operation, path, value, NULL, head, known ? tail : NULL, NULL, asked);
}

#define CV "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion"

int test_subject_data_include_exclude_unknown(void)
{
    static const cfg_pattern p[] = {
        /* Sigma: TargetObject contains CurrentVersion AND Details contains VBScript -> the Details test */
        { { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, DATA_OPS, 2500, HG_FAIL_CLOSED, "vbscript" }, HG_MATCH_CONTAINS, HG_TARGET_DATA },
        { { HG_PREFIX_INCLUDE, 0, DATA_OPS, 0, 0, ".dll" }, HG_MATCH_SUFFIX, HG_TARGET_DATA },
        { { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, CV "\\Run" }, HG_MATCH_PREFIX, HG_TARGET_KEY_PATH },
        { { HG_PREFIX_EXCLUDE, 0, DATA_OPS, 0, 0, "(Empty)" }, HG_MATCH_SUFFIX, HG_TARGET_DATA },
    };
    uint32_t st;
    int asked;
    hg_match m;
    hg_subscription *sub = compile_with(p, 4, DATA_OPS, &st);

    CHECK_EQ(st, HG_STATUS_SUCCESS);
    CHECK(sub != NULL && sub->patterns != NULL);
    /* the path says nothing: the data decides, upcased, with its verdict */
    m = match_subject(sub, SET, CV "\\Explorer", "x", "", "mshta VBScript:Execute(1)", 1, &asked);
    CHECK(asked && m.delivered && m.wants_verdict);
    CHECK_EQ(m.timeout_ms, 2500u);
    CHECK_EQ(m.fail_mode, HG_FAIL_CLOSED);
    m = match_subject(sub, SET, CV "\\Explorer", "x", "", "C:\\x\\a.DLL", 1, &asked);
    CHECK(asked && m.delivered && !m.wants_verdict);
    m = match_subject(sub, SET, CV "\\Explorer", "x", "", "C:\\x\\a.dll.txt", 1, &asked);
    CHECK(asked && !m.delivered);                                       /* suffix at the end only */
    m = match_subject(sub, SET, CV "\\Explorer", "x", "", "DWORD (0x00000001)", 1, &asked);
    CHECK(asked && !m.delivered);
    /* unknown data: every data include counts, with its verdict; nothing hidden */
    m = match_subject(sub, SET, CV "\\Explorer", "x", "", "", 0, &asked);
    CHECK(asked && m.delivered && m.wants_verdict);
    /* the path includes: only a data EXCLUDE can still matter */
    m = match_subject(sub, SET, CV "\\Run", "x", "", "(Empty)", 1, &asked);
    CHECK(asked && !m.delivered);
    m = match_subject(sub, SET, CV "\\Run", "x", "", "C:\\a.exe", 1, &asked);
    CHECK(asked && m.delivered);
    m = match_subject(sub, SET, CV "\\Run", "x", "", "", 0, &asked);   /* unknown never excludes */
    CHECK(asked && m.delivered);
    /* other classes never read data */
    m = match_subject(sub, HG_OP_CREATE_KEY, CV "\\Explorer", "", "", "vbscript", 1, &asked);
    CHECK(!asked && !m.delivered);
    m = match_subject(sub, HG_OP_CREATE_KEY, CV "\\Run\\A", "", "", "(Empty)", 1, &asked);
    CHECK(!asked && m.delivered);
    hg_subscription_free(sub);
    return 0;
}

/* A path include without a verdict and a verdict-flagged data include: the
 * data must still be looked at for an included SetValue, or the blocking
 * rule behind the data entry would never make its caller wait. */
int test_subject_verdict_include_is_asked_when_the_path_included(void)
{
    static const cfg_pattern p[] = {
        { { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, DATA_OPS, 2500, HG_FAIL_CLOSED, "vbscript" }, HG_MATCH_CONTAINS, HG_TARGET_DATA },
        { { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, CV "\\Run" }, HG_MATCH_PREFIX, HG_TARGET_KEY_PATH },
    };
    uint32_t st;
    int asked;
    hg_match m;
    hg_subscription *sub = compile_with(p, 2, DATA_OPS, &st);

    CHECK_EQ(st, HG_STATUS_SUCCESS);
    m = match_subject(sub, SET, CV "\\Run", "x", "", "mshta vbscript:x", 1, &asked);
    CHECK(asked && m.delivered && m.wants_verdict);
    CHECK_EQ(m.timeout_ms, 2500u);
    m = match_subject(sub, SET, CV "\\Run", "x", "", "C:\\a.exe", 1, &asked);
    CHECK(asked && m.delivered && !m.wants_verdict);
    hg_subscription_free(sub);
    /* Without a verdict class the data cannot change anything: not read. */
    sub = compile_with(p, 2, 0, &st);
    CHECK_EQ(st, HG_STATUS_SUCCESS);
    m = match_subject(sub, SET, CV "\\Run", "x", "", "mshta vbscript:x", 1, &asked);
    CHECK(!asked && m.delivered && !m.wants_verdict);
    hg_subscription_free(sub);
    return 0;
}

int test_subject_new_name_spans_parent_and_leaf(void)
{
    static const cfg_pattern p[] = {
        /* Sigma: NewName contains \Services\ ; NewName ends with \Run */
        { { HG_PREFIX_INCLUDE, 0, NEW_OPS, 0, 0, "\\CurrentControlSet\\Services\\Evil" }, HG_MATCH_CONTAINS, HG_TARGET_NEW_NAME },
        { { HG_PREFIX_INCLUDE, 0, NEW_OPS, 0, 0, "\\CurrentVersion\\Run" }, HG_MATCH_SUFFIX, HG_TARGET_NEW_NAME },
    };
    uint32_t st;
    int asked;
    hg_match m;
    hg_subscription *sub = compile_with(p, 2, 0, &st);

    CHECK_EQ(st, HG_STATUS_SUCCESS);
    /* the pattern spans the parent path and the new leaf name */
    m = match_subject(sub, REN, "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Old", "",
                      "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\", "EvilSvc", 1, &asked);
    CHECK(asked && m.delivered);
    m = match_subject(sub, REN, "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Old", "",
                      "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\", "Good", 1, &asked);
    CHECK(asked && !m.delivered);
    m = match_subject(sub, REN, CV "\\Xyz", "", CV "\\", "Run", 1, &asked);
    CHECK(asked && m.delivered);
    m = match_subject(sub, REN, CV "\\Xyz", "", CV "\\", "RunOnce", 1, &asked);
    CHECK(asked && !m.delivered);
    m = match_subject(sub, REN, CV "\\Xyz", "", "", "", 0, &asked);
    CHECK(asked && m.delivered);
    m = match_subject(sub, SET, CV "\\Xyz", "Run", "", "Run", 1, &asked);
    CHECK(!asked && !m.delivered);
    hg_subscription_free(sub);
    return 0;
}

int test_subject_entries_validated(void)
{
    static const cfg_pattern bad[] = {
        { { HG_PREFIX_INCLUDE, 0, DATA_OPS, 0, 0, "x" }, HG_MATCH_PREFIX, HG_TARGET_DATA },
        { { HG_PREFIX_INCLUDE, 0, DATA_OPS | HG_OP_BIT(HG_OP_DELETE_VALUE), 0, 0, "x" }, HG_MATCH_CONTAINS, HG_TARGET_DATA },
        { { HG_PREFIX_INCLUDE, 0, NEW_OPS, 0, 0, "x" }, HG_MATCH_PREFIX, HG_TARGET_NEW_NAME },
        { { HG_PREFIX_EXCLUDE, 0, NEW_OPS | DATA_OPS, 0, 0, "x" }, HG_MATCH_SUFFIX, HG_TARGET_NEW_NAME },
        { { HG_PREFIX_INCLUDE, 0, DATA_OPS, 0, 0, "x" }, HG_MATCH_CONTAINS, HG_TARGET_NEW_NAME + 1 },
    };
    uint32_t st, i;
    hg_subscription *sub;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sub = compile_with(&bad[i], 1, 0, &st);
        if (st != HG_STATUS_INVALID_PARAMETER || sub != NULL) {
            fprintf(stderr, "  case %u\n", i);
            hg_subscription_free(sub);
            return 1;
        }
    }
    return 0;
}

/*
 * Text data past the stack buffer, through the whole raise path (raise.c
 * renders it into a pool buffer of its size): a command line of 600
 * characters whose telling part is at its end is judged by its data like a
 * short one - delivered when a DATA include matches, filtered out when
 * none does - and text past HG_DATA_MATCH_MAX_BYTES is "unknown",
 * delivered. Before, every text over 256 bytes was unknown: the recordings
 * hold such values (long Run-key and service command lines), and a Sigma
 * rule on Details could not narrow them.
 */
int test_subject_long_text_is_matched_through_the_raise_path(void)
{
    static const cfg_pattern p[] = {
        { { HG_PREFIX_INCLUDE, 0, DATA_OPS, 0, 0, "-EncodedCommand" }, HG_MATCH_CONTAINS, HG_TARGET_DATA },
        { { HG_PREFIX_INCLUDE, 0, DATA_OPS, 0, 0, ".vbs" }, HG_MATCH_SUFFIX, HG_TARGET_DATA },
    };
    static const char *tails[] = { " -EncodedCommand SQBFAFgA", " C:\\Users\\Public\\run.vbs", " -NoProfile" };
    static const int delivered[] = { 1, 1, 0 };
    static unsigned char buf[4096], data[HG_DATA_MATCH_MAX_BYTES + 64u];
    HG_CONFIG_HEADER h;
    hg_core *core;
    hg_raise_result r;
    hg_op op;
    size_t len;
    uint32_t i, k, units;

    cfg_defaults(&h);
    len = cfg_encode_patterns(buf, sizeof buf, &h, p, 2, NULL, 0);
    core = fixture_configured(buf, len);
    CHECK(core != NULL);
    for (i = 0; i < 3u; i++) {
        /* 600 units of "powershell.exe ..." padding, then the tail, then the NUL */
        for (units = 0; units < 600u; units++) {
            data[2u * units] = (unsigned char)"powershell.exe "[units % 15u];
            data[2u * units + 1u] = 0;
        }
        for (k = 0; tails[i][k] != '\0'; k++, units++) {
            data[2u * units] = (unsigned char)tails[i][k];
            data[2u * units + 1u] = 0;
        }
        data[2u * units] = data[2u * units + 1u] = 0;
        top_init(&op, SET, 10);
        op.value_type = 1; /* REG_SZ */
        raise_path(core, &op, CV "\\Run", data, 2u * units + 2u, &r);
        if ((int)r.delivered != delivered[i]) {
            fprintf(stderr, "  tail %u: delivered %u\n", i, r.delivered);
            hg_core_destroy(core);
            return 1;
        }
    }
    /* past the cap: unknown, delivered though no include's text is in it */
    memset(data, 'A', HG_DATA_MATCH_MAX_BYTES + 2u);
    top_init(&op, SET, 10);
    op.value_type = 1;
    raise_path(core, &op, CV "\\Run", data, HG_DATA_MATCH_MAX_BYTES + 2u, &r);
    CHECK(r.delivered);
    CHECK_EQ(stats_of(core).filtered_out, 1);
    hg_core_destroy(core);
    return 0;
}
