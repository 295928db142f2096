/*
 * test_sim.c - the configuration-manager simulator's own contract: input
 * validation, wchar_t -> UTF-16LE, and what it tells core about the caller.
 */
#include <stdlib.h>
#include <string.h>
#include "ht_device.h"

/* One past what a UNICODE_STRING can hold (0xFFFE bytes = 32767 units). */
#define TOO_LONG_CHARS 32768u

HT_TEST(sim_rejects_invalid_input_without_raising)
{
    HANDLE h = ht_client(0, 0, 100, HG_FAIL_OPEN, HG_VERDICT_ALLOW);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    HT_CHECK(hg_sim_raise(HG_OP_NONE, 1, 1, 1, 0, 0, L"\\REGISTRY\\A", NULL, NULL, NULL, NULL, 0,
                          NULL, 0) == HG_SIM_STATUS_INVALID_PARAMETER);
    HT_CHECK(hg_sim_raise(HG_OP_COUNT, 1, 1, 1, 0, 0, L"\\REGISTRY\\A", NULL, NULL, NULL, NULL, 0,
                          NULL, 0) == HG_SIM_STATUS_INVALID_PARAMETER);
    HT_CHECK(hg_sim_raise(HG_OP_SET_VALUE, 1, 1, 1, 0, 0, L"\\REGISTRY\\A", L"v", NULL, NULL, NULL,
                          3, NULL, 4) == HG_SIM_STATUS_INVALID_PARAMETER);
    wchar_t *huge = malloc((TOO_LONG_CHARS + 1) * sizeof *huge);
    HT_CHECK(huge != NULL);
    for (unsigned i = 0; i < TOO_LONG_CHARS; i++)
        huge[i] = L'A';
    huge[TOO_LONG_CHARS] = 0;
    HT_CHECK(hg_sim_raise(HG_OP_OPEN_KEY, 1, 1, 1, 0, 0, huge, NULL, NULL, NULL, NULL, 0, NULL,
                          0) == HG_SIM_STATUS_INVALID_PARAMETER);
    /* One unit shorter is a legal UNICODE_STRING and is raised. */
    huge[TOO_LONG_CHARS - 1] = 0;
    HT_CHECK(hg_sim_raise(HG_OP_OPEN_KEY, 1, 1, 1, 0, 0, huge, NULL, NULL, NULL, NULL, 0, NULL,
                          0) == HG_SIM_STATUS_SUCCESS);
    free(huge);
    HG_STATS s = ht_stats();
    HT_CHECK(s.raised == 1);
    HT_CHECK(CloseHandle(h));
}

HT_TEST(sim_encodes_utf16_with_surrogate_pairs)
{
    HANDLE h = ht_client(0, 0, 100, HG_FAIL_OPEN, HG_VERDICT_ALLOW);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    /* U+1F600 (a pair), U+00E9 (BMP), a lone surrogate (kept), and a value
     * beyond Unicode (replaced). */
    static const wchar_t key[] = { L'\\', L'K', 0x1F600, 0xE9, 0xD800, (wchar_t)0x110000, 0 };
    static const uint16_t want[] = { '\\', 'K', 0xD83D, 0xDE00, 0xE9, 0xD800, 0xFFFD };
    HT_CHECK(hg_sim_raise(HG_OP_CREATE_KEY, 9, 9, 9, 0, 0, key, NULL, L"\U00010437", NULL, NULL, 0,
                          NULL, 0) == 0);
    void *buf = malloc(HT_EVENTS_BYTES);
    DWORD got = 0;
    HT_CHECK(DeviceIoControl(h, HG_IOCTL_GET_EVENTS, NULL, 0, buf, HT_EVENTS_BYTES, &got, NULL));
    ht_event_view ev[1];
    HT_CHECK(ht_batch_events(buf, got, ev, 1) == 1);
    HT_CHECK(ev[0].h->key_path_bytes == sizeof want);
    HT_CHECK(memcmp(ev[0].key_path, want, sizeof want) == 0);
    HT_CHECK(ev[0].h->value_name_bytes == 0);
    HT_CHECK(ev[0].h->new_name_bytes == 4);
    const uint16_t *new_name = (const uint16_t *)((const unsigned char *)ev[0].value_name);
    HT_CHECK(new_name[0] == 0xD801 && new_name[1] == 0xDC37);
    free(buf);
    HT_CHECK(CloseHandle(h));
}

