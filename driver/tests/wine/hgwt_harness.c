/*
 * hgwt_harness.c - the test harness shared by both suites of hgwinetest.exe:
 * reporting (one line per case, "N passed, N failed" last), a timeout around
 * every case, device I/O on overlapped handles and a completion port, wire
 * message builders and parsers, and service control through the SCM.
 */
#include "hgwt.h"

/* ------------------------------------------------------------------ */
/* Reporting                                                           */
/* ------------------------------------------------------------------ */

int g_passed, g_failed;
static volatile LONG g_case_failed;
static const char *g_case = "";

int check_at(int ok, const char *what, int line)
{
    if (!ok) {
        printf("    %s line %d: %s\n", g_case, line, what);
        fflush(stdout);
        InterlockedExchange(&g_case_failed, 1);
    }
    return ok;
}

int check_eq_at(unsigned long long got, unsigned long long want, const char *expr, int line)
{
    char msg[256];
    if (got == want)
        return 1;
    snprintf(msg, sizeof(msg), "%s == %llu, expected %llu", expr, got, want);
    return check_at(0, msg, line);
}

void summary_and_exit(int code)
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

void run_case(const char *name, void (*fn)(void))
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

const wchar_t *g_service = L"HiveGuard";
HANDLE g_client = INVALID_HANDLE_VALUE; /* overlapped, on g_port */
HANDLE g_port;
HANDLE g_inject = INVALID_HANDLE_VALUE; /* synchronous; test build only */
int g_want_inject = 1;

HANDLE open_client(void)
{
    return CreateFileW(HG_USER_PATH_W, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                       FILE_FLAG_OVERLAPPED, NULL);
}

/* One IOCTL on an overlapped handle, waited for with an event whose low bit
 * keeps the completion off the port. Returns the Win32 error (0 = success). */
DWORD dev_call(HANDLE h, DWORD code, const void *in, DWORD in_len, void *out,
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

DWORD hello(HANDLE h, uint32_t magic, uint16_t major, HG_HELLO_REPLY *reply)
{
    HG_HELLO_REQUEST req = { magic, (uint16_t)major, HG_WIRE_VERSION_MINOR, 0, 0 };
    HG_HELLO_REPLY local;
    return dev_call(h, HG_IOCTL_HELLO, &req, sizeof(req), reply ? reply : &local,
                    sizeof(local), NULL);
}



/* Builds a canonical CONFIGURE buffer; returns its length. */
DWORD build_config(const config_spec *s, unsigned char *buf, DWORD cap)
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
    if (s->prefix != NULL) {
        HG_PREFIX_ENTRY e;
        DWORD sbytes = (DWORD)(wcslen(s->prefix) * 2);
        memset(&e, 0, sizeof(e));
        e.kind = s->prefix_kind;
        e.flags = s->prefix_flags;
        e.op_mask = HG_OP_MASK_ALL;
        e.fail_mode = HG_FAIL_INHERIT;
        e.string_bytes = (uint16_t)sbytes;
        e.string_offset = sizeof(h) + sizeof(e);
        h.prefix_count = 1;
        if (len + sizeof(e) + sbytes > cap)
            return 0;
        memcpy(buf + len, &e, sizeof(e));
        len += sizeof(e);
        memcpy(buf + len, s->prefix, sbytes);
        len += sbytes;
    }
    h.total_bytes = len;
    memcpy(buf, &h, sizeof(h));
    return len;
}

DWORD configure(HANDLE h, const config_spec *s)
{
    unsigned char buf[512];
    DWORD len = build_config(s, buf, sizeof(buf));
    return dev_call(h, HG_IOCTL_CONFIGURE, buf, len, NULL, 0, NULL);
}

config_spec audit_all(void)
{
    config_spec s = { HG_OP_MASK_ALL, 0, 0, HG_TIMEOUT_DEFAULT_MS, HG_DATA_CAP_DEFAULT,
                      HG_FAIL_OPEN, HG_VERDICT_ALLOW, NULL, 0, 0 };
    return s;
}

config_spec verdict_all(uint32_t timeout_ms, uint16_t fail_mode)
{
    config_spec s = { HG_OP_MASK_ALL, HG_OP_MASK_ALL, 0, timeout_ms, HG_DATA_CAP_DEFAULT,
                      fail_mode, HG_VERDICT_ALLOW, NULL, 0, 0 };
    return s;
}

/* Through the inject device when there is one (it answers whoever is bound),
 * else through the agent's own handle (release build). */
int get_stats(HG_STATS *st)
{
    DWORD got = 0;
    memset(st, 0, sizeof(*st));
    if (g_inject != INVALID_HANDLE_VALUE) {
        if (!DeviceIoControl(g_inject, HG_IOCTL_STATS, NULL, 0, st, sizeof(*st), &got, NULL))
            return 0;
    } else if (dev_call(g_client, HG_IOCTL_STATS, NULL, 0, st, sizeof(*st), &got) != 0) {
        return 0;
    }
    return got == sizeof(*st) && st->magic == HG_WIRE_MAGIC && st->size == sizeof(*st);
}

/* An injected registry operation, run synchronously on the calling thread. */


void inject_run(HANDLE h, inject_op *op)
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

HANDLE inject_async(inject_op *op)
{
    return CreateThread(NULL, 0, inject_thread, op, 0, NULL);
}

int join(HANDLE t, DWORD ms)
{
    DWORD w = WaitForSingleObject(t, ms);
    CloseHandle(t);
    return w == WAIT_OBJECT_0;
}

/* A parked GET_EVENTS: completes on g_port with its own OVERLAPPED. */


DWORD park(parked *p)
{
    memset(&p->ov, 0, sizeof(p->ov));
    if (DeviceIoControl(g_client, HG_IOCTL_GET_EVENTS, NULL, 0, p->buf, sizeof(p->buf), NULL, &p->ov))
        return 0;
    return GetLastError();
}

/* Waits for one completion on the port; returns the parked request it
 * belongs to (NULL on timeout), its error and byte count. */
parked *completion(DWORD ms, DWORD *err, DWORD *bytes)
{
    OVERLAPPED *ov = NULL;
    ULONG_PTR key;
    DWORD n = 0;
    BOOL ok = GetQueuedCompletionStatus(g_port, &n, &key, &ov, ms);
    *err = ok ? 0 : GetLastError();
    *bytes = n;
    return ov ? CONTAINING_RECORD(ov, parked, ov) : NULL;
}



/* Validates a completed batch and returns its first event. */
int first_event(const parked *p, DWORD bytes, event_view *ev, uint32_t *count)
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

int str_is(const uint16_t *s, uint32_t bytes, const wchar_t *want)
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

HG_REPLY_RESULT reply(uint64_t id, uint32_t verdict, DWORD *err)
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
int connect_client(void)
{
    g_client = open_client();
    if (!CHECK(g_client != INVALID_HANDLE_VALUE))
        return 0;
    g_port = CreateIoCompletionPort(g_client, NULL, 1, 0);
    if (!CHECK(g_port != NULL))
        return 0;
    return CHECK_EQ(hello(g_client, HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, NULL), 0);
}

void disconnect_client(void)
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

int service_wait(SC_HANDLE svc, DWORD state)
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

int service_start(void)
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
    if (ok && g_want_inject) {
        g_inject = CreateFileW(HG_INJECT_USER_PATH_W, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                               OPEN_EXISTING, 0, NULL);
        ok = CHECK(g_inject != INVALID_HANDLE_VALUE);
    }
    return ok;
}

int service_stop(void)
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
