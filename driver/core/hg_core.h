/*
 * hg_core.h - the portable decision path of HiveGuard, shared verbatim by the
 * kernel driver (driver/sys) and the Linux user-mode host (driver/host).
 *
 * No WDK header. Everything decision-relevant lives behind this API: the
 * subscription filter, event encoding, the bounded backlog, parked-request
 * matching and batching, the verdict table, configuration validation,
 * statistics and client bind/unbind. The platform layer only translates
 * (IRPs, callbacks, handles) and implements hg_platform.h.
 *
 * Threading: every entry point may be called concurrently from any number of
 * threads; hg_core_raise may be called at APC_LEVEL in the kernel and may
 * block (bounded) waiting for a verdict. All statuses are HG_STATUS_* values
 * from hiveguard_wire.h (NTSTATUS numbers).
 */
#ifndef HG_CORE_H
#define HG_CORE_H

#include <stdint.h>
#include <stddef.h>
#include "../include/hiveguard_wire.h"
#include "hg_platform.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hg_core hg_core;

/* Intrusive doubly-linked list node (core-owned; platform must not touch). */
typedef struct hg_list {
    struct hg_list *next, *prev;
} hg_list;

/*
 * A GET_EVENTS request as core sees it. The platform embeds it in its own
 * request object (kernel: in the IRP's DriverContext area via a pointer, or a
 * side allocation; host: in its request struct) and recovers the outer object
 * with container_of in its hooks.
 */
typedef struct hg_request {
    hg_list  link;      /* core-owned */
    void    *buffer;    /* output buffer (kernel: SystemBuffer) */
    uint32_t capacity;  /* its length in bytes */
    uint32_t parked;    /* core-owned: 1 while on the parked list */
} hg_request;

/* Driver-load parameters (kernel: from the service's Parameters key). */
typedef struct hg_core_params {
    uint16_t no_client_verdict; /* HG_VERDICT_ALLOW (default) or HG_VERDICT_BLOCK:
                                   BLOCK applies only to user-mode writes on the
                                   protected prefixes (see core/lockdown.c) */
    uint32_t capabilities;      /* HG_CAP_* reported in HELLO */
    uint64_t instance_id;       /* reported in HELLO; differs per load */
    /* Parameters\ProtectedPrefixes as read (REG_MULTI_SZ, UTF-16), or NULL
     * for the built-in list. Copied at create; a malformed list fails create
     * with HG_STATUS_INVALID_PARAMETER (the driver then logs it and creates
     * with NULL). */
    const uint16_t *protected_prefixes;
    uint32_t protected_prefixes_bytes;
} hg_core_params;

/* Create/destroy. Destroy releases every waiter with its default verdict and
 * completes every parked request with HG_STATUS_CANCELLED before freeing, and
 * waits for the released raisers to leave. The caller guarantees that no call
 * enters after destroy begins and that no raiser is inside hg_core_raise other
 * than one waiting for a verdict: operations stopped at the lock-free gate
 * are not counted by the core (the kernel: CmUnRegisterCallback, then the
 * driver's rundown drains every callback before destroy; the host: its
 * rundown count). */
uint32_t hg_core_create(const hg_core_params *params, hg_core **out);
void     hg_core_destroy(hg_core *core);

/* ---- client lifecycle (one client at a time) ----------------------------
 * process_key identifies the process of a caller, never by pid or name
 * (kernel: its start key from PsGetProcessStartKey, unique across boots, or
 * before Windows 10 1703 the process object's address, which the driver
 * keeps referenced while that process is the bound client; host: the
 * simulated process key). Used only for equality, never put on the wire. */
uint32_t hg_core_open(hg_core *core, uint64_t process_key);      /* SHARING_VIOLATION if taken */
/* Handle close (CLEANUP or CLOSE, whichever comes first; idempotent): unbinds,
 * releases every waiter with the configured default, discards the backlog
 * (counted as dropped) and completes every parked request with CANCELLED. */
void     hg_core_close(hg_core *core, uint64_t process_key);

