/*
 * emit_vectors.c - writes the golden wire vectors: for every message type
 * <name>.bin (the exact bytes) and <name>.txt (the decoded values, one
 * `field=value` line each; format in README.md).
 *
 * Agent-to-driver messages (hello_request, config, reply, inject) are
 * encoded here the canonical way. Driver-to-agent messages (hello_reply,
 * event_batch, reply_result, stats) are never filled in by hand: they are
 * what a real core instance produced when driven through open, HELLO,
 * CONFIGURE, raises, GET_EVENTS, REPLY and STATS.
 *
 * usage: emit_vectors <dir>
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vectors.h"

#define REG_SZ     1u
#define REG_BINARY 3u
#define REG_DWORD  4u

static const char *g_dir;
static int g_failed;

/* ---- output ------------------------------------------------------------------------ */

typedef struct txt {
    FILE *f;
} txt;

static FILE *open_out(const char *name, const char *ext)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s.%s", g_dir, name, ext);
    f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    return f;
}

static void write_bin(const char *name, const void *p, size_t n)
{
    FILE *f = open_out(name, "bin");

    if (fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "%s.bin: write failed\n", name);
        exit(2);
    }
}

static void kv_u(txt *t, const char *prefix, const char *field, uint64_t v)
{
    fprintf(t->f, "%s%s=%" PRIu64 "\n", prefix, field, v);
}

static void kv_magic(txt *t, const char *prefix, uint32_t v)
{
    fprintf(t->f, "%smagic=0x%08" PRIx32 "\n", prefix, v);
}

static void kv_str(txt *t, const char *prefix, const char *field, const unsigned char *p, uint32_t bytes)
{
    static uint16_t units[HG_MAX_EVENT_BYTES / 2];
    static char utf8[HG_MAX_EVENT_BYTES * 2];

    memcpy(units, p, bytes);
    utf16_to_utf8(units, bytes / 2u, utf8, sizeof utf8);
    fprintf(t->f, "%s%s=%s\n", prefix, field, utf8);
}

static void kv_hex(txt *t, const char *prefix, const char *field, const unsigned char *p, uint32_t bytes)
{
    uint32_t i;

    fprintf(t->f, "%s%s=", prefix, field);
    for (i = 0; i < bytes; i++)
        fprintf(t->f, "%02x", p[i]);
    fputc('\n', t->f);
}

static void close_txt(txt *t, const char *name)
{
    if (fclose(t->f) != 0) {
        fprintf(stderr, "%s.txt: write failed\n", name);
        exit(2);
    }
}

static void expect(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "emit_vectors: %s\n", what);
        g_failed = 1;
    }
}

/* ---- decoders (one per message type) ------------------------------------------------ */

static void dump_hello_request(const HG_HELLO_REQUEST *r)
{
    txt t = { open_out(VECTOR_HELLO_REQUEST, "txt") };
    kv_magic(&t, "", r->magic);
    kv_u(&t, "", "version_major", r->version_major);
    kv_u(&t, "", "version_minor", r->version_minor);
    kv_u(&t, "", "flags", r->flags);
    kv_u(&t, "", "reserved", r->reserved);
    close_txt(&t, VECTOR_HELLO_REQUEST);
    write_bin(VECTOR_HELLO_REQUEST, r, sizeof *r);
}

static void dump_hello_reply(const HG_HELLO_REPLY *r)
{
    txt t = { open_out("hello_reply", "txt") };
    kv_magic(&t, "", r->magic);
    kv_u(&t, "", "version_major", r->version_major);
    kv_u(&t, "", "version_minor", r->version_minor);
    kv_u(&t, "", "capabilities", r->capabilities);
    kv_u(&t, "", "max_event_bytes", r->max_event_bytes);
    kv_u(&t, "", "get_events_min_bytes", r->get_events_min_bytes);
    kv_u(&t, "", "get_events_max_bytes", r->get_events_max_bytes);
    kv_u(&t, "", "reply_max_entries", r->reply_max_entries);
    kv_u(&t, "", "parked_max", r->parked_max);
    kv_u(&t, "", "instance_id", r->instance_id);
    kv_u(&t, "", "driver_version", r->driver_version);
    kv_u(&t, "", "altitude", r->altitude);
    kv_u(&t, "", "no_client_verdict", r->no_client_verdict);
    kv_u(&t, "", "reserved", r->reserved);
    close_txt(&t, "hello_reply");
    write_bin("hello_reply", r, sizeof *r);
}

