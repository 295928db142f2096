/*
 * hiveguard_wire.h - THE wire contract between hiveguard.sys, the user-mode
 * host (driver/host) and the agent (java/.../wire mirrors this file).
 *
 * Rules (checked by the static asserts at the bottom):
 *  - every field is fixed width and little-endian; padding is explicit;
 *  - no wchar_t, long, size_t or pointer on the wire: strings are UTF-16LE
 *    uint16_t code units with byte lengths, never NUL-terminated on the wire;
 *  - anything pointer-like is a uint64_t and is never a kernel address;
 *  - a message the agent sends starts with HG_WIRE_MAGIC; HELLO also carries
 *    the major/minor version (the driver refuses another major; the agent
 *    also needs a driver minor no older than its own, since its CONFIGURE
 *    uses that minor's fields - a newer driver accepts an older agent's).
 *
 * This header compiles in four worlds: the WDK/mingw-w64 kernel build, the
 * mingw-w64 user-mode Wine test client, the Linux host/tests (gcc, clang)
 * and the golden-vector emitter. It therefore includes only <stdint.h>.
 */
#ifndef HIVEGUARD_WIRE_H
#define HIVEGUARD_WIRE_H

#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Identity and version                                                */
/* ------------------------------------------------------------------ */

#define HG_WIRE_MAGIC          0x44524748u /* "HGRD" in memory order */
#define HG_WIRE_VERSION_MAJOR  1u
#define HG_WIRE_VERSION_MINOR  3u /* 1: pattern entries (match/target in HG_PREFIX_ENTRY, target
                                      IMAGE included: unreleased, so no new minor); the HELLO
                                      reply reports driver version, altitude, default verdict;
                                      2: HG_MATCH_EXACT, anchored IMAGE entries, the volume map
                                      (HG_CONFIG_HEADER.volume_count, HG_VOLUME_ENTRY), targets
                                      DATA (SetValue's data as Sysmon's Details) and NEW_NAME
                                      (RenameKey's new full name);
                                      3: AND groups (HG_CONFIG_HEADER.group_count,
                                      HG_GROUP_ENTRY, member entries HG_PREFIX_MEMBER) */

#define HG_DEVICE_NAME_W       L"\\Device\\HiveGuard"
#define HG_SYMLINK_NAME_W      L"\\DosDevices\\HiveGuard"
#define HG_USER_PATH_W         L"\\\\.\\HiveGuard"
#define HG_DRIVER_SERVICE_W    L"HiveGuard"
#define HG_POOL_TAG            0x64476748u /* 'HgGd' read backwards in pool dumps */

/* ------------------------------------------------------------------ */
/* IOCTLs                                                              */
/* ------------------------------------------------------------------ */
/*
 * Device type 0x8A47: in the customer range (>= 0x8000) so it cannot clash
 * with Microsoft's. Functions start at 0x900 (customer range >= 0x800).
 *
 * Every IOCTL is METHOD_BUFFERED. Messages are small (an event is at most
 * HG_MAX_EVENT_BYTES, a batch at most HG_GET_EVENTS_MAX_BYTES), the extra copy
 * is cheap next to a registry operation, and the driver never has to map an
 * MDL at completion time, which can fail under memory pressure and would be
 * one more failure path inside the registry callback's delivery. It also keeps
 * the Wine driver host on its best-tested path.
 *
 * Access: everything requires FILE_READ_DATA|FILE_WRITE_DATA, i.e. a handle
 * opened for GENERIC_READ|GENERIC_WRITE. The device DACL already limits who can
 * open; the access bits stop a read-only handle from steering verdicts.
 */
#define HG_DEVICE_TYPE 0x8A47u

#ifndef CTL_CODE
#define CTL_CODE(DeviceType, Function, Method, Access) \
    (((DeviceType) << 16) | ((Access) << 14) | ((Function) << 2) | (Method))
#endif
#define HG_METHOD_BUFFERED 0u
#define HG_FILE_READ_WRITE 3u /* FILE_READ_DATA | FILE_WRITE_DATA */

#define HG_IOCTL(fn) CTL_CODE(HG_DEVICE_TYPE, (fn), HG_METHOD_BUFFERED, HG_FILE_READ_WRITE)

#define HG_IOCTL_HELLO      HG_IOCTL(0x900u) /* in HG_HELLO_REQUEST, out HG_HELLO_REPLY   */
#define HG_IOCTL_CONFIGURE  HG_IOCTL(0x901u) /* in HG_CONFIG_HEADER + tables, out none  */
#define HG_IOCTL_GET_EVENTS HG_IOCTL(0x902u) /* in none, out HG_BATCH_HEADER + events; pends */
#define HG_IOCTL_REPLY      HG_IOCTL(0x903u) /* in HG_REPLY_HEADER + entries, out HG_REPLY_RESULT (optional) */
#define HG_IOCTL_STATS      HG_IOCTL(0x904u) /* in none, out HG_STATS                   */
#define HG_IOCTL_INJECT     HG_IOCTL(0x9F0u) /* TEST BUILD ONLY: in HG_INJECT_HEADER + strings, out HG_INJECT_RESULT; pends */

/* ------------------------------------------------------------------ */
/* Status codes                                                        */
/* ------------------------------------------------------------------ */
/*
 * NTSTATUS values the driver (and the host, which maps them to Win32 error
 * codes exactly as RtlNtStatusToDosError does) returns. Each class of
 * malformed input has its own code so a test - or an admin reading an agent
 * log - can tell them apart.
 */
#define HG_STATUS_SUCCESS                 0x00000000u
#define HG_STATUS_TIMEOUT                 0x00000102u /* success code! handled explicitly */
#define HG_STATUS_PENDING                 0x00000103u
#define HG_STATUS_INFO_LENGTH_MISMATCH    0xC0000004u /* declared size != buffer size      -> ERROR_BAD_LENGTH (24) */
#define HG_STATUS_INVALID_PARAMETER       0xC000000Du /* a value outside its legal range   -> ERROR_INVALID_PARAMETER (87) */
#define HG_STATUS_INVALID_DEVICE_REQUEST  0xC0000010u /* unknown IOCTL                     -> ERROR_INVALID_FUNCTION (1) */
#define HG_STATUS_ACCESS_DENIED           0xC0000022u /* blocked op / not the bound client -> ERROR_ACCESS_DENIED (5) */
#define HG_STATUS_BUFFER_TOO_SMALL        0xC0000023u /* shorter than the fixed part       -> ERROR_INSUFFICIENT_BUFFER (122) */
#define HG_STATUS_SHARING_VIOLATION       0xC0000043u /* a second client                   -> ERROR_SHARING_VIOLATION (32) */
#define HG_STATUS_UNKNOWN_REVISION        0xC0000058u /* wrong magic                       -> ERROR_UNKNOWN_REVISION (1305) */
#define HG_STATUS_REVISION_MISMATCH       0xC0000059u /* wrong major version               -> ERROR_REVISION_MISMATCH (1306) */
#define HG_STATUS_INSUFFICIENT_RESOURCES  0xC000009Au /*                                   -> ERROR_NO_SYSTEM_RESOURCES (1450) */
#define HG_STATUS_NOT_SUPPORTED           0xC00000BBu /*                                   -> ERROR_NOT_SUPPORTED (50) */
#define HG_STATUS_CANCELLED               0xC0000120u /*                                   -> ERROR_OPERATION_ABORTED (995) */
#define HG_STATUS_INVALID_DEVICE_STATE    0xC0000184u /* out of order (e.g. CONFIGURE before HELLO) -> ERROR_BAD_COMMAND (22) */
#define HG_STATUS_INVALID_BUFFER_SIZE     0xC0000206u /* larger than the legal maximum     -> ERROR_INVALID_USER_BUFFER (1784) */
#define HG_STATUS_QUOTA_EXCEEDED          0xC0000044u /* too many parked requests          -> ERROR_NOT_ENOUGH_QUOTA (1816) */

/* ------------------------------------------------------------------ */
/* Limits: every limit has a name, a default and a legal range          */
/* ------------------------------------------------------------------ */

#define HG_TIMEOUT_MIN_MS            1u
#define HG_TIMEOUT_DEFAULT_MS        250u
#define HG_TIMEOUT_MAX_MS            30000u   /* a registry caller waits at most this long */

#define HG_BACKLOG_MIN               16u
#define HG_BACKLOG_DEFAULT           4096u
#define HG_BACKLOG_MAX               65536u   /* events queued while no request is parked */
#define HG_BACKLOG_MAX_BYTES         (16u * 1024u * 1024u) /* hard byte ceiling, any config */

#define HG_DATA_CAP_DEFAULT          4096u
#define HG_DATA_CAP_MAX              16384u   /* value data copied per event */

#define HG_PREFIX_MAX_COUNT          4096u
#define HG_PREFIX_MAX_BYTES          2048u    /* one prefix, UTF-16 bytes (1024 chars) */
/* Pattern entries (match SUFFIX, CONTAINS or EXACT, and IMAGE entries of any
 * match) are compiled into one automaton
 * whose size the driver bounds: at most HG_PATTERN_MAX_COUNT of the
 * HG_PREFIX_MAX_COUNT entries, HG_PATTERN_MAX_UNITS code units in all of
 * them, and a transition table (automaton states x distinct upcased units
 * + 1, states counted as the units + 1) of at most HG_PATTERN_MAX_CELLS
 * cells of 2 bytes (8 MiB, plus a 256 KiB unit-to-column map), allocated at
 * CONFIGURE, never on the raise path. The agent computes the same bound
 * before it sends a configuration. */
#define HG_PATTERN_MAX_COUNT         2048u
#define HG_PATTERN_MAX_BYTES         1024u    /* one pattern, UTF-16 bytes (512 chars) */
#define HG_PATTERN_MAX_UNITS         65535u   /* all patterns together: states fit 16 bits */
#define HG_PATTERN_MAX_CELLS         (4u * 1024u * 1024u)
#define HG_EXCLUDED_PID_MAX_COUNT    256u
/* The volume map (minor 2): at most one entry per drive letter; a device
 * name is \Device\Something, at most HG_VOLUME_DEVICE_MAX_BYTES. */
#define HG_VOLUME_MAX_COUNT          26u
#define HG_VOLUME_DEVICE_MIN_BYTES   4u       /* "\X" */
#define HG_VOLUME_DEVICE_MAX_BYTES   256u     /* 128 chars; \Device\HarddiskVolumeShadowCopy12 is 34 */
/* AND groups (minor 3): at most HG_GROUP_MAX_COUNT groups and
 * HG_CLAUSE_MAX_COUNT clauses in all of them - the driver keeps one bit per
 * clause for each operation it matches, so this bounds that set. Member
 * entries are pattern entries: they count against the HG_PATTERN_MAX_*
 * bounds above like any other. */
#define HG_GROUP_MAX_COUNT           256u
#define HG_CLAUSE_MAX_COUNT          256u
#define HG_CONFIG_MAX_BYTES          (1024u * 1024u)

#define HG_REPLY_MAX_ENTRIES         4096u
#define HG_PARKED_MAX                64u      /* GET_EVENTS requests parked at once */

/* String caps on the wire; longer names are cut and HG_EVENT_F_NAME_TRUNCATED set.
 * Matching in the driver always uses the full, uncut key path. */
#define HG_KEY_PATH_MAX_BYTES        8192u    /* 4096 chars */
#define HG_VALUE_NAME_MAX_BYTES      1024u
#define HG_NEW_NAME_MAX_BYTES        1024u
#define HG_IMAGE_MAX_BYTES           2048u
#define HG_USER_SID_MAX_BYTES        384u     /* SECURITY_MAX_SID_STRING_CHARACTERS is 187 */

#define HG_EVENT_HEADER_BYTES        80u
#define HG_EVENT_ALIGN               8u
/* Upper bound of one encoded event, rounded to 1 KiB. */
#define HG_MAX_EVENT_BYTES           32768u
#define HG_GET_EVENTS_MIN_BYTES      (24u + HG_MAX_EVENT_BYTES) /* batch header + one max event */
#define HG_GET_EVENTS_MAX_BYTES      (1024u * 1024u)

/* ------------------------------------------------------------------ */
/* Enumerations                                                        */
/* ------------------------------------------------------------------ */

/* Operation classes. One bit each in the 32-bit operation masks: (1u << op). */
enum hg_operation {
    HG_OP_NONE             = 0,
    HG_OP_CREATE_KEY       = 1,
    HG_OP_OPEN_KEY         = 2,
    HG_OP_SET_VALUE        = 3,
    HG_OP_DELETE_VALUE     = 4,
    HG_OP_DELETE_KEY       = 5,
    HG_OP_RENAME_KEY       = 6,
    HG_OP_SET_KEY_SECURITY = 7,
    HG_OP_SET_INFORMATION  = 8,
    HG_OP_LOAD_KEY         = 9,
    HG_OP_UNLOAD_KEY       = 10,
    HG_OP_SAVE_KEY         = 11,
    HG_OP_RESTORE_KEY      = 12,
    HG_OP_REPLACE_KEY      = 13,
    HG_OP_FLUSH_KEY        = 14,
    HG_OP_COUNT            = 15 /* one past the last */
};
#define HG_OP_BIT(op)   (1u << (op))
#define HG_OP_MASK_ALL  (((1u << HG_OP_COUNT) - 1u) & ~1u) /* every class, bit 0 unused */

/* Verdicts: what the agent replies and what the driver applies. */
enum hg_verdict {
    HG_VERDICT_NONE  = 0, /* invalid on the wire */
    HG_VERDICT_ALLOW = 1,
    HG_VERDICT_BLOCK = 2  /* the registry caller gets STATUS_ACCESS_DENIED */
};

/* Fail modes: the verdict applied when the agent does not answer in time. */
enum hg_fail_mode {
    HG_FAIL_INHERIT = 0, /* per-prefix only: use the configuration's global mode */
    HG_FAIL_OPEN    = 1, /* allow */
    HG_FAIL_CLOSED  = 2  /* block */
};

/* HG_EVENT_HEADER.flags */
#define HG_EVENT_F_VERDICT_REQUESTED  0x0001u /* the caller waits; reply with .id */
#define HG_EVENT_F_DATA_TRUNCATED     0x0002u /* data_bytes < data_original_size */
#define HG_EVENT_F_NAME_TRUNCATED     0x0004u /* some string was cut to its cap */
#define HG_EVENT_F_KERNEL_CALLER      0x0008u /* PreviousMode was KernelMode */
#define HG_EVENT_F_DEFAULT_APPLIED    0x0010u /* no longer set (a verdict event waits for the agent); kept so old readers decode */
#define HG_EVENT_F_DATA_UNREADABLE    0x0020u /* capturing the caller's buffer faulted; no data */
#define HG_EVENT_F_ALL                0x003Fu

/* ------------------------------------------------------------------ */
/* HELLO                                                               */
/* ------------------------------------------------------------------ */

typedef struct HG_HELLO_REQUEST {
    uint32_t magic;          /* HG_WIRE_MAGIC */
    uint16_t version_major;  /* HG_WIRE_VERSION_MAJOR */
    uint16_t version_minor;  /* HG_WIRE_VERSION_MINOR */
    uint32_t flags;          /* reserved, must be 0 */
    uint32_t reserved;       /* must be 0 */
} HG_HELLO_REQUEST;

/* HG_HELLO_REPLY.capabilities */
#define HG_CAP_REGISTRY_CALLBACK   0x0001u /* CmRegisterCallbackEx succeeded (never in Wine) */
#define HG_CAP_KEY_OBJECT_ID_EX    0x0002u /* CmCallbackGetKeyObjectIDEx resolved */
#define HG_CAP_INJECT              0x0004u /* test build: HG_IOCTL_INJECT is available */
#define HG_CAP_SIMULATOR           0x0008u /* user-mode host (driver/host), not a kernel */

typedef struct HG_HELLO_REPLY {
    uint32_t magic;
    uint16_t version_major;
    uint16_t version_minor;
    uint32_t capabilities;         /* HG_CAP_* */
    uint32_t max_event_bytes;      /* HG_MAX_EVENT_BYTES */
    uint32_t get_events_min_bytes; /* HG_GET_EVENTS_MIN_BYTES */
    uint32_t get_events_max_bytes; /* HG_GET_EVENTS_MAX_BYTES */
    uint32_t reply_max_entries;    /* HG_REPLY_MAX_ENTRIES */
    uint32_t parked_max;           /* HG_PARKED_MAX */
    uint64_t instance_id;          /* changes on every driver load: a restart is visible */
    /* minor 1 (appended; a 1.0 agent's 40-byte buffer still gets the fields above) */
    uint32_t driver_version;       /* HG_DRIVER_VERSION of the image that answers */
    uint32_t altitude;             /* the registry callback's altitude; 0 when not registered */
    uint32_t no_client_verdict;    /* HG_VERDICT_*: applied while no agent is connected (Parameters\DefaultVerdict) */
    uint32_t reserved;             /* 0 */
} HG_HELLO_REPLY;

/* The 1.0 reply: the least output buffer HELLO accepts. */
#define HG_HELLO_REPLY_V1_0_BYTES  40u

/* The driver's own version (major.minor.patch), reported in HELLO. */
#define HG_DRIVER_VERSION_MAJOR    1u
#define HG_DRIVER_VERSION_MINOR    1u
#define HG_DRIVER_VERSION_PATCH    0u
#define HG_DRIVER_VERSION ((HG_DRIVER_VERSION_MAJOR << 24) | (HG_DRIVER_VERSION_MINOR << 16) | HG_DRIVER_VERSION_PATCH)

/* ------------------------------------------------------------------ */
/* CONFIGURE                                                           */
/* ------------------------------------------------------------------ */
/*
 * Layout of the input buffer (total_bytes long, all offsets from its start):
 *   HG_CONFIG_HEADER
 *   HG_PREFIX_ENTRY  [prefix_count]
 *   uint64_t         excluded_pids[excluded_pid_count]
 *   HG_VOLUME_ENTRY  [volume_count]                      (minor 2)
 *   HG_GROUP_ENTRY   [group_count]                       (minor 3)
 *   UTF-16LE string pool (prefix strings, then volume device names,
 *                         referenced by string_offset)
 *
 * The driver accepts any layout that satisfies the checks. The canonical
 * encoding - what the agent and the golden vectors produce, so both sides can
 * be compared byte for byte - puts the strings in entry order, packed with no
 * padding between them, and total_bytes ends at the last string's last byte.
 *
 * Subscription semantics (Sysmon-like: exclude wins):
 *   an operation is delivered iff its class is in op_mask, it is not from the
 *   bound client's own process nor an excluded pid, kernel-mode callers are
 *   included only with HG_CFG_F_INCLUDE_KERNEL_CALLERS, its key path begins
 *   with (case-insensitively) some INCLUDE prefix whose op_mask has the class -
 *   or there is no INCLUDE prefix at all - and with no EXCLUDE prefix whose
 *   op_mask has the class.
 *   It waits for a verdict iff its class is in verdict_op_mask and (with
 *   include prefixes) the longest matching INCLUDE prefix has
 *   HG_PREFIX_F_VERDICT; that prefix's timeout_ms / fail_mode override the
 *   global ones when non-zero.
 *
 * Pattern entries (minor version 1): an entry's `match` says how its string
 * is compared - HG_MATCH_PREFIX (the key path begins with it, as above),
 * HG_MATCH_SUFFIX (ends with it) or HG_MATCH_CONTAINS (contains it) - and its
 * `target` against what - HG_TARGET_KEY_PATH, or HG_TARGET_FULL_NAME: the key
 * path, a backslash and the value name (Sysmon's TargetObject in kernel form;
 * value classes only). A full-name PREFIX takes part in the longest-prefix
 * rule like a key-path one. A matching pattern INCLUDE or
 * EXCLUDE counts exactly like a matching prefix for delivery. For the
 * verdict, the longest matching INCLUDE prefix and every matching INCLUDE
 * pattern for the class are the candidates: the operation waits iff one of
 * them has HG_PREFIX_F_VERDICT, for the longest effective timeout among
 * those that do, fail-closed if any of them is (effective = own value, or
 * the global one when 0 / INHERIT). With prefixes only this is exactly the
 * rule above. Pattern strings are matched upcased, like prefixes.
 *
 * Image entries (HG_TARGET_IMAGE) match the caller process's image path in
 * the form Sysmon prints it (minor 2, see "Volume map" below), upcased. They join the
 * path entries exactly like another target: an operation is included when a
 * path entry OR an image entry includes it, excluded when either excludes it
 * (exclude wins), and a matching image INCLUDE is a verdict candidate like a
 * pattern. The driver looks the image up only when the path entries did not
 * decide alone; when the image cannot be learnt (lookup failed, empty), every
 * image INCLUDE for the class counts as matching and no image EXCLUDE does,
 * so an unknown caller is delivered, never hidden.
 *
 * Exact entries (minor 2): HG_MATCH_EXACT - the whole target equals the
 * string (case-insensitively) - for any target. On the key path or full
 * name an EXACT entry counts like a SUFFIX pattern that is also the whole
 * target; it never takes part in the longest-prefix rule.
 *
 * Volume map (minor 2): volume_count HG_VOLUME_ENTRYs follow the excluded
 * pids, each naming an NT device (\Device\HarddiskVolume3, string in the
 * pool) and the drive letter it is mounted as ('C'). When image entries
 * must decide, the driver derives the image's Sysmon form once per
 * operation: a path that begins with a mapped device followed by '\'
 * becomes the drive, ':' and the rest (C:\Windows\regedit.exe); a path
 * beginning \??\X:\ loses the \??\. Such an image is "mapped". Anything
 * other NT path (a device not in the map - a volume mounted after
 * CONFIGURE, a letterless volume - \Device\Mup\..., \SystemRoot\...) keeps
 * its NT form and is "unmapped". A name that does not begin with '\' is no
 * NT path (a kernel never reports one; the user-mode host may be handed
 * "System" or C:\...): it is taken as the Sysmon form it already is, mapped. SUFFIX and CONTAINS image entries are evaluated on the
 * derived form, mapped or not. Anchored image entries (PREFIX, EXACT) are
 * evaluated only on a mapped image: on an unmapped one EVERY anchored image
 * INCLUDE for the class counts as matching and NO anchored image EXCLUDE
 * matches, so an image the map cannot name is delivered, never hidden (and
 * "begins with \" - Sysmon's NT-form image - in effect selects exactly the
 * unmapped images). A device is listed at most once, a drive letter at
 * most once; device names are compared case-insensitively.
 *
 * Data and new-name entries (minor version 2; SUFFIX or CONTAINS only, no
 * anchor). HG_TARGET_DATA (SET_VALUE only) matches the value data
 * rendered as Sysmon renders event 13's Details: REG_SZ / REG_EXPAND_SZ the
 * text up to its first NUL, "(Empty)" when that is empty; REG_DWORD
 * "DWORD (0x%08x)" (lower-case hex); REG_QWORD "QWORD (0x%08x-0x%08x)" (high
 * half, then low); a DWORD/QWORD shorter than 4/8 bytes and every other type
 * except REG_MULTI_SZ "Binary Data" (whatever its length: those renderings
 * read at most 8 bytes). REG_MULTI_SZ, REG_SZ / REG_EXPAND_SZ data longer
 * than HG_DATA_MATCH_MAX_BYTES and data the driver cannot read are
 * "unknown".
 * HG_TARGET_NEW_NAME (RENAME_KEY only) matches the key's new full path in
 * kernel form: the renamed key's parent path, '\' and the new name. They
 * join like image entries (included when any target includes, excluded when
 * any excludes), are looked at only when the path and image entries left
 * the decision open, and an unknown subject counts as matching every
 * INCLUDE of the class and no EXCLUDE: never hidden.
 *
 * AND groups (minor 3). A real rule is often "A and B" where A alone and B
 * alone each match far more than the rule does (Sigma: a key path that
 * contains X AND ends with Y AND data Z; Sysmon: an exclusion on Image AND
 * TargetObject). A group entry (HG_GROUP_ENTRY, after the volume map) is a
 * conjunction of clauses, a clause a disjunction of member entries:
 *   - A member is an HG_PREFIX_ENTRY of kind HG_PREFIX_MEMBER. Its match and
 *     target are those of a standalone entry, with the same rules (DATA and
 *     NEW_NAME: SUFFIX/CONTAINS, own class only; FULL_NAME: value classes).
 *     Its op_mask equals its group's; timeout_ms 0; fail_mode
 *     HG_FAIL_INHERIT; flags HG_PREFIX_F_CLAUSE or 0. A member alone
 *     includes and excludes nothing: it only says whether it matches.
 *   - A group's members are the entries [first_member, first_member +
 *     member_count), all of kind HG_PREFIX_MEMBER; its first member has
 *     HG_PREFIX_F_CLAUSE, and each member with HG_PREFIX_F_CLAUSE begins the
 *     group's next clause (so a clause's members are adjacent). Groups list
 *     their ranges in ascending order without overlap, and every member
 *     entry belongs to exactly one group. member_count >= 1; the clauses of
 *     all groups together are at most HG_CLAUSE_MAX_COUNT.
 *   - Every member is a pattern entry (the automaton carries it, whatever
 *     its match, key-path PREFIX included), so members count against
 *     HG_PATTERN_MAX_COUNT / _UNITS / _CELLS.
 * A member is TRUE, FALSE or UNKNOWN for an operation. On the key path and
 * the full name it is TRUE or FALSE exactly as a standalone entry of its
 * match and target would match. An IMAGE member is UNKNOWN when the image
 * cannot be learnt, an anchored (PREFIX/EXACT) IMAGE member also when the
 * image is unmapped; a DATA / NEW_NAME member when the subject is unknown
 * (the same cases in which a standalone INCLUDE "counts as matching").
 * A clause is TRUE if a member is TRUE, else UNKNOWN if a member is
 * UNKNOWN, else FALSE. An INCLUDE group matches when no clause is FALSE
 * (it could match: never hidden); an EXCLUDE group matches only when every
 * clause is TRUE (never hides what it cannot prove). A matching group then
 * counts exactly like a matching standalone entry of its kind: an INCLUDE
 * group includes and is a verdict candidate with its own flags,
 * timeout_ms and fail_mode (as a pattern INCLUDE is); an EXCLUDE group
 * excludes (exclude wins). INCLUDE groups are INCLUDE entries for the rule
 * "no INCLUDE at all: every operation of op_mask is included"; members are
 * not. The driver may evaluate a group from the path alone, or look the
 * image / subject up when the group could still change the outcome; the
 * outcome is always the one defined here.
 */
#define HG_CFG_F_INCLUDE_KERNEL_CALLERS 0x0001u
#define HG_CFG_F_ALL                    0x0001u

typedef struct HG_CONFIG_HEADER {
    uint32_t magic;              /* HG_WIRE_MAGIC */
    uint32_t total_bytes;        /* == input buffer length, <= HG_CONFIG_MAX_BYTES */
    uint32_t op_mask;            /* classes delivered; subset of HG_OP_MASK_ALL */
    uint32_t verdict_op_mask;    /* subset of op_mask that waits for a verdict */
    uint32_t flags;              /* HG_CFG_F_* */
    uint32_t timeout_ms;         /* [HG_TIMEOUT_MIN_MS, HG_TIMEOUT_MAX_MS] */
    uint16_t fail_mode;          /* HG_FAIL_OPEN or HG_FAIL_CLOSED: on timeout, or a verdict event that cannot be queued */
    uint16_t default_verdict;    /* HG_VERDICT_ALLOW/BLOCK: callers waiting when this client disconnects */
    uint32_t max_backlog;        /* [HG_BACKLOG_MIN, HG_BACKLOG_MAX] events */
    uint32_t data_cap;           /* [0, HG_DATA_CAP_MAX] bytes of value data per event */
    uint16_t prefix_count;       /* [0, HG_PREFIX_MAX_COUNT] */
    uint16_t excluded_pid_count; /* [0, HG_EXCLUDED_PID_MAX_COUNT] */
    uint32_t reserved0;          /* must be 0 */
    uint16_t volume_count;       /* [0, HG_VOLUME_MAX_COUNT] (minor 2; was reserved, 0) */
    uint16_t group_count;        /* [0, HG_GROUP_MAX_COUNT] (minor 3; was reserved, 0) */
} HG_CONFIG_HEADER;

/* One volume-map entry (minor 2): the device name is string_bytes of
 * UTF-16LE at string_offset in the pool, even, [HG_VOLUME_DEVICE_MIN_BYTES,
 * HG_VOLUME_DEVICE_MAX_BYTES], beginning with '\' and not ending with it;
 * drive is the letter as an upper-case ASCII unit, 'A'..'Z'. */
typedef struct HG_VOLUME_ENTRY {
    uint32_t string_offset;  /* even, inside the string pool */
    uint16_t string_bytes;
    uint16_t drive;          /* 'A'..'Z' */
} HG_VOLUME_ENTRY;

enum hg_prefix_kind {
    HG_PREFIX_INCLUDE = 1,
    HG_PREFIX_EXCLUDE = 2,
    HG_PREFIX_MEMBER  = 3  /* minor 3: a member of an AND group (HG_GROUP_ENTRY) */
};
#define HG_PREFIX_F_VERDICT 0x0001u /* INCLUDE (entry or group) only: matching operations wait for a verdict */
#define HG_PREFIX_F_CLAUSE  0x0002u /* MEMBER only (minor 3): begins its group's next clause */
#define HG_PREFIX_F_ALL     0x0003u

enum hg_match_kind {
    HG_MATCH_PREFIX   = 0, /* the target begins with the string (minor 0 entries) */
    HG_MATCH_SUFFIX   = 1, /* ... ends with it */
    HG_MATCH_CONTAINS = 2, /* ... contains it */
    HG_MATCH_EXACT    = 3  /* ... equals it (minor 2) */
};
enum hg_match_target {
    HG_TARGET_KEY_PATH  = 0, /* the full kernel key path */
    HG_TARGET_FULL_NAME = 1, /* key path + '\' + value name; SET_VALUE/DELETE_VALUE only */
    HG_TARGET_IMAGE     = 2, /* the caller process's image path (Sysmon form, see the volume map); any class */
    HG_TARGET_DATA      = 3, /* minor 2: SetValue's data rendered as Sysmon's Details; SUFFIX/CONTAINS */
    HG_TARGET_NEW_NAME  = 4  /* minor 2: RenameKey's new full key path; SUFFIX/CONTAINS */
};
#define HG_TARGET_FULL_NAME_OPS (HG_OP_BIT(HG_OP_SET_VALUE) | HG_OP_BIT(HG_OP_DELETE_VALUE))
#define HG_TARGET_DATA_OPS      HG_OP_BIT(HG_OP_SET_VALUE)
#define HG_TARGET_NEW_NAME_OPS  HG_OP_BIT(HG_OP_RENAME_KEY)
/* REG_SZ / REG_EXPAND_SZ data longer than this (bytes as stored) is
 * "unknown" to DATA entries. The raise path renders text of up to 256 bytes
 * on the kernel stack and longer text, only when a DATA entry must decide,
 * into a pool buffer of the text's size; this bound keeps that buffer and
 * the automaton's pass over it (a few instructions a unit) bounded whatever
 * a caller writes. Real Sysmon Details run past 256 bytes (command lines,
 * URLs): at 256 a Sigma rule on such text could not narrow them. */
#define HG_DATA_MATCH_MAX_BYTES 16384u

typedef struct HG_PREFIX_ENTRY {
    uint16_t kind;           /* hg_prefix_kind */
    uint16_t flags;          /* HG_PREFIX_F_* (0 for EXCLUDE) */
    uint32_t op_mask;        /* classes this prefix applies to; non-zero subset of HG_OP_MASK_ALL */
    uint32_t timeout_ms;     /* 0 = global, else [HG_TIMEOUT_MIN_MS, HG_TIMEOUT_MAX_MS] */
    uint16_t fail_mode;      /* HG_FAIL_INHERIT, HG_FAIL_OPEN or HG_FAIL_CLOSED */
    uint16_t string_bytes;   /* even, [2, HG_PREFIX_MAX_BYTES]; patterns [2, HG_PATTERN_MAX_BYTES] */
    uint32_t string_offset;  /* even, inside the string pool */
    uint16_t match;          /* hg_match_kind (was reserved in minor 0: 0 = PREFIX) */
    uint16_t target;         /* hg_match_target */
} HG_PREFIX_ENTRY;

/* One AND group (minor 3; semantics above "AND groups"). */
typedef struct HG_GROUP_ENTRY {
    uint16_t kind;           /* HG_PREFIX_INCLUDE or HG_PREFIX_EXCLUDE */
    uint16_t flags;          /* HG_PREFIX_F_VERDICT (INCLUDE only) or 0 */
    uint32_t op_mask;        /* non-zero subset of HG_OP_MASK_ALL; every member's op_mask equals it */
    uint32_t timeout_ms;     /* as an entry's: 0 = global, else [HG_TIMEOUT_MIN_MS, HG_TIMEOUT_MAX_MS] */
    uint16_t fail_mode;      /* as an entry's: HG_FAIL_INHERIT, HG_FAIL_OPEN or HG_FAIL_CLOSED (0 for EXCLUDE) */
    uint16_t first_member;   /* index of its first member in the HG_PREFIX_ENTRY table */
    uint16_t member_count;   /* >= 1 */
    uint16_t reserved;       /* must be 0 */
} HG_GROUP_ENTRY;

/* ------------------------------------------------------------------ */
/* GET_EVENTS                                                          */
/* ------------------------------------------------------------------ */
/*
 * The output buffer ([HG_GET_EVENTS_MIN_BYTES, HG_GET_EVENTS_MAX_BYTES]) is
 * completed with HG_BATCH_HEADER followed by `count` whole events, each
 * HG_EVENT_HEADER + strings + data, padded to HG_EVENT_ALIGN. The request
 * pends until at least one event exists.
 */
typedef struct HG_BATCH_HEADER {
    uint32_t magic;          /* HG_WIRE_MAGIC */
    uint32_t count;          /* events that follow, >= 1 */
    uint32_t total_bytes;    /* header + events == IoStatus.Information */
    uint32_t reserved;       /* 0 */
    uint64_t dropped_total;  /* driver's cumulative drop counter when this batch was packed */
} HG_BATCH_HEADER;

/*
 * One event. Variable part, in this order, each exactly *_bytes long
 * (UTF-16LE, no terminator): key_path, value_name, new_name, image, user_sid,
 * then data_bytes of raw value data; then zero padding to a multiple of
 * HG_EVENT_ALIGN. `size` includes everything.
 */
typedef struct HG_EVENT_HEADER {
    uint32_t size;               /* whole record, multiple of HG_EVENT_ALIGN */
    uint16_t operation;          /* hg_operation */
    uint16_t flags;              /* HG_EVENT_F_* */
    uint64_t id;                 /* verdict id, non-zero iff HG_EVENT_F_VERDICT_REQUESTED */
    uint64_t sequence;           /* per driver instance, +1 per event raised past the filter; gaps = drops */
    uint64_t timestamp;          /* FILETIME, UTC, 100 ns since 1601 */
    uint64_t pid;
    uint64_t tid;
    uint32_t session_id;
    uint32_t timeout_ms;         /* the budget the driver applies to this verdict (0 if none) */
    uint32_t value_type;         /* REG_* for set-value, else 0 */
    uint32_t data_original_size; /* size the caller passed */
    uint32_t data_bytes;         /* bytes carried, <= configuration's data_cap */
    uint16_t key_path_bytes;
    uint16_t value_name_bytes;
    uint16_t new_name_bytes;
    uint16_t image_bytes;
    uint16_t user_sid_bytes;
    uint16_t reserved;           /* 0 */
} HG_EVENT_HEADER;

/* ------------------------------------------------------------------ */
/* REPLY                                                               */
/* ------------------------------------------------------------------ */

typedef struct HG_REPLY_HEADER {
    uint32_t magic;          /* HG_WIRE_MAGIC */
    uint32_t count;          /* [1, HG_REPLY_MAX_ENTRIES]; buffer is exactly header + count entries */
} HG_REPLY_HEADER;

typedef struct HG_REPLY_ENTRY {
    uint64_t id;             /* from HG_EVENT_HEADER.id */
    uint32_t verdict;        /* HG_VERDICT_ALLOW or HG_VERDICT_BLOCK */
    uint32_t reserved;       /* 0 */
} HG_REPLY_ENTRY;

/* Optional output of REPLY: how each entry was taken. Unknown, late and
 * duplicate ids are counted, never an error. */
typedef struct HG_REPLY_RESULT {
    uint32_t accepted;       /* matched a waiting caller */
    uint32_t unknown;        /* never issued (0 or beyond the last id) */
    uint32_t late;           /* issued, but the caller was already released (timeout, default) */
    uint32_t duplicate;      /* already answered */
} HG_REPLY_RESULT;

/* ------------------------------------------------------------------ */
/* STATS                                                               */
/* ------------------------------------------------------------------ */
/*
 * Invariant once nothing is in flight and the backlog is empty:
 *   raised == filtered_out + delivered + dropped
 * (self_excluded and no_client are parts of filtered_out; audit_refused,
 * verdict_unqueued and name_unresolved are parts of dropped; lockdown_blocked
 * and lockdown_exempt are parts of no_client). While a client is bound,
 *   verdicts_requested == replies_accepted + timed_out + (released at disconnect)
 * : a verdict-requested event always waits for the agent, it never gets the
 * default because nothing happened to be parked. Fields are only ever
 * appended; `size` tells a reader how many this driver fills.
 */
typedef struct HG_STATS {
    uint32_t magic;
    uint32_t size;               /* sizeof(HG_STATS) */
    uint64_t raised;             /* operations seen by the callback */
    uint64_t filtered_out;       /* not delivered by the subscription (incl. below) */
    uint64_t self_excluded;      /* ... because the bound client itself made them */
    uint64_t no_client;          /* ... because no client was bound */
    uint64_t delivered;          /* copied into a completed GET_EVENTS */
    uint64_t dropped;            /* backlog full, out of memory, or discarded at disconnect */
    uint64_t verdicts_requested; /* callers that waited */
    uint64_t replies_accepted;
    uint64_t replies_unknown;
    uint64_t replies_late;
    uint64_t replies_duplicate;
    uint64_t timed_out;          /* waits that hit their timeout */
    uint64_t fail_open_applied;  /* timeouts resolved as allow */
    uint64_t fail_closed_applied;/* timeouts resolved as block */
    uint64_t defaults_applied;   /* waiting callers released at disconnect/unload (never: nothing parked) */
    uint64_t blocked;            /* operations that got STATUS_ACCESS_DENIED */
    uint64_t batches;            /* GET_EVENTS completions carrying events */
    uint64_t pending_waiters;    /* gauge: callers waiting now */
    uint64_t parked_requests;    /* gauge: GET_EVENTS parked now */
    uint64_t backlog_events;     /* gauge: events queued now */
    uint64_t backlog_bytes;      /* gauge */
    uint64_t client_bound;       /* gauge: 1 while a client is bound */
    uint64_t config_generation;  /* +1 per accepted CONFIGURE */
    /* appended after config_generation (size 192 -> 232); readers use `size` */
    uint64_t audit_refused;      /* audit-only events refused at the backlog watermark, keeping room for verdict events (in dropped) */
    uint64_t verdict_unqueued;   /* verdict events that could not be queued (backlog full, no memory): rule's fail mode applied (in dropped) */
    uint64_t name_unresolved;    /* key name lookups that failed: sequence number spent, fail mode if the class wants a verdict (in dropped) */
    uint64_t lockdown_blocked;   /* no client, DefaultVerdict=block applied: user-mode write on a protected prefix (in no_client) */
    uint64_t lockdown_exempt;    /* no client, DefaultVerdict=block, not applied: class, caller or key is exempt (in no_client) */
} HG_STATS;

/* ------------------------------------------------------------------ */
/* INJECT (test build only)                                            */
/* ------------------------------------------------------------------ */
/*
 * Synthesizes the REG_*_INFORMATION structure of `operation` and runs the
 * driver's real RegistryCallback on it from a worker thread, as a registry
 * caller of process `pid` would; completes with the NTSTATUS the registry
 * call would return. Strings follow the header in this order, UTF-16LE:
 * key_path (absolute kernel path), value_name, new_name; then data.
 * The release build does not contain this IOCTL.
 */
typedef struct HG_INJECT_HEADER {
    uint32_t magic;
    uint32_t total_bytes;
    uint16_t operation;       /* hg_operation */
    uint16_t flags;           /* HG_INJECT_F_* */
    uint32_t value_type;
    uint64_t pid;             /* pid reported in the event */
    uint32_t data_bytes;
    uint16_t key_path_bytes;
    uint16_t value_name_bytes;
    uint16_t new_name_bytes;
    uint16_t reserved0;
    uint32_t reserved1;
} HG_INJECT_HEADER;
#define HG_INJECT_F_KERNEL_CALLER  0x0001u /* pretend PreviousMode == KernelMode */
#define HG_INJECT_F_AS_CLIENT      0x0002u /* pretend the caller is the bound client's process */
#define HG_INJECT_F_ALL            0x0003u

typedef struct HG_INJECT_RESULT {
    uint32_t status;          /* NTSTATUS the registry call would return */
    uint32_t reserved;
} HG_INJECT_RESULT;

/* ------------------------------------------------------------------ */
/* Layout checks: the contract is these numbers.                       */
/* ------------------------------------------------------------------ */
#if defined(__cplusplus)
#define HG_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define HG_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif
#define HG_OFFSET(t, f) __builtin_offsetof(t, f)

HG_STATIC_ASSERT(sizeof(HG_HELLO_REQUEST) == 16, "HG_HELLO_REQUEST size");
HG_STATIC_ASSERT(HG_OFFSET(HG_HELLO_REQUEST, magic) == 0, "hello.magic");
HG_STATIC_ASSERT(HG_OFFSET(HG_HELLO_REQUEST, version_major) == 4, "hello.version_major");
HG_STATIC_ASSERT(HG_OFFSET(HG_HELLO_REQUEST, version_minor) == 6, "hello.version_minor");
HG_STATIC_ASSERT(HG_OFFSET(HG_HELLO_REQUEST, flags) == 8, "hello.flags");
HG_STATIC_ASSERT(HG_OFFSET(HG_HELLO_REQUEST, reserved) == 12, "hello.reserved");

HG_STATIC_ASSERT(sizeof(HG_HELLO_REPLY) == 56, "HG_HELLO_REPLY size");
HG_STATIC_ASSERT(HG_OFFSET(HG_HELLO_REPLY, capabilities) == 8, "hello_reply.capabilities");
HG_STATIC_ASSERT(HG_OFFSET(HG_HELLO_REPLY, max_event_bytes) == 12, "hello_reply.max_event_bytes");
HG_STATIC_ASSERT(HG_OFFSET(HG_HELLO_REPLY, get_events_min_bytes) == 16, "hello_reply.get_events_min_bytes");
HG_STATIC_ASSERT(HG_OFFSET(HG_HELLO_REPLY, get_events_max_bytes) == 20, "hello_reply.get_events_max_bytes");
HG_STATIC_ASSERT(HG_OFFSET(HG_HELLO_REPLY, reply_max_entries) == 24, "hello_reply.reply_max_entries");
HG_STATIC_ASSERT(HG_OFFSET(HG_HELLO_REPLY, parked_max) == 28, "hello_reply.parked_max");
HG_STATIC_ASSERT(HG_OFFSET(HG_HELLO_REPLY, instance_id) == 32, "hello_reply.instance_id");
HG_STATIC_ASSERT(HG_OFFSET(HG_HELLO_REPLY, driver_version) == HG_HELLO_REPLY_V1_0_BYTES, "hello_reply: 1.1 fields follow 1.0");
HG_STATIC_ASSERT(HG_OFFSET(HG_HELLO_REPLY, altitude) == 44, "hello_reply.altitude");
HG_STATIC_ASSERT(HG_OFFSET(HG_HELLO_REPLY, no_client_verdict) == 48, "hello_reply.no_client_verdict");
HG_STATIC_ASSERT(HG_OFFSET(HG_HELLO_REPLY, reserved) == 52, "hello_reply.reserved");

HG_STATIC_ASSERT(sizeof(HG_CONFIG_HEADER) == 48, "HG_CONFIG_HEADER size");
HG_STATIC_ASSERT(HG_OFFSET(HG_CONFIG_HEADER, total_bytes) == 4, "config.total_bytes");
HG_STATIC_ASSERT(HG_OFFSET(HG_CONFIG_HEADER, op_mask) == 8, "config.op_mask");
HG_STATIC_ASSERT(HG_OFFSET(HG_CONFIG_HEADER, verdict_op_mask) == 12, "config.verdict_op_mask");
HG_STATIC_ASSERT(HG_OFFSET(HG_CONFIG_HEADER, flags) == 16, "config.flags");
HG_STATIC_ASSERT(HG_OFFSET(HG_CONFIG_HEADER, timeout_ms) == 20, "config.timeout_ms");
HG_STATIC_ASSERT(HG_OFFSET(HG_CONFIG_HEADER, fail_mode) == 24, "config.fail_mode");
HG_STATIC_ASSERT(HG_OFFSET(HG_CONFIG_HEADER, default_verdict) == 26, "config.default_verdict");
HG_STATIC_ASSERT(HG_OFFSET(HG_CONFIG_HEADER, max_backlog) == 28, "config.max_backlog");
HG_STATIC_ASSERT(HG_OFFSET(HG_CONFIG_HEADER, data_cap) == 32, "config.data_cap");
HG_STATIC_ASSERT(HG_OFFSET(HG_CONFIG_HEADER, prefix_count) == 36, "config.prefix_count");
HG_STATIC_ASSERT(HG_OFFSET(HG_CONFIG_HEADER, excluded_pid_count) == 38, "config.excluded_pid_count");
HG_STATIC_ASSERT(HG_OFFSET(HG_CONFIG_HEADER, reserved0) == 40, "config.reserved0");
HG_STATIC_ASSERT(HG_OFFSET(HG_CONFIG_HEADER, volume_count) == 44, "config.volume_count");
HG_STATIC_ASSERT(HG_OFFSET(HG_CONFIG_HEADER, group_count) == 46, "config.group_count");
HG_STATIC_ASSERT(sizeof(HG_VOLUME_ENTRY) == 8, "HG_VOLUME_ENTRY size");
HG_STATIC_ASSERT(HG_OFFSET(HG_VOLUME_ENTRY, string_bytes) == 4, "volume.string_bytes");
HG_STATIC_ASSERT(HG_OFFSET(HG_VOLUME_ENTRY, drive) == 6, "volume.drive");

HG_STATIC_ASSERT(sizeof(HG_PREFIX_ENTRY) == 24, "HG_PREFIX_ENTRY size");
HG_STATIC_ASSERT(HG_OFFSET(HG_PREFIX_ENTRY, flags) == 2, "prefix.flags");
HG_STATIC_ASSERT(HG_OFFSET(HG_PREFIX_ENTRY, op_mask) == 4, "prefix.op_mask");
HG_STATIC_ASSERT(HG_OFFSET(HG_PREFIX_ENTRY, timeout_ms) == 8, "prefix.timeout_ms");
HG_STATIC_ASSERT(HG_OFFSET(HG_PREFIX_ENTRY, fail_mode) == 12, "prefix.fail_mode");
HG_STATIC_ASSERT(HG_OFFSET(HG_PREFIX_ENTRY, string_bytes) == 14, "prefix.string_bytes");
HG_STATIC_ASSERT(HG_OFFSET(HG_PREFIX_ENTRY, string_offset) == 16, "prefix.string_offset");
HG_STATIC_ASSERT(HG_OFFSET(HG_PREFIX_ENTRY, match) == 20, "prefix.match");
HG_STATIC_ASSERT(HG_OFFSET(HG_PREFIX_ENTRY, target) == 22, "prefix.target");
HG_STATIC_ASSERT(HG_PATTERN_MAX_COUNT <= HG_PREFIX_MAX_COUNT, "patterns are entries");
HG_STATIC_ASSERT(HG_PATTERN_MAX_BYTES <= HG_PREFIX_MAX_BYTES, "a pattern is an entry string");
HG_STATIC_ASSERT(HG_PATTERN_MAX_UNITS <= 0xFFFFu, "automaton states are 16-bit");
HG_STATIC_ASSERT(sizeof(HG_GROUP_ENTRY) == 20, "HG_GROUP_ENTRY size");
HG_STATIC_ASSERT(HG_OFFSET(HG_GROUP_ENTRY, op_mask) == 4, "group.op_mask");
HG_STATIC_ASSERT(HG_OFFSET(HG_GROUP_ENTRY, timeout_ms) == 8, "group.timeout_ms");
HG_STATIC_ASSERT(HG_OFFSET(HG_GROUP_ENTRY, fail_mode) == 12, "group.fail_mode");
HG_STATIC_ASSERT(HG_OFFSET(HG_GROUP_ENTRY, first_member) == 14, "group.first_member");
HG_STATIC_ASSERT(HG_OFFSET(HG_GROUP_ENTRY, member_count) == 16, "group.member_count");
HG_STATIC_ASSERT(HG_OFFSET(HG_GROUP_ENTRY, reserved) == 18, "group.reserved");

HG_STATIC_ASSERT(sizeof(HG_BATCH_HEADER) == 24, "HG_BATCH_HEADER size");
HG_STATIC_ASSERT(HG_OFFSET(HG_BATCH_HEADER, count) == 4, "batch.count");
HG_STATIC_ASSERT(HG_OFFSET(HG_BATCH_HEADER, total_bytes) == 8, "batch.total_bytes");
HG_STATIC_ASSERT(HG_OFFSET(HG_BATCH_HEADER, reserved) == 12, "batch.reserved");
HG_STATIC_ASSERT(HG_OFFSET(HG_BATCH_HEADER, dropped_total) == 16, "batch.dropped_total");

HG_STATIC_ASSERT(sizeof(HG_EVENT_HEADER) == HG_EVENT_HEADER_BYTES, "HG_EVENT_HEADER size");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, size) == 0, "event.size");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, operation) == 4, "event.operation");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, flags) == 6, "event.flags");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, id) == 8, "event.id");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, sequence) == 16, "event.sequence");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, timestamp) == 24, "event.timestamp");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, pid) == 32, "event.pid");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, tid) == 40, "event.tid");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, session_id) == 48, "event.session_id");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, timeout_ms) == 52, "event.timeout_ms");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, value_type) == 56, "event.value_type");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, data_original_size) == 60, "event.data_original_size");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, data_bytes) == 64, "event.data_bytes");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, key_path_bytes) == 68, "event.key_path_bytes");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, value_name_bytes) == 70, "event.value_name_bytes");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, new_name_bytes) == 72, "event.new_name_bytes");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, image_bytes) == 74, "event.image_bytes");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, user_sid_bytes) == 76, "event.user_sid_bytes");
HG_STATIC_ASSERT(HG_OFFSET(HG_EVENT_HEADER, reserved) == 78, "event.reserved");
HG_STATIC_ASSERT(HG_EVENT_HEADER_BYTES + HG_KEY_PATH_MAX_BYTES + HG_VALUE_NAME_MAX_BYTES +
                 HG_NEW_NAME_MAX_BYTES + HG_IMAGE_MAX_BYTES + HG_USER_SID_MAX_BYTES +
                 HG_DATA_CAP_MAX + HG_EVENT_ALIGN <= HG_MAX_EVENT_BYTES, "HG_MAX_EVENT_BYTES bound");

