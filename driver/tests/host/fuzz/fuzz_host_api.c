/*
 * fuzz_host_api.c - libFuzzer target for the host library's Win32 surface.
 *
 * The input is a program: each step picks an API call and its arguments
 * (handle slot, IOCTL code, buffer sizes, message bytes) from the next input
 * bytes. What it looks for is what the agent could do wrong from Java - stale
 * and mixed-up handles, odd buffer sizes, cancels and closes at any moment,
 * malformed messages - and what must never follow: a crash, a sanitizer
 * report, a leak, or a state the API contract forbids (checked below).
 *
 * Three rules keep every step bounded and short: a registry operation is
 * raised only while no GET_EVENTS is parked (so no caller waits for a verdict
 * nobody will give), a configuration that asks for verdicts gets the minimum
 * budget (a verdict event waits for the agent even when nothing is parked,
 * so such a raise costs its 1 ms budget), and a synchronous GET_EVENTS is
 * sent only when it cannot park. Each input ends with a process exit and a driver
 * reset, which complete everything the input left outstanding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hg_host.h"

#define HANDLE_SLOTS   4
#define PORT_SLOTS     2
#define IO_SLOTS       8
#define IO_BUF_BYTES   (HG_GET_EVENTS_MIN_BYTES + 64u)
#define MSG_MAX_BYTES  512u
#define REPLY_MAX_IDS  8u
#define OTHER_PROCESS  0x1234u

typedef struct io_slot {
    OVERLAPPED    ov;
    unsigned char buf[IO_BUF_BYTES];
} io_slot;

static HANDLE  g_handles[HANDLE_SLOTS];
static int     g_overlapped[HANDLE_SLOTS];
static HANDLE  g_ports[PORT_SLOTS];
static io_slot g_io[IO_SLOTS];

typedef struct reader {
    const uint8_t *p;
    size_t         left;
} reader;

static uint8_t take8(reader *r)
{
    if (r->left == 0)
        return 0;
    r->left--;
    return *r->p++;
}

static uint32_t take32(reader *r)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)take8(r) << (8 * i);
    return v;
}

static size_t take_bytes(reader *r, void *dst, size_t max)
{
    size_t n = take8(r) % (max + 1);
    if (n > r->left)
        n = r->left;
    memcpy(dst, r->p, n);
    r->p += n;
    r->left -= n;
    return n;
}

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_host_api: contract broken: %s (last error %u)\n", what,
                (unsigned)GetLastError());
        abort();
    }
}

static HG_STATS stats(void)
{
    HG_STATS s;
    memset(&s, 0, sizeof s);
    require(hg_sim_get_stats(&s) == 0, "hg_sim_get_stats");
    return s;
}

/* A handle from a slot, or sometimes a forged one. */
static HANDLE pick_handle(reader *r, int *slot)
{
    uint8_t b = take8(r);
    *slot = b % HANDLE_SLOTS;
    if (b >= 0xF0)
        return (HANDLE)(uintptr_t)(take32(r) & ~3u); /* forged: must be rejected safely */
    return g_handles[*slot];
}

static DWORD pick_out_len(reader *r)
{
    static const DWORD sizes[] = { 0, 8, 39, 40, 192, 200, HG_GET_EVENTS_MIN_BYTES - 1,
                                   HG_GET_EVENTS_MIN_BYTES, IO_BUF_BYTES };
    return sizes[take8(r) % (sizeof sizes / sizeof sizes[0])];
}

