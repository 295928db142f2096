/* test_group.c - AND groups (hiveguard_wire.h, "AND groups", minor 3):
 * every rule CONFIGURE enforces on the group table and its members, one
 * poked field per case; the semantics rule by rule (clause OR, group AND,
 * TRUE/UNKNOWN/FALSE per target, the verdict of a group, exclude wins,
 * "only EXCLUDE groups"); the lazy stages' promise not to look the image up
 * when no group or entry can change the outcome; and a real Sigma rule's
 * shape through the whole raise path. The randomized comparison with the
 * definition lives with the automaton's (test_pattern.c). */
#include "tests.h"
#include "core_internal.h"

#define CFG_CAP (64 * 1024)
#define SET HG_OP_SET_VALUE
#define DEL HG_OP_DELETE_VALUE
#define CRK HG_OP_CREATE_KEY
#define SETB HG_OP_BIT(HG_OP_SET_VALUE)
#define VOPS HG_TARGET_FULL_NAME_OPS
#define F_CL HG_PREFIX_F_CLAUSE
#define MEMBER HG_PREFIX_MEMBER

/* ---- validation ------------------------------------------------------------------ */

/* A standalone INCLUDE, an INCLUDE group of two clauses (three members) and
 * an EXCLUDE group of two clauses (image AND key-path prefix). */
static const cfg_pattern k_entries[] = {
    { { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "\\REGISTRY\\USER" }, HG_MATCH_PREFIX, HG_TARGET_KEY_PATH },
    { { MEMBER, F_CL, SETB, 0, 0, "\\Control\\WMI\\Autologger\\" }, HG_MATCH_CONTAINS, HG_TARGET_KEY_PATH },
    { { MEMBER, F_CL, SETB, 0, 0, "\\Start" }, HG_MATCH_SUFFIX, HG_TARGET_FULL_NAME },
    { { MEMBER, 0, SETB, 0, 0, "\\Enabled" }, HG_MATCH_SUFFIX, HG_TARGET_FULL_NAME },
    { { MEMBER, F_CL, SETB, 0, 0, "C:\\Windows\\System32\\svchost.exe" }, HG_MATCH_EXACT, HG_TARGET_IMAGE },
    { { MEMBER, F_CL, SETB, 0, 0, "\\REGISTRY\\MACHINE\\SYSTEM\\" }, HG_MATCH_PREFIX, HG_TARGET_KEY_PATH },
};
static const cfg_group k_groups[] = {
    { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, SETB, 0, HG_FAIL_INHERIT, 1, 3 },
    { HG_PREFIX_EXCLUDE, 0, SETB, 0, 0, 4, 2 },
};
#define K_ENTRIES (sizeof k_entries / sizeof k_entries[0])

static size_t good_groups(unsigned char *buf)
{
    HG_CONFIG_HEADER h;

    cfg_defaults(&h);
    h.verdict_op_mask = SETB;
    return cfg_encode_groups(buf, CFG_CAP, &h, k_entries, K_ENTRIES, NULL, 0, NULL, 0, k_groups, 2);
}

static HG_CONFIG_HEADER *hdr(unsigned char *buf)
{
    return (HG_CONFIG_HEADER *)(void *)buf;
}

static HG_PREFIX_ENTRY *entry(unsigned char *buf, int i)
{
    return (HG_PREFIX_ENTRY *)(void *)(buf + sizeof(HG_CONFIG_HEADER) + (size_t)i * sizeof(HG_PREFIX_ENTRY));
}

static HG_GROUP_ENTRY *group(unsigned char *buf, int i)
{
    return (HG_GROUP_ENTRY *)(void *)(buf + sizeof(HG_CONFIG_HEADER) + K_ENTRIES * sizeof(HG_PREFIX_ENTRY) +
                                      (size_t)i * sizeof(HG_GROUP_ENTRY));
}

static uint32_t compile_status(const unsigned char *buf, size_t len)
{
    hg_subscription *sub = NULL;
    uint32_t st = hg_config_compile(buf, len, &sub);

    hg_subscription_free(sub);
    return st;
}

