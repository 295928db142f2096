/*
 * bench_pattern.c - what a filtered-out registry operation costs on the raise
 * path once the subscription carries SUFFIX/CONTAINS patterns (pattern.c),
 * counted in instructions by callgrind (bench_pattern.sh runs it and prints
 * the table; see driver/tests/host/bench/README.md).
 *
 *   bench_pattern core N      N patterns (plus 64 prefixes) through the real
 *                             hg_core_raise: class/caller checks, key path,
 *                             prefix trie, one automaton pass, counted filtered
 *   bench_pattern image N     as core, plus what a Sysmon configuration's Image
 *                             rules send since wire minor 2 - an include
 *                             "begin with \" (anchored PREFIX), 32 whole-path
 *                             EXACT exclusions - and a 26-volume map: every
 *                             operation needs its caller's image (given, not
 *                             looked up), which maps to C:\... and is filtered out
 *   bench_pattern naive N     the baseline: the same N patterns tested one by
 *                             one against the same paths (upcase + compare)
 *   bench_pattern data N      as core N, but every fourth pattern is a DATA
 *                             CONTAINS entry (wire minor 2) and each
 *                             SetValue carries REG_SZ data (a command line
 *                             of 40-70 characters) that none matches: every
 *                             operation also pays the lazy subject stage -
 *                             capture, Details rendering, one automaton pass
 *   bench_pattern groups N    as core N, but (wire minor 3) the last 100 of the
 *                             N patterns are members of 40 AND groups (a key-path
 *                             CONTAINS clause AND a full-name SUFFIX clause of
 *                             one or two members; 36 INCLUDE, every third with
 *                             the verdict flag, 4 EXCLUDE): no member matches,
 *                             so this is a filtered-out operation's cost with groups
 *   bench_pattern partial N   as groups N, but every path carries one group's
 *                             first clause and no value name its second: the
 *                             groups are evaluated on every operation and
 *                             decide "not included" (filtered out)
 *   bench_pattern build-groups N  the same for the configuration of groups N
 *   bench_pattern build N     what CONFIGURE costs for that configuration:
 *                             hg_config_compile wall time (median of runs),
 *                             the automaton's allocation, and the growth of
 *                             the process's peak resident memory while the
 *                             first compile runs (its transient buffers too)
 *
 * Only the function bench_loop is measured (callgrind --toggle-collect), so
 * building the configuration is not part of the number. Patterns and paths
 * are made from real registry vocabulary, deterministically: patterns look
 * like Sysmon configurations' "contains" / "end with" values and paths like
 * HKLM/HKU writes that none of them matches (the common case: most registry
 * traffic is filtered out), with value names for the value classes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core_internal.h"
#include "support.h"

#define OPS            2000u
#define PATH_VARIANTS  64u
#define MAX_PATTERNS   2048u
#define GROUP_MEMBERS  100u
#define GROUPS         40u

static const char *const k_words[] = {
    "Software", "Microsoft", "Windows", "CurrentVersion", "Explorer", "Shell Folders", "Policies", "System",
    "Services", "Parameters", "Control", "Session Manager", "Winlogon", "Image File Execution Options",
    "Classes", "CLSID", "InprocServer32", "LocalServer32", "ShellEx", "ContextMenuHandlers", "Run",
    "RunOnce", "Notify", "Lsa", "Security Providers", "Print", "Monitors", "AppInit_DLLs", "Debugger",
    "Environment", "Terminal Server", "WinSock2", "Protocol_Catalog9", "NameSpace_Catalog5", "Office",
    "Outlook", "Addins", "Excel", "Word", "Internet Settings", "ZoneMap", "Domains", "Tracing", "Wow6432Node",
    "Windows Defender", "Exclusions", "Paths", "Extensions", "Processes", "SafeBoot", "Network",
};
#define WORDS (sizeof k_words / sizeof k_words[0])

static uint32_t rng = 2026u;
static uint32_t rnd(uint32_t n)
{
    rng = rng * 1664525u + 1013904223u;
    return (rng >> 8) % n;
}

/* "\Word\Word" (contains) or "\Word\Word.dll"-like tails (suffix), made
 * unique by a numbered segment so N patterns are N distinct strings. */