static void dump_config(const unsigned char *buf, size_t len)
{
    txt t = { open_out(VECTOR_CONFIG, "txt") };
    HG_CONFIG_HEADER h;
    uint32_t i;
    char prefix[32];

    memcpy(&h, buf, sizeof h);
    kv_magic(&t, "", h.magic);
    kv_u(&t, "", "total_bytes", h.total_bytes);
    kv_u(&t, "", "op_mask", h.op_mask);
    kv_u(&t, "", "verdict_op_mask", h.verdict_op_mask);
    kv_u(&t, "", "flags", h.flags);
    kv_u(&t, "", "timeout_ms", h.timeout_ms);
    kv_u(&t, "", "fail_mode", h.fail_mode);
    kv_u(&t, "", "default_verdict", h.default_verdict);
    kv_u(&t, "", "max_backlog", h.max_backlog);
    kv_u(&t, "", "data_cap", h.data_cap);
    kv_u(&t, "", "prefix_count", h.prefix_count);
    kv_u(&t, "", "excluded_pid_count", h.excluded_pid_count);
    kv_u(&t, "", "reserved0", h.reserved0);
    kv_u(&t, "", "volume_count", h.volume_count);
    kv_u(&t, "", "group_count", h.group_count);
    for (i = 0; i < h.prefix_count; i++) {
        HG_PREFIX_ENTRY e;
        memcpy(&e, buf + sizeof h + i * sizeof e, sizeof e);
        snprintf(prefix, sizeof prefix, "prefix[%u].", i);
        kv_u(&t, prefix, "kind", e.kind);
        kv_u(&t, prefix, "flags", e.flags);
        kv_u(&t, prefix, "op_mask", e.op_mask);
        kv_u(&t, prefix, "timeout_ms", e.timeout_ms);
        kv_u(&t, prefix, "fail_mode", e.fail_mode);
        kv_u(&t, prefix, "string_bytes", e.string_bytes);
        kv_u(&t, prefix, "string_offset", e.string_offset);
        kv_u(&t, prefix, "match", e.match);
        kv_u(&t, prefix, "target", e.target);
        kv_str(&t, prefix, "string", buf + e.string_offset, e.string_bytes);
    }
    for (i = 0; i < h.excluded_pid_count; i++) {
        uint64_t pid;
        memcpy(&pid, buf + sizeof h + h.prefix_count * sizeof(HG_PREFIX_ENTRY) + i * 8u, 8);
        fprintf(t.f, "excluded_pid[%u]=%" PRIu64 "\n", i, pid);
    }
    for (i = 0; i < h.volume_count; i++) {
        HG_VOLUME_ENTRY v;
        memcpy(&v, buf + sizeof h + h.prefix_count * sizeof(HG_PREFIX_ENTRY) + h.excluded_pid_count * 8u +
                       i * sizeof v, sizeof v);
        snprintf(prefix, sizeof prefix, "volume[%u].", i);
        kv_u(&t, prefix, "string_offset", v.string_offset);
        kv_u(&t, prefix, "string_bytes", v.string_bytes);
        kv_u(&t, prefix, "drive", v.drive);
        kv_str(&t, prefix, "device", buf + v.string_offset, v.string_bytes);
    }
    for (i = 0; i < h.group_count; i++) {
        HG_GROUP_ENTRY g;
        memcpy(&g, buf + sizeof h + h.prefix_count * sizeof(HG_PREFIX_ENTRY) + h.excluded_pid_count * 8u +
                       h.volume_count * sizeof(HG_VOLUME_ENTRY) + i * sizeof g, sizeof g);
        snprintf(prefix, sizeof prefix, "group[%u].", i);
        kv_u(&t, prefix, "kind", g.kind);
        kv_u(&t, prefix, "flags", g.flags);
        kv_u(&t, prefix, "op_mask", g.op_mask);
        kv_u(&t, prefix, "timeout_ms", g.timeout_ms);
        kv_u(&t, prefix, "fail_mode", g.fail_mode);
        kv_u(&t, prefix, "first_member", g.first_member);
        kv_u(&t, prefix, "member_count", g.member_count);
        kv_u(&t, prefix, "reserved", g.reserved);
    }
    close_txt(&t, VECTOR_CONFIG);
    write_bin(VECTOR_CONFIG, buf, len);
}

