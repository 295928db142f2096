/*
 * bench_match.c - what the prefix trie buys: the cost of matching one key
 * path against N prefixes, with the core's compiled trie (hg_sub_match_path)
 * side by side with the baseline a straightforward implementation would use
 * (for every prefix, a case-insensitive compare against the path).
 *
 * Prints a results table (ns per match, ratio baseline/trie). The claim it
 * supports: the trie's cost follows the path length and stays flat as the
 * prefix count grows; the baseline's grows linearly with the prefix count.
 * A benchmark, not a test: run it with `make -C driver bench-core`.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core_internal.h"
#include "support.h"

#define PATH_UTF8 "\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor0042\\Product\\CurrentVersion\\Settings\\Key"
#define TARGET_NS_PER_ROW 300000000ull /* ~0.3 s of matching per measurement */

typedef struct naive_prefix {
    uint16_t units[64];
    uint32_t count;
    uint16_t kind;
} naive_prefix;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Baseline: exclude wins, any include admits; every prefix compared. */
static int naive_match(const naive_prefix *p, uint32_t n, const uint16_t *path, uint32_t units)
{
    uint32_t i, k;
    int included = 0;

    for (i = 0; i < n; i++) {
        if (p[i].count > units)
            continue;
        for (k = 0; k < p[i].count; k++)
            if (hg_upcase16(p[i].units[k]) != hg_upcase16(path[k]))
                break;
        if (k < p[i].count)
            continue;
        if (p[i].kind == HG_PREFIX_EXCLUDE)
            return 0;
        included = 1;
    }
    return included;
}

int main(void)
{
    static const uint32_t counts[] = { 1, 16, 256, 4096 };
    static char names[HG_PREFIX_MAX_COUNT][64];
    static cfg_prefix prefixes[HG_PREFIX_MAX_COUNT];
    static naive_prefix naive[HG_PREFIX_MAX_COUNT];
    unsigned char *buf = malloc(HG_CONFIG_MAX_BYTES);
    uint16_t path[256];
    hg_utf16 p, no_value = { NULL, 0 };
    int units = utf8_to_utf16(PATH_UTF8, path, 256);
    size_t c;
    volatile uint32_t sink = 0;

    if (buf == NULL || units < 0)
        return 1;
    p.chars = path;
    p.bytes = (uint32_t)units * 2u;
    /* Prefixes share the path's first components, as real ones do
     * (\REGISTRY\MACHINE\SOFTWARE\<vendor>...), so neither side can reject
     * them on the first character. The matching one is the last. */
    for (c = 0; c < HG_PREFIX_MAX_COUNT; c++) {
        snprintf(names[c], sizeof names[c], "\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor%04zu\\Product", 
                 (c + 43) % HG_PREFIX_MAX_COUNT);
        prefixes[c].kind = HG_PREFIX_INCLUDE;
        prefixes[c].op_mask = HG_OP_MASK_ALL;
        prefixes[c].utf8 = names[c];
    }

    printf("| prefixes | path units | trie ns/match | baseline ns/match | baseline / trie |\n");
    printf("|---------:|-----------:|--------------:|------------------:|----------------:|\n");
    for (c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        uint32_t n = counts[c], i;
        HG_CONFIG_HEADER h;
        hg_subscription *sub;
        hg_match m;
        size_t len;
        uint64_t iters, t0, trie_ns, naive_ns;

        snprintf(names[n - 1], sizeof names[n - 1], "\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor0042\\Product");
        cfg_defaults(&h);
        len = cfg_encode(buf, HG_CONFIG_MAX_BYTES, &h, prefixes, n, NULL, 0);
        if (len == 0 || hg_config_compile(buf, len, &sub) != HG_STATUS_SUCCESS)
            return 1;
        for (i = 0; i < n; i++) {
            int u = utf8_to_utf16(names[i], naive[i].units, 64);
            naive[i].count = (uint32_t)u;
            naive[i].kind = HG_PREFIX_INCLUDE;
        }
        hg_sub_match_path(sub, HG_OP_SET_VALUE, &p, &no_value, &m);
        if (!m.delivered || !naive_match(naive, n, path, (uint32_t)units))
            return 1; /* both must find the match before their time means anything */

        /* calibrate the iteration count on the slower baseline */
        iters = 1000;
        t0 = now_ns();
        for (i = 0; i < iters; i++)
            sink += (uint32_t)naive_match(naive, n, path, (uint32_t)units);
        naive_ns = now_ns() - t0;
        iters = naive_ns ? TARGET_NS_PER_ROW * iters / naive_ns : 1000000;
        if (iters < 100)
            iters = 100;

        t0 = now_ns();
        for (i = 0; i < iters; i++) {
            hg_sub_match_path(sub, HG_OP_SET_VALUE, &p, &no_value, &m);
            sink += m.delivered;
        }
        trie_ns = now_ns() - t0;
        t0 = now_ns();
        for (i = 0; i < iters; i++)
            sink += (uint32_t)naive_match(naive, n, path, (uint32_t)units);
        naive_ns = now_ns() - t0;
        printf("| %8u | %10d | %13.1f | %17.1f | %14.1fx |\n", n, units, (double)trie_ns / (double)iters,
               (double)naive_ns / (double)iters, (double)naive_ns / (double)trie_ns);
        hg_subscription_free(sub);
        snprintf(names[n - 1], sizeof names[n - 1], "\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor%04u\\Product",
                 (unsigned)((n - 1 + 43) % HG_PREFIX_MAX_COUNT));
    }
    free(buf);
    return sink == 0xFFFFFFFFu;
}
