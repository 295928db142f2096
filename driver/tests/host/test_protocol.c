/*
 * test_protocol.c - the synchronous IOCTLs and the NTSTATUS -> Win32 mapping
 * the agent sees for malformed input.
 */
#include <stdlib.h>
#include <string.h>
#include "ht_device.h"

static HG_HELLO_REQUEST good_hello(void)
{
    HG_HELLO_REQUEST r = { HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, HG_WIRE_VERSION_MINOR, 0, 0 };
    return r;
}

HT_TEST(hello_good_reports_the_simulator)
{
    HANDLE h = ht_open(0);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    HG_HELLO_REQUEST req = good_hello();
    HG_HELLO_REPLY rep;
    memset(&rep, 0xAA, sizeof rep);
    DWORD got = 0;
    HT_CHECK(DeviceIoControl(h, HG_IOCTL_HELLO, &req, sizeof req, &rep, sizeof rep, &got, NULL));
    HT_CHECK(got == sizeof rep);
    HT_CHECK(rep.magic == HG_WIRE_MAGIC);
    HT_CHECK(rep.version_major == HG_WIRE_VERSION_MAJOR);
    HT_CHECK((rep.capabilities & HG_CAP_SIMULATOR) != 0);
    HT_CHECK(rep.get_events_min_bytes == HG_GET_EVENTS_MIN_BYTES);
    HT_CHECK(rep.parked_max == HG_PARKED_MAX);
    HT_CHECK(rep.instance_id != 0);
    HT_CHECK(ht_stats().client_bound == 1);
    HT_CHECK(CloseHandle(h));
}

HT_TEST(hello_malformed_gets_distinct_errors)
{
    HANDLE h = ht_open(0);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    HG_HELLO_REPLY rep;
    DWORD got = 0;

    HG_HELLO_REQUEST req = good_hello();
    req.version_major = HG_WIRE_VERSION_MAJOR + 1u;
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_HELLO, &req, sizeof req, &rep, sizeof rep, &got,
                                  NULL), ERROR_REVISION_MISMATCH);
    req = good_hello();
    req.magic ^= 1u;
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_HELLO, &req, sizeof req, &rep, sizeof rep, &got,
                                  NULL), ERROR_UNKNOWN_REVISION);
    req = good_hello();
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_HELLO, &req, sizeof req - 1, &rep, sizeof rep, &got,
                                  NULL), ERROR_INSUFFICIENT_BUFFER);
    unsigned char longer[sizeof req + 8];
    memset(longer, 0, sizeof longer);
    memcpy(longer, &req, sizeof req);
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_HELLO, longer, sizeof longer, &rep, sizeof rep, &got,
                                  NULL), ERROR_BAD_LENGTH);
    req.flags = 1;
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_HELLO, &req, sizeof req, &rep, sizeof rep, &got,
                                  NULL), ERROR_INVALID_PARAMETER);
    /* The I/O manager's probe: a NULL buffer with a length. */
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_HELLO, NULL, sizeof req, &rep, sizeof rep, &got,
                                  NULL), ERROR_NOACCESS);
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_HELLO, &req, sizeof req, NULL, sizeof rep, &got,
                                  NULL), ERROR_NOACCESS);
    /* Not bound by any of those: CONFIGURE is still out of order. */
    HT_CHECK_ERR(!ht_configure(h, 0, 0, HG_TIMEOUT_DEFAULT_MS, HG_FAIL_OPEN, HG_VERDICT_ALLOW),
                 ERROR_BAD_COMMAND);
    HT_CHECK(ht_hello(h, 0) != 0);
    HT_CHECK(CloseHandle(h));
}

HT_TEST(configure_good_and_bad)
{
    HANDLE h = ht_open(0);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    HT_CHECK(ht_hello(h, 0) != 0);
    HT_CHECK(ht_configure(h, 0, HG_OP_BIT(HG_OP_SET_VALUE), 100, HG_FAIL_CLOSED,
                          HG_VERDICT_ALLOW));
    HT_CHECK(ht_stats().config_generation == 1);

    HT_CHECK_ERR(!ht_configure(h, 0, 0, 0 /* below HG_TIMEOUT_MIN_MS */, HG_FAIL_OPEN,
                               HG_VERDICT_ALLOW), ERROR_INVALID_PARAMETER);
    HT_CHECK_ERR(!ht_configure(h, 0, 0, HG_TIMEOUT_MAX_MS + 1, HG_FAIL_OPEN, HG_VERDICT_ALLOW),
                 ERROR_INVALID_PARAMETER);
    HT_CHECK_ERR(!ht_configure(h, 0, 0, 100, 7, HG_VERDICT_ALLOW), ERROR_INVALID_PARAMETER);

    HG_CONFIG_HEADER c;
    memset(&c, 0, sizeof c);
    c.magic = HG_WIRE_MAGIC;
    c.total_bytes = sizeof c + 8; /* declares more than the buffer holds */
    c.op_mask = HG_OP_MASK_ALL;
    c.timeout_ms = 100;
    c.fail_mode = HG_FAIL_OPEN;
    c.default_verdict = HG_VERDICT_ALLOW;
    c.max_backlog = HG_BACKLOG_DEFAULT;
    DWORD got = 0;
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_CONFIGURE, &c, sizeof c, NULL, 0, &got, NULL),
                 ERROR_BAD_LENGTH);
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_CONFIGURE, &c, 4, NULL, 0, &got, NULL),
                 ERROR_INSUFFICIENT_BUFFER);
    /* None of the rejected ones changed anything. */
    HT_CHECK(ht_stats().config_generation == 1);
    HT_CHECK(CloseHandle(h));
}

