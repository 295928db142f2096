/*
 * hgwinetest.c - end-to-end suite for hiveguard-test.sys, cross-built with
 * mingw-w64 and run inside Wine (or on Windows) against the real driver.
 *
 * The driver's registry callback is driven through the test build's
 * HG_IOCTL_INJECT on \\.\HiveGuardInject (registry callers), while this
 * process - or a child process - is the agent on \\.\HiveGuard. Every case
 * runs on its own thread under CASE_TIMEOUT_MS; a case that hangs fails the
 * suite at once (the driver's state is then unknown). The process exits
 * non-zero on any failure, and the last line is exactly "N passed, N failed".
 *
 * Usage: hgwinetest.exe SERVICE_NAME          (the suite)
 *        hgwinetest.exe --child READY DIE     (agent that exits while callers wait)
 */
#include <windows.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include "hiveguard_wire.h"
#include "hg_inject_abi.h"

#define CASE_TIMEOUT_MS     30000u /* one case; the longest waits on a 25 s verdict budget at most */
#define IO_TIMEOUT_MS       10000u /* one synchronous IOCTL */
#define EVENT_WAIT_MS       5000u  /* an event expected on the completion port */
#define NOTHING_WAIT_MS     300u   /* proving that nothing arrives */
#define SCM_TIMEOUT_MS      20000u /* service start/stop */
#define LONG_VERDICT_MS     25000u /* verdict budget that must never be reached in a case */
#define SHORT_VERDICT_MS    200u   /* verdict budget that a case lets expire */
#define RELEASE_BOUND_MS    5000u  /* released callers must return well before LONG_VERDICT_MS */
#define BATCH_BYTES         (HG_GET_EVENTS_MIN_BYTES + 4096u)
#define TEST_PID            4242u

/* ------------------------------------------------------------------ */
/* Reporting                                                           */
/* ------------------------------------------------------------------ */

static int g_passed, g_failed;
static volatile LONG g_case_failed;
static const char *g_case = "";

static int check_at(int ok, const char *what, int line)
{
    if (!ok) {
        printf("    %s line %d: %s\n", g_case, line, what);
        fflush(stdout);
        InterlockedExchange(&g_case_failed, 1);
    }
    return ok;
}
#define CHECK(c) check_at((c) != 0, #c, __LINE__)

static int check_eq_at(unsigned long long got, unsigned long long want, const char *expr, int line)
{
    char msg[256];
    if (got == want)
        return 1;
    snprintf(msg, sizeof(msg), "%s == %llu, expected %llu", expr, got, want);
    return check_at(0, msg, line);
}
#define CHECK_EQ(a, b) check_eq_at((unsigned long long)(a), (unsigned long long)(b), #a, __LINE__)

static void summary_and_exit(int code)
{
    printf("%d passed, %d failed\n", g_passed, g_failed);
    fflush(stdout);
    ExitProcess((UINT)code);
}

static DWORD WINAPI case_thread(LPVOID fn)
{
    ((void (*)(void))fn)();
    return 0;
}