/* ---- IOCTL handlers: validate fully before touching state ---------------
 * A rejected message changes nothing. `written` receives bytes of output. */
uint32_t hg_core_hello(hg_core *core, uint64_t process_key,
                       const void *in, size_t in_len,
                       void *out, size_t out_len, size_t *written);
uint32_t hg_core_configure(hg_core *core, uint64_t process_key,
                           const void *in, size_t in_len);
uint32_t hg_core_reply(hg_core *core, uint64_t process_key,
                       const void *in, size_t in_len,
                       void *out, size_t out_len, size_t *written);
uint32_t hg_core_stats(hg_core *core, void *out, size_t out_len, size_t *written);

/* GET_EVENTS: returns HG_STATUS_SUCCESS with *written set when events were
 * ready (the request is NOT completed by core in that case: the caller
 * completes it), HG_STATUS_PENDING when parked (core will complete it through
 * hg_plat_request_complete), or an error (caller completes with it).
 * HG_STATUS_PENDING is also returned when hg_plat_request_arm reports the
 * request already cancelled: core has then completed it with
 * HG_STATUS_CANCELLED through hg_plat_request_complete (possibly before this
 * call returns), so the caller must mark it pending before calling, as a WDM
 * dispatch routine does with IoMarkIrpPending. */
uint32_t hg_core_get_events(hg_core *core, uint64_t process_key,
                            hg_request *req, size_t *written);

/* From the platform's cancel routine: removes req if still parked and
 * completes it with HG_STATUS_CANCELLED. Safe to race with delivery. */
void hg_core_cancel_request(hg_core *core, hg_request *req);

/* ---- the registry side ---------------------------------------------------
 * An operation as the callback sees it. Cheap fields first; the key path,
 * the caller's identity and the value data are produced lazily by `source`,
 * only after the class and caller checks pass (path) and the subscription
 * matches (identity, data) - or, for subscriptions with IMAGE / DATA entries
 * for the class, once the earlier entries left the decision open (image;
 * the value data rendered as Sysmon's Details, text up to
 * HG_DATA_MATCH_MAX_BYTES). */
typedef struct hg_utf16 {
    const uint16_t *chars;  /* UTF-16 code units, not NUL-terminated */
    uint32_t        bytes;  /* even */
} hg_utf16;

typedef struct hg_op_source {
    /* Resolve the full kernel key path (e.g. \REGISTRY\MACHINE\SOFTWARE\X).
     * Returns HG_STATUS_SUCCESS and fills *path, which must stay valid until
     * release_key_path. core calls release_key_path exactly once after every
     * resolve_key_path, whatever it returned, so a partial resolution is
     * undone there. May fail: with a client bound core then counts the op as
     * dropped (name_unresolved), spends a sequence number on it and applies
     * the global fail mode if its class wants a verdict; with no client it is
     * exempt from the lock-down (allow). */
    uint32_t (*resolve_key_path)(void *ctx, hg_utf16 *path);
    void     (*release_key_path)(void *ctx, hg_utf16 *path);
    /* Copy up to cap bytes of value data to dst (kernel: under try/except
     * for user-mode buffers). Returns bytes copied; sets *unreadable if the
     * buffer faulted. May be NULL when the op has no data. */
    uint32_t (*capture_data)(void *ctx, void *dst, uint32_t cap, int *unreadable);
    void     *ctx;
    /* Optional (NULL: the operation carries its own image/user_sid or none).
     * The caller's identity, produced as lazily as the value data: core
     * calls resolve_identity at most once per operation, only once the
     * subscription delivered it - or, when the subscription has IMAGE
     * entries for the class, once its path entries left the decision open,
     * so that the image decides (that lookup then also fills the event) -
     * never for an operation the path entries alone filtered out, with no core
     * lock held, and only for what the operation lacks - `image` is NULL
     * when op->image is non-empty (the eager one wins), `user_sid` likewise;
     * both non-empty and the hook is not called at all. It fills what it
     * can; the strings must stay valid until release_identity, which core
     * calls exactly once after every resolve_identity (with the same
     * pointers, whatever the status), so a partial resolution is undone
     * there. A non-success status means "unknown": the asked strings go out
     * empty; it never filters, drops or blocks the operation. The strings
     * are capped and flagged like the others (HG_IMAGE_MAX_BYTES,
     * HG_USER_SID_MAX_BYTES, HG_EVENT_F_NAME_TRUNCATED). Appended last so
     * that sources written before it (positional or designated
     * initialisers) leave both NULL; a source filled field by field must
     * set them too. */
    uint32_t (*resolve_identity)(void *ctx, hg_utf16 *image, hg_utf16 *user_sid);
    void     (*release_identity)(void *ctx, hg_utf16 *image, hg_utf16 *user_sid);
} hg_op_source;