static void dump_event_batch(const unsigned char *buf, uint32_t len)
{
    txt t = { open_out("event_batch", "txt") };
    HG_BATCH_HEADER b;
    uint32_t i;
    char prefix[32];

    memcpy(&b, buf, sizeof b);
    kv_magic(&t, "", b.magic);
    kv_u(&t, "", "count", b.count);
    kv_u(&t, "", "total_bytes", b.total_bytes);
    kv_u(&t, "", "reserved", b.reserved);
    kv_u(&t, "", "dropped_total", b.dropped_total);
    for (i = 0; i < b.count; i++) {
        const HG_EVENT_HEADER *e = batch_event(buf, i);
        const unsigned char *p = (const unsigned char *)e + HG_EVENT_HEADER_BYTES;

        snprintf(prefix, sizeof prefix, "event[%u].", i);
        kv_u(&t, prefix, "size", e->size);
        kv_u(&t, prefix, "operation", e->operation);
        kv_u(&t, prefix, "flags", e->flags);
        kv_u(&t, prefix, "id", e->id);
        kv_u(&t, prefix, "sequence", e->sequence);
        kv_u(&t, prefix, "timestamp", e->timestamp);
        kv_u(&t, prefix, "pid", e->pid);
        kv_u(&t, prefix, "tid", e->tid);
        kv_u(&t, prefix, "session_id", e->session_id);
        kv_u(&t, prefix, "timeout_ms", e->timeout_ms);
        kv_u(&t, prefix, "value_type", e->value_type);
        kv_u(&t, prefix, "data_original_size", e->data_original_size);
        kv_u(&t, prefix, "data_bytes", e->data_bytes);
        kv_u(&t, prefix, "key_path_bytes", e->key_path_bytes);
        kv_u(&t, prefix, "value_name_bytes", e->value_name_bytes);
        kv_u(&t, prefix, "new_name_bytes", e->new_name_bytes);
        kv_u(&t, prefix, "image_bytes", e->image_bytes);
        kv_u(&t, prefix, "user_sid_bytes", e->user_sid_bytes);
        kv_u(&t, prefix, "reserved", e->reserved);
        kv_str(&t, prefix, "key_path", p, e->key_path_bytes);
        p += e->key_path_bytes;
        kv_str(&t, prefix, "value_name", p, e->value_name_bytes);
        p += e->value_name_bytes;
        kv_str(&t, prefix, "new_name", p, e->new_name_bytes);
        p += e->new_name_bytes;
        kv_str(&t, prefix, "image", p, e->image_bytes);
        p += e->image_bytes;
        kv_str(&t, prefix, "user_sid", p, e->user_sid_bytes);
        p += e->user_sid_bytes;
        kv_hex(&t, prefix, "data", p, e->data_bytes);
    }
    close_txt(&t, "event_batch");
    write_bin("event_batch", buf, len);
}