HT_TEST(unknown_ioctl_is_invalid_function)
{
    HANDLE h = ht_open(0);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    DWORD got = 0;
    unsigned char buf[64] = { 0 };
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL(0x9AAu), buf, sizeof buf, buf, sizeof buf, &got,
                                  NULL), ERROR_INVALID_FUNCTION);
    /* The Wine test driver's injection IOCTL does not exist in the host. */
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_INJECT, buf, sizeof buf, buf, sizeof buf, &got,
                                  NULL), ERROR_INVALID_FUNCTION);
    HT_CHECK_ERR(!DeviceIoControl(h, 0, NULL, 0, NULL, 0, &got, NULL), ERROR_INVALID_FUNCTION);
    HT_CHECK(CloseHandle(h));
}

HT_TEST(stats_ioctl_matches_simulator_stats)
{
    HANDLE h = ht_client(0, 0, 100, HG_FAIL_OPEN, HG_VERDICT_ALLOW);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    HT_CHECK(ht_raise(HG_OP_SET_VALUE, L"\\REGISTRY\\MACHINE\\SOFTWARE\\A", L"v") == 0);
    HG_STATS s;
    DWORD got = 0;
    HT_CHECK(DeviceIoControl(h, HG_IOCTL_STATS, NULL, 0, &s, sizeof s, &got, NULL));
    HT_CHECK(got == sizeof s);
    HT_CHECK(s.magic == HG_WIRE_MAGIC && s.size == sizeof s);
    HT_CHECK(s.raised == 1 && s.backlog_events == 1);
    HG_STATS direct = ht_stats();
    HT_CHECK(direct.raised == s.raised && direct.config_generation == s.config_generation);
    HT_CHECK(hg_sim_get_stats(NULL) != 0);
    HT_CHECK(CloseHandle(h));
}

HT_TEST(reply_and_stats_malformed_or_unknown)
{
    HANDLE h = ht_client(0, 0, 100, HG_FAIL_OPEN, HG_VERDICT_ALLOW);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    /* Unknown ids are counted, never an error. */
    HG_REPLY_RESULT res;
    memset(&res, 0, sizeof res);
    HT_CHECK(ht_reply(h, 0, 12345, HG_VERDICT_ALLOW, &res));
    HT_CHECK(res.unknown == 1 && res.accepted == 0);
    HT_CHECK(ht_stats().replies_unknown == 1);

    struct {
        HG_REPLY_HEADER hdr;
        HG_REPLY_ENTRY  e;
    } msg;
    memset(&msg, 0, sizeof msg);
    msg.hdr.magic = HG_WIRE_MAGIC ^ 0x100u;
    msg.hdr.count = 1;
    msg.e.id = 1;
    msg.e.verdict = HG_VERDICT_ALLOW;
    DWORD got = 0;
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_REPLY, &msg, sizeof msg, &res, sizeof res, &got,
                                  NULL), ERROR_UNKNOWN_REVISION);
    msg.hdr.magic = HG_WIRE_MAGIC;
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_REPLY, &msg, sizeof msg - 1, &res, sizeof res, &got,
                                  NULL), ERROR_BAD_LENGTH);
    HT_CHECK(ht_stats().replies_unknown == 1); /* the rejected ones counted nothing */

    HG_STATS s;
    HT_CHECK_ERR(!DeviceIoControl(h, HG_IOCTL_STATS, NULL, 0, &s, sizeof s - 8, &got, NULL),
                 ERROR_INSUFFICIENT_BUFFER);
    HT_CHECK(CloseHandle(h));
}

HT_TEST(success_leaves_last_error_alone)
{
    /* JNA's LastErrorException clears errno before a call and throws if it is
     * non-zero afterwards; a successful call must not leave one behind. */
    SetLastError(0);
    HANDLE h = ht_open(1);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    HT_CHECK(errno == 0);
    HANDLE port = CreateIoCompletionPort(h, NULL, 1, 0);
    HT_CHECK(port != NULL && errno == 0);
    HT_CHECK(ht_hello(h, 1) != 0 && errno == 0);
    HT_CHECK(ht_configure(h, 1, 0, 100, HG_FAIL_OPEN, HG_VERDICT_ALLOW) && errno == 0);
    HT_CHECK(ht_raise(HG_OP_SET_VALUE, L"\\REGISTRY\\MACHINE\\A", L"v") == 0 && errno == 0);
    void *buf = malloc(HT_EVENTS_BYTES);
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    DWORD got = 0;
    HT_CHECK(DeviceIoControl(h, HG_IOCTL_GET_EVENTS, NULL, 0, buf, HT_EVENTS_BYTES, &got, &ov));
    HT_CHECK(errno == 0);
    ULONG_PTR key;
    OVERLAPPED *done;
    HT_CHECK(GetQueuedCompletionStatus(port, &got, &key, &done, 0) && errno == 0);
    HT_CHECK(GetOverlappedResult(h, &ov, &got, 0) && errno == 0);
    HG_STATS s;
    HT_CHECK(hg_sim_get_stats(&s) == 0 && errno == 0);
    /* Windows does not clear an earlier error on success either. */
    SetLastError(ERROR_NOT_FOUND);
    HT_CHECK(CloseHandle(port));
    HT_CHECK(GetLastError() == ERROR_NOT_FOUND);
    SetLastError(0);
    HT_CHECK(CloseHandle(h) && errno == 0);
    free(buf);
}