int test_group_table_validation(void)
{
    enum { CASES = 31 };
    unsigned char buf[CFG_CAP];
    size_t len = good_groups(buf);
    int i;

    CHECK(len != 0);
    CHECK_EQ(compile_status(buf, len), HG_STATUS_SUCCESS);
    {
        /* a rejected CONFIGURE keeps the previous one (as every other rejection does) */
        hg_core *core = fixture_configured(buf, len);
        CHECK(core != NULL);
        CHECK_EQ(stats_of(core).config_generation, 1);
        group(buf, 1)->reserved = 1;
        CHECK_EQ(hg_core_configure(core, TEST_CLIENT_KEY, buf, len), HG_STATUS_INVALID_PARAMETER);
        CHECK_EQ(stats_of(core).config_generation, 1);
        hg_core_destroy(core);
    }
    for (i = 0; i < CASES; i++) {
        HG_GROUP_ENTRY *inc, *exc;
        HG_PREFIX_ENTRY *first, *third;

        len = good_groups(buf);
        inc = group(buf, 0);
        exc = group(buf, 1);
        first = entry(buf, 1);
        third = entry(buf, 3);
        switch (i) {
        case 0: hdr(buf)->group_count = HG_GROUP_MAX_COUNT + 1; break;
        case 1: hdr(buf)->group_count = 3; break;              /* a third group: the pool now starts inside a string */
        case 2: inc->kind = 0; break;
        case 3: inc->kind = MEMBER; break;                     /* a group is INCLUDE or EXCLUDE */
        case 4: inc->flags = F_CL; break;                      /* CLAUSE is a member's flag */
        case 5: exc->flags = HG_PREFIX_F_VERDICT; break;       /* no verdict on an EXCLUDE */
        case 6: inc->op_mask = 0; break;
        case 7: inc->op_mask = SETB | 1u; break;               /* bit 0 is no class */
        case 8: inc->op_mask = VOPS; break;                    /* members' op_mask is SetValue */
        case 9: inc->timeout_ms = HG_TIMEOUT_MAX_MS + 1; break;
        case 10: third->target = HG_TARGET_NEW_NAME; break;     /* NEW_NAME: RenameKey only */
        case 11: inc->fail_mode = 3; break;
        case 12: exc->fail_mode = HG_FAIL_CLOSED; break;       /* 0 for EXCLUDE */
        case 13: exc->reserved = 1; break;
        case 14: exc->member_count = 0; break;
        case 15: exc->member_count = 3; break;                 /* past the entry table */
        case 16: exc->first_member = 3; break;                 /* overlaps the first group */
        case 17: inc->first_member = 0; inc->member_count = 4; break; /* takes in a standalone INCLUDE */
        case 18: inc->member_count = 2; break;                 /* leaves member 3 in no group */
        case 19: first->flags = 0; break;                      /* the first member must begin a clause */
        case 20: third->flags = HG_PREFIX_F_VERDICT; break;    /* VERDICT never on a member */
        case 21: third->flags = F_CL | HG_PREFIX_F_VERDICT; break;
        case 22: third->timeout_ms = 100; break;               /* a member's timeout is its group's */
        case 23: third->fail_mode = HG_FAIL_CLOSED; break;
        case 24: third->op_mask = VOPS; break;                 /* op_mask equals the group's */
        case 25: entry(buf, 0)->flags = F_CL; break;           /* CLAUSE on a standalone INCLUDE */
        case 26: third->kind = 4; break;
        case 27: third->match = HG_MATCH_PREFIX;               /* DATA members: SUFFIX/CONTAINS only */
                 third->target = HG_TARGET_DATA; break;
        case 28: inc->op_mask = entry(buf, 1)->op_mask = entry(buf, 2)->op_mask = third->op_mask =
                     SETB | HG_OP_BIT(CRK); break;             /* a FULL_NAME member: value classes only */
        case 29: { /* groups in descending order */
            HG_GROUP_ENTRY t = *inc;
            *inc = *exc;
            *exc = t;
            break;
        }
        case 30: entry(buf, 5)->kind = HG_PREFIX_INCLUDE;      /* a range holds members only */
                 entry(buf, 5)->flags = 0; break;
        }
        if (compile_status(buf, len) != HG_STATUS_INVALID_PARAMETER) {
            fprintf(stderr, "  case %d accepted\n", i);
            return 1;
        }
    }
    return 0;
}

/* HG_CLAUSE_MAX_COUNT clauses in all groups, and members against the
 * pattern bounds (a key-path PREFIX member is a pattern, unlike a
 * standalone one). */
