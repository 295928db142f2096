/*
 * support.c - see support.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "support.h"
#include "core_internal.h"
#include "../../host/plat_posix.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

atomic_long g_treq_completions;

/* ---- requests: the hg_plat_request_* hooks ------------------------------------- */

static test_request *outer(struct hg_request *req)
{
    return (test_request *)(void *)((unsigned char *)req - offsetof(test_request, req));
}

int hg_plat_request_arm(struct hg_request *req)
{
    test_request *t = outer(req);

    /* IoSetCancelRoutine, then check Irp->Cancel: if a cancel came first and
     * we can take the routine back, the request was never parked. If the
     * cancel already took it, its routine runs and will call
     * hg_core_cancel_request, so the request counts as parked. */
    atomic_store(&t->armed, 1);
    if (atomic_load(&t->cancel_requested) && atomic_exchange(&t->armed, 0) == 1)
        return 0;
    return 1;
}

int hg_plat_request_claim(struct hg_request *req)
{
    return atomic_exchange(&outer(req)->armed, 0) == 1;
}

void hg_plat_request_complete(struct hg_request *req, uint32_t status, uint32_t bytes)
{
    test_request *t = outer(req);

    pthread_mutex_lock(&t->mutex);
    t->status = status;
    t->bytes = bytes;
    atomic_fetch_add(&t->completions, 1);
    atomic_fetch_add(&g_treq_completions, 1);
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->mutex);
}

test_request *treq_new(hg_core *core, uint32_t capacity)
{
    test_request *t = calloc(1, sizeof *t);
    pthread_condattr_t attr;

    if (t == NULL)
        return NULL;
    t->buffer = calloc(1, capacity ? capacity : 1);
    if (t->buffer == NULL) {
        free(t);
        return NULL;
    }
    t->core = core;
    t->req.buffer = t->buffer;
    t->req.capacity = capacity;
    pthread_mutex_init(&t->mutex, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cond, &attr);
    pthread_condattr_destroy(&attr);
    return t;
}

void treq_free(test_request *t)
{
    if (t == NULL)
        return;
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->mutex);
    free(t->buffer);
    free(t);
}

void treq_reset(test_request *t)
{
    atomic_store(&t->armed, 0);
    atomic_store(&t->cancel_requested, 0);
    atomic_store(&t->completions, 0);
    t->status = 0;
    t->bytes = 0;
    t->req.parked = 0;
}

int treq_cancel(test_request *t)
{
    atomic_store(&t->cancel_requested, 1);
    if (atomic_exchange(&t->armed, 0) == 1) {
        hg_core_cancel_request(t->core, &t->req);
        return 1;
    }
    return 0;
}

int treq_wait(test_request *t, uint32_t timeout_ms)
{
    struct timespec deadline;
    int done;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000u;
    deadline.tv_nsec += (long)(timeout_ms % 1000u) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&t->mutex);
    while (atomic_load(&t->completions) == 0)
        if (pthread_cond_timedwait(&t->cond, &t->mutex, &deadline) == ETIMEDOUT)
            break;
    done = atomic_load(&t->completions) != 0;
    pthread_mutex_unlock(&t->mutex);
    return done;
}

int treq_completions(test_request *t)
{
    return atomic_load(&t->completions);
}

/* ---- strings ------------------------------------------------------------------ */

int utf8_to_utf16(const char *s, uint16_t *out, size_t max_units)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;

    while (*p) {
        uint32_t cp;
        int extra;

        if (p[0] < 0x80) {
            cp = p[0];
            extra = 0;
        } else if ((p[0] & 0xE0) == 0xC0) {
            cp = p[0] & 0x1Fu;
            extra = 1;
        } else if ((p[0] & 0xF0) == 0xE0) {
            cp = p[0] & 0x0Fu;
            extra = 2;
        } else if ((p[0] & 0xF8) == 0xF0) {
            cp = p[0] & 0x07u;
            extra = 3;
        } else {
            return -1;
        }
        p++;
        while (extra-- > 0) {
            if ((*p & 0xC0) != 0x80)
                return -1;
            cp = (cp << 6) | (*p++ & 0x3Fu);
        }
        if (cp >= 0x10000u) {
            if (n + 2 > max_units)
                return -1;
            cp -= 0x10000u;
            out[n++] = (uint16_t)(0xD800u + (cp >> 10));
            out[n++] = (uint16_t)(0xDC00u + (cp & 0x3FFu));
        } else {
            if (n + 1 > max_units)
                return -1;
            out[n++] = (uint16_t)cp;
        }
    }
    return (int)n;
}