HG_STATIC_ASSERT(sizeof(HG_REPLY_HEADER) == 8, "HG_REPLY_HEADER size");
HG_STATIC_ASSERT(HG_OFFSET(HG_REPLY_HEADER, count) == 4, "reply.count");
HG_STATIC_ASSERT(sizeof(HG_REPLY_ENTRY) == 16, "HG_REPLY_ENTRY size");
HG_STATIC_ASSERT(HG_OFFSET(HG_REPLY_ENTRY, verdict) == 8, "reply_entry.verdict");
HG_STATIC_ASSERT(HG_OFFSET(HG_REPLY_ENTRY, reserved) == 12, "reply_entry.reserved");
HG_STATIC_ASSERT(sizeof(HG_REPLY_RESULT) == 16, "HG_REPLY_RESULT size");
HG_STATIC_ASSERT(HG_OFFSET(HG_REPLY_RESULT, unknown) == 4, "reply_result.unknown");
HG_STATIC_ASSERT(HG_OFFSET(HG_REPLY_RESULT, late) == 8, "reply_result.late");
HG_STATIC_ASSERT(HG_OFFSET(HG_REPLY_RESULT, duplicate) == 12, "reply_result.duplicate");

HG_STATIC_ASSERT(sizeof(HG_STATS) == 8 + 28 * 8, "HG_STATS size");
HG_STATIC_ASSERT(HG_OFFSET(HG_STATS, raised) == 8, "stats.raised");
HG_STATIC_ASSERT(HG_OFFSET(HG_STATS, dropped) == 48, "stats.dropped");
HG_STATIC_ASSERT(HG_OFFSET(HG_STATS, config_generation) == 184, "stats.config_generation");
HG_STATIC_ASSERT(HG_OFFSET(HG_STATS, lockdown_exempt) == 224, "stats.lockdown_exempt");

HG_STATIC_ASSERT(sizeof(HG_INJECT_HEADER) == 40, "HG_INJECT_HEADER size");
HG_STATIC_ASSERT(HG_OFFSET(HG_INJECT_HEADER, operation) == 8, "inject.operation");
HG_STATIC_ASSERT(HG_OFFSET(HG_INJECT_HEADER, value_type) == 12, "inject.value_type");
HG_STATIC_ASSERT(HG_OFFSET(HG_INJECT_HEADER, pid) == 16, "inject.pid");
HG_STATIC_ASSERT(HG_OFFSET(HG_INJECT_HEADER, data_bytes) == 24, "inject.data_bytes");
HG_STATIC_ASSERT(HG_OFFSET(HG_INJECT_HEADER, key_path_bytes) == 28, "inject.key_path_bytes");
HG_STATIC_ASSERT(HG_OFFSET(HG_INJECT_HEADER, new_name_bytes) == 32, "inject.new_name_bytes");
HG_STATIC_ASSERT(sizeof(HG_INJECT_RESULT) == 8, "HG_INJECT_RESULT size");

#endif /* HIVEGUARD_WIRE_H */
