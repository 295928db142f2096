/*
 * ht_device.c - agent-side helpers for the host tests.
 */
#include <string.h>
#include <time.h>
#include "ht_device.h"

/* Bound on polling waits: far above anything that should take a millisecond,
 * small enough that a hang shows up as a failure, not a stuck run. */
#define HT_POLL_LIMIT_MS 10000u
#define HT_POLL_STEP_MS  1u

HANDLE ht_open(int overlapped)
{
    return CreateFileW(L"\\\\.\\HiveGuard", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                       overlapped ? FILE_FLAG_OVERLAPPED : 0, NULL);
}

BOOL ht_ioctl(HANDLE h, int overlapped, DWORD code, void *in, DWORD in_len, void *out,
              DWORD out_len, DWORD *returned)
{
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = (HANDLE)(uintptr_t)1;
    return DeviceIoControl(h, code, in, in_len, out, out_len, returned, overlapped ? &ov : NULL);
}

uint64_t ht_hello(HANDLE h, int overlapped)
{
    HG_HELLO_REQUEST req = { HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, HG_WIRE_VERSION_MINOR, 0, 0 };
    HG_HELLO_REPLY rep;
    DWORD got = 0;
    memset(&rep, 0, sizeof rep);
    if (!ht_ioctl(h, overlapped, HG_IOCTL_HELLO, &req, sizeof req, &rep, sizeof rep, &got))
        return 0;
    return got == sizeof rep && rep.magic == HG_WIRE_MAGIC ? rep.instance_id : 0;
}

BOOL ht_configure(HANDLE h, int overlapped, uint32_t verdict_mask, uint32_t timeout_ms,
                  uint16_t fail_mode, uint16_t default_verdict)
{
    HG_CONFIG_HEADER c;
    memset(&c, 0, sizeof c);
    c.magic = HG_WIRE_MAGIC;
    c.total_bytes = sizeof c;
    c.op_mask = HG_OP_MASK_ALL;
    c.verdict_op_mask = verdict_mask;
    c.timeout_ms = timeout_ms;
    c.fail_mode = fail_mode;
    c.default_verdict = default_verdict;
    c.max_backlog = HG_BACKLOG_DEFAULT;
    c.data_cap = HG_DATA_CAP_DEFAULT;
    DWORD got = 0;
    return ht_ioctl(h, overlapped, HG_IOCTL_CONFIGURE, &c, sizeof c, NULL, 0, &got);
}

HANDLE ht_client(int overlapped, uint32_t verdict_mask, uint32_t timeout_ms, uint16_t fail_mode,
                 uint16_t default_verdict)
{
    HANDLE h = ht_open(overlapped);
    if (h == INVALID_HANDLE_VALUE)
        return h;
    if (ht_hello(h, overlapped) == 0 ||
        !ht_configure(h, overlapped, verdict_mask, timeout_ms, fail_mode, default_verdict)) {
        CloseHandle(h);
        return INVALID_HANDLE_VALUE;
    }
    return h;
}

int ht_park(HANDLE h, OVERLAPPED *ov, void *buf)
{
    memset(ov, 0, sizeof *ov);
    DWORD got = 0;
    BOOL ok = DeviceIoControl(h, HG_IOCTL_GET_EVENTS, NULL, 0, buf, HT_EVENTS_BYTES, &got, ov);
    return !ok && GetLastError() == ERROR_IO_PENDING && ov->Internal == HG_STATUS_PENDING;
}

BOOL ht_reply(HANDLE h, int overlapped, uint64_t id, uint32_t verdict, HG_REPLY_RESULT *res)
{
    struct {
        HG_REPLY_HEADER hdr;
        HG_REPLY_ENTRY  e;
    } msg;
    memset(&msg, 0, sizeof msg);
    msg.hdr.magic = HG_WIRE_MAGIC;
    msg.hdr.count = 1;
    msg.e.id = id;
    msg.e.verdict = verdict;
    HG_REPLY_RESULT local;
    DWORD got = 0;
    return ht_ioctl(h, overlapped, HG_IOCTL_REPLY, &msg, sizeof msg, res ? res : &local,
                    sizeof local, &got);
}

HG_STATS ht_stats(void)
{
    HG_STATS s;
    memset(&s, 0, sizeof s);
    (void)hg_sim_get_stats(&s);
    return s;
}

uint32_t ht_raise(uint32_t op, const wchar_t *key, const wchar_t *value_name)
{
    static const uint32_t data = 0x01020304u;
    return hg_sim_raise(op, HT_OTHER_PROCESS, HT_OTHER_PID, 7, 1, 0, key, value_name, NULL,
                        L"C:\\Windows\\regedit.exe", L"S-1-5-18", 4 /* REG_DWORD */, &data,
                        sizeof data);
}

int ht_batch_events(const void *buf, DWORD bytes, ht_event_view *out, int cap)
{
    const unsigned char *p = buf;
    HG_BATCH_HEADER b;
    if (bytes < sizeof b)
        return -1;
    memcpy(&b, p, sizeof b);
    if (b.magic != HG_WIRE_MAGIC || b.total_bytes != bytes || b.count == 0)
        return -1;
    size_t at = sizeof b;
    for (uint32_t i = 0; i < b.count; i++) {
        if (at + sizeof(HG_EVENT_HEADER) > bytes)
            return -1;
        const HG_EVENT_HEADER *h = (const HG_EVENT_HEADER *)(p + at);
        if (h->size < sizeof *h || h->size % HG_EVENT_ALIGN != 0 || at + h->size > bytes)
            return -1;
        if ((int)i < cap) {
            const unsigned char *v = p + at + sizeof *h;
            out[i].h = h;
            out[i].key_path = (const uint16_t *)v;
            out[i].value_name = (const uint16_t *)(v + h->key_path_bytes);
            out[i].data = v + h->key_path_bytes + h->value_name_bytes + h->new_name_bytes +
                          h->image_bytes + h->user_sid_bytes;
        }
        at += h->size;
    }
    return at == bytes ? (int)b.count : -1;
}

int ht_utf16_eq(const uint16_t *chars, uint32_t bytes, const wchar_t *expect)
{
    size_t len = wcslen(expect);
    if (bytes != len * 2u)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (chars[i] != (uint16_t)expect[i])
            return 0;
    }
    return 1;
}

uint64_t ht_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

void ht_sleep_ms(unsigned ms)
{
    struct timespec t = { (time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L };
    nanosleep(&t, NULL);
}

int ht_wait_stats(int (*pred)(const HG_STATS *s, uint64_t arg), uint64_t arg)
{
    uint64_t end = ht_now_ms() + HT_POLL_LIMIT_MS;
    for (;;) {
        HG_STATS s = ht_stats();
        if (pred(&s, arg))
            return 1;
        if (ht_now_ms() > end)
            return 0;
        ht_sleep_ms(HT_POLL_STEP_MS);
    }
}

int ht_pred_pending_waiters(const HG_STATS *s, uint64_t n)
{
    return s->pending_waiters == n;
}

int ht_pred_parked(const HG_STATS *s, uint64_t n)
{
    return s->parked_requests == n;
}