size_t utf16_to_utf8(const uint16_t *s, size_t units, char *out, size_t max_bytes)
{
    size_t i, n = 0;

    for (i = 0; i < units; i++) {
        uint32_t cp = s[i];
        unsigned char tmp[4];
        size_t len, k;

        if (cp >= 0xD800u && cp <= 0xDBFFu && i + 1 < units && s[i + 1] >= 0xDC00u && s[i + 1] <= 0xDFFFu) {
            cp = 0x10000u + ((cp - 0xD800u) << 10) + (s[i + 1] - 0xDC00u);
            i++;
        } else if (cp >= 0xD800u && cp <= 0xDFFFu) {
            cp = 0xFFFDu;
        }
        if (cp < 0x80u) {
            tmp[0] = (unsigned char)cp;
            len = 1;
        } else if (cp < 0x800u) {
            tmp[0] = (unsigned char)(0xC0u | (cp >> 6));
            tmp[1] = (unsigned char)(0x80u | (cp & 0x3Fu));
            len = 2;
        } else if (cp < 0x10000u) {
            tmp[0] = (unsigned char)(0xE0u | (cp >> 12));
            tmp[1] = (unsigned char)(0x80u | ((cp >> 6) & 0x3Fu));
            tmp[2] = (unsigned char)(0x80u | (cp & 0x3Fu));
            len = 3;
        } else {
            tmp[0] = (unsigned char)(0xF0u | (cp >> 18));
            tmp[1] = (unsigned char)(0x80u | ((cp >> 12) & 0x3Fu));
            tmp[2] = (unsigned char)(0x80u | ((cp >> 6) & 0x3Fu));
            tmp[3] = (unsigned char)(0x80u | (cp & 0x3Fu));
            len = 4;
        }
        if (n + len + 1 > max_bytes)
            break;
        for (k = 0; k < len; k++)
            out[n++] = (char)tmp[k];
    }
    if (max_bytes != 0)
        out[n] = '\0';
    return n;
}

/* ---- operation source ------------------------------------------------------------ */

static uint32_t src_resolve(void *ctx, hg_utf16 *path)
{
    test_source *s = ctx;

    s->resolve_calls++;
    if (s->fail_resolve)
        return HG_STATUS_INSUFFICIENT_RESOURCES;
    path->chars = s->path;
    path->bytes = s->path_units * 2u;
    return HG_STATUS_SUCCESS;
}

static void src_release(void *ctx, hg_utf16 *path)
{
    test_source *s = ctx;

    (void)path;
    s->release_calls++;
}

static uint32_t src_capture(void *ctx, void *dst, uint32_t cap, int *unreadable)
{
    test_source *s = ctx;
    uint32_t n = s->data_len < cap ? s->data_len : cap;

    s->capture_calls++;
    if (s->unreadable) {
        *unreadable = 1;
        return 0;
    }
    if (n != 0)
        memcpy(dst, s->data, n);
    return n;
}

int tsrc_init(test_source *src, const char *utf8_path)
{
    int n;

    memset(src, 0, offsetof(test_source, path));
    n = utf8_to_utf16(utf8_path, src->path, TEST_PATH_MAX_UNITS);
    if (n < 0)
        return -1;
    src->path_units = (uint32_t)n;
    return 0;
}

void tsrc_bind(test_source *src, hg_op_source *out)
{
    out->resolve_key_path = src_resolve;
    out->release_key_path = src_release;
    out->capture_data = src_capture;
    out->ctx = src;
    out->resolve_identity = NULL; /* `out` is often an uninitialised local */
    out->release_identity = NULL;
}

