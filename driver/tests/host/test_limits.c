/*
 * test_limits.c - the handle table running full, and IOCTL inputs larger
 * than the host's on-stack system buffer.
 */
#include <stdlib.h>
#include <string.h>
#include "ht_device.h"

/* Far above the table size, so the loop below always reaches "full". */
#define MANY_HANDLES      100000
#define FAILED_ATTEMPTS   10
#define LONG_PREFIX_CHARS 700u /* 1400 bytes: the CONFIGURE is larger than 1 KiB */

/* Creates ports until the table is full; returns how many, stores them in *out. */
static int fill_with_ports(HANDLE **out)
{
    HANDLE *ports = malloc(sizeof *ports * MANY_HANDLES);
    int n = 0;
    while (n < MANY_HANDLES) {
        HANDLE p = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
        if (p == NULL)
            break;
        ports[n++] = p;
    }
    *out = ports;
    return n;
}

static void close_all(HANDLE *ports, int n)
{
    for (int i = 0; i < n; i++)
        HT_CHECK_T(CloseHandle(ports[i]));
    free(ports);
}

HT_TEST(full_handle_table_is_too_many_open_files)
{
    HANDLE *ports;
    int n = fill_with_ports(&ports);
    HT_CHECK(n > 0 && n < MANY_HANDLES);
    HT_CHECK(GetLastError() == ERROR_TOO_MANY_OPEN_FILES && errno == (int)ERROR_TOO_MANY_OPEN_FILES);
    /* The device cannot be opened either, and the refused open leaves no client. */
    HT_CHECK_ERR(ht_open(1) == INVALID_HANDLE_VALUE, ERROR_TOO_MANY_OPEN_FILES);
    HT_CHECK(ht_stats().client_bound == 0);
    /* One slot back, one handle more. */
    HT_CHECK(CloseHandle(ports[n - 1]));
    HANDLE dev = ht_open(1);
    HT_CHECK(dev != INVALID_HANDLE_VALUE);
    HT_CHECK(ht_hello(dev, 1) != 0);
    close_all(ports, n - 1);
    HT_CHECK(CloseHandle(dev));
}

HT_TEST(failed_create_and_associate_leaks_no_port)
{
    HANDLE *ports;
    int before = fill_with_ports(&ports);
    close_all(ports, before);

    HANDLE dev = ht_open(1);
    HT_CHECK(dev != INVALID_HANDLE_VALUE);
    HANDLE port = CreateIoCompletionPort(dev, NULL, 1, 0);
    HT_CHECK(port != NULL);
    for (int i = 0; i < FAILED_ATTEMPTS; i++) {
        /* Creates a port, then cannot associate: the new port must go again. */
        HT_CHECK_ERR(CreateIoCompletionPort(dev, NULL, 2, 0) == NULL, ERROR_INVALID_PARAMETER);
    }
    HT_CHECK(CloseHandle(port));
    HT_CHECK(CloseHandle(dev));

    int after = fill_with_ports(&ports);
    close_all(ports, after);
    HT_CHECK(after == before);
}

/* CONFIGURE with one INCLUDE prefix of LONG_PREFIX_CHARS characters. */
static BOOL configure_long_prefix(HANDLE h, const wchar_t *prefix_head, DWORD *len_out)
{
    size_t chars = LONG_PREFIX_CHARS;
    size_t total = sizeof(HG_CONFIG_HEADER) + sizeof(HG_PREFIX_ENTRY) + chars * 2;
    unsigned char *msg = calloc(1, total);
    HG_CONFIG_HEADER c;
    memset(&c, 0, sizeof c);
    c.magic = HG_WIRE_MAGIC;
    c.total_bytes = (uint32_t)total;
    c.op_mask = HG_OP_MASK_ALL;
    c.timeout_ms = HG_TIMEOUT_DEFAULT_MS;
    c.fail_mode = HG_FAIL_OPEN;
    c.default_verdict = HG_VERDICT_ALLOW;
    c.max_backlog = HG_BACKLOG_DEFAULT;
    c.data_cap = HG_DATA_CAP_DEFAULT;
    c.prefix_count = 1;
    HG_PREFIX_ENTRY e;
    memset(&e, 0, sizeof e);
    e.kind = HG_PREFIX_INCLUDE;
    e.op_mask = HG_OP_MASK_ALL;
    e.fail_mode = HG_FAIL_INHERIT;
    e.string_bytes = (uint16_t)(chars * 2);
    e.string_offset = (uint32_t)(sizeof c + sizeof e);
    memcpy(msg, &c, sizeof c);
    memcpy(msg + sizeof c, &e, sizeof e);
    uint16_t *s = (uint16_t *)(msg + sizeof c + sizeof e);
    size_t head = wcslen(prefix_head);
    for (size_t i = 0; i < chars; i++)
        s[i] = (uint16_t)(i < head ? prefix_head[i] : L'K');
    DWORD got = 0;
    BOOL ok = DeviceIoControl(h, HG_IOCTL_CONFIGURE, msg, (DWORD)total, NULL, 0, &got, NULL);
    free(msg);
    *len_out = (DWORD)total;
    return ok;
}

HT_TEST(configure_larger_than_the_inline_buffer)
{
    HANDLE h = ht_open(0);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    HT_CHECK(ht_hello(h, 0) != 0);
    DWORD len = 0;
    HT_CHECK(configure_long_prefix(h, L"\\REGISTRY\\MACHINE\\", &len));
    HT_CHECK(len > 1024);
    HT_CHECK(ht_stats().config_generation == 1);

    /* The prefix took effect: a path under it is delivered, others are not. */
    wchar_t *path = malloc((LONG_PREFIX_CHARS + 8) * sizeof *path);
    wcscpy(path, L"\\REGISTRY\\MACHINE\\");
    for (size_t i = wcslen(path); i < LONG_PREFIX_CHARS; i++)
        path[i] = L'k'; /* case-insensitive match against 'K' */
    wcscpy(path + LONG_PREFIX_CHARS, L"\\Sub");
    HT_CHECK(ht_raise(HG_OP_CREATE_KEY, path, NULL) == 0);
    HT_CHECK(ht_raise(HG_OP_CREATE_KEY, L"\\REGISTRY\\MACHINE\\Other", NULL) == 0);
    free(path);
    HG_STATS s = ht_stats();
    HT_CHECK(s.raised == 2 && s.backlog_events == 1 && s.filtered_out == 1);
    HT_CHECK(CloseHandle(h));
}