static void build_message(reader *r, DWORD code, unsigned char *msg, DWORD *len)
{
    uint8_t how = take8(r) % 3;
    if (how == 0) { /* raw bytes */
        *len = (DWORD)take_bytes(r, msg, MSG_MAX_BYTES);
        return;
    }
    memset(msg, 0, MSG_MAX_BYTES);
    if (code == HG_IOCTL_HELLO) {
        HG_HELLO_REQUEST h = { HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, HG_WIRE_VERSION_MINOR, 0, 0 };
        if (how == 2)
            h.version_major = (uint16_t)take8(r);
        memcpy(msg, &h, sizeof h);
        *len = sizeof h;
    } else if (code == HG_IOCTL_CONFIGURE) {
        HG_CONFIG_HEADER c;
        memset(&c, 0, sizeof c);
        c.magic = HG_WIRE_MAGIC;
        c.total_bytes = sizeof c;
        c.op_mask = HG_OP_MASK_ALL;
        c.timeout_ms = HG_TIMEOUT_MIN_MS + take8(r);
        c.fail_mode = (uint16_t)(1 + take8(r) % 2);
        c.default_verdict = (uint16_t)(1 + take8(r) % 2);
        c.max_backlog = HG_BACKLOG_MIN;
        c.data_cap = take8(r);
        c.verdict_op_mask = how == 2 ? (take32(r) & HG_OP_MASK_ALL) : 0;
        if (c.verdict_op_mask != 0)
            c.timeout_ms = HG_TIMEOUT_MIN_MS;
        memcpy(msg, &c, sizeof c);
        *len = sizeof c;
    } else { /* REPLY with a few ids, mostly small */
        uint32_t n = 1 + take8(r) % REPLY_MAX_IDS;
        HG_REPLY_HEADER h = { HG_WIRE_MAGIC, n };
        memcpy(msg, &h, sizeof h);
        for (uint32_t i = 0; i < n; i++) {
            /* One take per statement: argument and initializer order is unspecified. */
            uint64_t id = take8(r);
            uint32_t verdict = take8(r) % 4u;
            HG_REPLY_ENTRY e = { id, verdict, 0 };
            memcpy(msg + sizeof h + i * sizeof e, &e, sizeof e);
        }
        *len = (DWORD)(sizeof h + n * sizeof(HG_REPLY_ENTRY));
    }
}

static void step_ioctl(reader *r)
{
    static const DWORD codes[] = { HG_IOCTL_HELLO, HG_IOCTL_CONFIGURE, HG_IOCTL_GET_EVENTS,
                                   HG_IOCTL_REPLY, HG_IOCTL_STATS, HG_IOCTL_INJECT, 0 };
    int slot;
    HANDLE h = pick_handle(r, &slot);
    DWORD code = codes[take8(r) % (sizeof codes / sizeof codes[0])];
    if (code == 0)
        code = take32(r);
    io_slot *io = &g_io[take8(r) % IO_SLOTS];
    if (io->ov.Internal == HG_STATUS_PENDING)
        return; /* still owned by an I/O in flight */
    unsigned char msg[MSG_MAX_BYTES];
    DWORD in_len = 0;
    if (code == HG_IOCTL_HELLO || code == HG_IOCTL_CONFIGURE || code == HG_IOCTL_REPLY)
        build_message(r, code, msg, &in_len);
    DWORD out_len = code == HG_IOCTL_GET_EVENTS || code == HG_IOCTL_STATS ||
                    code == HG_IOCTL_HELLO || code == HG_IOCTL_REPLY ? pick_out_len(r) : 0;
    int overlapped = h == g_handles[slot] && g_overlapped[slot];
    if (code == HG_IOCTL_GET_EVENTS && !overlapped && h == g_handles[slot]) {
        HG_STATS s = stats();
        if (s.backlog_events == 0 && s.client_bound != 0)
            return; /* it could park, and nothing would ever complete it */
    }
    memset(&io->ov, 0, sizeof io->ov);
    if (take8(r) & 1)
        io->ov.hEvent = (HANDLE)(uintptr_t)1;
    DWORD got = 0xFFFFFFFFu;
    BOOL ok = DeviceIoControl(h, code, in_len ? msg : NULL, in_len, out_len ? io->buf : NULL,
                              out_len, &got, (take8(r) & 7) ? &io->ov : NULL);
    DWORD err = GetLastError();
    if (ok) {
        require(got <= out_len, "bytes returned within the buffer");
    } else {
        require(err != ERROR_SUCCESS && err != ERROR_MR_MID_NOT_FOUND, "a mapped error");
        require(got == 0, "nothing returned on failure");
        if (err == ERROR_IO_PENDING)
            require(code == HG_IOCTL_GET_EVENTS, "only GET_EVENTS pends");
    }
}

static void step_raise(reader *r)
{
    if (stats().parked_requests != 0)
        return; /* a verdict wait would only end at its timeout */
    wchar_t key[24], name[8];
    size_t k = take8(r) % 23, n = take8(r) % 7;
    static const wchar_t base[] = L"\\REGISTRY\\MACHINE\\SOFT";
    for (size_t i = 0; i < k; i++)
        key[i] = (take8(r) & 0x80) ? (wchar_t)(0x10000 + take8(r)) : base[i];
    key[k] = 0;
    for (size_t i = 0; i < n; i++)
        name[i] = (wchar_t)(L'a' + take8(r) % 26);
    name[n] = 0;
    uint8_t data[32];
    size_t dl = take_bytes(r, data, sizeof data);
    uint32_t op = take8(r) % (HG_OP_COUNT + 1);
    uint64_t process = (take8(r) & 3) == 0 ? hg_sim_current_process_key() : OTHER_PROCESS;
    uint32_t st = hg_sim_raise(op, process, 7, 8, 1, take8(r) & 1, k ? key : NULL,
                               n ? name : NULL, NULL, NULL, NULL, 1, dl ? data : NULL,
                               (uint32_t)dl);
    if (op == HG_OP_NONE || op >= HG_OP_COUNT)
        require(st == HG_SIM_STATUS_INVALID_PARAMETER, "invalid operation refused");
    else
        require(st == HG_SIM_STATUS_SUCCESS || st == HG_SIM_STATUS_ACCESS_DENIED,
                "raise returns a registry status");
}