void top_init(hg_op *op, uint16_t operation, uint64_t pid)
{
    memset(op, 0, sizeof *op);
    op->operation = operation;
    op->pid = pid;
    op->tid = pid * 10u + 1u;
    op->process_key = TEST_PROCESS_KEY(pid);
    op->session_id = 1;
}

void processes_start(const uint64_t *pids, size_t count)
{
    for (size_t i = 0; i < count; i++)
        plat_posix_process_start(pids[i], TEST_PROCESS_KEY(pids[i]));
}

void processes_exit(const uint64_t *pids, size_t count)
{
    for (size_t i = 0; i < count; i++)
        plat_posix_process_exit(TEST_PROCESS_KEY(pids[i]));
}

/* ---- configuration ----------------------------------------------------------------- */

void cfg_defaults(HG_CONFIG_HEADER *h)
{
    memset(h, 0, sizeof *h);
    h->magic = HG_WIRE_MAGIC;
    h->op_mask = HG_OP_MASK_ALL;
    h->verdict_op_mask = 0;
    h->flags = 0;
    h->timeout_ms = HG_TIMEOUT_DEFAULT_MS;
    h->fail_mode = HG_FAIL_OPEN;
    h->default_verdict = HG_VERDICT_ALLOW;
    h->max_backlog = HG_BACKLOG_DEFAULT;
    h->data_cap = HG_DATA_CAP_DEFAULT;
}

static size_t encode_entries(unsigned char *buf, size_t cap, const HG_CONFIG_HEADER *base,
                             const cfg_prefix *prefixes, const cfg_pattern *patterns, size_t count,
                             const uint64_t *pids, size_t pid_count,
                             const cfg_volume *volumes, size_t volume_count,
                             const cfg_group *groups, size_t group_count)
{
    HG_CONFIG_HEADER h = *base;
    size_t volume_table = sizeof h + count * sizeof(HG_PREFIX_ENTRY) + pid_count * sizeof(uint64_t);
    size_t group_table = volume_table + volume_count * sizeof(HG_VOLUME_ENTRY);
    size_t pool = group_table + group_count * sizeof(HG_GROUP_ENTRY);
    size_t off = pool, i;

    if (pool > cap)
        return 0;
    memset(buf, 0, pool);
    for (i = 0; i < count; i++) {
        const cfg_prefix *p = patterns != NULL ? &patterns[i].entry : &prefixes[i];
        HG_PREFIX_ENTRY e;
        /* room for twice the legal length: tests encode over-long prefixes
         * on purpose to see them rejected */
        uint16_t units[HG_PREFIX_MAX_BYTES];
        int n = utf8_to_utf16(p->utf8, units, HG_PREFIX_MAX_BYTES);

        if (n < 0 || off + (size_t)n * 2u > cap)
            return 0;
        memset(&e, 0, sizeof e);
        e.kind = p->kind;
        e.flags = p->flags;
        e.op_mask = p->op_mask;
        e.timeout_ms = p->timeout_ms;
        e.fail_mode = p->fail_mode;
        e.string_bytes = (uint16_t)(n * 2);
        e.string_offset = (uint32_t)off;
        e.match = patterns != NULL ? patterns[i].match : HG_MATCH_PREFIX;
        e.target = patterns != NULL ? patterns[i].target : HG_TARGET_KEY_PATH;
        memcpy(buf + sizeof h + i * sizeof e, &e, sizeof e);
        memcpy(buf + off, units, (size_t)n * 2u);
        off += (size_t)n * 2u;
    }
    if (pid_count != 0)
        memcpy(buf + sizeof h + count * sizeof(HG_PREFIX_ENTRY), pids, pid_count * sizeof(uint64_t));
    for (i = 0; i < volume_count; i++) {
        HG_VOLUME_ENTRY v;
        uint16_t units[HG_VOLUME_DEVICE_MAX_BYTES];
        int n = utf8_to_utf16(volumes[i].device, units, HG_VOLUME_DEVICE_MAX_BYTES);

        if (n < 0 || off + (size_t)n * 2u > cap)
            return 0;
        memset(&v, 0, sizeof v);
        v.string_offset = (uint32_t)off;
        v.string_bytes = (uint16_t)(n * 2);
        v.drive = volumes[i].drive;
        memcpy(buf + volume_table + i * sizeof v, &v, sizeof v);
        memcpy(buf + off, units, (size_t)n * 2u);
        off += (size_t)n * 2u;
    }
    for (i = 0; i < group_count; i++) {
        HG_GROUP_ENTRY g;

        memset(&g, 0, sizeof g);
        g.kind = groups[i].kind;
        g.flags = groups[i].flags;
        g.op_mask = groups[i].op_mask;
        g.timeout_ms = groups[i].timeout_ms;
        g.fail_mode = groups[i].fail_mode;
        g.first_member = groups[i].first_member;
        g.member_count = groups[i].member_count;
        memcpy(buf + group_table + i * sizeof g, &g, sizeof g);
    }
    h.total_bytes = (uint32_t)off;
    h.group_count = (uint16_t)group_count;
    h.prefix_count = (uint16_t)count;
    h.excluded_pid_count = (uint16_t)pid_count;
    h.volume_count = (uint16_t)volume_count;
    memcpy(buf, &h, sizeof h);
    return off;
}