int test_group_bounds(void)
{
    static cfg_pattern p[HG_PATTERN_MAX_COUNT + 1];
    static cfg_group g[HG_GROUP_MAX_COUNT];
    static char names[HG_PATTERN_MAX_COUNT + 1][8];
    static char text[HG_PATTERN_MAX_BYTES / 2 + 2];
    uint32_t st, i;
    hg_subscription *sub;

    /* 256 groups of one clause of one member each: the most of both. */
    for (i = 0; i <= HG_CLAUSE_MAX_COUNT; i++) {
        snprintf(names[i], sizeof names[i], "%04x", i);
        memset(&p[i], 0, sizeof p[i]);
        p[i].entry.kind = MEMBER;
        p[i].entry.flags = F_CL;
        p[i].entry.op_mask = SETB;
        p[i].entry.utf8 = names[i];
        p[i].match = HG_MATCH_CONTAINS;
    }
    for (i = 0; i < HG_GROUP_MAX_COUNT; i++) {
        memset(&g[i], 0, sizeof g[i]);
        g[i].kind = HG_PREFIX_INCLUDE;
        g[i].op_mask = SETB;
        g[i].first_member = (uint16_t)i;
        g[i].member_count = 1;
    }
    sub = cfg_compile_groups(p, HG_CLAUSE_MAX_COUNT, 0, NULL, 0, g, HG_GROUP_MAX_COUNT, &st);
    CHECK_EQ(st, HG_STATUS_SUCCESS);
    CHECK(sub != NULL && sub->group_count == HG_GROUP_MAX_COUNT && sub->include_count == HG_GROUP_MAX_COUNT);
    CHECK(cfg_match_path(sub, SET, "\\REGISTRY\\00ff", "v").delivered);  /* the last clause's bit */
    CHECK(!cfg_match_path(sub, SET, "\\REGISTRY\\0100", "v").delivered); /* no member */
    hg_subscription_free(sub);
    /* One clause more, in the last group (now two clauses): rejected. */
    g[HG_GROUP_MAX_COUNT - 1].member_count = 2;
    sub = cfg_compile_groups(p, HG_CLAUSE_MAX_COUNT + 1, 0, NULL, 0, g, HG_GROUP_MAX_COUNT, &st);
    CHECK_EQ(st, HG_STATUS_INVALID_PARAMETER);
    CHECK(sub == NULL);
    /* ... while the same members as one clause (OR) are fine. */
    p[HG_CLAUSE_MAX_COUNT].entry.flags = 0;
    sub = cfg_compile_groups(p, HG_CLAUSE_MAX_COUNT + 1, 0, NULL, 0, g, HG_GROUP_MAX_COUNT, &st);
    CHECK_EQ(st, HG_STATUS_SUCCESS);
    CHECK(cfg_match_path(sub, SET, "\\REGISTRY\\0100", "v").delivered);
    hg_subscription_free(sub);

    /* Members count against HG_PATTERN_MAX_COUNT: 2,047 CONTAINS entries and one member fit, two do not. */
    for (i = 0; i <= HG_PATTERN_MAX_COUNT; i++) {
        snprintf(names[i], sizeof names[i], "%04x", i);
        memset(&p[i], 0, sizeof p[i]);
        p[i].entry.kind = HG_PREFIX_INCLUDE;
        p[i].entry.op_mask = SETB;
        p[i].entry.utf8 = names[i];
        p[i].match = HG_MATCH_CONTAINS;
    }
    for (i = HG_PATTERN_MAX_COUNT - 1u; i <= HG_PATTERN_MAX_COUNT; i++) {
        p[i].entry.kind = MEMBER;
        p[i].entry.flags = F_CL;
        p[i].match = HG_MATCH_PREFIX; /* a key-path PREFIX: a pattern only as a member */
    }
    g[0].first_member = HG_PATTERN_MAX_COUNT - 1u;
    g[0].member_count = 1;
    sub = cfg_compile_groups(p, HG_PATTERN_MAX_COUNT, 0, NULL, 0, g, 1, &st);
    CHECK_EQ(st, HG_STATUS_SUCCESS);
    hg_subscription_free(sub);
    g[0].member_count = 2;
    sub = cfg_compile_groups(p, HG_PATTERN_MAX_COUNT + 1u, 0, NULL, 0, g, 1, &st);
    CHECK_EQ(st, HG_STATUS_INVALID_PARAMETER);
    CHECK(sub == NULL);

    /* A key-path PREFIX member is bounded by HG_PATTERN_MAX_BYTES, a standalone one is not. */
    memset(text, 'Q', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    memset(&p[0], 0, sizeof p[0]);
    p[0].entry.kind = HG_PREFIX_INCLUDE;
    p[0].entry.op_mask = SETB;
    p[0].entry.utf8 = text;
    p[0].match = HG_MATCH_PREFIX;
    sub = cfg_compile_groups(p, 1, 0, NULL, 0, g, 0, &st);
    CHECK_EQ(st, HG_STATUS_SUCCESS);
    hg_subscription_free(sub);
    p[0].entry.kind = MEMBER;
    p[0].entry.flags = F_CL;
    g[0].first_member = 0;
    g[0].member_count = 1;
    sub = cfg_compile_groups(p, 1, 0, NULL, 0, g, 1, &st);
    CHECK_EQ(st, HG_STATUS_INVALID_PARAMETER);
    CHECK(sub == NULL);
    return 0;
}

/* ---- semantics ----------------------------------------------------------------------- */

static hg_subscription *compile_groups(const cfg_pattern *p, size_t n, const cfg_group *g, size_t gn,
                                       uint32_t verdict_mask)
{
    static const cfg_volume map[] = { { "\\Device\\HarddiskVolume3", 'C' } };
    uint32_t st;
    hg_subscription *sub = cfg_compile_groups(p, n, verdict_mask, map, 1, g, gn, &st);

    return st == HG_STATUS_SUCCESS ? sub : NULL;
}

/* The stages as raise.c runs them: image NULL is unknown, data NULL is an
 * unknown subject. *asked_image tells whether the image was needed. */
static hg_match run(const hg_subscription *sub, uint16_t operation, const char *path, const char *value,
                    const char *image, const char *data, int *asked_image)
{
    return cfg_match_stages(sub, operation, path, value, image, NULL, data, asked_image, NULL);
}

#define SVCHOST "\\Device\\HarddiskVolume3\\Windows\\System32\\svchost.exe"
#define NOTEPAD "\\Device\\HarddiskVolume3\\Windows\\System32\\notepad.exe"
#define ALOG    "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Control\\WMI\\Autologger\\EventLog-System"

/* A clause is an OR of its members, a group an AND of its clauses, and a
 * member alone includes nothing. */
int test_group_clauses_or_members_and(void)
{
    static const cfg_pattern p[] = {
        { { MEMBER, F_CL, SETB, 0, 0, "\\Control\\WMI\\Autologger\\" }, HG_MATCH_CONTAINS, HG_TARGET_KEY_PATH },
        { { MEMBER, F_CL, SETB, 0, 0, "\\Start" }, HG_MATCH_SUFFIX, HG_TARGET_FULL_NAME },
        { { MEMBER, 0, SETB, 0, 0, "\\Enabled" }, HG_MATCH_SUFFIX, HG_TARGET_FULL_NAME },
        /* a second group: key-path PREFIX AND full-name EXACT */
        { { MEMBER, F_CL, VOPS, 0, 0, "\\REGISTRY\\MACHINE\\SOFTWARE\\" }, HG_MATCH_PREFIX, HG_TARGET_KEY_PATH },
        { { MEMBER, F_CL, VOPS, 0, 0, "\\REGISTRY\\MACHINE\\SOFTWARE\\K\\Debugger" }, HG_MATCH_EXACT, HG_TARGET_FULL_NAME },
        { { MEMBER, 0, VOPS, 0, 0, "\\REGISTRY\\MACHINE\\SOFTWARE\\K\\GlobalFlag" }, HG_MATCH_EXACT, HG_TARGET_FULL_NAME },
    };
    static const cfg_group g[] = {
        { HG_PREFIX_INCLUDE, 0, SETB, 0, 0, 0, 3 },
        { HG_PREFIX_INCLUDE, 0, VOPS, 0, 0, 3, 3 },
    };
    hg_subscription *sub = compile_groups(p, 6, g, 2, 0);

    CHECK(sub != NULL);
    CHECK_EQ(sub->include_count, 2); /* the groups, not their six members */
    CHECK(cfg_match_path(sub, SET, ALOG, "Start").delivered);
    CHECK(cfg_match_path(sub, SET, ALOG, "enabled").delivered);   /* either member of the clause */
    CHECK(!cfg_match_path(sub, SET, ALOG, "Level").delivered);    /* first clause alone */
    CHECK(!cfg_match_path(sub, SET, "\\REGISTRY\\MACHINE\\SYSTEM\\X", "Start").delivered); /* second alone */
    CHECK(!cfg_match_path(sub, DEL, ALOG, "Start").delivered);    /* not the group's class */
    CHECK(!cfg_match_path(sub, SET, ALOG "\\Start", "x").delivered); /* the suffix is of the full name */
    /* PREFIX member on the key path: anchored at its start, as the trie's */
    CHECK(cfg_match_path(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\K", "debugger").delivered);
    CHECK(cfg_match_path(sub, DEL, "\\registry\\machine\\software\\k", "GlobalFlag").delivered);
    CHECK(!cfg_match_path(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\K", "Debugger2").delivered); /* EXACT */
    CHECK(!cfg_match_path(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWAREX\\K", "Debugger").delivered);
    hg_subscription_free(sub);
    return 0;
}

/* An IMAGE member is TRUE/FALSE on a known image, UNKNOWN when the image
 * cannot be had (and, anchored, when unmapped): an INCLUDE group counts
 * UNKNOWN as matching, an EXCLUDE group never does. */
int test_group_image_true_unknown_false(void)
{
    static const cfg_pattern p[] = {
        { { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "\\REGISTRY\\USER\\" }, HG_MATCH_PREFIX, HG_TARGET_KEY_PATH },
        /* INCLUDE: a Run key written by svchost */
        { { MEMBER, F_CL, SETB, 0, 0, "\\CurrentVersion\\Run" }, HG_MATCH_SUFFIX, HG_TARGET_KEY_PATH },
        { { MEMBER, F_CL, SETB, 0, 0, "C:\\Windows\\System32\\svchost.exe" }, HG_MATCH_EXACT, HG_TARGET_IMAGE },
        /* EXCLUDE: a user key written by anything in C:\Program Files\Vendor\ */
        { { MEMBER, F_CL, SETB, 0, 0, "\\REGISTRY\\USER\\" }, HG_MATCH_PREFIX, HG_TARGET_KEY_PATH },
        { { MEMBER, F_CL, SETB, 0, 0, "C:\\Program Files\\Vendor\\" }, HG_MATCH_PREFIX, HG_TARGET_IMAGE },
        { { MEMBER, 0, SETB, 0, 0, "\\vendor-agent.exe" }, HG_MATCH_SUFFIX, HG_TARGET_IMAGE },
    };
    static const cfg_group g[] = {
        { HG_PREFIX_INCLUDE, 0, SETB, 0, 0, 1, 2 },
        { HG_PREFIX_EXCLUDE, 0, SETB, 0, 0, 3, 3 },
    };
    const char *run_key = "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run";
    const char *user = "\\REGISTRY\\USER\\S-1-5-21\\Software\\X";
    hg_subscription *sub = compile_groups(p, 6, g, 2, 0);
    hg_match m;
    int asked;

    CHECK(sub != NULL);
    /* INCLUDE group: TRUE, FALSE, UNKNOWN (no image), UNKNOWN (unmapped, anchored) */
    m = run(sub, SET, run_key, "v", SVCHOST, NULL, &asked);
    CHECK(asked && m.delivered);
    m = run(sub, SET, run_key, "v", "\\??\\C:\\WINDOWS\\system32\\SVCHOST.EXE", NULL, &asked);
    CHECK(asked && m.delivered);
    m = run(sub, SET, run_key, "v", NOTEPAD, NULL, &asked);
    CHECK(asked && !m.delivered);
    m = run(sub, SET, run_key, "v", NULL, NULL, &asked);
    CHECK(asked && m.delivered);
    m = run(sub, SET, run_key, "v", "\\Device\\HarddiskVolume9\\Windows\\System32\\svchost.exe", NULL, &asked);
    CHECK(asked && m.delivered);
    /* the path clause FALSE: the image cannot help, and is not looked up */
    m = run(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\Other", "v", SVCHOST, NULL, &asked);
    CHECK(!asked && !m.delivered);
    /* EXCLUDE group: TRUE hides; UNKNOWN (no image, unmapped anchored) never does */
    m = run(sub, SET, user, "v", "\\Device\\HarddiskVolume3\\Program Files\\Vendor\\x.exe", NULL, &asked);
    CHECK(asked && !m.delivered);
    m = run(sub, SET, user, "v", "\\Device\\HarddiskVolume7\\Tools\\vendor-agent.exe", NULL, &asked);
    CHECK(asked && !m.delivered); /* the SUFFIX member holds on an unmapped image */
    m = run(sub, SET, user, "v", NULL, NULL, &asked);
    CHECK(asked && m.delivered);
    m = run(sub, SET, user, "v", "\\Device\\HarddiskVolume7\\Program Files\\Vendor\\x.exe", NULL, &asked);
    CHECK(asked && m.delivered);
    m = run(sub, SET, user, "v", NOTEPAD, NULL, &asked);
    CHECK(asked && m.delivered);
    /* not the group's class: the user prefix includes, nothing can exclude, no lookup */
    m = run(sub, CRK, user, "", NULL, NULL, &asked);
    CHECK(!asked && m.delivered);
    hg_subscription_free(sub);
    return 0;
}

/* DATA members: TRUE/FALSE on the rendered data, UNKNOWN when it cannot be
 * had - the same rule as the image. */
int test_group_subject_true_unknown_false(void)
{
    static const cfg_pattern p[] = {
        { { MEMBER, F_CL, SETB, 0, 0, "\\Control\\WMI\\Autologger\\" }, HG_MATCH_CONTAINS, HG_TARGET_KEY_PATH },
        { { MEMBER, F_CL, SETB, 0, 0, "DWORD (0x00000000)" }, HG_MATCH_CONTAINS, HG_TARGET_DATA },
        { { MEMBER, F_CL, SETB, 0, 0, "\\Services\\" }, HG_MATCH_CONTAINS, HG_TARGET_KEY_PATH },
        { { MEMBER, F_CL, SETB, 0, 0, "DWORD (0x00000004)" }, HG_MATCH_SUFFIX, HG_TARGET_DATA },
        { { HG_PREFIX_INCLUDE, 0, SETB, 0, 0, "\\Services\\" }, HG_MATCH_CONTAINS, HG_TARGET_KEY_PATH },
    };
    static const cfg_group g[] = {
        { HG_PREFIX_INCLUDE, 0, SETB, 0, 0, 0, 2 },
        { HG_PREFIX_EXCLUDE, 0, SETB, 0, 0, 2, 2 },
    };
    const char *svc = "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\WinDefend";
    hg_subscription *sub = compile_groups(p, 5, g, 2, 0);
    hg_match m;
    int asked;

    CHECK(sub != NULL);
    m = run(sub, SET, ALOG, "Start", NULL, "DWORD (0x00000000)", &asked);
    CHECK(!asked && m.delivered);
    m = run(sub, SET, ALOG, "Start", NULL, "DWORD (0x00000001)", &asked);
    CHECK(!m.delivered);
    m = run(sub, SET, ALOG, "Start", NULL, NULL, &asked); /* unknown data: could match */
    CHECK(m.delivered);
    /* no path clause TRUE: the data is never rendered */
    CHECK(!cfg_match_path(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\X", "Start").needs_subject);
    /* EXCLUDE: TRUE hides, UNKNOWN does not */
    m = run(sub, SET, svc, "Start", NULL, "DWORD (0x00000004)", &asked);
    CHECK(!m.delivered);
    m = run(sub, SET, svc, "Start", NULL, "DWORD (0x00000002)", &asked);
    CHECK(m.delivered);
    m = run(sub, SET, svc, "Start", NULL, NULL, &asked);
    CHECK(m.delivered);
    hg_subscription_free(sub);
    return 0;
}

/* A matching INCLUDE group is a verdict candidate with its own timeout and
 * fail mode (the globals when it inherits), joined with the entries' by
 * the usual rule: the longest timeout, closed wins. */
int test_group_verdict_timeout_and_fail_mode(void)
{
    static const cfg_pattern p[] = {
        { { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_MASK_ALL, 900, HG_FAIL_OPEN, "\\REGISTRY\\MACHINE\\SOFTWARE" },
          HG_MATCH_PREFIX, HG_TARGET_KEY_PATH },
        { { MEMBER, F_CL, SETB, 0, 0, "\\Run" }, HG_MATCH_SUFFIX, HG_TARGET_KEY_PATH },
        { { MEMBER, F_CL, SETB, 0, 0, "Updater" }, HG_MATCH_CONTAINS, HG_TARGET_FULL_NAME },
        { { MEMBER, F_CL, SETB, 0, 0, "\\Winlogon" }, HG_MATCH_SUFFIX, HG_TARGET_KEY_PATH },
        { { MEMBER, F_CL, SETB, 0, 0, "Shell" }, HG_MATCH_CONTAINS, HG_TARGET_FULL_NAME },
        { { MEMBER, F_CL, SETB, 0, 0, "\\Quiet\\" }, HG_MATCH_CONTAINS, HG_TARGET_KEY_PATH },
    };
    static const cfg_group g[] = {
        { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, SETB, 2500, HG_FAIL_CLOSED, 1, 2 },
        { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, SETB, 0, HG_FAIL_INHERIT, 3, 2 },
        { HG_PREFIX_INCLUDE, 0, SETB, 0, 0, 5, 1 },
    };
    hg_subscription *sub = compile_groups(p, 6, g, 3, SETB);
    hg_match m;

    CHECK(sub != NULL);
    /* the group alone: its own timeout and mode */
    m = cfg_match_path(sub, SET, "\\REGISTRY\\USER\\X\\Run", "Updater");
    CHECK(m.delivered && m.wants_verdict);
    CHECK_EQ(m.timeout_ms, 2500);
    CHECK_EQ(m.fail_mode, HG_FAIL_CLOSED);
    /* inheriting: the globals */
    m = cfg_match_path(sub, SET, "\\REGISTRY\\USER\\X\\Winlogon", "Shell");
    CHECK(m.delivered && m.wants_verdict);
    CHECK_EQ(m.timeout_ms, HG_TIMEOUT_DEFAULT_MS);
    CHECK_EQ(m.fail_mode, HG_FAIL_OPEN);
    /* joined with the prefix's 900 ms open: the longest, closed wins */
    m = cfg_match_path(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\Run", "Updater");
    CHECK(m.wants_verdict);
    CHECK_EQ(m.timeout_ms, 2500);
    CHECK_EQ(m.fail_mode, HG_FAIL_CLOSED);
    /* half the group: the prefix alone */
    m = cfg_match_path(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\Run", "Other");
    CHECK(m.wants_verdict);
    CHECK_EQ(m.timeout_ms, 900);
    CHECK_EQ(m.fail_mode, HG_FAIL_OPEN);
    /* a group without the flag delivers without a wait */
    m = cfg_match_path(sub, SET, "\\REGISTRY\\USER\\Quiet\\X", "v");
    CHECK(m.delivered && !m.wants_verdict);
    hg_subscription_free(sub);
    return 0;
}

/* Exclude wins, whichever of entry and group excludes; with EXCLUDE groups
 * only, every other operation of the classes is included. */
int test_group_exclude_wins_and_exclude_only(void)
{
    static const cfg_pattern p[] = {
        { { HG_PREFIX_EXCLUDE, 0, SETB, 0, 0, "\\Quiet" }, HG_MATCH_SUFFIX, HG_TARGET_KEY_PATH },
        { { MEMBER, F_CL, SETB, 0, 0, "\\Run" }, HG_MATCH_CONTAINS, HG_TARGET_KEY_PATH },
        { { MEMBER, F_CL, SETB, 0, 0, "Updater" }, HG_MATCH_SUFFIX, HG_TARGET_FULL_NAME },
        { { MEMBER, F_CL, SETB, 0, 0, "\\Run\\Noisy" }, HG_MATCH_CONTAINS, HG_TARGET_KEY_PATH },
        { { MEMBER, F_CL, SETB, 0, 0, "Updater" }, HG_MATCH_CONTAINS, HG_TARGET_FULL_NAME },
    };
    static const cfg_group inc_exc[] = {
        { HG_PREFIX_INCLUDE, 0, SETB, 0, 0, 1, 2 },
        { HG_PREFIX_EXCLUDE, 0, SETB, 0, 0, 3, 2 },
    };
    hg_subscription *sub = compile_groups(p, 5, inc_exc, 2, 0);

    CHECK(sub != NULL);
    CHECK(cfg_match_path(sub, SET, "\\REGISTRY\\USER\\Run\\X", "Updater").delivered);
    CHECK(!cfg_match_path(sub, SET, "\\REGISTRY\\USER\\Run\\Quiet", "Updater").delivered);  /* entry EXCLUDE */
    CHECK(!cfg_match_path(sub, SET, "\\REGISTRY\\USER\\Run\\Noisy", "Updater").delivered);  /* group EXCLUDE */
    CHECK(cfg_match_path(sub, SET, "\\REGISTRY\\USER\\Run\\Noisy", "Other").delivered == 0); /* INCLUDE group FALSE */
    hg_subscription_free(sub);

    /* Only the EXCLUDE group (and the EXCLUDE entry): everything else of the classes is delivered. */
    {
        static const cfg_pattern q[] = {
            { { HG_PREFIX_EXCLUDE, 0, SETB, 0, 0, "\\Quiet" }, HG_MATCH_SUFFIX, HG_TARGET_KEY_PATH },
            { { MEMBER, F_CL, SETB, 0, 0, "\\Run\\Noisy" }, HG_MATCH_CONTAINS, HG_TARGET_KEY_PATH },
            { { MEMBER, F_CL, SETB, 0, 0, "Updater" }, HG_MATCH_CONTAINS, HG_TARGET_FULL_NAME },
        };
        static const cfg_group exc_only[] = { { HG_PREFIX_EXCLUDE, 0, SETB, 0, 0, 1, 2 } };
        sub = compile_groups(q, 3, exc_only, 1, 0);
        CHECK(sub != NULL);
        CHECK_EQ(sub->include_count, 0);
        CHECK(cfg_match_path(sub, SET, "\\REGISTRY\\MACHINE\\Anything", "x").delivered);
        CHECK(cfg_match_path(sub, CRK, "\\REGISTRY\\MACHINE\\Anything", "").delivered);
        CHECK(cfg_match_path(sub, SET, "\\REGISTRY\\USER\\Run\\Noisy", "Other").delivered);
        CHECK(!cfg_match_path(sub, SET, "\\REGISTRY\\USER\\Run\\Noisy", "MyUpdater").delivered);
        CHECK(!cfg_match_path(sub, SET, "\\REGISTRY\\USER\\Quiet", "x").delivered);
        hg_subscription_free(sub);
    }
    return 0;
}

/* The image is looked up only when a group or an entry can still change
 * the outcome (needs_image == 0 otherwise). */
int test_group_image_lookup_only_when_it_can_decide(void)
{
    static const cfg_pattern p[] = {
        { { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "\\REGISTRY\\USER\\" }, HG_MATCH_PREFIX, HG_TARGET_KEY_PATH },
        /* EXCLUDE group: \Noisy\ AND image svchost */
        { { MEMBER, F_CL, SETB, 0, 0, "\\Noisy\\" }, HG_MATCH_CONTAINS, HG_TARGET_KEY_PATH },
        { { MEMBER, F_CL, SETB, 0, 0, "\\svchost.exe" }, HG_MATCH_SUFFIX, HG_TARGET_IMAGE },
        /* verdict INCLUDE group: \Watched\ AND image regedit */
        { { MEMBER, F_CL, SETB, 0, 0, "\\Watched\\" }, HG_MATCH_CONTAINS, HG_TARGET_KEY_PATH },
        { { MEMBER, F_CL, SETB, 0, 0, "\\regedit.exe" }, HG_MATCH_SUFFIX, HG_TARGET_IMAGE },
    };
    static const cfg_group g[] = {
        { HG_PREFIX_EXCLUDE, 0, SETB, 0, 0, 1, 2 },
        { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, SETB, 4000, HG_FAIL_CLOSED, 3, 2 },
    };
    const char *regedit = "\\Device\\HarddiskVolume3\\Windows\\regedit.exe";
    hg_subscription *sub = compile_groups(p, 5, g, 2, SETB);
    hg_subscription *no_verdict = compile_groups(p, 5, g, 2, 0);
    hg_match m;
    int asked;

    CHECK(sub != NULL && no_verdict != NULL);
    /* no member matches: nothing can change the outcome */
    m = run(sub, SET, "\\REGISTRY\\USER\\S\\Plain", "v", SVCHOST, NULL, &asked);
    CHECK(!asked && m.delivered && !m.wants_verdict);
    m = run(sub, SET, "\\REGISTRY\\MACHINE\\Plain", "v", SVCHOST, NULL, &asked);
    CHECK(!asked && !m.delivered);
    /* EXCLUDE group half matched on an included operation: the image decides */
    m = run(sub, SET, "\\REGISTRY\\USER\\S\\Noisy\\X", "v", SVCHOST, NULL, &asked);
    CHECK(asked && !m.delivered);
    m = run(sub, SET, "\\REGISTRY\\USER\\S\\Noisy\\X", "v", regedit, NULL, &asked);
    CHECK(asked && m.delivered);
    /* ... on an operation nothing can include: no lookup */
    m = run(sub, SET, "\\REGISTRY\\MACHINE\\Noisy\\X", "v", SVCHOST, NULL, &asked);
    CHECK(!asked && !m.delivered);
    /* INCLUDE group half matched where nothing included: the image decides */
    m = run(sub, SET, "\\REGISTRY\\MACHINE\\Watched\\X", "v", regedit, NULL, &asked);
    CHECK(asked && m.delivered && m.wants_verdict);
    CHECK_EQ(m.timeout_ms, 4000);
    m = run(sub, SET, "\\REGISTRY\\MACHINE\\Watched\\X", "v", SVCHOST, NULL, &asked);
    CHECK(asked && !m.delivered);
    /* ... already included: only its verdict is open - asked in a verdict class, not otherwise */
    m = run(sub, SET, "\\REGISTRY\\USER\\Watched\\X", "v", regedit, NULL, &asked);
    CHECK(asked && m.delivered && m.wants_verdict);
    m = run(no_verdict, SET, "\\REGISTRY\\USER\\Watched\\X", "v", regedit, NULL, &asked);
    CHECK(!asked && m.delivered && !m.wants_verdict);
    /* a class no group has: never */
    m = run(sub, DEL, "\\REGISTRY\\USER\\S\\Noisy\\Watched\\X", "v", SVCHOST, NULL, &asked);
    CHECK(!asked && m.delivered);
    hg_subscription_free(sub);
    hg_subscription_free(no_verdict);
    return 0;
}

/* A group with no path clause at all is looked at for every operation of
 * its class (nothing on the path can start it). */
int test_group_without_path_clause(void)
{
    static const cfg_pattern p[] = {
        { { MEMBER, F_CL, SETB, 0, 0, "\\Temp\\" }, HG_MATCH_CONTAINS, HG_TARGET_IMAGE },
        { { MEMBER, F_CL, SETB, 0, 0, "http" }, HG_MATCH_CONTAINS, HG_TARGET_DATA },
    };
    static const cfg_group g[] = { { HG_PREFIX_INCLUDE, 0, SETB, 0, 0, 0, 2 } };
    hg_subscription *sub = compile_groups(p, 2, g, 1, 0);
    hg_match m;
    int asked;

    CHECK(sub != NULL);
    m = run(sub, SET, "\\REGISTRY\\USER\\X", "v", "\\Device\\HarddiskVolume3\\Temp\\a.exe", "http://x", &asked);
    CHECK(asked && m.delivered);
    m = run(sub, SET, "\\REGISTRY\\USER\\X", "v", "\\Device\\HarddiskVolume3\\Temp\\a.exe", "ftp://x", &asked);
    CHECK(asked && !m.delivered);
    m = run(sub, SET, "\\REGISTRY\\USER\\X", "v", NOTEPAD, "http://x", &asked);
    CHECK(asked && !m.delivered);
    m = run(sub, CRK, "\\REGISTRY\\USER\\X", "", NOTEPAD, NULL, &asked);
    CHECK(!asked && !m.delivered);
    hg_subscription_free(sub);
    return 0;
}

/*
 * A real Sigma rule as one group, through the whole raise path: "Potential
 * AutoLogger Sessions Tampering" (SigmaHQ
 * rules/windows/registry/registry_set/registry_set_disable_autologger_sessions.yml):
 * TargetObject contains \Control\WMI\Autologger\ AND contains \EventLog- or
 * \Defender AND ends with \Enabled or \Start AND Details DWORD (0x00000000).
 * The write it must catch is its regression event (shared sigma snapshot,
 * regression_data/rules/windows/registry/registry_set/
 * registry_set_disable_autologger_sessions/f37b4bce-49d0-4087-9f5b-58bffda77316.json):
 * TargetObject HKLM\System\CurrentControlSet\Control\WMI\Autologger\EventLog-Application\start,
 * Details DWORD (0x00000000) - restated here in the kernel's spelling.
 */
int test_group_sigma_autologger_rule(void)
{
    static const cfg_pattern p[] = {
        { { MEMBER, F_CL, SETB, 0, 0, "\\Control\\WMI\\Autologger\\" }, HG_MATCH_CONTAINS, HG_TARGET_FULL_NAME },
        { { MEMBER, F_CL, SETB, 0, 0, "\\EventLog-" }, HG_MATCH_CONTAINS, HG_TARGET_FULL_NAME },
        { { MEMBER, 0, SETB, 0, 0, "\\Defender" }, HG_MATCH_CONTAINS, HG_TARGET_FULL_NAME },
        { { MEMBER, F_CL, SETB, 0, 0, "\\Enabled" }, HG_MATCH_SUFFIX, HG_TARGET_FULL_NAME },
        { { MEMBER, 0, SETB, 0, 0, "\\Start" }, HG_MATCH_SUFFIX, HG_TARGET_FULL_NAME },
        { { MEMBER, F_CL, SETB, 0, 0, "DWORD (0x00000000)" }, HG_MATCH_CONTAINS, HG_TARGET_DATA },
    };
    static const cfg_group g[] = { { HG_PREFIX_INCLUDE, 0, SETB, 0, 0, 0, 6 } };
    static unsigned char buf[CFG_CAP];
    static const struct {
        const char *key, *value;
        uint32_t type, dword;
        int delivered;
    } writes[] = {
        /* the regression event */
        { "\\REGISTRY\\MACHINE\\System\\CurrentControlSet\\Control\\WMI\\Autologger\\EventLog-Application", "start",
          4, 0, 1 },
        /* the rule's other session name and value */
        { "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Control\\WMI\\Autologger\\DefenderApiLogger", "Enabled", 4, 0, 1 },
        /* ordinary Autologger writes: a session re-enabled, another session, another value, a string */
        { "\\REGISTRY\\MACHINE\\System\\CurrentControlSet\\Control\\WMI\\Autologger\\EventLog-Application", "Start",
          4, 1, 0 },
        { "\\REGISTRY\\MACHINE\\System\\CurrentControlSet\\Control\\WMI\\Autologger\\Diagtrack-Listener", "Start",
          4, 0, 0 },
        { "\\REGISTRY\\MACHINE\\System\\CurrentControlSet\\Control\\WMI\\Autologger\\EventLog-System", "MaxFileSize",
          4, 0, 0 },
        { "\\REGISTRY\\MACHINE\\System\\CurrentControlSet\\Control\\WMI\\Autologger\\EventLog-System", "Start", 1, 0,
          0 },
        /* the same names outside Autologger */
        { "\\REGISTRY\\MACHINE\\SOFTWARE\\EventLog-Thing", "Start", 4, 0, 0 },
    };
    HG_CONFIG_HEADER h;
    hg_core *core;
    size_t len, i;

    cfg_defaults(&h);
    len = cfg_encode_groups(buf, sizeof buf, &h, p, 6, NULL, 0, NULL, 0, g, 1);
    core = fixture_configured(buf, len);
    CHECK(core != NULL);
    for (i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        uint16_t name[64];
        unsigned char data[64];
        uint32_t data_len;
        int n = utf8_to_utf16(writes[i].value, name, 64);
        hg_raise_result r;
        hg_op op;

        top_init(&op, SET, 10);
        op.value_name.chars = name;
        op.value_name.bytes = (uint32_t)n * 2u;
        op.value_type = writes[i].type;
        if (writes[i].type == 4) { /* REG_DWORD */
            memcpy(data, &writes[i].dword, 4);
            data_len = 4;
        } else { /* REG_SZ "0" */
            data[0] = '0';
            data[1] = data[2] = data[3] = 0;
            data_len = 4;
        }
        raise_path(core, &op, writes[i].key, data, data_len, &r);
        if ((int)r.delivered != writes[i].delivered) {
            fprintf(stderr, "  write %zu: delivered %u\n", i, r.delivered);
            hg_core_destroy(core);
            return 1;
        }
    }
    CHECK_EQ(stats_of(core).filtered_out, 5);
    hg_core_destroy(core);
    return 0;
}
