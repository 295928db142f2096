/* tests.h - shared includes and helpers of the unit test files. */
#ifndef HG_UNIT_TESTS_H
#define HG_UNIT_TESTS_H

#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "support.h"
#include "../../host/plat_posix.h"

#define KEY_MACHINE_SOFTWARE "\\REGISTRY\\MACHINE\\SOFTWARE"
#define GE_MIN HG_GET_EVENTS_MIN_BYTES

/* A configuration with no prefixes and the given masks. */
static inline size_t cfg_simple(unsigned char *buf, size_t cap, uint32_t op_mask, uint32_t verdict_mask)
{
    HG_CONFIG_HEADER h;
    cfg_defaults(&h);
    h.op_mask = op_mask;
    h.verdict_op_mask = verdict_mask;
    return cfg_encode(buf, cap, &h, NULL, 0, NULL, 0);
}

#endif