static void run_case(const char *name, void (*fn)(void))
{
    HANDLE t;
    DWORD w;

    g_case = name;
    InterlockedExchange(&g_case_failed, 0);
    t = CreateThread(NULL, 0, case_thread, (LPVOID)fn, 0, NULL);
    if (t == NULL) {
        printf("FAIL %s (CreateThread %lu)\n", name, GetLastError());
        g_failed++;
        return;
    }
    w = WaitForSingleObject(t, CASE_TIMEOUT_MS);
    CloseHandle(t);
    if (w != WAIT_OBJECT_0) {
        printf("FAIL %s (timed out after %u ms)\n", name, CASE_TIMEOUT_MS);
        g_failed++;
        summary_and_exit(2);
    }
    if (g_case_failed) {
        printf("FAIL %s\n", name);
        g_failed++;
    } else {
        printf("ok   %s\n", name);
        g_passed++;
    }
    fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* Device I/O                                                          */
/* ------------------------------------------------------------------ */

static const wchar_t *g_service = L"HiveGuard";
static HANDLE g_client = INVALID_HANDLE_VALUE; /* overlapped, on g_port */
static HANDLE g_port;
static HANDLE g_inject = INVALID_HANDLE_VALUE; /* synchronous */
static uint64_t g_first_instance;

static HANDLE open_client(void)
{
    return CreateFileW(HG_USER_PATH_W, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                       FILE_FLAG_OVERLAPPED, NULL);
}

/* One IOCTL on an overlapped handle, waited for with an event whose low bit
 * keeps the completion off the port. Returns the Win32 error (0 = success). */
static DWORD dev_call(HANDLE h, DWORD code, const void *in, DWORD in_len, void *out,
                      DWORD out_len, DWORD *bytes)
{
    OVERLAPPED ov;
    DWORD got = 0, err = 0;

    memset(&ov, 0, sizeof(ov));
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (ov.hEvent == NULL)
        return GetLastError();
    ov.hEvent = (HANDLE)((ULONG_PTR)ov.hEvent | 1u);
    if (!DeviceIoControl(h, code, (void *)in, in_len, out, out_len, &got, &ov)) {
        err = GetLastError();
        if (err == ERROR_IO_PENDING) {
            HANDLE ev = (HANDLE)((ULONG_PTR)ov.hEvent & ~(ULONG_PTR)1u);
            if (WaitForSingleObject(ev, IO_TIMEOUT_MS) != WAIT_OBJECT_0) {
                CancelIoEx(h, &ov);
                WaitForSingleObject(ev, IO_TIMEOUT_MS);
                CloseHandle(ev);
                return WAIT_TIMEOUT;
            }
            err = GetOverlappedResult(h, &ov, &got, FALSE) ? 0 : GetLastError();
        }
    }
    CloseHandle((HANDLE)((ULONG_PTR)ov.hEvent & ~(ULONG_PTR)1u));
    if (bytes != NULL)
        *bytes = got;
    return err;
}

static DWORD hello(HANDLE h, uint32_t magic, uint16_t major, HG_HELLO_REPLY *reply)
{
    HG_HELLO_REQUEST req = { magic, (uint16_t)major, HG_WIRE_VERSION_MINOR, 0, 0 };
    HG_HELLO_REPLY local;
    return dev_call(h, HG_IOCTL_HELLO, &req, sizeof(req), reply ? reply : &local,
                    sizeof(local), NULL);
}

typedef struct config_spec {
    uint32_t op_mask, verdict_op_mask, flags, timeout_ms, data_cap;
    uint16_t fail_mode, default_verdict;
    const wchar_t *exclude_prefix; /* optional EXCLUDE prefix, all classes */
} config_spec;

/* Builds a canonical CONFIGURE buffer; returns its length. */
static DWORD build_config(const config_spec *s, unsigned char *buf, DWORD cap)
{
    HG_CONFIG_HEADER h;
    DWORD len = sizeof(h);
    memset(&h, 0, sizeof(h));
    h.magic = HG_WIRE_MAGIC;
    h.op_mask = s->op_mask;
    h.verdict_op_mask = s->verdict_op_mask;
    h.flags = s->flags;
    h.timeout_ms = s->timeout_ms;
    h.fail_mode = s->fail_mode;
    h.default_verdict = s->default_verdict;
    h.max_backlog = HG_BACKLOG_DEFAULT;
    h.data_cap = s->data_cap;
    if (s->exclude_prefix != NULL) {
        HG_PREFIX_ENTRY e;
        DWORD sbytes = (DWORD)(wcslen(s->exclude_prefix) * 2);
        memset(&e, 0, sizeof(e));
        e.kind = HG_PREFIX_EXCLUDE;
        e.op_mask = HG_OP_MASK_ALL;
        e.fail_mode = HG_FAIL_INHERIT;
        e.string_bytes = (uint16_t)sbytes;
        e.string_offset = sizeof(h) + sizeof(e);
        h.prefix_count = 1;
        if (len + sizeof(e) + sbytes > cap)
            return 0;
        memcpy(buf + len, &e, sizeof(e));
        len += sizeof(e);
        memcpy(buf + len, s->exclude_prefix, sbytes);
        len += sbytes;
    }
    h.total_bytes = len;
    memcpy(buf, &h, sizeof(h));
    return len;
}

static DWORD configure(HANDLE h, const config_spec *s)
{
    unsigned char buf[512];
    DWORD len = build_config(s, buf, sizeof(buf));
    return dev_call(h, HG_IOCTL_CONFIGURE, buf, len, NULL, 0, NULL);
}

static config_spec audit_all(void)
{
    config_spec s = { HG_OP_MASK_ALL, 0, 0, HG_TIMEOUT_DEFAULT_MS, HG_DATA_CAP_DEFAULT,
                      HG_FAIL_OPEN, HG_VERDICT_ALLOW, NULL };
    return s;
}

static config_spec verdict_all(uint32_t timeout_ms, uint16_t fail_mode)
{
    config_spec s = { HG_OP_MASK_ALL, HG_OP_MASK_ALL, 0, timeout_ms, HG_DATA_CAP_DEFAULT,
                      fail_mode, HG_VERDICT_ALLOW, NULL };
    return s;
}

static int get_stats(HG_STATS *st)
{
    DWORD got = 0;
    memset(st, 0, sizeof(*st));
    if (!DeviceIoControl(g_inject, HG_IOCTL_STATS, NULL, 0, st, sizeof(*st), &got, NULL))
        return 0;
    return got == sizeof(*st) && st->magic == HG_WIRE_MAGIC && st->size == sizeof(*st);
}

/* An injected registry operation, run synchronously on the calling thread. */
typedef struct inject_op {
    uint16_t operation, flags;
    uint32_t value_type;
    uint64_t pid;
    const wchar_t *key, *value_name, *new_name;
    const void *data;
    uint32_t data_bytes;
    /* results */
    DWORD    error;      /* DeviceIoControl */
    uint32_t status;     /* the registry call's NTSTATUS */
    DWORD    elapsed_ms;
} inject_op;

static void inject_run(HANDLE h, inject_op *op)
{
    unsigned char buf[8192];
    HG_INJECT_HEADER hdr;
    HG_INJECT_RESULT res;
    DWORD kb = (DWORD)(wcslen(op->key) * 2);
    DWORD vb = op->value_name ? (DWORD)(wcslen(op->value_name) * 2) : 0;
    DWORD nb = op->new_name ? (DWORD)(wcslen(op->new_name) * 2) : 0;
    DWORD len = sizeof(hdr) + kb + vb + nb + op->data_bytes, got = 0, t0;

    memset(&hdr, 0, sizeof(hdr));
    hdr.magic = HG_WIRE_MAGIC;
    hdr.total_bytes = len;
    hdr.operation = op->operation;
    hdr.flags = op->flags;
    hdr.value_type = op->value_type;
    hdr.pid = op->pid ? op->pid : TEST_PID;
    hdr.data_bytes = op->data_bytes;
    hdr.key_path_bytes = (uint16_t)kb;
    hdr.value_name_bytes = (uint16_t)vb;
    hdr.new_name_bytes = (uint16_t)nb;
    memcpy(buf, &hdr, sizeof(hdr));
    memcpy(buf + sizeof(hdr), op->key, kb);
    if (vb) memcpy(buf + sizeof(hdr) + kb, op->value_name, vb);
    if (nb) memcpy(buf + sizeof(hdr) + kb + vb, op->new_name, nb);
    if (op->data_bytes) memcpy(buf + sizeof(hdr) + kb + vb + nb, op->data, op->data_bytes);
    memset(&res, 0xEE, sizeof(res));
    t0 = GetTickCount();
    op->error = DeviceIoControl(h, HG_IOCTL_INJECT, buf, len, &res, sizeof(res), &got, NULL)
                    ? 0 : GetLastError();
    op->elapsed_ms = GetTickCount() - t0;
    op->status = (op->error == 0 && got == sizeof(res)) ? res.status : 0xFFFFFFFFu;
}

static DWORD WINAPI inject_thread(LPVOID p)
{
    inject_run(g_inject, (inject_op *)p);
    return 0;
}

static HANDLE inject_async(inject_op *op)
{
    return CreateThread(NULL, 0, inject_thread, op, 0, NULL);
}

static int join(HANDLE t, DWORD ms)
{
    DWORD w = WaitForSingleObject(t, ms);
    CloseHandle(t);
    return w == WAIT_OBJECT_0;
}

/* A parked GET_EVENTS: completes on g_port with its own OVERLAPPED. */
typedef struct parked {
    OVERLAPPED ov;
    unsigned char buf[BATCH_BYTES];
} parked;

static DWORD park(parked *p)
{
    memset(&p->ov, 0, sizeof(p->ov));
    if (DeviceIoControl(g_client, HG_IOCTL_GET_EVENTS, NULL, 0, p->buf, sizeof(p->buf), NULL, &p->ov))
        return 0;
    return GetLastError();
}

/* Waits for one completion on the port; returns the parked request it
 * belongs to (NULL on timeout), its error and byte count. */
static parked *completion(DWORD ms, DWORD *err, DWORD *bytes)
{
    OVERLAPPED *ov = NULL;
    ULONG_PTR key;
    DWORD n = 0;
    BOOL ok = GetQueuedCompletionStatus(g_port, &n, &key, &ov, ms);
    *err = ok ? 0 : GetLastError();
    *bytes = n;
    return ov ? CONTAINING_RECORD(ov, parked, ov) : NULL;
}

typedef struct event_view {
    HG_EVENT_HEADER h;
    const uint16_t *key, *value_name, *new_name;
    const unsigned char *data;
} event_view;

/* Validates a completed batch and returns its first event. */
static int first_event(const parked *p, DWORD bytes, event_view *ev, uint32_t *count)
{
    HG_BATCH_HEADER b;
    const unsigned char *e;
    if (!CHECK(bytes >= sizeof(b) + sizeof(HG_EVENT_HEADER)))
        return 0;
    memcpy(&b, p->buf, sizeof(b));
    CHECK_EQ(b.magic, HG_WIRE_MAGIC);
    CHECK_EQ(b.total_bytes, bytes);
    CHECK(b.count >= 1);
    if (count) *count = b.count;
    e = p->buf + sizeof(b);
    memcpy(&ev->h, e, sizeof(ev->h));
    if (!CHECK(ev->h.size % HG_EVENT_ALIGN == 0 && sizeof(b) + ev->h.size <= bytes))
        return 0;
    e += sizeof(HG_EVENT_HEADER);
    ev->key = (const uint16_t *)e;         e += ev->h.key_path_bytes;
    ev->value_name = (const uint16_t *)e;  e += ev->h.value_name_bytes;
    ev->new_name = (const uint16_t *)e;    e += ev->h.new_name_bytes;
    e += ev->h.image_bytes + ev->h.user_sid_bytes;
    ev->data = e;
    return 1;
}

static int str_is(const uint16_t *s, uint32_t bytes, const wchar_t *want)
{
    size_t n = wcslen(want);
    size_t i;
    if (bytes != n * 2)
        return 0;
    for (i = 0; i < n; i++)
        if (s[i] != (uint16_t)want[i])
            return 0;
    return 1;
}

static HG_REPLY_RESULT reply(uint64_t id, uint32_t verdict, DWORD *err)
{
    struct { HG_REPLY_HEADER h; HG_REPLY_ENTRY e; } msg;
    HG_REPLY_RESULT r;
    memset(&msg, 0, sizeof(msg));
    memset(&r, 0, sizeof(r));
    msg.h.magic = HG_WIRE_MAGIC;
    msg.h.count = 1;
    msg.e.id = id;
    msg.e.verdict = verdict;
    *err = dev_call(g_client, HG_IOCTL_REPLY, &msg, sizeof(msg), &r, sizeof(r), NULL);
    return r;
}

/* Opens, binds (HELLO) and associates the agent handle with the port. */
static int connect_client(void)
{
    g_client = open_client();
    if (!CHECK(g_client != INVALID_HANDLE_VALUE))
        return 0;
    g_port = CreateIoCompletionPort(g_client, NULL, 1, 0);
    if (!CHECK(g_port != NULL))
        return 0;
    return CHECK_EQ(hello(g_client, HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, NULL), 0);
}

static void disconnect_client(void)
{
    if (g_client != INVALID_HANDLE_VALUE)
        CloseHandle(g_client);
    if (g_port != NULL)
        CloseHandle(g_port);
    g_client = INVALID_HANDLE_VALUE;
    g_port = NULL;
}

/* ------------------------------------------------------------------ */
/* Service control                                                     */
/* ------------------------------------------------------------------ */

static int service_wait(SC_HANDLE svc, DWORD state)
{
    SERVICE_STATUS ss;
    DWORD t0 = GetTickCount();
    while (GetTickCount() - t0 < SCM_TIMEOUT_MS) {
        if (QueryServiceStatus(svc, &ss) && ss.dwCurrentState == state)
            return 1;
        Sleep(50);
    }
    return 0;
}

static int service_start(void)
{
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_ALL_ACCESS), svc;
    int ok = 0;
    if (!CHECK(scm != NULL))
        return 0;
    svc = OpenServiceW(scm, g_service, SERVICE_ALL_ACCESS);
    if (CHECK(svc != NULL)) {
        CHECK(StartServiceW(svc, 0, NULL) || GetLastError() == ERROR_SERVICE_ALREADY_RUNNING);
        ok = CHECK(service_wait(svc, SERVICE_RUNNING));
        CloseServiceHandle(svc);
    }
    CloseServiceHandle(scm);
    if (ok) {
        g_inject = CreateFileW(HG_INJECT_USER_PATH_W, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                               OPEN_EXISTING, 0, NULL);
        ok = CHECK(g_inject != INVALID_HANDLE_VALUE);
    }
    return ok;
}

