/*
 * ht_main.c - runs the registered cases. Between cases every handle of this
 * process is closed and the driver instance reloaded, so no case sees another
 * one's client, configuration, parked requests or counters.
 *
 * usage: host_tests [name-prefix...]   (no prefix: every case)
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ht.h"

#define HT_MAX_CASES 128

typedef struct ht_case {
    const char *name;
    ht_fn       fn;
} ht_case;

static ht_case    g_cases[HT_MAX_CASES];
static int        g_case_count;
static atomic_int g_current_failed;

void ht_register(const char *name, ht_fn fn)
{
    if (g_case_count == HT_MAX_CASES) {
        fprintf(stderr, "ht: more than %d cases, raise HT_MAX_CASES\n", HT_MAX_CASES);
        exit(2);
    }
    g_cases[g_case_count].name = name;
    g_cases[g_case_count].fn = fn;
    g_case_count++;
}

void ht_failed(const char *file, int line, const char *what)
{
    fprintf(stderr, "    %s:%d: check failed: %s\n", file, line, what);
    atomic_store(&g_current_failed, 1);
}

int ht_case_failed(void)
{
    return atomic_load(&g_current_failed);
}

static int selected(const char *name, int argc, char **argv)
{
    if (argc <= 1)
        return 1;
    for (int i = 1; i < argc; i++) {
        if (strncmp(name, argv[i], strlen(argv[i])) == 0)
            return 1;
    }
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const ht_case *)a)->name, ((const ht_case *)b)->name);
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;

    /* Constructors run in link order; sort so runs are reproducible. */
    qsort(g_cases, (size_t)g_case_count, sizeof g_cases[0], by_name);
    for (int i = 0; i < g_case_count; i++) {
        if (!selected(g_cases[i].name, argc, argv))
            continue;
        hg_sim_process_exit(hg_sim_current_process_key());
        hg_sim_reset(HG_VERDICT_ALLOW);
        atomic_store(&g_current_failed, 0);
        g_cases[i].fn();
        if (atomic_load(&g_current_failed)) {
            printf("FAIL %s\n", g_cases[i].name);
            failed++;
        } else {
            printf("ok   %s\n", g_cases[i].name);
            passed++;
        }
        fflush(stdout);
    }
    hg_sim_process_exit(hg_sim_current_process_key());
    hg_sim_reset(HG_VERDICT_ALLOW);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
