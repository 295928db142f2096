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
    static const cfg_pattern prefixes[] = {
        { { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_MASK_ALL, GOLDEN_LONG_TIMEOUT_MS, HG_FAIL_CLOSED,
            "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run" }, 0, 0 },
        { { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, HG_FAIL_INHERIT, "\\REGISTRY\\USER" }, 0, 0 },
        { { HG_PREFIX_EXCLUDE, 0, HG_OP_BIT(HG_OP_SET_VALUE) | HG_OP_BIT(HG_OP_DELETE_VALUE), 0, HG_FAIL_INHERIT,
            "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Quiet" }, 0, 0 },
        { { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_BIT(HG_OP_SET_VALUE), GOLDEN_SHORT_TIMEOUT_MS, HG_FAIL_OPEN,
            "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services" }, 0, 0 },
        /* Minor 1: a CONTAINS on the key path and a SUFFIX on the full name. */
        { { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_OP_BIT(HG_OP_CREATE_KEY) | HG_OP_BIT(HG_OP_SET_VALUE), 0,
            HG_FAIL_CLOSED, "\\Image File Execution Options\\" }, HG_MATCH_CONTAINS, HG_TARGET_KEY_PATH },
        { { HG_PREFIX_EXCLUDE, 0, HG_OP_BIT(HG_OP_SET_VALUE), 0, HG_FAIL_INHERIT, "\\Notifications\\Data" },
          HG_MATCH_SUFFIX, HG_TARGET_FULL_NAME },
        /* An image exclusion (no vector's caller has that image). */
        { { HG_PREFIX_EXCLUDE, 0, HG_OP_BIT(HG_OP_SET_VALUE), 0, HG_FAIL_INHERIT, "\\Tools\\quiet.exe" },
          HG_MATCH_SUFFIX, HG_TARGET_IMAGE },
        /* Minor 2: anchored image exclusions on the mapped form (no vector's caller has these). */
        { { HG_PREFIX_EXCLUDE, 0, HG_OP_BIT(HG_OP_SET_VALUE), 0, HG_FAIL_INHERIT, "C:\\Program Files\\Quiet\\" },
          HG_MATCH_PREFIX, HG_TARGET_IMAGE },
        { { HG_PREFIX_EXCLUDE, 0, HG_OP_BIT(HG_OP_SET_VALUE), 0, HG_FAIL_INHERIT, "C:\\Tools\\silent.exe" },
          HG_MATCH_EXACT, HG_TARGET_IMAGE },
        /* Minor 2: a data exclusion and a new-name inclusion (no vector's data nor rename has them). */
        { { HG_PREFIX_EXCLUDE, 0, HG_TARGET_DATA_OPS, 0, HG_FAIL_INHERIT, "golden-quiet-data" },
          HG_MATCH_CONTAINS, HG_TARGET_DATA },
        { { HG_PREFIX_INCLUDE, 0, HG_TARGET_NEW_NAME_OPS, 0, HG_FAIL_INHERIT, "\\GoldenRenamed" },
          HG_MATCH_SUFFIX, HG_TARGET_NEW_NAME },
        /* Minor 3: group 0 (INCLUDE, verdict) - the AutoLogger shape: key path contains
         * \Control\WMI\Autologger\ AND the full name ends with \Start or \Enabled AND the
         * data contains DWORD (0x00000000); no vector writes there. */
        { { HG_PREFIX_MEMBER, HG_PREFIX_F_CLAUSE, HG_TARGET_DATA_OPS, 0, HG_FAIL_INHERIT,
            "\\Control\\WMI\\Autologger\\" }, HG_MATCH_CONTAINS, HG_TARGET_KEY_PATH },
        { { HG_PREFIX_MEMBER, HG_PREFIX_F_CLAUSE, HG_TARGET_DATA_OPS, 0, HG_FAIL_INHERIT, "\\Start" },
          HG_MATCH_SUFFIX, HG_TARGET_FULL_NAME },
        { { HG_PREFIX_MEMBER, 0, HG_TARGET_DATA_OPS, 0, HG_FAIL_INHERIT, "\\Enabled" },
          HG_MATCH_SUFFIX, HG_TARGET_FULL_NAME },
        { { HG_PREFIX_MEMBER, HG_PREFIX_F_CLAUSE, HG_TARGET_DATA_OPS, 0, HG_FAIL_INHERIT, "DWORD (0x00000000)" },
          HG_MATCH_CONTAINS, HG_TARGET_DATA },
        /* Minor 3: group 1 (EXCLUDE) - svchost's writes under Services (no vector's caller is svchost). */
        { { HG_PREFIX_MEMBER, HG_PREFIX_F_CLAUSE, HG_TARGET_DATA_OPS, 0, HG_FAIL_INHERIT,
            "C:\\Windows\\System32\\svchost.exe" }, HG_MATCH_EXACT, HG_TARGET_IMAGE },
        { { HG_PREFIX_MEMBER, HG_PREFIX_F_CLAUSE, HG_TARGET_DATA_OPS, 0, HG_FAIL_INHERIT,
            "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\" }, HG_MATCH_PREFIX,
          HG_TARGET_KEY_PATH },
    };
    static const cfg_group groups[] = {
        { HG_PREFIX_INCLUDE, HG_PREFIX_F_VERDICT, HG_TARGET_DATA_OPS, 0, HG_FAIL_INHERIT, 11, 4 },
        { HG_PREFIX_EXCLUDE, 0, HG_TARGET_DATA_OPS, 0, HG_FAIL_INHERIT, 15, 2 },
    };
    /* Minor 2: the volume map. */
    static const cfg_volume volumes[] = {
        { "\\Device\\HarddiskVolume3", 'C' },
        { "\\Device\\HarddiskVolume5", 'E' },
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
    return cfg_encode_groups(buf, cap, &h, prefixes, sizeof prefixes / sizeof prefixes[0], pids, 2, volumes,
                             sizeof volumes / sizeof volumes[0], groups, sizeof groups / sizeof groups[0]);
}