static int service_stop(void)
{
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_ALL_ACCESS), svc;
    SERVICE_STATUS ss;
    int ok = 0;
    if (!CHECK(scm != NULL))
        return 0;
    svc = OpenServiceW(scm, g_service, SERVICE_ALL_ACCESS);
    if (CHECK(svc != NULL)) {
        CHECK(ControlService(svc, SERVICE_CONTROL_STOP, &ss) || GetLastError() == ERROR_SERVICE_NOT_ACTIVE);
        ok = CHECK(service_wait(svc, SERVICE_STOPPED));
        CloseServiceHandle(svc);
    }
    CloseServiceHandle(scm);
    return ok;
}

/* ------------------------------------------------------------------ */
/* Cases                                                               */
/* ------------------------------------------------------------------ */

static const wchar_t *K_RUN = L"\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run";
static const wchar_t *K_TEST = L"\\REGISTRY\\MACHINE\\SOFTWARE\\HiveGuardTest\\Key";
static const wchar_t *K_EXCLUDED = L"\\REGISTRY\\MACHINE\\SOFTWARE\\Excluded\\Key";

static void case_start_service(void)
{
    CHECK(service_start());
}

static void case_handshake(void)
{
    HG_HELLO_REPLY r;
    DWORD err;
    config_spec s = audit_all();

    g_client = open_client();
    if (!CHECK(g_client != INVALID_HANDLE_VALUE))
        return;
    /* Out of order: CONFIGURE before HELLO. */
    CHECK_EQ(configure(g_client, &s), ERROR_BAD_COMMAND);
    CHECK_EQ(hello(g_client, 0x12345678u, HG_WIRE_VERSION_MAJOR, NULL), ERROR_UNKNOWN_REVISION);
    CHECK_EQ(hello(g_client, HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR + 1, NULL), ERROR_REVISION_MISMATCH);
    {
        HG_HELLO_REQUEST shortreq = { HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, 0, 0, 0 };
        HG_HELLO_REPLY out;
        CHECK_EQ(dev_call(g_client, HG_IOCTL_HELLO, &shortreq, 8, &out, sizeof(out), NULL),
                 ERROR_INSUFFICIENT_BUFFER);
    }
    memset(&r, 0, sizeof(r));
    err = hello(g_client, HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, &r);
    CHECK_EQ(err, 0);
    CHECK_EQ(r.magic, HG_WIRE_MAGIC);
    CHECK_EQ(r.version_major, HG_WIRE_VERSION_MAJOR);
    CHECK(r.capabilities & HG_CAP_INJECT);
    /* Wine has no CmRegisterCallbackEx: the driver must not claim it. */
    CHECK((r.capabilities & HG_CAP_REGISTRY_CALLBACK) == 0);
    CHECK((r.capabilities & HG_CAP_SIMULATOR) == 0);
    CHECK_EQ(r.max_event_bytes, HG_MAX_EVENT_BYTES);
    CHECK_EQ(r.get_events_min_bytes, HG_GET_EVENTS_MIN_BYTES);
    CHECK_EQ(r.get_events_max_bytes, HG_GET_EVENTS_MAX_BYTES);
    CHECK_EQ(r.reply_max_entries, HG_REPLY_MAX_ENTRIES);
    CHECK_EQ(r.parked_max, HG_PARKED_MAX);
    CHECK(r.instance_id != 0);
    g_first_instance = r.instance_id;
    g_port = CreateIoCompletionPort(g_client, NULL, 1, 0);
    CHECK(g_port != NULL);
}

