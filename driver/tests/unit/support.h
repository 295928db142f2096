/*
 * support.h - what every user-mode exerciser of the core (unit tests, stress,
 * fuzz targets, golden-vector emitter) needs around it: request objects with
 * the platform hooks, an operation source, a canonical CONFIGURE encoder and
 * a core fixture.
 *
 * The request hooks give test requests exactly IoSetCancelRoutine semantics:
 * an atomically swapped "cancel routine armed" flag, a cancel that takes the
 * request only if it can clear that flag, and an arm that notices a cancel
 * that arrived first. Completions are counted so a double completion is a
 * test failure, not silent.
 */
#ifndef HG_TEST_SUPPORT_H
#define HG_TEST_SUPPORT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "hg_core.h"

/* ---- requests ---------------------------------------------------------------- */

typedef struct test_request {
    hg_request     req;
    hg_core       *core;
    atomic_int     armed;            /* the "cancel routine" is installed */
    atomic_int     cancel_requested; /* IoCancelIrp was called */
    atomic_int     completions;      /* must end at exactly 1 */
    uint32_t       status;
    uint32_t       bytes;
    pthread_mutex_t mutex;
    pthread_cond_t  cond;
    unsigned char *buffer;
} test_request;

/* Allocates a request with a `capacity`-byte buffer. */
test_request *treq_new(hg_core *core, uint32_t capacity);
void          treq_free(test_request *t);
/* Re-arms a completed request for reuse (same buffer). */
void          treq_reset(test_request *t);
/* IoCancelIrp: marks it cancelled and, if the cancel routine was installed,
 * runs it (hg_core_cancel_request). Returns 1 if the cancel routine ran. */
int           treq_cancel(test_request *t);
/* Waits up to timeout_ms for the completion; returns 1 if completed. */
int           treq_wait(test_request *t, uint32_t timeout_ms);
int           treq_completions(test_request *t);

/* Process-wide count of request completions, for leak/double checks. */
extern atomic_long g_treq_completions;

/* ---- strings ---------------------------------------------------------------------- */

/* UTF-8 -> UTF-16 code units (surrogate pairs above U+FFFF). Returns units
 * written, or -1 if it does not fit or the input is malformed. */
int utf8_to_utf16(const char *s, uint16_t *out, size_t max_units);
/* UTF-16 -> UTF-8 for printing; unpaired surrogates become U+FFFD. */
size_t utf16_to_utf8(const uint16_t *s, size_t units, char *out, size_t max_bytes);

/* ---- operation source ---------------------------------------------------------------- */

#define TEST_PATH_MAX_UNITS 8192

typedef struct test_source {
    uint32_t    path_units;
    const void *data;
    uint32_t    data_len;
    int         fail_resolve;
    int         unreadable;
    int         resolve_calls, release_calls, capture_calls;
    uint16_t    path[TEST_PATH_MAX_UNITS]; /* last: tsrc_init clears only what precedes it */
} test_source;

/* Fills src (zeroed) with a UTF-8 path; returns 0 on success. */
int  tsrc_init(test_source *src, const char *utf8_path);
void tsrc_bind(test_source *src, hg_op_source *out); /* callbacks with ctx = src */

/* An operation from process `pid` (process_key = 0x1000 + pid unless set). */
void top_init(hg_op *op, uint16_t operation, uint64_t pid);
#define TEST_PROCESS_KEY(pid) (0x1000u + (uint64_t)(pid))
/* Starts simulated processes with these pids and keys TEST_PROCESS_KEY(pid)
 * (what top_init raises with), so that CONFIGURE can translate them when
 * they are excluded; ends them. */
void processes_start(const uint64_t *pids, size_t count);
void processes_exit(const uint64_t *pids, size_t count);

/* ---- configuration ---------------------------------------------------------------------- */

typedef struct cfg_prefix {
    uint16_t    kind;
    uint16_t    flags;
    uint32_t    op_mask;
    uint32_t    timeout_ms;
    uint16_t    fail_mode;
    const char *utf8;
} cfg_prefix;

/* An entry of any match kind (wire minor 1). */
typedef struct cfg_pattern {
    cfg_prefix  entry;
    uint16_t    match;      /* HG_MATCH_* */
    uint16_t    target;     /* HG_TARGET_* */
} cfg_pattern;

/* A volume-map entry (wire minor 2): NT device name -> drive letter. */
typedef struct cfg_volume {
    const char *device;     /* UTF-8, e.g. "\\Device\\HarddiskVolume3" */
    uint16_t    drive;      /* 'C' */
} cfg_volume;