static void dump_reply(const unsigned char *buf, size_t len)
{
    txt t = { open_out(VECTOR_REPLY, "txt") };
    HG_REPLY_HEADER h;
    uint32_t i;
    char prefix[32];

    memcpy(&h, buf, sizeof h);
    kv_magic(&t, "", h.magic);
    kv_u(&t, "", "count", h.count);
    for (i = 0; i < h.count; i++) {
        HG_REPLY_ENTRY e;
        memcpy(&e, buf + sizeof h + i * sizeof e, sizeof e);
        snprintf(prefix, sizeof prefix, "entry[%u].", i);
        kv_u(&t, prefix, "id", e.id);
        kv_u(&t, prefix, "verdict", e.verdict);
        kv_u(&t, prefix, "reserved", e.reserved);
    }
    close_txt(&t, VECTOR_REPLY);
    write_bin(VECTOR_REPLY, buf, len);
}

static void dump_reply_result(const HG_REPLY_RESULT *r)
{
    txt t = { open_out("reply_result", "txt") };
    kv_u(&t, "", "accepted", r->accepted);
    kv_u(&t, "", "unknown", r->unknown);
    kv_u(&t, "", "late", r->late);
    kv_u(&t, "", "duplicate", r->duplicate);
    close_txt(&t, "reply_result");
    write_bin("reply_result", r, sizeof *r);
}

static void dump_stats(const HG_STATS *s)
{
    txt t = { open_out("stats", "txt") };
    kv_magic(&t, "", s->magic);
    kv_u(&t, "", "size", s->size);
#define STAT(f) kv_u(&t, "", #f, s->f)
    STAT(raised); STAT(filtered_out); STAT(self_excluded); STAT(no_client); STAT(delivered);
    STAT(dropped); STAT(verdicts_requested); STAT(replies_accepted); STAT(replies_unknown);
    STAT(replies_late); STAT(replies_duplicate); STAT(timed_out); STAT(fail_open_applied);
    STAT(fail_closed_applied); STAT(defaults_applied); STAT(blocked); STAT(batches);
    STAT(pending_waiters); STAT(parked_requests); STAT(backlog_events); STAT(backlog_bytes);
    STAT(client_bound); STAT(config_generation); STAT(audit_refused); STAT(verdict_unqueued);
    STAT(name_unresolved); STAT(lockdown_blocked); STAT(lockdown_exempt);
#undef STAT
    close_txt(&t, "stats");
    write_bin("stats", s, sizeof *s);
}

static void dump_inject(const unsigned char *buf, size_t len)
{
    txt t = { open_out("inject", "txt") };
    HG_INJECT_HEADER h;
    const unsigned char *p = buf + sizeof h;

    memcpy(&h, buf, sizeof h);
    kv_magic(&t, "", h.magic);
    kv_u(&t, "", "total_bytes", h.total_bytes);
    kv_u(&t, "", "operation", h.operation);
    kv_u(&t, "", "flags", h.flags);
    kv_u(&t, "", "value_type", h.value_type);
    kv_u(&t, "", "pid", h.pid);
    kv_u(&t, "", "data_bytes", h.data_bytes);
    kv_u(&t, "", "key_path_bytes", h.key_path_bytes);
    kv_u(&t, "", "value_name_bytes", h.value_name_bytes);
    kv_u(&t, "", "new_name_bytes", h.new_name_bytes);
    kv_u(&t, "", "reserved0", h.reserved0);
    kv_u(&t, "", "reserved1", h.reserved1);
    kv_str(&t, "", "key_path", p, h.key_path_bytes);
    p += h.key_path_bytes;
    kv_str(&t, "", "value_name", p, h.value_name_bytes);
    p += h.value_name_bytes;
    kv_str(&t, "", "new_name", p, h.new_name_bytes);
    p += h.new_name_bytes;
    kv_hex(&t, "", "data", p, h.data_bytes);
    close_txt(&t, "inject");
    write_bin("inject", buf, len);
}

/* ---- driving the real core ---------------------------------------------------------- */

typedef struct golden_op {
    uint16_t    operation;
    uint64_t    pid;
    uint32_t    value_type;
    const char *key_path;
    const char *value_name;
    const char *new_name;
    const char *image;
    const char *user_sid;
    const void *data;
    uint32_t    data_len;
} golden_op;

typedef struct golden_raise {
    pthread_t       thread;
    hg_core        *core;
    const golden_op *spec;
    hg_raise_result result;
} golden_raise;