/* Windows fails the second CreateFile with the CREATE IRP's status. Wine 8
 * hands out the handle whatever IRP_MJ_CREATE returned (and sends CLOSE at
 * once), so there the refusal shows as a handle the driver never bound:
 * HELLO on it is denied. Either way the first client keeps working. */
static void case_second_client_refused(void)
{
    HANDLE h = CreateFileW(HG_USER_PATH_W, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    DWORD err = GetLastError();
    if (h == INVALID_HANDLE_VALUE) {
        CHECK_EQ(err, ERROR_SHARING_VIOLATION);
    } else {
        HG_HELLO_REQUEST req = { HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, HG_WIRE_VERSION_MINOR, 0, 0 };
        HG_HELLO_REPLY out;
        DWORD got;
        CHECK(!DeviceIoControl(h, HG_IOCTL_HELLO, &req, sizeof(req), &out, sizeof(out), &got, NULL));
        CHECK_EQ(GetLastError(), ERROR_ACCESS_DENIED);
        CloseHandle(h);
    }
    CHECK_EQ(hello(g_client, HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, NULL), 0);
}

static void case_configuration(void)
{
    unsigned char buf[512];
    HG_CONFIG_HEADER *h = (HG_CONFIG_HEADER *)buf;
    config_spec s = audit_all();
    HG_STATS before, after;
    DWORD len;

    CHECK(get_stats(&before));
    len = build_config(&s, buf, sizeof(buf));
    h->timeout_ms = 0;
    CHECK_EQ(dev_call(g_client, HG_IOCTL_CONFIGURE, buf, len, NULL, 0, NULL), ERROR_INVALID_PARAMETER);
    len = build_config(&s, buf, sizeof(buf));
    h->timeout_ms = HG_TIMEOUT_MAX_MS + 1;
    CHECK_EQ(dev_call(g_client, HG_IOCTL_CONFIGURE, buf, len, NULL, 0, NULL), ERROR_INVALID_PARAMETER);
    len = build_config(&s, buf, sizeof(buf));
    h->op_mask |= 1u; /* bit 0 is not a class */
    CHECK_EQ(dev_call(g_client, HG_IOCTL_CONFIGURE, buf, len, NULL, 0, NULL), ERROR_INVALID_PARAMETER);
    len = build_config(&s, buf, sizeof(buf));
    h->reserved1 = 1;
    CHECK_EQ(dev_call(g_client, HG_IOCTL_CONFIGURE, buf, len, NULL, 0, NULL), ERROR_INVALID_PARAMETER);
    len = build_config(&s, buf, sizeof(buf));
    h->magic = 0;
    CHECK_EQ(dev_call(g_client, HG_IOCTL_CONFIGURE, buf, len, NULL, 0, NULL), ERROR_UNKNOWN_REVISION);
    len = build_config(&s, buf, sizeof(buf));
    h->total_bytes = len + 8;
    CHECK_EQ(dev_call(g_client, HG_IOCTL_CONFIGURE, buf, len, NULL, 0, NULL), ERROR_BAD_LENGTH);
    CHECK_EQ(dev_call(g_client, HG_IOCTL_CONFIGURE, buf, 8, NULL, 0, NULL), ERROR_INSUFFICIENT_BUFFER);
    CHECK(get_stats(&after));
    CHECK_EQ(after.config_generation, before.config_generation); /* rejected = unchanged */
    CHECK_EQ(configure(g_client, &s), 0);
    CHECK(get_stats(&after));
    CHECK_EQ(after.config_generation, before.config_generation + 1);
}

static void case_malformed_ioctls(void)
{
    unsigned char out[64];
    unsigned char small[64];
    HG_INJECT_HEADER bad;
    HG_INJECT_RESULT res;
    DWORD got;

    CHECK_EQ(dev_call(g_client, 0x8A47E000u /* function 0x800, not ours */, NULL, 0, out, sizeof(out), NULL),
             ERROR_INVALID_FUNCTION);
    CHECK_EQ(dev_call(g_client, HG_IOCTL_GET_EVENTS, NULL, 0, small, sizeof(small), NULL),
             ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(dev_call(g_client, HG_IOCTL_STATS, NULL, 0, small, 16, NULL), ERROR_INSUFFICIENT_BUFFER);
    memset(&bad, 0, sizeof(bad));
    bad.magic = 0xBADu;
    bad.total_bytes = sizeof(bad);
    CHECK(!DeviceIoControl(g_inject, HG_IOCTL_INJECT, &bad, sizeof(bad), &res, sizeof(res), &got, NULL));
    CHECK_EQ(GetLastError(), ERROR_UNKNOWN_REVISION);
    bad.magic = HG_WIRE_MAGIC;
    bad.operation = HG_OP_COUNT;
    CHECK(!DeviceIoControl(g_inject, HG_IOCTL_INJECT, &bad, sizeof(bad), &res, sizeof(res), &got, NULL));
    CHECK_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    CHECK(!DeviceIoControl(g_inject, HG_IOCTL_INJECT, &bad, 12, &res, sizeof(res), &got, NULL));
    CHECK_EQ(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    /* The agent's device and the driver survive all of it. */
    CHECK_EQ(hello(g_client, HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, NULL), 0);
}

static void case_parked_on_completion_port(void)
{
    static parked a, b;
    static const char data[] = "C:\\evil.exe";
    inject_op op = { HG_OP_SET_VALUE, 0, 1 /* REG_SZ */, 0, NULL, L"Updater", NULL, data, sizeof(data), 0, 0, 0 };
    event_view ev;
    parked *done;
    DWORD err, bytes;
    uint32_t count = 0;
    HG_STATS st;
    config_spec s = audit_all();

    op.key = K_RUN;
    CHECK_EQ(configure(g_client, &s), 0);
    CHECK_EQ(park(&a), ERROR_IO_PENDING);
    CHECK_EQ(park(&b), ERROR_IO_PENDING);
    CHECK(get_stats(&st));
    CHECK_EQ(st.parked_requests, 2);
    inject_run(g_inject, &op);
    CHECK_EQ(op.error, 0);
    CHECK_EQ(op.status, 0); /* audit only: allowed without waiting */
    done = completion(EVENT_WAIT_MS, &err, &bytes);
    if (!CHECK(done == &a || done == &b))
        return;
    CHECK_EQ(err, 0);
    if (first_event(done, bytes, &ev, &count)) {
        CHECK_EQ(count, 1);
        CHECK_EQ(ev.h.operation, HG_OP_SET_VALUE);
        CHECK_EQ(ev.h.id, 0);
        CHECK_EQ(ev.h.flags & HG_EVENT_F_VERDICT_REQUESTED, 0);
        CHECK_EQ(ev.h.pid, TEST_PID);
        CHECK_EQ(ev.h.value_type, 1);
        CHECK_EQ(ev.h.data_original_size, sizeof(data));
        CHECK_EQ(ev.h.data_bytes, sizeof(data));
        CHECK(str_is(ev.key, ev.h.key_path_bytes, K_RUN));
        CHECK(str_is(ev.value_name, ev.h.value_name_bytes, L"Updater"));
        CHECK(memcmp(ev.data, data, sizeof(data)) == 0);
        CHECK(ev.h.timestamp != 0);
    }
    CHECK(get_stats(&st));
    CHECK_EQ(st.parked_requests, 1); /* the other one stays parked */
    CHECK(completion(NOTHING_WAIT_MS, &err, &bytes) == NULL);
    /* Leave it parked: a later case cancels it with CancelIoEx. */
}

static void case_cancel_io_ex(void)
{
    parked *done;
    DWORD err, bytes;
    HG_STATS st;

    CHECK(get_stats(&st));
    CHECK_EQ(st.parked_requests, 1);
    CHECK(CancelIoEx(g_client, NULL));
    done = completion(EVENT_WAIT_MS, &err, &bytes);
    CHECK(done != NULL);
    CHECK_EQ(err, ERROR_OPERATION_ABORTED);
    CHECK(get_stats(&st));
    CHECK_EQ(st.parked_requests, 0);
}

/* Every operation class: the event arrives with its path, the agent's
 * verdict reaches the injecting caller. Odd classes allowed, even blocked. */
static void case_every_class_verdict(void)
{
    static parked p;
    static const uint32_t dword = 7;
    config_spec s = verdict_all(LONG_VERDICT_MS, HG_FAIL_OPEN);
    HG_STATS before, after;
    uint16_t opc;
    unsigned blocked = 0;

    CHECK(get_stats(&before));
    CHECK_EQ(configure(g_client, &s), 0);
    for (opc = HG_OP_CREATE_KEY; opc < HG_OP_COUNT; opc++) {
        inject_op op;
        HANDLE t;
        parked *done;
        event_view ev;
        DWORD err, bytes, rerr;
        HG_REPLY_RESULT rr;
        uint32_t verdict = (opc & 1u) ? HG_VERDICT_ALLOW : HG_VERDICT_BLOCK;

        memset(&op, 0, sizeof(op));
        op.operation = opc;
        op.key = K_TEST;
        if (opc == HG_OP_SET_VALUE) {
            op.value_name = L"Count";
            op.value_type = 4; /* REG_DWORD */
            op.data = &dword;
            op.data_bytes = sizeof(dword);
        }
        if (opc == HG_OP_DELETE_VALUE)
            op.value_name = L"Count";
        if (opc == HG_OP_RENAME_KEY)
            op.new_name = L"Renamed";
        CHECK_EQ(park(&p), ERROR_IO_PENDING);
        t = inject_async(&op);
        done = completion(EVENT_WAIT_MS, &err, &bytes);
        if (!CHECK(done == &p) || !CHECK_EQ(err, 0) || !first_event(done, bytes, &ev, NULL)) {
            join(t, RELEASE_BOUND_MS + LONG_VERDICT_MS);
            return;
        }
        CHECK_EQ(ev.h.operation, opc);
        CHECK(ev.h.flags & HG_EVENT_F_VERDICT_REQUESTED);
        CHECK(ev.h.id != 0);
        CHECK_EQ(ev.h.timeout_ms, LONG_VERDICT_MS);
        /* Create arrives relative to its parent key, open with an absolute
         * name: both must come out as the full path. */
        CHECK(str_is(ev.key, ev.h.key_path_bytes, K_TEST));
        if (opc == HG_OP_SET_VALUE || opc == HG_OP_DELETE_VALUE)
            CHECK(str_is(ev.value_name, ev.h.value_name_bytes, L"Count"));
        if (opc == HG_OP_RENAME_KEY)
            CHECK(str_is(ev.new_name, ev.h.new_name_bytes, L"Renamed"));
        if (opc == HG_OP_SET_VALUE) {
            CHECK_EQ(ev.h.data_bytes, sizeof(dword));
            CHECK(memcmp(ev.data, &dword, sizeof(dword)) == 0);
        }
        rr = reply(ev.h.id, verdict, &rerr);
        CHECK_EQ(rerr, 0);
        CHECK_EQ(rr.accepted, 1);
        CHECK(join(t, RELEASE_BOUND_MS));
        CHECK_EQ(op.error, 0);
        CHECK_EQ(op.status, verdict == HG_VERDICT_ALLOW ? HG_STATUS_SUCCESS : HG_STATUS_ACCESS_DENIED);
        CHECK(op.elapsed_ms < RELEASE_BOUND_MS);
        if (verdict == HG_VERDICT_BLOCK)
            blocked++;
    }
    CHECK(get_stats(&after));
    CHECK_EQ(after.blocked - before.blocked, blocked);
    CHECK_EQ(after.replies_accepted - before.replies_accepted, HG_OP_COUNT - 1);
    CHECK_EQ(after.pending_waiters, 0);
}

/* No reply: the configured fail mode applies at the deadline; a reply that
 * comes after it is counted late. */
static void case_timeouts(void)
{
    static parked p;
    uint16_t modes[2] = { HG_FAIL_OPEN, HG_FAIL_CLOSED };
    HG_STATS before, after;
    int i;

    CHECK(get_stats(&before));
    for (i = 0; i < 2; i++) {
        config_spec s = verdict_all(SHORT_VERDICT_MS, modes[i]);
        inject_op op;
        parked *done;
        event_view ev;
        DWORD err, bytes, rerr;
        HG_REPLY_RESULT rr;

        memset(&op, 0, sizeof(op));
        op.operation = HG_OP_SET_VALUE;
        op.key = K_RUN;
        op.value_name = L"Persist";
        CHECK_EQ(configure(g_client, &s), 0);
        CHECK_EQ(park(&p), ERROR_IO_PENDING);
        inject_run(g_inject, &op); /* returns only at the deadline */
        CHECK_EQ(op.error, 0);
        CHECK_EQ(op.status, modes[i] == HG_FAIL_OPEN ? HG_STATUS_SUCCESS : HG_STATUS_ACCESS_DENIED);
        CHECK(op.elapsed_ms + 20u >= SHORT_VERDICT_MS); /* tick granularity */
        CHECK(op.elapsed_ms < RELEASE_BOUND_MS);
        done = completion(EVENT_WAIT_MS, &err, &bytes);
        if (CHECK(done == &p) && first_event(done, bytes, &ev, NULL)) {
            rr = reply(ev.h.id, HG_VERDICT_ALLOW, &rerr);
            CHECK_EQ(rerr, 0);
            CHECK_EQ(rr.late, 1);
            CHECK_EQ(rr.accepted, 0);
        }
    }
    CHECK(get_stats(&after));
    CHECK_EQ(after.timed_out - before.timed_out, 2);
    CHECK_EQ(after.fail_open_applied - before.fail_open_applied, 1);
    CHECK_EQ(after.fail_closed_applied - before.fail_closed_applied, 1);
    CHECK_EQ(after.replies_late - before.replies_late, 2);
}

static void case_replies(void)
{
    static parked p;
    config_spec s = verdict_all(LONG_VERDICT_MS, HG_FAIL_OPEN);
    inject_op op;
    HANDLE t;
    parked *done;
    event_view ev;
    DWORD err, bytes, rerr;
    HG_REPLY_RESULT rr;

    CHECK_EQ(configure(g_client, &s), 0);
    rr = reply(0xFFFFFFFF00000000ull, HG_VERDICT_ALLOW, &rerr);
    CHECK_EQ(rerr, 0);
    CHECK_EQ(rr.unknown, 1);
    memset(&op, 0, sizeof(op));
    op.operation = HG_OP_DELETE_KEY;
    op.key = K_TEST;
    CHECK_EQ(park(&p), ERROR_IO_PENDING);
    t = inject_async(&op);
    done = completion(EVENT_WAIT_MS, &err, &bytes);
    if (CHECK(done == &p) && first_event(done, bytes, &ev, NULL)) {
        rr = reply(ev.h.id, HG_VERDICT_BLOCK, &rerr);
        CHECK_EQ(rr.accepted, 1);
        rr = reply(ev.h.id, HG_VERDICT_ALLOW, &rerr);
        CHECK_EQ(rerr, 0);
        CHECK_EQ(rr.duplicate + rr.late, 1); /* already answered */
        CHECK_EQ(rr.accepted, 0);
    }
    CHECK(join(t, RELEASE_BOUND_MS));
    CHECK_EQ(op.status, HG_STATUS_ACCESS_DENIED); /* the first answer wins */
    {
        struct { HG_REPLY_HEADER h; HG_REPLY_ENTRY e; } msg;
        memset(&msg, 0, sizeof(msg));
        msg.h.magic = HG_WIRE_MAGIC;
        msg.h.count = 0;
        CHECK_EQ(dev_call(g_client, HG_IOCTL_REPLY, &msg, sizeof(msg.h), NULL, 0, NULL) != 0, 1);
        msg.h.magic = 1;
        msg.h.count = 1;
        CHECK_EQ(dev_call(g_client, HG_IOCTL_REPLY, &msg, sizeof(msg), NULL, 0, NULL), ERROR_UNKNOWN_REVISION);
        msg.h.magic = HG_WIRE_MAGIC;
        msg.e.id = ev.h.id;
        msg.e.verdict = 9;
        CHECK_EQ(dev_call(g_client, HG_IOCTL_REPLY, &msg, sizeof(msg), NULL, 0, NULL), ERROR_INVALID_PARAMETER);
    }
}

/* Value data: capped (flagged), and a faulting user buffer is survived and
 * flagged. Kernel callers are filtered unless the configuration asks. */
static void case_data_capture(void)
{
    static parked p;
    static unsigned char big[100];
    config_spec s = audit_all();
    inject_op op;
    parked *done;
    event_view ev;
    DWORD err, bytes;
    HG_STATS before, after;

    memset(big, 0x5A, sizeof(big));
    s.data_cap = 16;
    CHECK_EQ(configure(g_client, &s), 0);
    memset(&op, 0, sizeof(op));
    op.operation = HG_OP_SET_VALUE;
    op.key = K_RUN;
    op.value_name = L"Big";
    op.value_type = 3; /* REG_BINARY */
    op.data = big;
    op.data_bytes = sizeof(big);
    CHECK_EQ(park(&p), ERROR_IO_PENDING);
    inject_run(g_inject, &op);
    CHECK_EQ(op.status, 0);
    done = completion(EVENT_WAIT_MS, &err, &bytes);
    if (CHECK(done == &p) && first_event(done, bytes, &ev, NULL)) {
        CHECK(ev.h.flags & HG_EVENT_F_DATA_TRUNCATED);
        CHECK_EQ(ev.h.data_bytes, 16);
        CHECK_EQ(ev.h.data_original_size, sizeof(big));
        CHECK(memcmp(ev.data, big, 16) == 0);
    }

    op.flags = HG_INJECT_F_SYS_DATA_FAULT;
    CHECK_EQ(park(&p), ERROR_IO_PENDING);
    inject_run(g_inject, &op);
    CHECK_EQ(op.error, 0);
    CHECK_EQ(op.status, 0);
    done = completion(EVENT_WAIT_MS, &err, &bytes);
    if (CHECK(done == &p) && first_event(done, bytes, &ev, NULL)) {
        CHECK(ev.h.flags & HG_EVENT_F_DATA_UNREADABLE);
        CHECK_EQ(ev.h.data_bytes, 0);
    }

    /* A kernel-mode caller is not delivered without INCLUDE_KERNEL_CALLERS. */
    CHECK(get_stats(&before));
    op.flags = HG_INJECT_F_KERNEL_CALLER;
    CHECK_EQ(park(&p), ERROR_IO_PENDING);
    inject_run(g_inject, &op);
    CHECK_EQ(op.status, 0);
    CHECK(completion(NOTHING_WAIT_MS, &err, &bytes) == NULL);
    CHECK(get_stats(&after));
    CHECK_EQ(after.filtered_out - before.filtered_out, 1);
    s.flags = HG_CFG_F_INCLUDE_KERNEL_CALLERS;
    CHECK_EQ(configure(g_client, &s), 0);
    inject_run(g_inject, &op);
    done = completion(EVENT_WAIT_MS, &err, &bytes);
    if (CHECK(done == &p) && first_event(done, bytes, &ev, NULL))
        CHECK(ev.h.flags & HG_EVENT_F_KERNEL_CALLER);
}

static void case_self_excluded(void)
{
    static parked p;
    config_spec s = verdict_all(LONG_VERDICT_MS, HG_FAIL_CLOSED);
    inject_op op;
    HG_STATS before, after;
    DWORD err, bytes;

    CHECK(get_stats(&before));
    CHECK_EQ(configure(g_client, &s), 0);
    memset(&op, 0, sizeof(op));
    op.operation = HG_OP_SET_VALUE;
    op.key = K_RUN;
    op.flags = HG_INJECT_F_AS_CLIENT;
    CHECK_EQ(park(&p), ERROR_IO_PENDING);
    inject_run(g_inject, &op);
    CHECK_EQ(op.status, 0);
    CHECK(op.elapsed_ms < RELEASE_BOUND_MS);
    CHECK(completion(NOTHING_WAIT_MS, &err, &bytes) == NULL);
    CHECK(get_stats(&after));
    CHECK_EQ(after.self_excluded - before.self_excluded, 1);
    CHECK_EQ(after.verdicts_requested, before.verdicts_requested);
    CHECK(CancelIoEx(g_client, NULL));
    CHECK(completion(EVENT_WAIT_MS, &err, &bytes) == &p);
    CHECK_EQ(err, ERROR_OPERATION_ABORTED);
}

/* Verdict due, no parked request: the default applies at once. */
static void case_default_when_nothing_parked(void)
{
    config_spec s = verdict_all(LONG_VERDICT_MS, HG_FAIL_OPEN);
    inject_op op;
    HG_STATS before, after;

    s.default_verdict = HG_VERDICT_BLOCK;
    CHECK(get_stats(&before));
    CHECK_EQ(configure(g_client, &s), 0);
    memset(&op, 0, sizeof(op));
    op.operation = HG_OP_CREATE_KEY;
    op.key = K_TEST;
    inject_run(g_inject, &op);
    CHECK_EQ(op.status, HG_STATUS_ACCESS_DENIED);
    CHECK(op.elapsed_ms < RELEASE_BOUND_MS);
    CHECK(get_stats(&after));
    CHECK_EQ(after.defaults_applied - before.defaults_applied, 1);
}

static void case_no_client_default(void)
{
    inject_op op;
    HG_STATS before, after;

    disconnect_client();
    CHECK(get_stats(&before));
    CHECK_EQ(before.client_bound, 0);
    CHECK_EQ(before.parked_requests, 0);
    memset(&op, 0, sizeof(op));
    op.operation = HG_OP_SET_VALUE;
    op.key = K_RUN;
    inject_run(g_inject, &op);
    CHECK_EQ(op.status, 0); /* service default: allow */
    CHECK(op.elapsed_ms < RELEASE_BOUND_MS);
    CHECK(get_stats(&after));
    CHECK_EQ(after.no_client - before.no_client, 1);
}

/* A child process is the agent; three callers wait on it; it exits without
 * replying: all three are released with the default long before their
 * 25 s budget. */
static void case_client_exit_releases_waiters(void)
{
    wchar_t cmd[MAX_PATH * 2], exe[MAX_PATH];
    HANDLE ready = CreateEventW(NULL, TRUE, FALSE, L"HiveGuardTestReady");
    HANDLE die = CreateEventW(NULL, TRUE, FALSE, L"HiveGuardTestDie");
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    inject_op ops[3];
    HANDLE threads[3];
    HG_STATS st;
    DWORD t0;
    int i;

    GetModuleFileNameW(NULL, exe, MAX_PATH);
    swprintf(cmd, MAX_PATH * 2, L"\"%ls\" --child HiveGuardTestReady HiveGuardTestDie", exe);
    memset(&si, 0, sizeof(si));
    si.cb = sizeof(si);
    if (!CHECK(CreateProcessW(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)))
        return;
    CHECK_EQ(WaitForSingleObject(ready, EVENT_WAIT_MS), WAIT_OBJECT_0);
    for (i = 0; i < 3; i++) {
        memset(&ops[i], 0, sizeof(ops[i]));
        ops[i].operation = HG_OP_SET_VALUE;
        ops[i].key = K_RUN;
        ops[i].pid = TEST_PID + (uint64_t)i;
        threads[i] = inject_async(&ops[i]);
    }
    t0 = GetTickCount();
    do {
        CHECK(get_stats(&st));
        if (st.pending_waiters == 3)
            break;
        Sleep(10);
    } while (GetTickCount() - t0 < EVENT_WAIT_MS);
    CHECK_EQ(st.pending_waiters, 3);
    SetEvent(die);
    CHECK_EQ(WaitForSingleObject(pi.hProcess, EVENT_WAIT_MS), WAIT_OBJECT_0);
    for (i = 0; i < 3; i++) {
        CHECK(join(threads[i], RELEASE_BOUND_MS));
        CHECK_EQ(ops[i].status, 0);
        CHECK(ops[i].elapsed_ms < RELEASE_BOUND_MS);
    }
    CHECK(get_stats(&st));
    CHECK_EQ(st.pending_waiters, 0);
    CHECK_EQ(st.parked_requests, 0);
    CHECK_EQ(st.client_bound, 0);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    CloseHandle(ready);
    CloseHandle(die);
}

/* sc stop while a request is parked and a caller waits: the caller gets
 * its default, the request completes, the service stops. */
static void case_stop_with_requests_parked(void)
{
    static parked a, b;
    config_spec s = verdict_all(LONG_VERDICT_MS, HG_FAIL_CLOSED);
    inject_op op;
    HANDLE t;
    parked *done;
    DWORD err, bytes;
    HG_STATS st;
    int seen_a = 0, seen_b = 0, i;

    if (!connect_client())
        return;
    CHECK_EQ(configure(g_client, &s), 0);
    CHECK_EQ(park(&a), ERROR_IO_PENDING);
    CHECK_EQ(park(&b), ERROR_IO_PENDING);
    memset(&op, 0, sizeof(op));
    op.operation = HG_OP_SET_VALUE;
    op.key = K_RUN;
    t = inject_async(&op);
    done = completion(EVENT_WAIT_MS, &err, &bytes); /* the event, no reply */
    CHECK(done == &a || done == &b);
    seen_a = done == &a;
    seen_b = done == &b;
    CHECK(get_stats(&st));
    CHECK_EQ(st.pending_waiters, 1);
    CHECK_EQ(st.parked_requests, 1);
    CloseHandle(g_inject);
    g_inject = INVALID_HANDLE_VALUE;
    CHECK(service_stop());
    CHECK(join(t, RELEASE_BOUND_MS));
    CHECK_EQ(op.status, 0); /* released with the service default, not fail-closed */
    for (i = 0; i < 1; i++) {
        done = completion(EVENT_WAIT_MS, &err, &bytes);
        CHECK(done != NULL && err != 0);
        seen_a |= done == &a;
        seen_b |= done == &b;
    }
    CHECK(seen_a && seen_b);
    disconnect_client();
}

static void case_restart_and_serve(void)
{
    HKEY key;
    DWORD block = HG_VERDICT_BLOCK;
    static parked p;
    config_spec s = verdict_all(LONG_VERDICT_MS, HG_FAIL_OPEN);
    inject_op op;
    HG_HELLO_REPLY r;
    HG_STATS st;
    HANDLE t;
    parked *done;
    event_view ev;
    DWORD err, bytes, rerr;

    /* The driver reads Parameters\DefaultVerdict at load. */
    CHECK_EQ(RegCreateKeyExW(HKEY_LOCAL_MACHINE,
                             L"System\\CurrentControlSet\\Services\\HiveGuard\\Parameters", 0, NULL, 0,
                             KEY_SET_VALUE, NULL, &key, NULL), ERROR_SUCCESS);
    CHECK_EQ(RegSetValueExW(key, L"DefaultVerdict", 0, REG_DWORD, (const BYTE *)&block, sizeof(block)), 0);
    RegCloseKey(key);
    if (!CHECK(service_start()))
        return;

    /* 1: no client, default now "block" - applied at once. */
    memset(&op, 0, sizeof(op));
    op.operation = HG_OP_SET_VALUE;
    op.key = K_RUN;
    inject_run(g_inject, &op);
    CHECK_EQ(op.status, HG_STATUS_ACCESS_DENIED);
    CHECK(op.elapsed_ms < RELEASE_BOUND_MS);

    g_client = open_client();
    if (!CHECK(g_client != INVALID_HANDLE_VALUE))
        return;
    g_port = CreateIoCompletionPort(g_client, NULL, 1, 0);
    CHECK_EQ(hello(g_client, HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, &r), 0);
    CHECK(r.instance_id != g_first_instance);

    s.exclude_prefix = L"\\REGISTRY\\MACHINE\\SOFTWARE\\Excluded";
    s.verdict_op_mask = HG_OP_BIT(HG_OP_DELETE_KEY);
    CHECK_EQ(configure(g_client, &s), 0);

    /* 2: excluded by prefix - filtered, allowed. */
    op.key = K_EXCLUDED;
    inject_run(g_inject, &op);
    CHECK_EQ(op.status, 0);

    /* 3: audited set-value - delivered. */
    op.key = K_RUN;
    CHECK_EQ(park(&p), ERROR_IO_PENDING);
    inject_run(g_inject, &op);
    CHECK_EQ(op.status, 0);
    done = completion(EVENT_WAIT_MS, &err, &bytes);
    if (CHECK(done == &p) && first_event(done, bytes, &ev, NULL))
        CHECK_EQ(ev.h.sequence != 0, 1);

    /* 4: delete-key waits for a verdict - allowed by reply. */
    memset(&op, 0, sizeof(op));
    op.operation = HG_OP_DELETE_KEY;
    op.key = K_TEST;
    CHECK_EQ(park(&p), ERROR_IO_PENDING);
    t = inject_async(&op);
    done = completion(EVENT_WAIT_MS, &err, &bytes);
    if (CHECK(done == &p) && first_event(done, bytes, &ev, NULL)) {
        HG_REPLY_RESULT rr = reply(ev.h.id, HG_VERDICT_ALLOW, &rerr);
        CHECK_EQ(rr.accepted, 1);
    }
    CHECK(join(t, RELEASE_BOUND_MS));
    CHECK_EQ(op.status, 0);

    /* Exact counters of this driver instance. */
    CHECK(get_stats(&st));
    CHECK_EQ(st.raised, 4);
    CHECK_EQ(st.no_client, 1);
    CHECK_EQ(st.filtered_out, 2);
    CHECK_EQ(st.self_excluded, 0);
    CHECK_EQ(st.delivered, 2);
    CHECK_EQ(st.dropped, 0);
    CHECK_EQ(st.raised, st.filtered_out + st.delivered + st.dropped);
    CHECK_EQ(st.verdicts_requested, 1);
    CHECK_EQ(st.replies_accepted, 1);
    CHECK_EQ(st.replies_unknown + st.replies_late + st.replies_duplicate, 0);
    CHECK_EQ(st.timed_out, 0);
    CHECK_EQ(st.defaults_applied, 0); /* the no-client default is counted as no_client */
    CHECK_EQ(st.blocked, 1);
    CHECK_EQ(st.batches, 2);
    CHECK_EQ(st.pending_waiters, 0);
    CHECK_EQ(st.parked_requests, 0);
    CHECK_EQ(st.backlog_events, 0);
    CHECK_EQ(st.backlog_bytes, 0);
    CHECK_EQ(st.client_bound, 1);
    CHECK_EQ(st.config_generation, 1);
}

static void case_final_stop(void)
{
    disconnect_client();
    if (g_inject != INVALID_HANDLE_VALUE) {
        HG_STATS st;
        CHECK(get_stats(&st));
        CHECK_EQ(st.client_bound, 0);
        CHECK_EQ(st.pending_waiters, 0);
        CHECK_EQ(st.parked_requests, 0);
        CloseHandle(g_inject);
        g_inject = INVALID_HANDLE_VALUE;
    }
    CHECK(service_stop());
}

/* ------------------------------------------------------------------ */
/* Child agent                                                         */
/* ------------------------------------------------------------------ */

static int child_main(const wchar_t *ready_name, const wchar_t *die_name)
{
    static parked p[3];
    int i;
    HANDLE ready = OpenEventW(EVENT_ALL_ACCESS, FALSE, ready_name);
    HANDLE die = OpenEventW(EVENT_ALL_ACCESS, FALSE, die_name);
    config_spec s = verdict_all(LONG_VERDICT_MS, HG_FAIL_CLOSED);

    if (ready == NULL || die == NULL)
        return 3;
    g_client = open_client();
    if (g_client == INVALID_HANDLE_VALUE)
        return 4;
    g_port = CreateIoCompletionPort(g_client, NULL, 1, 0);
    if (hello(g_client, HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, NULL) != 0 || configure(g_client, &s) != 0)
        return 5;
    /* A parked request per caller, so each of the parent's three callers
     * is delivered and waits (with nothing parked the default would apply
     * at once); the agent then dies without replying. */
    for (i = 0; i < 3; i++)
        if (park(&p[i]) != ERROR_IO_PENDING)
            return 6;
    SetEvent(ready);
    WaitForSingleObject(die, CASE_TIMEOUT_MS);
    ExitProcess(0); /* no CloseHandle, no replies: the kernel cleans up */
}

int wmain(int argc, wchar_t **argv)
{
    if (argc == 4 && wcscmp(argv[1], L"--child") == 0)
        return child_main(argv[2], argv[3]);
    if (argc >= 2)
        g_service = argv[1];
    setvbuf(stdout, NULL, _IONBF, 0);

    run_case("start_service", case_start_service);
    if (g_failed)
        summary_and_exit(1);
    run_case("handshake_versions_and_order", case_handshake);
    run_case("second_client_refused", case_second_client_refused);
    run_case("configuration_valid_and_invalid", case_configuration);
    run_case("malformed_ioctls_get_status_codes", case_malformed_ioctls);
    run_case("parked_requests_on_completion_port", case_parked_on_completion_port);
    run_case("cancel_io_ex_parked_request", case_cancel_io_ex);
    run_case("every_class_allowed_or_blocked_by_reply", case_every_class_verdict);
    run_case("timeout_fail_open_and_fail_closed_then_late_reply", case_timeouts);
    run_case("replies_unknown_duplicate_malformed", case_replies);
    run_case("data_capped_unreadable_kernel_caller", case_data_capture);
    run_case("client_own_operations_self_excluded", case_self_excluded);
    run_case("default_when_nothing_parked", case_default_when_nothing_parked);
    run_case("no_client_default_at_once", case_no_client_default);
    run_case("client_exit_releases_waiters", case_client_exit_releases_waiters);
    run_case("stop_with_requests_parked", case_stop_with_requests_parked);
    run_case("restart_and_serve_exact_counters", case_restart_and_serve);
    run_case("final_stop", case_final_stop);
    summary_and_exit(g_failed ? 1 : 0);
    return 0;
}