size_t cfg_encode(unsigned char *buf, size_t cap, const HG_CONFIG_HEADER *base,
                  const cfg_prefix *prefixes, size_t prefix_count,
                  const uint64_t *pids, size_t pid_count)
{
    return encode_entries(buf, cap, base, prefixes, NULL, prefix_count, pids, pid_count, NULL, 0, NULL, 0);
}

size_t cfg_encode_patterns(unsigned char *buf, size_t cap, const HG_CONFIG_HEADER *base,
                           const cfg_pattern *entries, size_t count,
                           const uint64_t *pids, size_t pid_count)
{
    return encode_entries(buf, cap, base, NULL, entries, count, pids, pid_count, NULL, 0, NULL, 0);
}

size_t cfg_encode_volumes(unsigned char *buf, size_t cap, const HG_CONFIG_HEADER *base,
                          const cfg_pattern *entries, size_t count,
                          const uint64_t *pids, size_t pid_count,
                          const cfg_volume *volumes, size_t volume_count)
{
    return encode_entries(buf, cap, base, NULL, entries, count, pids, pid_count, volumes, volume_count, NULL, 0);
}

size_t cfg_encode_groups(unsigned char *buf, size_t cap, const HG_CONFIG_HEADER *base,
                         const cfg_pattern *entries, size_t count,
                         const uint64_t *pids, size_t pid_count,
                         const cfg_volume *volumes, size_t volume_count,
                         const cfg_group *groups, size_t group_count)
{
    return encode_entries(buf, cap, base, NULL, entries, count, pids, pid_count, volumes, volume_count, groups,
                          group_count);
}

/* ---- fixture ---------------------------------------------------------------------- */

uint32_t fixture_hello(hg_core *core, uint64_t key)
{
    HG_HELLO_REQUEST req = { HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, HG_WIRE_VERSION_MINOR, 0, 0 };
    HG_HELLO_REPLY rep;
    size_t written;

    return hg_core_hello(core, key, &req, sizeof req, &rep, sizeof rep, &written);
}

hg_core *fixture_bound(uint16_t no_client_verdict)
{
    hg_core_params params = { .no_client_verdict = no_client_verdict, .capabilities = HG_CAP_SIMULATOR, .instance_id = 0x1234ABCDull };
    hg_core *core;

    if (hg_core_create(&params, &core) != HG_STATUS_SUCCESS)
        return NULL;
    if (hg_core_open(core, TEST_CLIENT_KEY) != HG_STATUS_SUCCESS ||
        fixture_hello(core, TEST_CLIENT_KEY) != HG_STATUS_SUCCESS) {
        hg_core_destroy(core);
        return NULL;
    }
    return core;
}

hg_core *fixture_configured(const unsigned char *cfg, size_t len)
{
    hg_core *core = fixture_bound(HG_VERDICT_ALLOW);

    if (core != NULL && hg_core_configure(core, TEST_CLIENT_KEY, cfg, len) != HG_STATUS_SUCCESS) {
        hg_core_destroy(core);
        return NULL;
    }
    return core;
}