static void set_utf16(hg_utf16 *dst, uint16_t *store, size_t max, const char *utf8)
{
    int n = utf8 != NULL ? utf8_to_utf16(utf8, store, max) : 0;
    dst->chars = store;
    dst->bytes = n > 0 ? (uint32_t)n * 2u : 0u;
}

static void *raise_main(void *arg)
{
    golden_raise *g = arg;
    const golden_op *s = g->spec;
    static _Thread_local uint16_t vn[256], nn[256], im[256], sid[256];
    hg_op op;

    top_init(&op, s->operation, s->pid);
    op.tid = s->pid * 4u + 4u;
    op.value_type = s->value_type;
    op.data_original_size = s->data_len;
    set_utf16(&op.value_name, vn, 256, s->value_name);
    set_utf16(&op.new_name, nn, 256, s->new_name);
    set_utf16(&op.image, im, 256, s->image);
    set_utf16(&op.user_sid, sid, 256, s->user_sid);
    raise_path(g->core, &op, s->key_path, s->data, s->data_len, &g->result);
    return NULL;
}

static void wait_backlog(hg_core *core, uint64_t events)
{
    struct timespec ts = { 0, 1000000L };
    int i;

    for (i = 0; i < 5000 && stats_of(core).backlog_events < events; i++)
        nanosleep(&ts, NULL);
}

static size_t encode_reply(unsigned char *buf, const HG_REPLY_ENTRY *entries, uint32_t count)
{
    HG_REPLY_HEADER h = { HG_WIRE_MAGIC, count };

    memcpy(buf, &h, sizeof h);
    memcpy(buf + sizeof h, entries, count * sizeof *entries);
    return sizeof h + count * sizeof *entries;
}

static size_t encode_inject(unsigned char *buf, size_t cap)
{
    static const char *key = "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run";
    static const char *value = "Updater";
    static const char data[] = "C\0:\0\\\0u\0.\0e\0x\0e\0\0\0";
    uint16_t k[256], v[64];
    int kn = utf8_to_utf16(key, k, 256), vn = utf8_to_utf16(value, v, 64);
    HG_INJECT_HEADER h;
    size_t off = sizeof h;

    memset(&h, 0, sizeof h);
    h.magic = HG_WIRE_MAGIC;
    h.operation = HG_OP_SET_VALUE;
    h.flags = 0;
    h.value_type = REG_SZ;
    h.pid = 4321;
    h.data_bytes = sizeof data - 1;
    h.key_path_bytes = (uint16_t)(kn * 2);
    h.value_name_bytes = (uint16_t)(vn * 2);
    h.new_name_bytes = 0;
    if (off + (size_t)kn * 2 + (size_t)vn * 2 + h.data_bytes > cap)
        return 0;
    memcpy(buf + off, k, (size_t)kn * 2);
    off += (size_t)kn * 2;
    memcpy(buf + off, v, (size_t)vn * 2);
    off += (size_t)vn * 2;
    memcpy(buf + off, data, h.data_bytes);
    off += h.data_bytes;
    h.total_bytes = (uint32_t)off;
    memcpy(buf, &h, sizeof h);
    return off;
}

/* The registry's case folding as the driver core does it: hg_upcase16 of
 * every UTF-16 code unit, 65536 little-endian uint16. The agent folds
 * subscription paths with its own copy of the generated table and checks it
 * against this, unit by unit (UpcaseVectorsTest). */
static void dump_upcase(void)
{
    static unsigned char table[65536u * 2u];
    uint32_t c;

    for (c = 0; c <= 0xFFFFu; c++) {
        uint16_t u = hg_upcase16((uint16_t)c);
        table[c * 2u] = (unsigned char)(u & 0xFFu);
        table[c * 2u + 1u] = (unsigned char)(u >> 8);
    }
    write_bin("upcase", table, sizeof table);
}