typedef struct hg_op {
    uint16_t operation;          /* hg_operation */
    uint16_t kernel_caller;      /* 1 if PreviousMode == KernelMode */
    uint64_t process_key;        /* caller's process identity (see hg_core_open) */
    uint64_t pid, tid;
    uint32_t session_id;
    uint32_t value_type;
    uint32_t data_original_size;
    hg_utf16 value_name;         /* may be empty */
    hg_utf16 new_name;           /* renames only */
    hg_utf16 image;              /* caller image path if known eagerly, else empty (see resolve_identity) */
    hg_utf16 user_sid;           /* caller SID string if known eagerly, else empty (see resolve_identity) */
} hg_op;

typedef struct hg_raise_result {
    uint32_t verdict;            /* HG_VERDICT_ALLOW or HG_VERDICT_BLOCK: what to apply */
    uint32_t delivered;          /* 1 if the event was queued or delivered */
    uint32_t waited;             /* 1 if the caller waited for a verdict */
    uint32_t timed_out;          /* 1 if that wait hit its timeout */
} hg_raise_result;

/* Run one operation through the decision path: class -> caller ->
 * subscription -> name -> identity + data -> queue -> (bounded) verdict wait.
 * Never fails: on any internal error it allows and counts. The caller maps
 * HG_VERDICT_BLOCK to STATUS_ACCESS_DENIED. */
void hg_core_raise(hg_core *core, const hg_op *op, const hg_op_source *source,
                   hg_raise_result *result);

/* Snapshot of the counters (same struct as the STATS IOCTL). */
void hg_core_get_stats(hg_core *core, HG_STATS *out);

/* The registry's case folding of one UTF-16 code unit (Unicode simple
 * uppercase, generated table; see util.c): what the subscription matches
 * with, exposed for tests and for the host's CreateFileW name comparison. */
uint16_t hg_upcase16(uint16_t c);

/* ---- key names (keyname.c) --------------------------------------------------
 * The canonical spelling of a key path as the configuration manager resolves
 * it, so that a prefix cannot be dodged by writing the same key differently:
 * a name that starts with a backslash is absolute and `root` is ignored,
 * otherwise it is relative to `root` (pre-create/open: RootObject's name +
 * '\' + CompleteName); runs of backslashes collapse into one, and trailing
 * backslashes go ("\REGISTRY\\MACHINE\SOFTWARE\" is
 * "\REGISTRY\MACHINE\SOFTWARE"). Case is kept (the event shows what the
 * caller wrote); matching folds it with hg_upcase16.
 *
 * `out` holds at least hg_keyname_max_units(root, name) units; it may be
 * name->chars itself when root is NULL or empty (the result never grows).
 * Returns HG_STATUS_SUCCESS and points *result into out, or
 * HG_STATUS_INVALID_PARAMETER: odd byte counts, a relative name without a
 * root, or nothing but separators left of a relative name. */
uint32_t hg_keyname_max_units(const hg_utf16 *root, const hg_utf16 *name);
uint32_t hg_keyname_canonical(const hg_utf16 *root, const hg_utf16 *name,
                              uint16_t *out, uint32_t out_units, hg_utf16 *result);

#ifdef __cplusplus
}
#endif
#endif /* HG_CORE_H */