static void make_pattern(char *out, size_t cap, uint32_t i)
{
    snprintf(out, cap, "\\%s\\%s\\Entry%u", k_words[rnd(WORDS)], k_words[rnd(WORDS)], i);
}

/* A path none of the patterns matches ("Entry" never appears in a path). */
static void make_path(char *out, size_t cap)
{
    int n = snprintf(out, cap, "\\REGISTRY\\%s", rnd(2) ? "MACHINE\\SOFTWARE" : "USER\\S-1-5-21-1004336348-1177238915-682003330-1001\\Software");
    uint32_t depth = 4u + rnd(4), d;

    for (d = 0; d < depth && n > 0 && (size_t)n < cap; d++)
        n += snprintf(out + n, cap - (size_t)n, "\\%s", k_words[rnd(WORDS)]);
}

static hg_utf16 paths[PATH_VARIANTS], values[PATH_VARIANTS];
static uint16_t path_units[PATH_VARIANTS][512], value_units[PATH_VARIANTS][64];
static uint16_t pattern_units[MAX_PATTERNS][128];
static uint32_t pattern_len[MAX_PATTERNS];
static test_source sources[PATH_VARIANTS];
static hg_utf16 images[PATH_VARIANTS];
static uint16_t image_units[PATH_VARIANTS][256];
static int with_images;
/* data mode: each variant's REG_SZ data (UTF-16LE with its NUL). */
static unsigned char data_bytes[PATH_VARIANTS][256];
static uint32_t with_data;

/* The measured loop: OPS filtered-out SetValue operations through the core. */
__attribute__((noinline)) uint32_t bench_loop(hg_core *core, const hg_op_source *src)
{
    uint32_t i, delivered = 0;

    for (i = 0; i < OPS; i++) {
        hg_op op;
        hg_raise_result r;

        top_init(&op, HG_OP_SET_VALUE, 4242u);
        op.value_name = values[i % PATH_VARIANTS];
        if (with_images)
            op.image = images[i % PATH_VARIANTS];
        if (with_data) {
            op.value_type = 1u; /* REG_SZ */
            op.data_original_size = sources[i % PATH_VARIANTS].data_len;
        }
        hg_core_raise(core, &op, &src[i % PATH_VARIANTS], &r);
        delivered += r.delivered;
    }
    return delivered;
}