int main(int argc, char **argv)
{
    static const unsigned char binary[100] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03 };
    static const char sz[] = "c\0a\0l\0c\0.\0e\0x\0e\0\0\0";   /* REG_SZ "calc.exe" with its NUL */
    static const unsigned char dword[4] = { 0x2a, 0x00, 0x00, 0x00 };
    static const golden_op ops[] = {
        /* 0: set-value, REG_SZ, fits */
        { HG_OP_SET_VALUE, 1001, REG_SZ, "\\REGISTRY\\USER\\S-1-5-21-1004336348-1177238915-682003330-1001\\Software\\Classes",
          "Launcher", NULL, "\\Device\\HarddiskVolume3\\Windows\\System32\\reg.exe",
          "S-1-5-21-1004336348-1177238915-682003330-1001", sz, sizeof sz - 1 },
        /* 1: set-value whose data is cut by data_cap */
        { HG_OP_SET_VALUE, 1002, REG_BINARY, "\\REGISTRY\\USER\\.DEFAULT\\Control Panel\\Desktop",
          "Blob", NULL, NULL, NULL, binary, sizeof binary },
        /* 2: rename with a new name */
        { HG_OP_RENAME_KEY, 1003, 0, "\\REGISTRY\\USER\\S-1-5-18\\Software\\OldName",
          NULL, "NewName", NULL, NULL, NULL, 0 },
        /* 3: delete-key that waits for a verdict (blocked below) */
        { HG_OP_DELETE_KEY, 1004, 0, "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Persist",
          NULL, NULL, "\\Device\\HarddiskVolume3\\Users\\Public\\dropper.exe", NULL, NULL, 0 },
        /* 4: a path with non-ASCII characters (U+00E9, U+4E2D, U+6587) */
        { HG_OP_SET_VALUE, 1005, REG_DWORD, "\\REGISTRY\\USER\\S-1-5-21-1-1001\\Software\\Café\\中文",
          "Zähler", NULL, NULL, NULL, dword, sizeof dword },
        /* 5: a verdict request under a 5 ms prefix timeout: its answer comes late */
        { HG_OP_SET_VALUE, 1006, REG_DWORD, "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Svc",
          "Start", NULL, NULL, NULL, dword, sizeof dword },
    };
    enum { OPS = sizeof ops / sizeof ops[0] };
    hg_core_params params = { .no_client_verdict = HG_VERDICT_ALLOW, .capabilities = GOLDEN_CAPABILITIES, .instance_id = GOLDEN_INSTANCE_ID };
    HG_HELLO_REQUEST hello = { HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, HG_WIRE_VERSION_MINOR, 0, 0 };
    HG_HELLO_REPLY hello_reply;
    HG_REPLY_RESULT result;
    HG_REPLY_ENTRY entries[4];
    HG_STATS stats;
    static unsigned char cfg[4096], reply[256], inject[1024];
    golden_raise raisers[OPS];
    test_request *blocker, *reader;
    size_t cfg_len, reply_len, inject_len, w;
    hg_core *core;
    int i;

    if (argc != 2) {
        fprintf(stderr, "usage: %s <dir>\n", argv[0]);
        return 2;
    }
    g_dir = argv[1];

    dump_hello_request(&hello);
    dump_upcase();
    cfg_len = golden_config(cfg, sizeof cfg);
    expect(cfg_len != 0, "config does not fit");
    dump_config(cfg, cfg_len);
    inject_len = encode_inject(inject, sizeof inject);
    expect(inject_len != 0, "inject does not fit");
    dump_inject(inject, inject_len);

    expect(hg_core_create(&params, &core) == HG_STATUS_SUCCESS, "create");
    expect(hg_core_open(core, TEST_CLIENT_KEY) == HG_STATUS_SUCCESS, "open");
    expect(hg_core_hello(core, TEST_CLIENT_KEY, &hello, sizeof hello, &hello_reply, sizeof hello_reply, &w) ==
           HG_STATUS_SUCCESS && w == sizeof hello_reply, "hello");
    dump_hello_reply(&hello_reply);
    expect(hg_core_configure(core, TEST_CLIENT_KEY, cfg, cfg_len) == HG_STATUS_SUCCESS, "configure");

    /*
     * To get verdict requests and notifications into ONE batch, a parked
     * request must exist (so callers wait rather than take the default)
     * but must not take the events as they come: it is parked and then its
     * cancellation starts - the core cannot claim it and leaves it listed,
     * as it does in the kernel when IoCancelIrp races delivery. Once every
     * event is queued the cancel routine runs and a second request takes the
     * whole backlog at once.
     */
    blocker = treq_new(core, HG_GET_EVENTS_MIN_BYTES);
    reader = treq_new(core, HG_GET_EVENTS_MIN_BYTES);
    expect(hg_core_get_events(core, TEST_CLIENT_KEY, &blocker->req, &w) == HG_STATUS_PENDING, "park blocker");
    atomic_store(&blocker->cancel_requested, 1);
    expect(atomic_exchange(&blocker->armed, 0) == 1, "start blocker cancel");

    for (i = 0; i < OPS; i++) {
        raisers[i].core = core;
        raisers[i].spec = &ops[i];
        memset(&raisers[i].result, 0, sizeof raisers[i].result);
        pthread_create(&raisers[i].thread, NULL, raise_main, &raisers[i]);
        wait_backlog(core, (uint64_t)i + 1u); /* one at a time: sequence order == ops order */
    }
    pthread_join(raisers[5].thread, NULL); /* timed out after 5 ms: fail-open */
    expect(raisers[5].result.timed_out && raisers[5].result.verdict == HG_VERDICT_ALLOW, "event 5 times out");

    hg_core_cancel_request(core, &blocker->req);
    expect(treq_completions(blocker) == 1 && blocker->status == HG_STATUS_CANCELLED, "blocker cancelled");
    expect(hg_core_get_events(core, TEST_CLIENT_KEY, &reader->req, &w) == HG_STATUS_SUCCESS, "get_events");
    expect(((const HG_BATCH_HEADER *)(const void *)reader->buffer)->count == OPS, "all events in one batch");
    dump_event_batch(reader->buffer, (uint32_t)w);

    /* accepted (block event 3), duplicate (event 3 again), late (event 5),
     * unknown (never issued) */
    memset(entries, 0, sizeof entries);
    entries[0].id = batch_event(reader->buffer, 3)->id;
    entries[0].verdict = HG_VERDICT_BLOCK;
    entries[1].id = entries[0].id;
    entries[1].verdict = HG_VERDICT_ALLOW;
    entries[2].id = batch_event(reader->buffer, 5)->id;
    entries[2].verdict = HG_VERDICT_ALLOW;
    entries[3].id = entries[2].id + 1000u;
    entries[3].verdict = HG_VERDICT_BLOCK;
    reply_len = encode_reply(reply, entries, 4);
    dump_reply(reply, reply_len);
    expect(hg_core_reply(core, TEST_CLIENT_KEY, reply, reply_len, &result, sizeof result, &w) == HG_STATUS_SUCCESS &&
           w == sizeof result, "reply");
    expect(result.accepted == 1 && result.duplicate == 1 && result.late == 1 && result.unknown == 1,
           "reply classified as accepted/duplicate/late/unknown");
    dump_reply_result(&result);

    for (i = 0; i < OPS; i++)
        if (i != 5)
            pthread_join(raisers[i].thread, NULL);
    expect(raisers[3].result.verdict == HG_VERDICT_BLOCK, "event 3 blocked by the reply");
    expect(hg_core_stats(core, &stats, sizeof stats, &w) == HG_STATUS_SUCCESS && w == sizeof stats, "stats");
    expect(stats.raised == stats.filtered_out + stats.delivered + stats.dropped, "stats invariant");
    dump_stats(&stats);

    treq_free(blocker);
    hg_core_destroy(core);
    treq_free(reader);
    if (g_failed)
        return 1;
    printf("emit_vectors: wrote 8 vectors (.bin + .txt) to %s\n", g_dir);
    return 0;
}
