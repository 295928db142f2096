/*
 * harness.h - a tiny test harness: a test is a function, CHECK stops it at
 * the first failed assertion with file and line (as winfsp-tests does), and
 * the runner's last output line is exactly "N passed, N failed".
 * An optional argument selects tests whose name contains it.
 */
#ifndef HG_TEST_HARNESS_H
#define HG_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

typedef struct hg_test {
    const char *name;
    int (*fn)(void); /* 0 = passed */
} hg_test;

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "  FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            return 1;                                                           \
        }                                                                       \
    } while (0)

#define CHECK_EQ(a, b)                                                          \
    do {                                                                        \
        unsigned long long hg_a_ = (unsigned long long)(a);                     \
        unsigned long long hg_b_ = (unsigned long long)(b);                     \
        if (hg_a_ != hg_b_) {                                                   \
            fprintf(stderr, "  FAILED %s:%d: %s == %s (0x%llx != 0x%llx)\n",    \
                    __FILE__, __LINE__, #a, #b, hg_a_, hg_b_);                  \
            return 1;                                                           \
        }                                                                       \
    } while (0)

/* Runs the tests whose name contains `filter` (all when NULL). */
static inline int hg_run_tests(const hg_test *tests, size_t count, const char *filter)
{
    size_t i, passed = 0, failed = 0;

    for (i = 0; i < count; i++) {
        if (filter != NULL && strstr(tests[i].name, filter) == NULL)
            continue;
        if (tests[i].fn() == 0) {
            passed++;
            printf("ok   %s\n", tests[i].name);
        } else {
            failed++;
            printf("FAIL %s\n", tests[i].name);
        }
        fflush(stdout);
    }
    printf("%zu passed, %zu failed\n", passed, failed);
    return failed == 0 && passed != 0 ? 0 : 1;
}

#endif
