/*
 * ht.h - the host tests' harness: named cases registered at load time, run in
 * order (or those whose names start with a prefix given on the command line),
 * each stopping at its first failed check with file and line. The last line
 * printed is exactly "N passed, N failed".
 *
 * Checks may also fail from worker threads (HT_CHECK_T): the case is marked
 * failed and the thread carries on to its exit so nothing is left blocked.
 */
#ifndef HT_H
#define HT_H

#include <stdint.h>
#include "hg_host.h"

typedef void (*ht_fn)(void);
void ht_register(const char *name, ht_fn fn);
void ht_failed(const char *file, int line, const char *what);
int  ht_case_failed(void);

#define HT_TEST(name)                                                  \
    static void name(void);                                            \
    __attribute__((constructor)) static void ht_reg_##name(void)       \
    {                                                                  \
        ht_register(#name, name);                                      \
    }                                                                  \
    static void name(void)

/* In a case's own thread: record and leave the case. */
#define HT_CHECK(cond)                                                 \
    do {                                                               \
        if (!(cond)) {                                                 \
            ht_failed(__FILE__, __LINE__, #cond);                      \
            return;                                                    \
        }                                                              \
    } while (0)
/* In helpers that return a value. */
#define HT_CHECK_R(cond, ret)                                          \
    do {                                                               \
        if (!(cond)) {                                                 \
            ht_failed(__FILE__, __LINE__, #cond);                      \
            return (ret);                                              \
        }                                                              \
    } while (0)
/* In worker threads: record, keep going. */
#define HT_CHECK_T(cond)                                               \
    do {                                                               \
        if (!(cond))                                                   \
            ht_failed(__FILE__, __LINE__, #cond);                      \
    } while (0)
/* A Win32 failure with the expected last error, also visible in errno. */
#define HT_CHECK_ERR(call_failed, err)                                 \
    do {                                                               \
        HT_CHECK(call_failed);                                         \
        HT_CHECK(GetLastError() == (err));                             \
        HT_CHECK(errno == (int)(err));                                 \
    } while (0)

#endif /* HT_H */
