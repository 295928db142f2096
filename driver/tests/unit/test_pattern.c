/* test_pattern.c - SUFFIX and CONTAINS entries (hiveguard_wire.h, minor 1),
 * EXACT and anchored IMAGE entries over the volume map (minor 2):
 * their semantics on the key path and the full name, how they join prefixes
 * for delivery and verdict, the automaton against a naive matcher on random
 * patterns, and the bounds CONFIGURE enforces on them. */
#include "tests.h"
#include "core_internal.h"

#define CFG_CAP (256 * 1024)

static hg_subscription *compile_with(const cfg_pattern *p, size_t n, uint32_t verdict_mask, uint32_t *status)
{
    return cfg_compile(p, n, verdict_mask, NULL, 0, status);
}

/* The same with a volume map (wire minor 2). */
static hg_subscription *compile_mapped(const cfg_pattern *p, size_t n, uint32_t verdict_mask,
                                       const cfg_volume *v, size_t vn, uint32_t *status)
{
    return cfg_compile(p, n, verdict_mask, v, vn, status);
}

static hg_match match_of(const hg_subscription *sub, uint16_t operation, const char *path, const char *value)
{
    return cfg_match_path(sub, operation, path, value);
}

#define SET HG_OP_SET_VALUE
#define CRK HG_OP_CREATE_KEY
#define VOPS HG_TARGET_FULL_NAME_OPS

