/* golden_config.c - the configuration every vector is built from. */
#include "vectors.h"

/* Short enough that a raiser under it times out at once, which is how the
 * emitter produces a "late" reply without sleeping for long. */
#define GOLDEN_SHORT_TIMEOUT_MS 5u
/* Long enough that the emitter's reply always reaches the waiting caller. */
#define GOLDEN_LONG_TIMEOUT_MS  10000u
/* Small enough that the second event's data is visibly truncated. */
#define GOLDEN_DATA_CAP         32u

size_t golden_config(unsigned char *buf, size_t cap)
{
    static const cfg_prefix prefixes[] = {
        { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_MASK_ALL, GOLDEN_LONG_TIMEOUT_MS, HG_FAIL_CLOSED,
          "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run" },
        { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, HG_FAIL_INHERIT, "\\REGISTRY\\USER" },
        { HG_PREFIX_EXCLUDE, 0, HG_OP_BIT(HG_OP_SET_VALUE) | HG_OP_BIT(HG_OP_DELETE_VALUE), 0, HG_FAIL_INHERIT,
          "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Quiet" },
        { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_BIT(HG_OP_SET_VALUE), GOLDEN_SHORT_TIMEOUT_MS, HG_FAIL_OPEN,
          "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services" },
    };
    static const uint64_t pids[] = { 888, 4 };
    HG_CONFIG_HEADER h;

    cfg_defaults(&h);
    h.op_mask = HG_OP_MASK_ALL;
    h.verdict_op_mask = HG_OP_BIT(HG_OP_SET_VALUE) | HG_OP_BIT(HG_OP_DELETE_KEY);
    h.flags = 0;
    h.timeout_ms = HG_TIMEOUT_DEFAULT_MS;
    h.fail_mode = HG_FAIL_OPEN;
    h.default_verdict = HG_VERDICT_ALLOW;
    h.max_backlog = HG_BACKLOG_DEFAULT;
    h.data_cap = GOLDEN_DATA_CAP;
    return cfg_encode(buf, cap, &h, prefixes, sizeof prefixes / sizeof prefixes[0], pids, 2);
}