/* An AND group (wire minor 3): entries [first_member, first_member +
 * member_count) of the entry table are its members (kind HG_PREFIX_MEMBER,
 * HG_PREFIX_F_CLAUSE where a clause begins). */
typedef struct cfg_group {
    uint16_t kind;
    uint16_t flags;
    uint32_t op_mask;
    uint32_t timeout_ms;
    uint16_t fail_mode;
    uint16_t first_member;
    uint16_t member_count;
} cfg_group;

/* A header with every field at its documented default, op_mask = all. */
void cfg_defaults(HG_CONFIG_HEADER *h);
/* Canonical encoding (see hiveguard_wire.h): header, entries, pids, strings
 * in entry order packed. Sets total_bytes/prefix_count/excluded_pid_count.
 * Returns the length, or 0 if it does not fit in cap. */
size_t cfg_encode(unsigned char *buf, size_t cap, const HG_CONFIG_HEADER *h,
                  const cfg_prefix *prefixes, size_t prefix_count,
                  const uint64_t *pids, size_t pid_count);
/* The same with entries of any match kind. */
size_t cfg_encode_patterns(unsigned char *buf, size_t cap, const HG_CONFIG_HEADER *h,
                           const cfg_pattern *entries, size_t count,
                           const uint64_t *pids, size_t pid_count);

/* The same with a volume map after the pids, device names after the entries' strings. */
size_t cfg_encode_volumes(unsigned char *buf, size_t cap, const HG_CONFIG_HEADER *h,
                          const cfg_pattern *entries, size_t count,
                          const uint64_t *pids, size_t pid_count,
                          const cfg_volume *volumes, size_t volume_count);

/* The same with a group table after the volume map (canonical: strings
 * in entry order, then the device names). */
size_t cfg_encode_groups(unsigned char *buf, size_t cap, const HG_CONFIG_HEADER *h,
                         const cfg_pattern *entries, size_t count,
                         const uint64_t *pids, size_t pid_count,
                         const cfg_volume *volumes, size_t volume_count,
                         const cfg_group *groups, size_t group_count);

/* cfg_compile with a group table. */
struct hg_subscription *cfg_compile_groups(const cfg_pattern *p, size_t n, uint32_t verdict_mask,
                                           const cfg_volume *v, size_t vn, const cfg_group *g, size_t gn,
                                           uint32_t *status);

/* Encodes the entries (and the volume map, when vn > 0) with cfg_defaults and
 * verdict_mask, then compiles them as CONFIGURE would; *status is the
 * compile's, or HG_STATUS_BUFFER_TOO_SMALL when the encoding does not fit. */
struct hg_subscription *cfg_compile(const cfg_pattern *p, size_t n, uint32_t verdict_mask,
                                    const cfg_volume *v, size_t vn, uint32_t *status);

/* `s` (UTF-8) as UTF-16 units in buf (cap units), viewed as an hg_utf16;
 * empty when it does not fit or is not UTF-8. */
hg_utf16 utf16_view(const char *s, uint16_t *buf, size_t cap);

/* hg_sub_match_path for a key path and value name given in UTF-8. */
struct hg_match cfg_match_path(const struct hg_subscription *sub, uint16_t operation, const char *path,
                               const char *value);

/* cfg_match_path, then the lazy stages as raise.c runs them: the image
 * when the path left it needed (image NULL: unknown), then the subject -
 * head then tail, as hg_sub_match_subject reads them - when still needed
 * (tail NULL: unknown; head NULL: none). *asked_image / *asked_subject (each
 * may be NULL) tell whether that stage was needed. */
struct hg_match cfg_match_stages(const struct hg_subscription *sub, uint16_t operation, const char *path,
                                 const char *value, const char *image, const char *head, const char *tail,
                                 int *asked_image, int *asked_subject);

/* ---- fixture ------------------------------------------------------------------------------- */

#define TEST_CLIENT_KEY 0xC11E47ull

/* create + open(TEST_CLIENT_KEY) + HELLO; NULL on any failure. */
hg_core *fixture_bound(uint16_t no_client_verdict);
/* ... + CONFIGURE with the given encoded buffer; NULL on failure. */
hg_core *fixture_configured(const unsigned char *cfg, size_t len);
uint32_t fixture_hello(hg_core *core, uint64_t key);
/* Raises `op` with path `utf8_path` (and data) synchronously. */
void     raise_path(hg_core *core, hg_op *op, const char *utf8_path,
                    const void *data, uint32_t data_len, hg_raise_result *r);
HG_STATS stats_of(hg_core *core);

/* Walks a completed GET_EVENTS buffer: returns the i-th event header or NULL. */
const HG_EVENT_HEADER *batch_event(const unsigned char *buf, uint32_t i);

#endif