void raise_path(hg_core *core, hg_op *op, const char *utf8_path,
                const void *data, uint32_t data_len, hg_raise_result *r)
{
    static _Thread_local test_source src;
    hg_op_source source;

    tsrc_init(&src, utf8_path);
    src.data = data;
    src.data_len = data_len;
    if (data != NULL && op->data_original_size == 0)
        op->data_original_size = data_len;
    tsrc_bind(&src, &source);
    hg_core_raise(core, op, &source, r);
}

HG_STATS stats_of(hg_core *core)
{
    HG_STATS s;

    hg_core_get_stats(core, &s);
    return s;
}

const HG_EVENT_HEADER *batch_event(const unsigned char *buf, uint32_t i)
{
    HG_BATCH_HEADER b;
    uint32_t off = sizeof b, k;

    memcpy(&b, buf, sizeof b);
    if (i >= b.count)
        return NULL;
    for (k = 0; k < i; k++)
        off += ((const HG_EVENT_HEADER *)(const void *)(buf + off))->size;
    return (const HG_EVENT_HEADER *)(const void *)(buf + off);
}

struct hg_subscription *cfg_compile(const cfg_pattern *p, size_t n, uint32_t verdict_mask,
                                    const cfg_volume *v, size_t vn, uint32_t *status)
{
    return cfg_compile_groups(p, n, verdict_mask, v, vn, NULL, 0, status);
}

struct hg_subscription *cfg_compile_groups(const cfg_pattern *p, size_t n, uint32_t verdict_mask,
                                           const cfg_volume *v, size_t vn, const cfg_group *g, size_t gn,
                                           uint32_t *status)
{
    static unsigned char buf[256 * 1024];
    HG_CONFIG_HEADER h;
    hg_subscription *sub = NULL;
    size_t len;

    cfg_defaults(&h);
    h.verdict_op_mask = verdict_mask;
    len = cfg_encode_groups(buf, sizeof buf, &h, p, n, NULL, 0, v, vn, g, gn);
    *status = len ? hg_config_compile(buf, len, &sub) : HG_STATUS_BUFFER_TOO_SMALL;
    return sub;
}

hg_utf16 utf16_view(const char *s, uint16_t *buf, size_t cap)
{
    int n = utf8_to_utf16(s, buf, cap);
    hg_utf16 u;

    u.chars = buf;
    u.bytes = (uint32_t)(n < 0 ? 0 : n) * 2u;
    return u;
}

struct hg_match cfg_match_path(const struct hg_subscription *sub, uint16_t operation, const char *path,
                               const char *value)
{
    static uint16_t pbuf[1024], vbuf[256];
    hg_utf16 p = utf16_view(path, pbuf, 1024), v = utf16_view(value, vbuf, 256);
    hg_match m;

    hg_sub_match_path(sub, operation, &p, &v, &m);
    return m;
}

struct hg_match cfg_match_stages(const struct hg_subscription *sub, uint16_t operation, const char *path,
                                 const char *value, const char *image, const char *head, const char *tail,
                                 int *asked_image, int *asked_subject)
{
    static uint16_t ibuf[512], hbuf[1024], tbuf[512];
    hg_match m = cfg_match_path(sub, operation, path, value);
    hg_utf16 none, i, h, t;

    memset(&none, 0, sizeof none);
    if (asked_image != NULL)
        *asked_image = (int)m.needs_image;
    if (m.needs_image) {
        i = image != NULL ? utf16_view(image, ibuf, 512) : none;
        hg_sub_match_image(sub, operation, &i, &m);
    }
    if (asked_subject != NULL)
        *asked_subject = (int)m.needs_subject;
    if (m.needs_subject) {
        h = head != NULL ? utf16_view(head, hbuf, 1024) : none;
        t = tail != NULL ? utf16_view(tail, tbuf, 512) : none;
        hg_sub_match_subject(sub, operation, tail != NULL, &h, &t, &m);
    }
    return m;
}