/* Peak resident set (VmHWM) in KiB, or 0 where /proc is not there. */
static unsigned long peak_rss_kib(void)
{
    char line[256];
    unsigned long kib = 0;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmHWM: %lu kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static double now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* CONFIGURE's compile of the encoded configuration, timed; the core is not
 * involved, so the number is the build alone (validation + trie + automaton). */
static int bench_build(const unsigned char *cfg, size_t len, uint32_t n)
{
    enum { RUNS = 9 };
    double ms[RUNS];
    unsigned long rss_before = peak_rss_kib(), rss_after;
    hg_subscription *sub = NULL;
    uint32_t i, st, units;

    for (i = 0; i < RUNS; i++) {
        double t0 = now_ms();
        st = hg_config_compile(cfg, len, &sub);
        ms[i] = now_ms() - t0;
        if (st != HG_STATUS_SUCCESS) {
            printf("build patterns=%u rejected status=0x%08x\n", n, st);
            return 1;
        }
        if (i == 0u)
            rss_after = peak_rss_kib();
        if (i + 1u < RUNS)
            hg_subscription_free(sub);
    }
    qsort(ms, RUNS, sizeof ms[0], cmp_double);
    for (i = 0, units = 0; i < n; i++)
        units += pattern_len[i];
    printf("build patterns=%u units=%u states=%u classes=%u automaton_bytes=%u peak_rss_growth_kib=%lu compile_ms=%.2f\n",
           n, units, sub->patterns ? sub->patterns->state_count : 0u, sub->patterns ? sub->patterns->class_count : 0u,
           sub->patterns ? sub->patterns->bytes : 0u, rss_after - rss_before, ms[RUNS / 2]);
    hg_subscription_free(sub);
    return 0;
}

static int naive_contains(const hg_utf16 *t, const uint16_t *p, uint32_t pn)
{
    uint32_t n = t->bytes / 2u, i, k;

    for (i = 0; i + pn <= n; i++) {
        for (k = 0; k < pn && hg_upcase16(t->chars[i + k]) == p[k]; k++)
            ;
        if (k == pn)
            return 1;
    }
    return 0;
}

/* The baseline loop: every pattern against every path, one by one. */
__attribute__((noinline)) uint32_t bench_naive_loop(uint32_t patterns)
{
    uint32_t i, j, hits = 0;

    for (i = 0; i < OPS; i++)
        for (j = 0; j < patterns; j++)
            hits += (uint32_t)naive_contains(&paths[i % PATH_VARIANTS], pattern_units[j], pattern_len[j]);
    return hits;
}

int main(int argc, char **argv)
{
    static unsigned char cfg[HG_CONFIG_MAX_BYTES];
    static cfg_pattern entries[MAX_PATTERNS + 64 + 33];
    static char texts[MAX_PATTERNS + 64 + 33][160];
    static char devices[HG_VOLUME_MAX_COUNT][40];
    cfg_volume volumes[HG_VOLUME_MAX_COUNT];
    static hg_op_source bound[PATH_VARIANTS];
    uint32_t n, i, result;
    HG_CONFIG_HEADER h;
    hg_core *core;
    size_t len;

    static cfg_group groups[GROUPS];
    int with_groups, partial;

    if (argc != 3 || (strcmp(argv[1], "core") != 0 && strcmp(argv[1], "naive") != 0 && strcmp(argv[1], "build") != 0 &&
                      strcmp(argv[1], "image") != 0 && strcmp(argv[1], "data") != 0 &&
                      strcmp(argv[1], "groups") != 0 && strcmp(argv[1], "partial") != 0 &&
                      strcmp(argv[1], "build-groups") != 0)) {
        fprintf(stderr, "usage: %s core|image|data|groups|partial|naive|build|build-groups PATTERNS\n", argv[0]);
        return 2;
    }
    with_data = strcmp(argv[1], "data") == 0;
    partial = strcmp(argv[1], "partial") == 0;
    with_groups = partial || strcmp(argv[1], "groups") == 0 || strcmp(argv[1], "build-groups") == 0;
    n = (uint32_t)strtoul(argv[2], NULL, 10);
    if (n > MAX_PATTERNS || (with_groups && n < GROUP_MEMBERS)) {
        fprintf(stderr, "at most %u patterns (groups: at least %u)\n", MAX_PATTERNS, GROUP_MEMBERS);
        return 2;
    }
    for (i = 0; i < PATH_VARIANTS; i++) {
        char p[1024];
        int units;

        make_path(p, sizeof p);
        if (partial) /* group i % GROUPS's first clause (no rnd(): the rest stays as in the other modes) */
            snprintf(p + strlen(p), sizeof p - strlen(p), "\\Grp%uA\\Key", i % GROUPS);
        if (tsrc_init(&sources[i], p) != 0)
            return 1;
        if (with_data) {
            char line[160];
            uint16_t u[128];
            int k, un;
            snprintf(line, sizeof line, "\"C:\\Program Files\\%s\\%s.exe\" /run %s", k_words[rnd(WORDS)],
                     k_words[rnd(WORDS)], k_words[rnd(WORDS)]);
            un = utf8_to_utf16(line, u, 127);
            for (k = 0; k < un; k++) {
                data_bytes[i][2 * k] = (unsigned char)(u[k] & 0xFFu);
                data_bytes[i][2 * k + 1] = (unsigned char)(u[k] >> 8);
            }
            data_bytes[i][2 * un] = data_bytes[i][2 * un + 1] = 0;
            sources[i].data = data_bytes[i];
            sources[i].data_len = (uint32_t)(2 * un + 2);
        }
        tsrc_bind(&sources[i], &bound[i]);
        units = utf8_to_utf16(p, path_units[i], 512);
        paths[i].chars = path_units[i];
        paths[i].bytes = (uint32_t)units * 2u;
        units = utf8_to_utf16(k_words[rnd(WORDS)], value_units[i], 64);
        values[i].chars = value_units[i];
        values[i].bytes = (uint32_t)units * 2u;
        /* On C: (volume 3 of the map), under folders none of the exclusions names; made
         * without rnd() so the paths and patterns stay those of the runs without images. */
        snprintf(p, sizeof p, "\\Device\\HarddiskVolume3\\Program Files\\%s\\%s\\app%u.exe", k_words[i % WORDS],
                 k_words[(i * 7u) % WORDS], i);
        units = utf8_to_utf16(p, image_units[i], 256);
        images[i].chars = image_units[i];
        images[i].bytes = (uint32_t)units * 2u;
    }
    for (i = 0; i < HG_VOLUME_MAX_COUNT; i++) {
        snprintf(devices[i], sizeof devices[i], "\\Device\\HarddiskVolume%u", i + 1u);
        volumes[i].device = devices[i];
        volumes[i].drive = (uint16_t)('A' + i);
    }
    /* 64 key-path prefixes as a configuration would also carry. */
    for (i = 0; i < 64u; i++) {
        snprintf(texts[i], sizeof texts[i], "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\%s\\%s", k_words[rnd(WORDS)],
                 k_words[rnd(WORDS)]);
        memset(&entries[i], 0, sizeof entries[i]);
        entries[i].entry.kind = HG_PREFIX_INCLUDE;
        entries[i].entry.op_mask = HG_OP_MASK_ALL;
        entries[i].entry.utf8 = texts[i];
    }
    for (i = 0; i < n; i++) {
        char *t = texts[64u + i];
        uint32_t k;
        int units;

        make_pattern(t, sizeof texts[0], i);
        memset(&entries[64u + i], 0, sizeof entries[0]);
        entries[64u + i].entry.kind = HG_PREFIX_INCLUDE;
        entries[64u + i].entry.flags = (i % 3u) == 0 ? HG_PREFIX_F_VERDICT : 0u;
        entries[64u + i].entry.op_mask = HG_TARGET_FULL_NAME_OPS;
        entries[64u + i].entry.utf8 = t;
        entries[64u + i].match = (i & 1u) ? HG_MATCH_SUFFIX : HG_MATCH_CONTAINS;
        entries[64u + i].target = HG_TARGET_FULL_NAME;
        if (with_data && i % 4u == 3u) {
            entries[64u + i].entry.op_mask = HG_TARGET_DATA_OPS;
            entries[64u + i].match = HG_MATCH_CONTAINS;
            entries[64u + i].target = HG_TARGET_DATA;
        }
        if (with_groups && i >= n - GROUP_MEMBERS) {
            /* Member m of the 100: groups g < 20 take 2 members (A, B), the
             * others 3 (A, B, B' - the second clause an OR of two). */
            uint32_t m = i - (n - GROUP_MEMBERS), g, pos;
            g = m < 40u ? m / 2u : 20u + (m - 40u) / 3u;
            pos = m < 40u ? m % 2u : (m - 40u) % 3u;
            entries[64u + i].entry.kind = HG_PREFIX_MEMBER;
            entries[64u + i].entry.flags = pos <= 1u ? HG_PREFIX_F_CLAUSE : 0u;
            if (pos == 0u) {
                snprintf(t, sizeof texts[0], "\\Grp%uA\\", g);
                entries[64u + i].match = HG_MATCH_CONTAINS;
                entries[64u + i].target = HG_TARGET_KEY_PATH;
                groups[g].kind = g % 10u == 9u ? HG_PREFIX_EXCLUDE : HG_PREFIX_INCLUDE;
                groups[g].flags = groups[g].kind == HG_PREFIX_INCLUDE && g % 3u == 0u ? HG_PREFIX_F_VERDICT : 0u;
                groups[g].op_mask = HG_TARGET_FULL_NAME_OPS;
                groups[g].first_member = (uint16_t)(64u + i);
            } else {
                snprintf(t, sizeof texts[0], "\\Grp%uB%u", g, pos);
                entries[64u + i].match = HG_MATCH_SUFFIX;
                entries[64u + i].target = HG_TARGET_FULL_NAME;
            }
            groups[g].member_count++;
        }
        units = utf8_to_utf16(t, pattern_units[i], 128);
        for (k = 0; k < (uint32_t)units; k++)
            pattern_units[i][k] = hg_upcase16(pattern_units[i][k]);
        pattern_len[i] = (uint32_t)units;
    }

    if (strcmp(argv[1], "naive") == 0) {
        result = bench_naive_loop(n);
        printf("naive patterns=%u ops=%u hits=%u\n", n, OPS, result);
        return result == 0 ? 0 : 1;
    }
    cfg_defaults(&h);
    h.op_mask = HG_OP_MASK_ALL;
    h.verdict_op_mask = HG_OP_BIT(HG_OP_SET_VALUE);
    with_images = strcmp(argv[1], "image") == 0;
    if (with_images) {
        uint32_t at = 64u + n;
        memset(&entries[at], 0, sizeof entries[at]);
        snprintf(texts[at], sizeof texts[at], "\\");
        entries[at].entry.kind = HG_PREFIX_INCLUDE;
        entries[at].entry.op_mask = HG_OP_MASK_ALL;
        entries[at].entry.utf8 = texts[at];
        entries[at].match = HG_MATCH_PREFIX;
        entries[at].target = HG_TARGET_IMAGE;
        for (i = 1; i <= 32u; i++) {
            memset(&entries[at + i], 0, sizeof entries[at + i]);
            snprintf(texts[at + i], sizeof texts[at + i], "C:\\Program Files\\Vendor%u\\Agent\\svc%u.exe", i, i);
            entries[at + i].entry.kind = HG_PREFIX_EXCLUDE;
            entries[at + i].entry.op_mask = HG_OP_MASK_ALL;
            entries[at + i].entry.utf8 = texts[at + i];
            entries[at + i].match = HG_MATCH_EXACT;
            entries[at + i].target = HG_TARGET_IMAGE;
        }
        len = cfg_encode_volumes(cfg, sizeof cfg, &h, entries, 64u + n + 33u, NULL, 0, volumes, HG_VOLUME_MAX_COUNT);
    } else if (with_groups) {
        len = cfg_encode_groups(cfg, sizeof cfg, &h, entries, 64u + n, NULL, 0, NULL, 0, groups, GROUPS);
    } else {
        len = cfg_encode_patterns(cfg, sizeof cfg, &h, entries, 64u + n, NULL, 0);
    }
    if (strcmp(argv[1], "build") == 0 || strcmp(argv[1], "build-groups") == 0)
        return len ? bench_build(cfg, len, n) : 1;
    if (with_groups && len) {
        /* partial must set a clause bit on every operation, groups on none,
         * or the numbers measure something else */
        hg_subscription *sub = NULL;
        uint32_t w, v;
        if (hg_config_compile(cfg, len, &sub) != HG_STATUS_SUCCESS)
            return 1;
        for (v = 0; v < PATH_VARIANTS; v++) {
            hg_match m;
            uint64_t any = 0;
            hg_sub_match_path(sub, HG_OP_SET_VALUE, &paths[v], &values[v], &m);
            for (w = 0; w < HG_CLAUSE_WORDS; w++)
                any |= m.clauses[w];
            if ((any != 0u) != (partial != 0) || m.delivered || m.needs_image || m.needs_subject) {
                fprintf(stderr, "path %u: clause bits %s\n", v, any ? "set" : "clear");
                hg_subscription_free(sub);
                return 1;
            }
        }
        hg_subscription_free(sub);
    }
    core = len ? fixture_configured(cfg, len) : NULL;
    if (core == NULL) {
        fprintf(stderr, "configuration of %u patterns rejected\n", n);
        return 1;
    }
    result = bench_loop(core, bound);
    {
        HG_STATS s;
        hg_core_get_stats(core, &s);
        printf("core patterns=%u ops=%u delivered=%u filtered_out=%llu\n", n, OPS, result,
               (unsigned long long)s.filtered_out);
        hg_core_destroy(core);
        /* Every operation must have been filtered out, or the number measures something else. */
        return result == 0 && s.filtered_out == OPS ? 0 : 1;
    }
}