HT_TEST(sim_passes_the_caller_and_caps_data)
{
    HANDLE h = ht_client(0, 0, 100, HG_FAIL_OPEN, HG_VERDICT_ALLOW);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    size_t big = HG_DATA_CAP_DEFAULT + 100u;
    unsigned char *data = malloc(big);
    for (size_t i = 0; i < big; i++)
        data[i] = (unsigned char)i;
    /* The client's own operations are never delivered, whatever else. */
    HT_CHECK(hg_sim_raise(HG_OP_SET_VALUE, hg_sim_current_process_key(), 1, 1, 0, 0,
                          L"\\REGISTRY\\MACHINE\\X", L"v", NULL, NULL, NULL, 3, data,
                          (uint32_t)big) == 0);
    /* Kernel-mode callers are not subscribed (no HG_CFG_F_INCLUDE_KERNEL_CALLERS). */
    HT_CHECK(hg_sim_raise(HG_OP_SET_VALUE, 4, 4, 8, 0, 1, L"\\REGISTRY\\MACHINE\\X", L"v", NULL,
                          NULL, NULL, 3, data, (uint32_t)big) == 0);
    HT_CHECK(hg_sim_raise(HG_OP_SET_VALUE, 77, 1234, 5678, 2, 0, L"\\REGISTRY\\MACHINE\\X", L"v",
                          NULL, L"C:\\a.exe", L"S-1-5-18", 3 /* REG_BINARY */, data,
                          (uint32_t)big) == 0);
    HG_STATS s = ht_stats();
    HT_CHECK(s.raised == 3 && s.self_excluded == 1 && s.filtered_out == 2);
    void *buf = malloc(HT_EVENTS_BYTES);
    DWORD got = 0;
    HT_CHECK(DeviceIoControl(h, HG_IOCTL_GET_EVENTS, NULL, 0, buf, HT_EVENTS_BYTES, &got, NULL));
    ht_event_view ev[2];
    HT_CHECK(ht_batch_events(buf, got, ev, 2) == 1);
    HT_CHECK(ev[0].h->pid == 1234 && ev[0].h->tid == 5678 && ev[0].h->session_id == 2);
    HT_CHECK(ev[0].h->data_original_size == big && ev[0].h->data_bytes == HG_DATA_CAP_DEFAULT);
    HT_CHECK(ev[0].h->flags & HG_EVENT_F_DATA_TRUNCATED);
    HT_CHECK(memcmp(ev[0].data, data, HG_DATA_CAP_DEFAULT) == 0);
    HT_CHECK(ev[0].h->image_bytes == 2 * 8 && ev[0].h->user_sid_bytes == 2 * 8);
    free(buf);
    free(data);
    HT_CHECK(CloseHandle(h));
}

/* CONFIGURE with one excluded pid and nothing else changed from ht_client's
 * subscription (every class, no prefixes). */
static BOOL configure_excluding(HANDLE h, uint64_t pid)
{
    struct {
        HG_CONFIG_HEADER c;
        uint64_t         pid;
    } msg;
    memset(&msg, 0, sizeof msg);
    msg.c.magic = HG_WIRE_MAGIC;
    msg.c.total_bytes = sizeof msg;
    msg.c.op_mask = HG_OP_MASK_ALL;
    msg.c.timeout_ms = 100;
    msg.c.fail_mode = HG_FAIL_OPEN;
    msg.c.default_verdict = HG_VERDICT_ALLOW;
    msg.c.max_backlog = HG_BACKLOG_DEFAULT;
    msg.c.data_cap = HG_DATA_CAP_DEFAULT;
    msg.c.excluded_pid_count = 1;
    msg.pid = pid;
    DWORD got = 0;
    return DeviceIoControl(h, HG_IOCTL_CONFIGURE, &msg, sizeof msg, NULL, 0, &got, NULL);
}

/* PIDs are reused: an exclusion names the process that held the pid at
 * CONFIGURE, so the next process to get that pid is delivered again. */
HT_TEST(sim_excluded_pid_reused_by_new_process_is_not_excluded)
{
    const uint64_t pid = 4242, first = 0x5100, second = 0x5200;
    HANDLE h = ht_client(0, 0, 100, HG_FAIL_OPEN, HG_VERDICT_ALLOW);
    HT_CHECK(h != INVALID_HANDLE_VALUE);
    HT_CHECK(hg_sim_process_start(first, 0) == HG_SIM_STATUS_INVALID_PARAMETER);
    HT_CHECK(hg_sim_process_start(first, pid) == HG_SIM_STATUS_SUCCESS);
    HT_CHECK(configure_excluding(h, pid));

    HG_STATS before = ht_stats();
    HT_CHECK(hg_sim_raise(HG_OP_SET_VALUE, first, pid, 1, 1, 0, L"\\REGISTRY\\MACHINE\\X", L"v",
                          NULL, NULL, NULL, 4, "1234", 4) == HG_SIM_STATUS_SUCCESS);
    HG_STATS after = ht_stats();
    HT_CHECK(after.delivered == before.delivered && after.filtered_out == before.filtered_out + 1);

    /* The excluded process exits and pid 4242 goes to a new process. */
    hg_sim_process_exit(first);
    HT_CHECK(hg_sim_process_start(second, pid) == HG_SIM_STATUS_SUCCESS);
    before = after;
    HT_CHECK(hg_sim_raise(HG_OP_SET_VALUE, second, pid, 1, 1, 0, L"\\REGISTRY\\MACHINE\\X", L"v",
                          NULL, NULL, NULL, 4, "1234", 4) == HG_SIM_STATUS_SUCCESS);
    after = ht_stats();
    HT_CHECK(after.filtered_out == before.filtered_out);
    HT_CHECK(after.backlog_events == before.backlog_events + 1); /* queued for the agent */

    /* A pid no process holds is ignored, not an error. */
    HT_CHECK(configure_excluding(h, 999999));
    hg_sim_process_exit(second);
    HT_CHECK(CloseHandle(h));
}
