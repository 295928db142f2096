/* test_keyname.c - canonical key names (core/keyname.c) and the evasion
 * spellings they close: each spelling of a protected key must be judged
 * like the plain one. The resolver below joins RootObject + CompleteName
 * through hg_keyname_canonical exactly as driver/sys/capture.c does. */
#include "tests.h"

#define RUN_KEY "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"
/* A protected prefix outside ASCII: Greek, Cyrillic and Latin Extended-B. */
#define INTL_KEY "\\REGISTRY\\MACHINE\\SOFTWARE\\Ελληνικά\\Кириллица\\Ǆemal"

/* Canonical form of root (may be NULL) + name, as UTF-8, or "" on error. */
static const char *canon(const char *root_utf8, const char *name_utf8, uint32_t *status)
{
    static uint16_t root_units[256], name_units[256], out[600];
    static char text[1200];
    hg_utf16 root, name, result;
    int rn = root_utf8 ? utf8_to_utf16(root_utf8, root_units, 256) : 0;
    int nn = utf8_to_utf16(name_utf8, name_units, 256);

    root.chars = root_units;
    root.bytes = (uint32_t)rn * 2u;
    name.chars = name_units;
    name.bytes = (uint32_t)nn * 2u;
    *status = hg_keyname_canonical(root_utf8 ? &root : NULL, &name, out, 600, &result);
    if (*status != HG_STATUS_SUCCESS)
        return "";
    utf16_to_utf8(result.chars, result.bytes / 2u, text, sizeof text);
    return text;
}

#define CHECK_CANON(root, name, want)                                   \
    do {                                                                \
        uint32_t st_;                                                   \
        const char *got_ = canon(root, name, &st_);                     \
        CHECK_EQ(st_, HG_STATUS_SUCCESS);                               \
        if (strcmp(got_, want) != 0) {                                  \
            printf("  canon(%s, %s) = \"%s\", want \"%s\"\n",           \
                   root ? root : "NULL", name, got_, want);             \
            CHECK(0);                                                   \
        }                                                               \
    } while (0)

int test_keyname_separators_collapse(void)
{
    CHECK_CANON(NULL, "\\REGISTRY\\MACHINE\\SOFTWARE", "\\REGISTRY\\MACHINE\\SOFTWARE");
    CHECK_CANON(NULL, "\\REGISTRY\\\\MACHINE\\\\\\SOFTWARE", "\\REGISTRY\\MACHINE\\SOFTWARE");
    CHECK_CANON(NULL, "\\\\REGISTRY\\MACHINE", "\\REGISTRY\\MACHINE");
    CHECK_CANON(NULL, "\\REGISTRY\\MACHINE\\SOFTWARE\\", "\\REGISTRY\\MACHINE\\SOFTWARE");
    CHECK_CANON(NULL, "\\REGISTRY\\MACHINE\\SOFTWARE\\\\\\", "\\REGISTRY\\MACHINE\\SOFTWARE");
    CHECK_CANON(NULL, "\\", "\\");
    CHECK_CANON(NULL, "\\\\\\", "\\");
    return 0;
}

int test_keyname_relative_joins_root(void)
{
    uint32_t st;

    CHECK_CANON("\\REGISTRY\\MACHINE", "SOFTWARE\\Microsoft", "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft");
    CHECK_CANON("\\REGISTRY\\MACHINE\\", "SOFTWARE", "\\REGISTRY\\MACHINE\\SOFTWARE");
    CHECK_CANON("\\REGISTRY\\MACHINE", "SOFTWARE\\\\Classes\\", "\\REGISTRY\\MACHINE\\SOFTWARE\\Classes");
    /* an empty CompleteName opens the root object itself */
    CHECK_CANON("\\REGISTRY\\MACHINE\\SOFTWARE", "", "\\REGISTRY\\MACHINE\\SOFTWARE");
    /* an absolute CompleteName ignores RootObject */
    CHECK_CANON("\\REGISTRY\\USER\\S-1-5-18", "\\REGISTRY\\MACHINE\\SYSTEM", "\\REGISTRY\\MACHINE\\SYSTEM");
    /* relative without a root: nothing to resolve against */
    CHECK_EQ(strcmp(canon(NULL, "SOFTWARE", &st), ""), 0);
    CHECK_EQ(st, HG_STATUS_INVALID_PARAMETER);
    CHECK_EQ(strcmp(canon("", "SOFTWARE", &st), ""), 0);
    CHECK_EQ(st, HG_STATUS_INVALID_PARAMETER);
    CHECK_EQ(strcmp(canon(NULL, "", &st), ""), 0);
    CHECK_EQ(st, HG_STATUS_INVALID_PARAMETER);
    return 0;
}

int test_keyname_bounds_and_aliasing(void)
{
    uint16_t buf[32];
    hg_utf16 name, root, result;
    int n = utf8_to_utf16("\\A\\\\B\\", buf, 32);

    name.chars = buf;
    name.bytes = (uint32_t)n * 2u;
    /* in place, without a root */
    CHECK_EQ(hg_keyname_canonical(NULL, &name, buf, 32, &result), HG_STATUS_SUCCESS);
    CHECK_EQ(result.bytes, 8u);
    CHECK(result.chars == buf && buf[0] == '\\' && buf[1] == 'A' && buf[2] == '\\' && buf[3] == 'B');
    /* the output must hold root + '\' + name */
    root.chars = buf;
    root.bytes = 8;
    CHECK_EQ(hg_keyname_max_units(&root, &name), 4u + 1u + (uint32_t)n);
    {
        uint16_t small[4];
        CHECK_EQ(hg_keyname_canonical(&root, &name, small, 4, &result), HG_STATUS_INVALID_PARAMETER);
    }
    /* odd byte counts are not UTF-16 */
    name.bytes = 3;
    CHECK_EQ(hg_keyname_canonical(NULL, &name, buf, 32, &result), HG_STATUS_INVALID_PARAMETER);
    return 0;
}