int test_pattern_suffix_and_contains_on_key_path(void)
{
    static const cfg_pattern p[] = {
        { { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "\\Run" }, HG_MATCH_SUFFIX, HG_TARGET_KEY_PATH },
        { { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "image file execution" }, HG_MATCH_CONTAINS, HG_TARGET_KEY_PATH },
    };
    uint32_t st;
    hg_subscription *sub = compile_with(p, 2, 0, &st);

    CHECK_EQ(st, HG_STATUS_SUCCESS);
    CHECK(sub != NULL && sub->patterns != NULL);
    CHECK(match_of(sub, CRK, "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RUN", "").delivered);
    CHECK(!match_of(sub, CRK, "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnce", "").delivered);
    CHECK(!match_of(sub, CRK, "\\REGISTRY\\MACHINE\\SOFTWARE\\Run\\X", "").delivered); /* suffix: at the end only */
    CHECK(match_of(sub, CRK, "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\a.exe", "").delivered);
    CHECK(!match_of(sub, CRK, "\\REGISTRY\\MACHINE\\SOFTWARE\\Image File Executio", "").delivered);
    /* A key-path pattern never looks at the value name. */
    CHECK(!match_of(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\X", "Run").delivered);
    CHECK(!match_of(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\X", "image file execution").delivered);
    CHECK(!match_of(sub, CRK, "", "").delivered);
    hg_subscription_free(sub);
    return 0;
}

int test_pattern_full_name_spans_key_and_value(void)
{
    static const cfg_pattern p[] = {
        { { HG_PREFIX_INCLUDE, 0, VOPS, 0, 0, "\\Run\\Updater" }, HG_MATCH_SUFFIX, HG_TARGET_FULL_NAME },
        { { HG_PREFIX_INCLUDE, 0, VOPS, 0, 0, "n\\Debug" }, HG_MATCH_CONTAINS, HG_TARGET_FULL_NAME },
    };
    uint32_t st;
    hg_subscription *sub = compile_with(p, 2, 0, &st);
    const char *run = "\\REGISTRY\\USER\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run";

    CHECK_EQ(st, HG_STATUS_SUCCESS);
    CHECK(match_of(sub, SET, run, "updater").delivered);
    CHECK(match_of(sub, HG_OP_DELETE_VALUE, run, "Updater").delivered);
    CHECK(!match_of(sub, SET, run, "Updater2").delivered);
    CHECK(!match_of(sub, CRK, run, "Updater").delivered); /* not a value class */
    CHECK(match_of(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\Run", "Debugger").delivered);
    CHECK(match_of(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\Main\\Debugging", "x").delivered);
    CHECK(!match_of(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\Run", "Deb").delivered);
    /* An empty value name: the full name ends with the backslash. */
    CHECK(!match_of(sub, SET, run, "").delivered);
    hg_subscription_free(sub);
    return 0;
}

int test_pattern_exclude_wins_over_prefix_and_pattern(void)
{
    static const cfg_pattern p[] = {
        { { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_MASK_ALL, 0, 0, "\\REGISTRY\\MACHINE" }, 0, 0 },
        { { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_MASK_ALL, 0, 0, "\\Services\\" }, HG_MATCH_CONTAINS, 0 },
        { { HG_PREFIX_EXCLUDE, 0, HG_OP_BIT(CRK), 0, 0, "\\Parameters" }, HG_MATCH_SUFFIX, 0 },
        { { HG_PREFIX_EXCLUDE, 0, VOPS, 0, 0, "\\Start" }, HG_MATCH_SUFFIX, HG_TARGET_FULL_NAME },
    };
    uint32_t st;
    hg_subscription *sub = compile_with(p, 4, HG_OP_MASK_ALL, &st);
    const char *svc = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\X\\Parameters";

    CHECK_EQ(st, HG_STATUS_SUCCESS);
    CHECK(!match_of(sub, CRK, svc, "").delivered);
    CHECK(match_of(sub, HG_OP_OPEN_KEY, svc, "").delivered); /* the exclude is CreateKey only */
    CHECK(match_of(sub, SET, svc, "ImagePath").delivered);
    CHECK(!match_of(sub, SET, svc, "Start").delivered);
    CHECK(match_of(sub, SET, "\\REGISTRY\\USER\\S\\Services\\Y", "Other").delivered); /* by the pattern alone */
    CHECK(!match_of(sub, SET, "\\REGISTRY\\USER\\S\\Services\\Y", "start").delivered);
    CHECK(!match_of(sub, SET, "\\REGISTRY\\USER\\S\\Other", "x").delivered); /* no include at all */
    hg_subscription_free(sub);
    return 0;
}

int test_pattern_verdict_joins_longest_prefix(void)
{
    static const cfg_pattern p[] = {
        { { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "\\REGISTRY\\MACHINE" }, 0, 0 },
        { { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_MASK_ALL, 900, HG_FAIL_OPEN, "\\REGISTRY\\MACHINE\\SOFTWARE" }, 0, 0 },
        { { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, VOPS, 2000, HG_FAIL_CLOSED, "\\Run\\" }, HG_MATCH_CONTAINS, HG_TARGET_FULL_NAME },
        { { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_MASK_ALL, 0, HG_FAIL_INHERIT, "\\Winlogon" }, HG_MATCH_SUFFIX, 0 },
        { { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "Audit" }, HG_MATCH_CONTAINS, 0 },
    };
    uint32_t st;
    hg_subscription *sub = compile_with(p, 5, HG_OP_MASK_ALL, &st);
    hg_match m;

    CHECK_EQ(st, HG_STATUS_SUCCESS);
    /* Only the prefix: its own timeout and mode. */
    m = match_of(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\X", "v");
    CHECK(m.delivered && m.wants_verdict);
    CHECK_EQ(m.timeout_ms, 900);
    CHECK_EQ(m.fail_mode, HG_FAIL_OPEN);
    /* Prefix and pattern: the longest timeout, closed wins. */
    m = match_of(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\Run", "v");
    CHECK(m.wants_verdict);
    CHECK_EQ(m.timeout_ms, 2000);
    CHECK_EQ(m.fail_mode, HG_FAIL_CLOSED);
    /* A pattern alone under a non-verdict prefix: the global timeout (INHERIT). */
    m = match_of(sub, CRK, "\\REGISTRY\\MACHINE\\SYSTEM\\Winlogon", "");
    CHECK(m.delivered && m.wants_verdict);
    CHECK_EQ(m.timeout_ms, HG_TIMEOUT_DEFAULT_MS);
    CHECK_EQ(m.fail_mode, HG_FAIL_OPEN);
    /* Delivered by a pattern without the verdict flag: no wait. */
    m = match_of(sub, CRK, "\\REGISTRY\\USER\\Audit", "");
    CHECK(m.delivered && !m.wants_verdict);
    /* A prefix with no verdict and no pattern: delivered, no wait. */
    m = match_of(sub, CRK, "\\REGISTRY\\MACHINE\\SYSTEM\\X", "");
    CHECK(m.delivered && !m.wants_verdict);
    hg_subscription_free(sub);
    return 0;
}

int test_pattern_full_name_prefix_joins_the_trie(void)
{
    static const cfg_pattern p[] = {
        { { HG_PREFIX_INCLUDE, 0, VOPS, 0, 0, "\\REGISTRY\\MACHINE\\SOFTWARE\\Run\\Upd" }, HG_MATCH_PREFIX,
          HG_TARGET_FULL_NAME },
        { { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_MASK_ALL, 700, HG_FAIL_CLOSED, "\\REGISTRY\\MACHINE\\SOFTWARE\\Run" },
          HG_MATCH_PREFIX, HG_TARGET_KEY_PATH },
        { { HG_PREFIX_EXCLUDE, 0, VOPS, 0, 0, "\\REGISTRY\\MACHINE\\SOFTWARE\\Run\\UpdQuiet" }, HG_MATCH_PREFIX,
          HG_TARGET_FULL_NAME },
        { { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "\\REGISTRY\\USER\\X\\V" }, HG_MATCH_PREFIX, HG_TARGET_KEY_PATH },
    };
    uint32_t st;
    hg_subscription *sub = compile_with(p, 4, HG_OP_MASK_ALL, &st);
    hg_match m;

    CHECK_EQ(st, HG_STATUS_SUCCESS);
    /* Reached through the value name; the longer (full-name) prefix has no verdict. */
    m = match_of(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\Run", "Updater");
    CHECK(m.delivered && !m.wants_verdict);
    /* Without it, the key-path prefix decides. */
    m = match_of(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\Run", "Other");
    CHECK(m.delivered && m.wants_verdict);
    CHECK_EQ(m.timeout_ms, 700);
    /* Ending inside the key path counts for the full name too. */
    CHECK(!match_of(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\Run\\UpdQuietKey", "v").delivered);
    CHECK(!match_of(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\Run", "updquiet").delivered);
    CHECK(match_of(sub, CRK, "\\REGISTRY\\MACHINE\\SOFTWARE\\Run\\UpdQuiet", "").delivered); /* key classes: no full name */
    /* A key-path prefix never reaches into the value name. */
    CHECK(!match_of(sub, SET, "\\REGISTRY\\USER\\X", "Value").delivered);
    CHECK(match_of(sub, SET, "\\REGISTRY\\USER\\X\\Vkey", "a").delivered);
    hg_subscription_free(sub);
    return 0;
}

/* ---- the automaton against the definition, on random input ----------------- */

static uint32_t rng_state = 12345u;
static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) % n;
}

/* A small alphabet makes overlapping patterns (the failure links' job)
 * common; mixed case and one non-ASCII pair check the folding. */
static const uint16_t k_alpha[] = { 'a', 'B', 'b', 'C', '\\', 0x00E9, 0x00C9, 'A', ':' };

static int naive_occurs(const uint16_t *t, uint32_t tn, const uint16_t *s, uint32_t sn, int at_end,
                        int at_start)
{
    uint32_t i, k;

    for (i = 0; i + sn <= tn; i++) {
        if ((at_end && i + sn != tn) || (at_start && i != 0u))
            continue;
        for (k = 0; k < sn && hg_upcase16(t[i + k]) == hg_upcase16(s[k]); k++)
            ;
        if (k == sn)
            return 1;
    }
    return 0;
}

/* Distinct non-empty prefixes of the patterns, case folded, by comparing
 * every prefix with every one counted before it. */
static uint32_t distinct_prefixes(uint16_t units[][16], const uint32_t *lens, uint32_t n)
{
    uint32_t i, len, j, k, count = 0;

    for (i = 0; i < n; i++) {
        for (len = 1; len <= lens[i]; len++) {
            int seen = 0;
            for (j = 0; j <= i && !seen; j++) {
                if (lens[j] < len || (j == i))
                    continue;
                for (k = 0; k < len && hg_upcase16(units[j][k]) == hg_upcase16(units[i][k]); k++)
                    ;
                seen = k == len;
            }
            count += !seen;
        }
    }
    return count;
}

/* The definition of each match kind. */
static int naive_match(const uint16_t *t, uint32_t tn, const uint16_t *s, uint32_t sn, uint16_t match)
{
    switch (match) {
    case HG_MATCH_PREFIX: return naive_occurs(t, tn, s, sn, 0, 1);
    case HG_MATCH_SUFFIX: return naive_occurs(t, tn, s, sn, 1, 0);
    case HG_MATCH_EXACT: return tn == sn && naive_occurs(t, tn, s, sn, 1, 1);
    default: return naive_occurs(t, tn, s, sn, 0, 0);
    }
}

static int anchored(uint16_t match)
{
    return match == HG_MATCH_PREFIX || match == HG_MATCH_EXACT;
}

/* The random test's one volume: \aB is drive C. */
static const cfg_volume k_random_map[] = { { "\\aB", 'C' } };

static void units_to_utf8(const uint16_t *u, uint32_t n, char *o)
{
    uint32_t j;

    for (j = 0; j < n; j++) {
        if (u[j] < 0x80) {
            *o++ = (char)u[j];
        } else {
            *o++ = (char)(0xC0 | (u[j] >> 6));
            *o++ = (char)(0x80 | (u[j] & 0x3F));
        }
    }
    *o = '\0';
}

/* One random pattern string of 1..4 units of the small alphabet. */
static uint32_t random_units(uint16_t *u)
{
    uint32_t n = 1u + rnd(4), j;

    for (j = 0; j < n; j++)
        u[j] = k_alpha[rnd(sizeof k_alpha / sizeof k_alpha[0])];
    return n;
}

/* The operation the random test evaluates, in the definition's terms. */
typedef struct random_op {
    uint16_t key[24], full[40], val[12], img[24], form[24], dat[24];
    uint32_t kn, vn, fn, in, formn, dn, dknown, mapped;
} random_op;

enum tri { T_FALSE = 0, T_TRUE = 1, T_UNKNOWN = 2 };

/* hiveguard_wire.h's definition of one entry (standalone or member) on
 * one operation: TRUE/FALSE, or UNKNOWN for an image that cannot be had
 * (or is unmapped, for the anchored kinds) and an unknown subject. */
static enum tri entry_is(const random_op *o, const cfg_pattern *e, const uint16_t *u, uint32_t n)
{
    if (e->target == HG_TARGET_DATA)
        return !o->dknown ? T_UNKNOWN : naive_match(o->dat, o->dn, u, n, e->match) ? T_TRUE : T_FALSE;
    if (e->target == HG_TARGET_IMAGE) {
        if (o->in == 0u || (anchored(e->match) && !o->mapped))
            return T_UNKNOWN;
        return naive_match(o->form, o->formn, u, n, e->match) ? T_TRUE : T_FALSE;
    }
    if (e->target == HG_TARGET_FULL_NAME)
        return naive_match(o->full, o->fn, u, n, e->match) ? T_TRUE : T_FALSE;
    return naive_match(o->key, o->kn, u, n, e->match) ? T_TRUE : T_FALSE;
}

/* The definition's verdict candidates: the longest timeout, closed wins. */
typedef struct random_verdict {
    int any, closed;
    uint32_t timeout_ms;
} random_verdict;

static void random_candidate(random_verdict *v, uint32_t timeout_ms, uint16_t fail_mode)
{
    uint32_t t = timeout_ms != 0u ? timeout_ms : HG_TIMEOUT_DEFAULT_MS;

    v->any = 1;
    v->closed |= (fail_mode != HG_FAIL_INHERIT ? fail_mode : HG_FAIL_OPEN) == HG_FAIL_CLOSED;
    if (t > v->timeout_ms)
        v->timeout_ms = t;
}

/* A random member for a group of op_mask: any target and match the wire
 * allows (key path and full name PREFIX included: members are anchored in
 * the automaton); DATA only in a SetValue-only group, FULL_NAME only in a
 * group of value classes. */
static void random_member(cfg_pattern *m, uint32_t op_mask)
{
    uint32_t t = rnd(4);

    memset(m, 0, sizeof *m);
    m->entry.kind = HG_PREFIX_MEMBER;
    m->entry.op_mask = op_mask;
    m->target = t == 0 ? HG_TARGET_KEY_PATH : t == 1 ? HG_TARGET_FULL_NAME : t == 2 ? HG_TARGET_IMAGE : HG_TARGET_DATA;
    if (m->target == HG_TARGET_DATA && op_mask != HG_TARGET_DATA_OPS)
        m->target = HG_TARGET_KEY_PATH;
    m->match = (uint16_t)(m->target == HG_TARGET_DATA ? 1u + rnd(2) : rnd(4));
}

/*
 * The automaton and the lazy stages against the wire's definition, on
 * random configurations: standalone entries of every target and match, and
 * (minor 3) AND groups whose members are of every target and match, for
 * SetValue and DeleteValue, with random keys, value names, images (mapped,
 * unmapped, unknown) and data (known or not). Delivery and the verdict
 * (wait, timeout, fail mode) must equal the definition's. HG_TEST_SEED
 * picks another sequence.
 */
int test_pattern_automaton_matches_naive_definition(void)
{
    enum { PATTERNS = 24, ROUNDS = 80, PATHS = 200, GROUPS = 6, MEMBERS = 9 * GROUPS };
    static char utf8[PATTERNS + MEMBERS][64];
    static uint16_t units[PATTERNS + MEMBERS][16];
    static uint32_t lens[PATTERNS + MEMBERS], clause_of[PATTERNS + MEMBERS];
    static cfg_pattern p[PATTERNS + MEMBERS];
    static cfg_group groups[GROUPS];
    const char *seed = getenv("HG_TEST_SEED");
    int round, i, j;

    if (seed != NULL)
        rng_state = (uint32_t)strtoul(seed, NULL, 0);
    for (round = 0; round < ROUNDS; round++) {
        uint32_t st, group_count = round % 4 == 0 ? 0u : 1u + rnd(GROUPS), entry_count, g, clauses = 0;
        uint32_t verdict_mask = rnd(2) ? HG_OP_BIT(SET) : VOPS, include_count = 0;
        /* Fewer standalone entries when there are groups, so the groups decide often. */
        uint32_t standalone = group_count == 0u ? PATTERNS : rnd(6);
        hg_subscription *sub;

        for (i = 0; i < (int)standalone; i++) {
            lens[i] = random_units(units[i]);
            memset(&p[i], 0, sizeof p[i]);
            p[i].entry.kind = rnd(5) == 0 ? HG_PREFIX_EXCLUDE : HG_PREFIX_INCLUDE;
            p[i].entry.op_mask = rnd(2) ? VOPS : HG_OP_BIT(SET);
            if (p[i].entry.kind == HG_PREFIX_INCLUDE && rnd(3) == 0) {
                p[i].entry.flags = HG_PREFIX_F_VERDICT;
                p[i].entry.timeout_ms = rnd(2) ? 0u : 1000u + rnd(5000);
                p[i].entry.fail_mode = (uint16_t)rnd(3);
            }
            p[i].target = rnd(3) == 0 ? HG_TARGET_IMAGE : rnd(2) ? HG_TARGET_FULL_NAME : HG_TARGET_KEY_PATH;
            if (rnd(4) == 0) { /* minor 2: SetValue's data, SetValue only */
                p[i].target = HG_TARGET_DATA;
                p[i].entry.op_mask = HG_TARGET_DATA_OPS;
            }
            /* PREFIX is anchored in the automaton for images only (the trie has the
             * others); data entries are SUFFIX/CONTAINS only */
            p[i].match = (uint16_t)(p[i].target == HG_TARGET_IMAGE  ? rnd(4)
                                    : p[i].target == HG_TARGET_DATA ? 1u + rnd(2)
                                                                    : 1u + rnd(3));
            include_count += p[i].entry.kind == HG_PREFIX_INCLUDE;
        }
        entry_count = standalone;
        for (g = 0; g < group_count; g++) {
            uint32_t op_mask = rnd(3) == 0 ? HG_TARGET_DATA_OPS : rnd(2) ? VOPS : HG_OP_BIT(SET);
            uint32_t c, nclauses = 1u + rnd(3);

            memset(&groups[g], 0, sizeof groups[g]);
            groups[g].kind = rnd(5) < 3 ? HG_PREFIX_INCLUDE : HG_PREFIX_EXCLUDE;
            groups[g].op_mask = op_mask;
            if (groups[g].kind == HG_PREFIX_INCLUDE && rnd(2)) {
                groups[g].flags = HG_PREFIX_F_VERDICT;
                groups[g].timeout_ms = rnd(2) ? 0u : 1000u + rnd(5000);
                groups[g].fail_mode = (uint16_t)rnd(3);
            }
            groups[g].first_member = (uint16_t)entry_count;
            for (c = 0; c < nclauses; c++, clauses++) {
                uint32_t k, nmembers = 1u + rnd(3);
                for (k = 0; k < nmembers; k++, entry_count++) {
                    random_member(&p[entry_count], op_mask);
                    if (k == 0u)
                        p[entry_count].entry.flags = HG_PREFIX_F_CLAUSE;
                    lens[entry_count] = random_units(units[entry_count]);
                    clause_of[entry_count] = clauses;
                }
            }
            groups[g].member_count = (uint16_t)(entry_count - groups[g].first_member);
            include_count += groups[g].kind == HG_PREFIX_INCLUDE;
        }
        for (i = 0; i < (int)entry_count; i++) {
            /* an anchored image string half the time where a mapped image begins, so some do match */
            if (p[i].target == HG_TARGET_IMAGE && anchored(p[i].match) && lens[i] >= 2u && rnd(2)) {
                units[i][0] = 'C';
                units[i][1] = ':';
            }
            units_to_utf8(units[i], lens[i], utf8[i]);
            p[i].entry.utf8 = utf8[i];
        }
        sub = cfg_compile_groups(p, entry_count, verdict_mask, k_random_map, 1, groups, group_count, &st);
        CHECK_EQ(st, HG_STATUS_SUCCESS);
        /* The table is sized by the trie's states counted before it is built:
         * one per distinct upcased prefix, the empty one included. */
        CHECK_EQ(sub->patterns->state_count, distinct_prefixes(units, lens, entry_count) + 1u);
        CHECK_EQ(sub->include_count, include_count);
        for (j = 0; j < PATHS; j++) {
            static random_op o;
            uint16_t operation = rnd(3) == 0 ? HG_OP_DELETE_VALUE : SET;
            uint32_t bit = HG_OP_BIT(operation), k, dsplit;
            enum tri clause_value[GROUPS * 3];
            int inc = 0, exc = 0, want_delivered, want_verdict;
            random_verdict v = { 0, 0, 0 };
            hg_utf16 kp, vp, ip, dh, dt;
            hg_match m;

            o.kn = rnd(20);
            o.vn = rnd(8);
            o.in = rnd(8) == 0 ? 0u : 1u + rnd(20);
            o.dn = rnd(20);
            o.dknown = operation == SET && rnd(8) != 0;
            for (k = 0; k < o.kn; k++)
                o.key[k] = k_alpha[rnd(sizeof k_alpha / sizeof k_alpha[0])];
            for (k = 0; k < o.vn; k++)
                o.val[k] = k_alpha[rnd(sizeof k_alpha / sizeof k_alpha[0])];
            memcpy(o.full, o.key, o.kn * 2u);
            o.full[o.kn] = '\\';
            memcpy(o.full + o.kn + 1u, o.val, o.vn * 2u);
            o.fn = o.kn + 1u + o.vn;
            for (k = 0; k < o.in; k++)
                o.img[k] = k_alpha[rnd(sizeof k_alpha / sizeof k_alpha[0])];
            if (o.in >= 4u && rnd(2)) { /* on the mapped volume \aB, in any case */
                o.img[0] = '\\';
                o.img[1] = rnd(2) ? 'a' : 'A';
                o.img[2] = rnd(2) ? 'B' : 'b';
                o.img[3] = '\\';
            }
            /* The definition of the Sysmon form: \aB\... is C:\..., another \... unmapped,
             * a name without a leading '\' already the Sysmon form. */
            o.mapped = o.in >= 4u && o.img[0] == '\\' && hg_upcase16(o.img[1]) == 'A' &&
                       hg_upcase16(o.img[2]) == 'B' && o.img[3] == '\\';
            if (o.in > 0u && o.img[0] != '\\')
                o.mapped = 1;
            o.formn = o.in;
            memcpy(o.form, o.img, o.in * 2u);
            if (o.mapped && o.img[0] == '\\') {
                o.form[0] = 'C';
                o.form[1] = ':';
                memcpy(o.form + 2, o.img + 3, (o.in - 3u) * 2u);
                o.formn = o.in - 1u;
            }
            for (k = 0; k < o.dn; k++)
                o.dat[k] = k_alpha[rnd(sizeof k_alpha / sizeof k_alpha[0])];
            dsplit = rnd(o.dn + 1u); /* head | tail: one string to the automaton */

            /* Standalone entries: an UNKNOWN one counts for an INCLUDE, never for an EXCLUDE. */
            for (i = 0; i < (int)standalone; i++) {
                enum tri t;
                if (!(p[i].entry.op_mask & bit))
                    continue;
                t = entry_is(&o, &p[i], units[i], lens[i]);
                if (p[i].entry.kind == HG_PREFIX_EXCLUDE) {
                    exc |= t == T_TRUE;
                } else if (t != T_FALSE) {
                    inc = 1;
                    if (p[i].entry.flags & HG_PREFIX_F_VERDICT)
                        random_candidate(&v, p[i].entry.timeout_ms, p[i].entry.fail_mode);
                }
            }
            /* Groups: a clause is TRUE if a member is, else UNKNOWN if one is. */
            for (k = 0; k < clauses; k++)
                clause_value[k] = T_FALSE;
            for (i = (int)standalone; i < (int)entry_count; i++) {
                enum tri t = entry_is(&o, &p[i], units[i], lens[i]);
                enum tri *c = &clause_value[clause_of[i]];
                if (t == T_TRUE || (t == T_UNKNOWN && *c == T_FALSE))
                    *c = t;
            }
            for (g = 0; g < group_count; g++) {
                int any_false = 0, all_true = 1;
                if (!(groups[g].op_mask & bit))
                    continue;
                for (i = groups[g].first_member; i < groups[g].first_member + groups[g].member_count; i++) {
                    any_false |= clause_value[clause_of[i]] == T_FALSE;
                    all_true &= clause_value[clause_of[i]] == T_TRUE;
                }
                if (groups[g].kind == HG_PREFIX_EXCLUDE) {
                    exc |= all_true;
                } else if (!any_false) {
                    inc = 1;
                    if (groups[g].flags & HG_PREFIX_F_VERDICT)
                        random_candidate(&v, groups[g].timeout_ms, groups[g].fail_mode);
                }
            }
            want_delivered = (inc || include_count == 0u) && !exc;
            want_verdict = want_delivered && (verdict_mask & bit) && (include_count == 0u || v.any);

            kp.chars = o.key;
            kp.bytes = o.kn * 2u;
            vp.chars = o.val;
            vp.bytes = o.vn * 2u;
            ip.chars = o.img;
            ip.bytes = o.in * 2u;
            hg_sub_match_path(sub, operation, &kp, &vp, &m);
            if (m.needs_image)
                hg_sub_match_image(sub, operation, &ip, &m);
            dh.chars = o.dat;
            dh.bytes = dsplit * 2u;
            dt.chars = o.dat + dsplit;
            dt.bytes = (o.dn - dsplit) * 2u;
            if (m.needs_subject)
                hg_sub_match_subject(sub, operation, (int)o.dknown, &dh, &dt, &m);
            if ((int)m.delivered != want_delivered || (int)m.wants_verdict != want_verdict ||
                (want_verdict && include_count != 0u &&
                 (m.timeout_ms != v.timeout_ms || m.fail_mode != (v.closed ? HG_FAIL_CLOSED : HG_FAIL_OPEN)))) {
                fprintf(stderr, "  round %d path %d op %u: automaton %u/%u/%u/%u, definition %d/%d/%u/%d\n", round, j,
                        operation, m.delivered, m.wants_verdict, m.timeout_ms, m.fail_mode, want_delivered,
                        want_verdict, v.timeout_ms, v.closed);
                hg_subscription_free(sub);
                return 1;
            }
        }
        hg_subscription_free(sub);
    }
    return 0;
}

/* ---- the caller's image (HG_TARGET_IMAGE) ----------------------------------------- */

/* The path part, then - only if it left the decision open - the image part,
 * as raise.c runs them; image NULL: unknown. *asked tells whether the image
 * was needed at all. */
static hg_match match_with_image(const hg_subscription *sub, uint16_t operation, const char *path,
                                 const char *value, const char *image, int *asked)
{
    /* No subject entry in these configurations: the subject stage never runs. */
    return cfg_match_stages(sub, operation, path, value, image, NULL, NULL, asked, NULL);
}

#define REGEDIT "\\Device\\HarddiskVolume3\\Windows\\regedit.exe"
#define NOTEPAD "\\Device\\HarddiskVolume3\\Windows\\System32\\notepad.exe"
#define RUNKEY  "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"

int test_pattern_image_include_and_exclude(void)
{
    static const cfg_pattern p[] = {
        /* every write by regedit, whatever the key (Sysmon: Image end with regedit.exe) */
        { { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, VOPS, 3000, HG_FAIL_CLOSED, "\\windows\\REGEDIT.exe" }, HG_MATCH_SUFFIX, HG_TARGET_IMAGE },
        { { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, RUNKEY }, HG_MATCH_PREFIX, HG_TARGET_KEY_PATH },
        /* ... but never by the updater, anywhere it lives */
        { { HG_PREFIX_EXCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "\\Updater\\" }, HG_MATCH_CONTAINS, HG_TARGET_IMAGE },
        { { HG_PREFIX_EXCLUDE, 0, HG_OP_MASK_ALL, 0, 0, RUNKEY "\\Quiet" }, HG_MATCH_PREFIX, HG_TARGET_KEY_PATH },
    };
    uint32_t st;
    int asked;
    hg_match m;
    hg_subscription *sub = compile_with(p, 4, VOPS, &st);

    CHECK_EQ(st, HG_STATUS_SUCCESS);
    CHECK(sub != NULL && sub->patterns != NULL);
    /* no path rule, the image decides: a suffix, upcased */
    m = match_with_image(sub, SET, "\\REGISTRY\\USER\\S-1-5-21\\Software\\Any", "v", REGEDIT, &asked);
    CHECK(asked && m.delivered && m.wants_verdict);
    CHECK_EQ(m.timeout_ms, 3000u);
    CHECK_EQ(m.fail_mode, HG_FAIL_CLOSED);
    m = match_with_image(sub, SET, "\\REGISTRY\\USER\\S-1-5-21\\Software\\Any", "v", NOTEPAD, &asked);
    CHECK(asked && !m.delivered);
    /* a suffix is at the end only */
    m = match_with_image(sub, SET, "\\REGISTRY\\USER\\X", "v", REGEDIT ".bak", &asked);
    CHECK(asked && !m.delivered);
    /* the image entry is for value classes: a key class never looks it up */
    m = match_with_image(sub, CRK, "\\REGISTRY\\USER\\X", "", REGEDIT, &asked);
    CHECK(!asked && !m.delivered);
    /* the path includes: only an image EXCLUDE can still matter */
    m = match_with_image(sub, CRK, RUNKEY "\\A", "", "\\Device\\HarddiskVolume2\\Program Files\\updater\\u.exe", &asked);
    CHECK(asked && !m.delivered);
    m = match_with_image(sub, CRK, RUNKEY "\\A", "", NOTEPAD, &asked);
    CHECK(asked && m.delivered && !m.wants_verdict);
    /* the path excludes: decided without the image */
    m = match_with_image(sub, SET, RUNKEY "\\Quiet", "v", REGEDIT, &asked);
    CHECK(!asked && !m.delivered);
    /* both include: the image's verdict joins the prefix's */
    m = match_with_image(sub, SET, RUNKEY, "v", REGEDIT, &asked);
    CHECK(asked && m.delivered && m.wants_verdict);
    CHECK_EQ(m.timeout_ms, 3000u);
    /* an unknown image could match: delivered, with every image include's verdict; no exclusion */
    m = match_with_image(sub, SET, "\\REGISTRY\\USER\\X", "v", NULL, &asked);
    CHECK(asked && m.delivered && m.wants_verdict);
    CHECK_EQ(m.fail_mode, HG_FAIL_CLOSED);
    m = match_with_image(sub, SET, "\\REGISTRY\\USER\\X", "v", "", &asked);
    CHECK(asked && m.delivered);
    m = match_with_image(sub, CRK, RUNKEY "\\A", "", NULL, &asked);
    CHECK(asked && m.delivered);
    hg_subscription_free(sub);
    return 0;
}

/* ---- anchored image entries and the volume map (wire minor 2) ---------------------- */

static hg_match match_mapped(const hg_subscription *sub, uint16_t operation, const char *path,
                             const char *image, int *asked)
{
    return match_with_image(sub, operation, path, "v", image, asked);
}

/* Sysmon's `Image is` / `begin with` on the form it prints (C:\...), with
 * the soundness rule for images the map cannot name: every anchored INCLUDE
 * counts as matching, no anchored EXCLUDE does. */
int test_pattern_image_anchored_on_mapped_and_unmapped(void)
{
    static const cfg_pattern p[] = {
        { { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, VOPS, 3000, HG_FAIL_CLOSED, "c:\\windows\\REGEDIT.exe" }, HG_MATCH_EXACT, HG_TARGET_IMAGE },
        /* Sysmon prints an image on a volume without a letter as \Device\...: begin with \ */
        { { HG_PREFIX_INCLUDE, 0, VOPS, 0, 0, "\\" }, HG_MATCH_PREFIX, HG_TARGET_IMAGE },
        { { HG_PREFIX_INCLUDE, 0, VOPS, 0, 0, "\\evil.exe" }, HG_MATCH_SUFFIX, HG_TARGET_IMAGE },
        { { HG_PREFIX_INCLUDE, 0, VOPS, 0, 0, "D:\\Stage\\" }, HG_MATCH_CONTAINS, HG_TARGET_IMAGE },
        { { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, RUNKEY }, HG_MATCH_PREFIX, HG_TARGET_KEY_PATH },
        { { HG_PREFIX_EXCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "C:\\Program Files\\Vendor\\" }, HG_MATCH_PREFIX, HG_TARGET_IMAGE },
        { { HG_PREFIX_EXCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "C:\\Tools\\quiet.exe" }, HG_MATCH_EXACT, HG_TARGET_IMAGE },
    };
    static const cfg_volume map[] = {
        { "\\Device\\HarddiskVolume3", 'C' },
        { "\\Device\\HarddiskVolume10", 'D' },
    };
    const char *user = "\\REGISTRY\\USER\\S-1-5-21\\Software\\Any";
    uint32_t st;
    int asked;
    hg_match m;
    hg_subscription *sub = compile_mapped(p, 7, VOPS, map, 2, &st);

    CHECK_EQ(st, HG_STATUS_SUCCESS);
    CHECK(sub != NULL && sub->patterns != NULL);
    /* mapped: C:\Windows\regedit.exe, exactly, any case */
    m = match_mapped(sub, SET, user, REGEDIT, &asked);
    CHECK(asked && m.delivered && m.wants_verdict);
    CHECK_EQ(m.timeout_ms, 3000u);
    m = match_mapped(sub, SET, user, "\\DEVICE\\harddiskvolume3\\WINDOWS\\regedit.EXE", &asked);
    CHECK(asked && m.delivered && m.wants_verdict);
    m = match_mapped(sub, SET, user, "\\??\\C:\\Windows\\regedit.exe", &asked);
    CHECK(asked && m.delivered && m.wants_verdict);
    /* exact is the whole image; a mapped image does not begin with \ */
    m = match_mapped(sub, SET, user, REGEDIT ".bak", &asked);
    CHECK(asked && !m.delivered);
    m = match_mapped(sub, SET, user, NOTEPAD, &asked);
    CHECK(asked && !m.delivered);
    m = match_mapped(sub, SET, user, "\\Device\\HarddiskVolume3\\X\\Windows\\regedit.exe", &asked);
    CHECK(asked && !m.delivered);
    /* Volume1 is not Volume10: the device is followed by a separator */
    m = match_mapped(sub, SET, user, "\\Device\\HarddiskVolume10\\Stage\\a.exe", &asked);
    CHECK(asked && m.delivered && !m.wants_verdict); /* D:\Stage\ */
    m = match_mapped(sub, SET, user, "\\Device\\HarddiskVolume1\\Stage\\a.exe", &asked);
    CHECK(asked && m.delivered && m.wants_verdict);  /* unmapped: every anchored include, with its verdict */
    CHECK_EQ(m.fail_mode, HG_FAIL_CLOSED);
    /* unmapped: a volume mounted after CONFIGURE, a share, \SystemRoot - delivered */
    m = match_mapped(sub, SET, user, "\\Device\\HarddiskVolume7\\Windows\\notepad.exe", &asked);
    CHECK(asked && m.delivered && m.wants_verdict);
    m = match_mapped(sub, SET, user, "\\Device\\Mup\\server\\share\\tool.exe", &asked);
    CHECK(asked && m.delivered);
    m = match_mapped(sub, SET, user, "\\SystemRoot\\System32\\smss.exe", &asked);
    CHECK(asked && m.delivered);
    /* no NT path (the host's "System", a Win32 path): already Sysmon's form, decided as it is */
    m = match_mapped(sub, SET, user, "System", &asked);
    CHECK(asked && !m.delivered);
    m = match_mapped(sub, SET, user, "C:\\Windows\\regedit.exe", &asked);
    CHECK(asked && m.delivered && m.wants_verdict);
    m = match_mapped(sub, CRK, RUNKEY "\\A", "c:\\tools\\quiet.exe", &asked);
    CHECK(asked && !m.delivered);
    /* SUFFIX/CONTAINS keep their meaning on either form */
    m = match_mapped(sub, SET, user, "\\Device\\HarddiskVolume3\\Users\\x\\evil.exe", &asked);
    CHECK(asked && m.delivered && !m.wants_verdict);
    /* anchored EXCLUDE: on a mapped image it hides, on an unmapped one it cannot */
    m = match_mapped(sub, SET, user, "\\Device\\HarddiskVolume3\\Program Files\\Vendor\\evil.exe", &asked);
    CHECK(asked && !m.delivered);
    m = match_mapped(sub, SET, user, "\\Device\\HarddiskVolume7\\Program Files\\Vendor\\evil.exe", &asked);
    CHECK(asked && m.delivered);
    m = match_mapped(sub, CRK, RUNKEY "\\A", "\\Device\\HarddiskVolume3\\Tools\\quiet.exe", &asked);
    CHECK(asked && !m.delivered);
    m = match_mapped(sub, CRK, RUNKEY "\\A", "\\Device\\HarddiskVolume3\\Tools\\quiet.exe2", &asked);
    CHECK(asked && m.delivered);
    m = match_mapped(sub, CRK, RUNKEY "\\A", "\\??\\c:\\tools\\QUIET.exe", &asked);
    CHECK(asked && !m.delivered);
    m = match_mapped(sub, CRK, RUNKEY "\\A", "\\Device\\HarddiskVolume1\\Tools\\quiet.exe", &asked);
    CHECK(asked && m.delivered);
    /* unknown: every include, no exclude */
    m = match_mapped(sub, SET, user, NULL, &asked);
    CHECK(asked && m.delivered && m.wants_verdict);
    m = match_mapped(sub, CRK, RUNKEY "\\A", NULL, &asked);
    CHECK(asked && m.delivered);
    hg_subscription_free(sub);

    /* without a map every device path is unmapped: nothing anchored can hide it */
    sub = compile_mapped(p, 7, VOPS, NULL, 0, &st);
    CHECK_EQ(st, HG_STATUS_SUCCESS);
    m = match_mapped(sub, CRK, RUNKEY "\\A", "\\Device\\HarddiskVolume3\\Tools\\quiet.exe", &asked);
    CHECK(asked && m.delivered);
    m = match_mapped(sub, SET, user, NOTEPAD, &asked);
    CHECK(asked && m.delivered);
    hg_subscription_free(sub);
    return 0;
}

/* EXACT on the key path and the full name: the whole target, nothing more. */
int test_pattern_exact_on_key_path_and_full_name(void)
{
    static const cfg_pattern p[] = {
        { { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "\\REGISTRY\\MACHINE\\SOFTWARE\\Exact" }, HG_MATCH_EXACT, HG_TARGET_KEY_PATH },
        { { HG_PREFIX_INCLUDE, 0, VOPS, 0, 0, "\\REGISTRY\\MACHINE\\SOFTWARE\\K\\Val" }, HG_MATCH_EXACT, HG_TARGET_FULL_NAME },
        { { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "\\REGISTRY\\USER\\" }, HG_MATCH_PREFIX, HG_TARGET_KEY_PATH },
        { { HG_PREFIX_EXCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "\\REGISTRY\\USER\\Quiet" }, HG_MATCH_EXACT, HG_TARGET_KEY_PATH },
    };
    uint32_t st;
    hg_subscription *sub = compile_with(p, 4, 0, &st);

    CHECK_EQ(st, HG_STATUS_SUCCESS);
    CHECK(match_of(sub, CRK, "\\registry\\machine\\software\\EXACT", "").delivered);
    CHECK(!match_of(sub, CRK, "\\REGISTRY\\MACHINE\\SOFTWARE\\Exact\\Sub", "").delivered);
    CHECK(!match_of(sub, CRK, "\\REGISTRY\\MACHINE\\SOFTWARE\\Exac", "").delivered);
    CHECK(!match_of(sub, CRK, "\\X\\REGISTRY\\MACHINE\\SOFTWARE\\Exact", "").delivered);
    CHECK(match_of(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\K", "val").delivered);
    CHECK(!match_of(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\K", "Val2").delivered);
    CHECK(!match_of(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\K", "Va").delivered);
    CHECK(!match_of(sub, SET, "\\REGISTRY\\MACHINE\\SOFTWARE\\K\\Val", "").delivered);
    CHECK(match_of(sub, CRK, "\\REGISTRY\\USER\\Quiet\\Sub", "").delivered);
    CHECK(!match_of(sub, CRK, "\\REGISTRY\\USER\\QUIET", "").delivered);
    CHECK(match_of(sub, CRK, "\\REGISTRY\\USER\\Quie", "").delivered);
    hg_subscription_free(sub);
    return 0;
}

/* ---- bounds --------------------------------------------------------------------- */

int test_pattern_bounds_are_enforced(void)
{
    static char text[HG_PATTERN_MAX_BYTES / 2 + 2];
    static cfg_pattern many[HG_PATTERN_MAX_COUNT + 1];
    static char names[HG_PATTERN_MAX_COUNT + 1][8];
    cfg_pattern one = { { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, text }, HG_MATCH_CONTAINS, 0 };
    uint32_t st, i;
    hg_subscription *sub;

    /* One pattern at its longest is fine, one unit more is not. */
    memset(text, 'Q', HG_PATTERN_MAX_BYTES / 2);
    text[HG_PATTERN_MAX_BYTES / 2] = '\0';
    sub = compile_with(&one, 1, 0, &st);
    CHECK_EQ(st, HG_STATUS_SUCCESS);
    hg_subscription_free(sub);
    text[HG_PATTERN_MAX_BYTES / 2] = 'Q';
    text[HG_PATTERN_MAX_BYTES / 2 + 1] = '\0';
    sub = compile_with(&one, 1, 0, &st);
    CHECK_EQ(st, HG_STATUS_INVALID_PARAMETER);
    CHECK(sub == NULL);
    /* ... while a prefix may be that long. */
    one.match = HG_MATCH_PREFIX;
    sub = compile_with(&one, 1, 0, &st);
    CHECK_EQ(st, HG_STATUS_SUCCESS);
    hg_subscription_free(sub);

    /* The count of patterns. */
    for (i = 0; i <= HG_PATTERN_MAX_COUNT; i++) {
        snprintf(names[i], sizeof names[i], "%04x", i);
        many[i].entry.kind = HG_PREFIX_INCLUDE;
        many[i].entry.op_mask = HG_OP_MASK_ALL;
        many[i].entry.utf8 = names[i];
        many[i].match = HG_MATCH_CONTAINS;
    }
    sub = compile_with(many, HG_PATTERN_MAX_COUNT, 0, &st);
    CHECK_EQ(st, HG_STATUS_SUCCESS);
    hg_subscription_free(sub);
    sub = compile_with(many, HG_PATTERN_MAX_COUNT + 1, 0, &st);
    CHECK_EQ(st, HG_STATUS_INVALID_PARAMETER);

    /* The table: 2048 patterns of 4 hex digits use 16 classes + 1, so
     * (8192 + 1) * 17 cells is fine; with distinct letters per pattern the
     * alphabet - and the table - grows past HG_PATTERN_MAX_CELLS (2-byte
     * cells: 4 Mi of them in 8 MiB). */
    for (i = 0; i < HG_PATTERN_MAX_COUNT; i++) {
        uint16_t u = (uint16_t)(0x4E00u + i); /* 2048 distinct CJK units */
        names[i][0] = (char)(0xE0 | (u >> 12));
        names[i][1] = (char)(0x80 | ((u >> 6) & 0x3F));
        names[i][2] = (char)(0x80 | (u & 0x3F));
        names[i][3] = 'x';
        names[i][4] = '\0';
    }
    sub = compile_with(many, HG_PATTERN_MAX_COUNT, 0, &st);
    CHECK_EQ(st, HG_STATUS_INVALID_PARAMETER); /* (4096 + 1) * (2049 + 1) > 4 Mi cells */
    CHECK(sub == NULL);
    sub = compile_with(many, 1500, 0, &st); /* (3000 + 1) * (1501 + 1) > 4 Mi */
    CHECK_EQ(st, HG_STATUS_INVALID_PARAMETER);
    CHECK(sub == NULL);
    /* (2800 + 1) * (1401 + 1) < 4 Mi: fits, and the matcher walks columns
     * 1401 classes apart on a table bigger than 64 Ki cells. */
    sub = compile_with(many, 1400, 0, &st);
    CHECK_EQ(st, HG_STATUS_SUCCESS);
    CHECK(sub != NULL && sub->patterns->wide_count == 1400);
    CHECK(sub != NULL && match_of(sub, CRK, "\\REGISTRY\\\xE5\x8A\xB7X", "").delivered); /* U+52B7 = 0x4E00 + 1207 */
    CHECK(sub != NULL && !match_of(sub, CRK, "\\REGISTRY\\\xE5\x8A\xB7Y", "").delivered);
    hg_subscription_free(sub);
    sub = compile_with(many, 900, 0, &st); /* (1800 + 1) * (901 + 1) < 4 Mi */
    CHECK_EQ(st, HG_STATUS_SUCCESS);
    CHECK(sub != NULL && sub->patterns->wide_count == 900);
    {
        hg_match m = match_of(sub, CRK, "\\REGISTRY\\\xE4\xB8\x81X\\Y", ""); /* U+4E01 'x' */
        CHECK(m.delivered);
        m = match_of(sub, CRK, "\\REGISTRY\\\xE4\xB8\x81Y", "");
        CHECK(!m.delivered);
    }
    hg_subscription_free(sub);
    return 0;
}

/* Through the whole raise path: the value name on the hg_op reaches the matcher. */
int test_pattern_raise_uses_value_name(void)
{
    static unsigned char buf[CFG_CAP];
    static const cfg_pattern p[] = {
        { { HG_PREFIX_INCLUDE, 0, VOPS, 0, 0, "\\Run\\Evil" }, HG_MATCH_SUFFIX, HG_TARGET_FULL_NAME },
    };
    static const uint16_t evil[] = { 'E', 'V', 'I', 'L' }, good[] = { 'G', 'o', 'o', 'd' };
    HG_CONFIG_HEADER h;
    hg_raise_result r;
    hg_op op;
    hg_core *core;
    size_t len;

    cfg_defaults(&h);
    len = cfg_encode_patterns(buf, sizeof buf, &h, p, 1, NULL, 0);
    core = fixture_configured(buf, len);
    CHECK(core != NULL);
    top_init(&op, SET, 10);
    op.value_name.chars = evil;
    op.value_name.bytes = sizeof evil;
    raise_path(core, &op, "\\REGISTRY\\MACHINE\\SOFTWARE\\Run", NULL, 0, &r);
    CHECK_EQ(r.delivered, 1);
    op.value_name.chars = good;
    op.value_name.bytes = sizeof good;
    raise_path(core, &op, "\\REGISTRY\\MACHINE\\SOFTWARE\\Run", NULL, 0, &r);
    CHECK_EQ(r.delivered, 0);
    CHECK_EQ(stats_of(core).filtered_out, 1);
    hg_core_destroy(core);
    return 0;
}