static void step(reader *r)
{
    int slot;
    HANDLE h;
    DWORD bytes;
    ULONG_PTR key;
    OVERLAPPED *ov;
    switch (take8(r) % 11) {
    case 0:
        slot = take8(r) % HANDLE_SLOTS;
        g_overlapped[slot] = take8(r) & 1;
        g_handles[slot] = CreateFileW(L"\\\\.\\HiveGuard", GENERIC_READ | GENERIC_WRITE, 0, NULL,
                                      OPEN_EXISTING, g_overlapped[slot] ? FILE_FLAG_OVERLAPPED : 0,
                                      NULL);
        if (g_handles[slot] == INVALID_HANDLE_VALUE)
            require(GetLastError() == ERROR_SHARING_VIOLATION, "second open refused");
        break;
    case 1:
        h = pick_handle(r, &slot);
        if (!CloseHandle(h))
            require(GetLastError() == ERROR_INVALID_HANDLE, "close of a dead handle");
        break;
    case 2:
        slot = take8(r) % PORT_SLOTS;
        if (take8(r) & 1) {
            g_ports[slot] = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
            require(g_ports[slot] != NULL, "port created");
        } else {
            int fs;
            h = pick_handle(r, &fs);
            HANDLE p = CreateIoCompletionPort(h, g_ports[slot], take8(r), 0);
            if (p == NULL)
                require(GetLastError() == ERROR_INVALID_HANDLE ||
                        GetLastError() == ERROR_INVALID_PARAMETER, "association refused");
        }
        break;
    case 3:
    case 4:
        step_ioctl(r);
        break;
    case 5:
        step_raise(r);
        break;
    case 6:
        h = pick_handle(r, &slot);
        ov = (take8(r) & 1) ? &g_io[take8(r) % IO_SLOTS].ov : NULL;
        if ((take8(r) & 1) ? !CancelIoEx(h, ov) : !CancelIo(h))
            require(GetLastError() == ERROR_NOT_FOUND || GetLastError() == ERROR_INVALID_HANDLE,
                    "cancel failure");
        break;
    case 7:
        if (take8(r) & 1) {
            BOOL ok = GetQueuedCompletionStatus(g_ports[take8(r) % PORT_SLOTS], &bytes, &key, &ov, 0);
            if (!ok && ov == NULL)
                require(GetLastError() == WAIT_TIMEOUT || GetLastError() == ERROR_INVALID_HANDLE,
                        "empty or dead port");
        } else {
            OVERLAPPED_ENTRY e[4];
            ULONG n = 0;
            HANDLE port = g_ports[take8(r) % PORT_SLOTS];
            ULONG count = 1u + take8(r) % 4u;
            if (GetQueuedCompletionStatusEx(port, e, count, &n, 0, 0))
                require(n >= 1 && n <= count, "entries within count");
        }
        break;
    case 8:
        h = pick_handle(r, &slot);
        if (!GetOverlappedResult(h, &g_io[take8(r) % IO_SLOTS].ov, &bytes, 0))
            require(GetLastError() != ERROR_SUCCESS, "an error on failure");
        break;
    case 9:
        hg_sim_process_exit(hg_sim_current_process_key());
        break;
    default:
        if ((take8(r) & 7) == 0)
            hg_sim_reset(take8(r) % 3);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = { data, size };
    while (r.left > 0)
        step(&r);
    /* Everything the input left behind completes here; no buffer is in use after. */
    hg_sim_process_exit(hg_sim_current_process_key());
    for (int i = 0; i < IO_SLOTS; i++)
        require(g_io[i].ov.Internal != HG_STATUS_PENDING, "process exit settled every I/O");
    hg_sim_reset(HG_VERDICT_ALLOW);
    HG_STATS s = stats();
    require(s.parked_requests == 0 && s.pending_waiters == 0 && s.client_bound == 0,
            "a fresh instance");
    memset(g_io, 0, sizeof g_io);
    memset(g_handles, 0, sizeof g_handles);
    memset(g_ports, 0, sizeof g_ports);
    return 0;
}