/* A pre-create/open source: RootObject's name + CompleteName. */
typedef struct rel_source {
    uint16_t root[256], name[256], out[600];
    hg_utf16 root_s, name_s;
    int has_root;
} rel_source;

static uint32_t rel_resolve(void *ctx, hg_utf16 *path)
{
    rel_source *s = ctx;
    return hg_keyname_canonical(s->has_root ? &s->root_s : NULL, &s->name_s, s->out, 600, path);
}

static void rel_release(void *ctx, hg_utf16 *path)
{
    (void)ctx;
    path->chars = NULL;
    path->bytes = 0;
}

/* 1 if raising CREATE_KEY for root + name asks for a verdict. */
static int judged(hg_core *core, const char *root_utf8, const char *name_utf8)
{
    static rel_source s;
    hg_op_source source;
    hg_raise_result r;
    hg_op op;

    memset(&s, 0, sizeof s);
    s.has_root = root_utf8 != NULL;
    s.root_s.chars = s.root;
    s.root_s.bytes = root_utf8 ? (uint32_t)utf8_to_utf16(root_utf8, s.root, 256) * 2u : 0u;
    s.name_s.chars = s.name;
    s.name_s.bytes = (uint32_t)utf8_to_utf16(name_utf8, s.name, 256) * 2u;
    memset(&source, 0, sizeof source);
    source.resolve_key_path = rel_resolve;
    source.release_key_path = rel_release;
    source.ctx = &s;
    top_init(&op, HG_OP_CREATE_KEY, 7);
    memset(&r, 0, sizeof r);
    hg_core_raise(core, &op, &source, &r);
    /* no agent is parked: a verdict-requested event is delivered with the
     * rule's timeout and gets the subscription's default; what matters
     * here is that the rule matched at all */
    return (int)r.delivered;
}

int test_keyname_evasion_spellings_are_judged(void)
{
    static const cfg_prefix p[] = {
        { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_MASK_ALL, 50, HG_FAIL_CLOSED, RUN_KEY },
        { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_MASK_ALL, 50, HG_FAIL_CLOSED, INTL_KEY },
    };
    static unsigned char buf[4096];
    HG_CONFIG_HEADER h;
    hg_core *core;
    size_t len;

    cfg_defaults(&h);
    h.op_mask = HG_OP_BIT(HG_OP_CREATE_KEY);
    h.verdict_op_mask = HG_OP_BIT(HG_OP_CREATE_KEY);
    len = cfg_encode(buf, sizeof buf, &h, p, 2, NULL, 0);
    CHECK(len != 0);
    core = fixture_configured(buf, len);
    CHECK(core != NULL);

    /* control: the plain spelling, and a key outside both prefixes */
    CHECK(judged(core, NULL, RUN_KEY "\\Evil"));
    CHECK(!judged(core, NULL, "\\REGISTRY\\MACHINE\\SOFTWARE\\Other"));
    /* doubled separators */
    CHECK(judged(core, NULL, "\\REGISTRY\\\\MACHINE\\SOFTWARE\\\\Microsoft\\Windows\\\\\\CurrentVersion\\Run\\Evil"));
    /* trailing separator on the protected key itself */
    CHECK(judged(core, NULL, RUN_KEY "\\"));
    /* mixed case, ASCII */
    CHECK(judged(core, NULL, "\\registry\\machine\\software\\MICROSOFT\\windows\\currentversion\\rUN"));
    /* mixed case outside ASCII: Greek, Cyrillic, Latin Extended-B (dz caron
     * in small and titlecase forms) */
    CHECK(judged(core, NULL, "\\REGISTRY\\MACHINE\\SOFTWARE\\ελληνικά\\кириллица\\ǆemal\\x"));
    CHECK(judged(core, NULL, "\\REGISTRY\\MACHINE\\SOFTWARE\\ΕΛΛΗΝΙΚΆ\\КИРИЛЛИЦА\\ǅemal"));
    /* relative CompleteName + RootObject, with and without separators to
     * spare on either side */
    CHECK(judged(core, "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft", "Windows\\CurrentVersion\\Run\\Evil"));
    CHECK(judged(core, "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\", "Windows\\\\CurrentVersion\\Run"));
    CHECK(judged(core, "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", ""));
    CHECK(judged(core, "\\REGISTRY\\MACHINE\\SOFTWARE", "ελληνικά\\\\КИРИЛЛИЦА\\ǅEMAL\\"));
    /* the root is ignored when CompleteName is absolute */
    CHECK(!judged(core, RUN_KEY, "\\REGISTRY\\MACHINE\\SOFTWARE\\Other"));
    CHECK(judged(core, "\\REGISTRY\\USER", "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"));
    /* the dotless-i look-alike of "Windows" is another key */
    CHECK(!judged(core, NULL, "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Wındows\\CurrentVersion\\Run"));
    hg_core_destroy(core);
    return 0;
}
