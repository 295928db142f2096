/*
 * hgwt_inject_cases.c - the Wine suite: every case drives hiveguard-test.sys
 * through HG_IOCTL_INJECT on \\.\HiveGuardInject (registry callers) while
 * this process - or a child it starts - is the agent on \\.\HiveGuard.
 * Runs unchanged on a Windows test VM against the test build.
 */
#include "hgwt.h"

static uint64_t g_first_instance;

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
    {
        /* A newer minor version is informational: accepted. */
        HG_HELLO_REQUEST newer = { HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, HG_WIRE_VERSION_MINOR + 7, 0, 0 };
        HG_HELLO_REPLY out;
        CHECK_EQ(dev_call(g_client, HG_IOCTL_HELLO, &newer, sizeof(newer), &out, sizeof(out), NULL), 0);
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
    h->group_count = 1; /* a group table the buffer does not have */
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
        {
            /* The identity is the thread that ran the callback: the inject
             * worker. Windows: the System process (S-1-5-18, no image file);
             * Wine: the driver host winedevice.exe and the prefix user. */
            const uint16_t *sid = (const uint16_t *)(ev.data - ev.h.user_sid_bytes);
            const uint16_t *image = (const uint16_t *)((const unsigned char *)sid - ev.h.image_bytes);
            static const wchar_t host[] = L"\\winedevice.exe";
            size_t host_units = wcslen(host);
            int on_wine = GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != NULL;
            CHECK(ev.h.user_sid_bytes >= 8 && sid[0] == L'S' && sid[1] == L'-' && sid[2] == L'1' && sid[3] == L'-');
            if (on_wine) {
                CHECK(ev.h.image_bytes >= host_units * 2);
                if (ev.h.image_bytes >= host_units * 2)
                    CHECK(_wcsnicmp((const wchar_t *)image + ev.h.image_bytes / 2 - host_units, host, host_units) == 0);
            }
            printf("identity: image=%.*ls sid=%.*ls\n", (int)(ev.h.image_bytes / 2), (const wchar_t *)image,
                   (int)(ev.h.user_sid_bytes / 2), (const wchar_t *)sid);
        }
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

/* Delivery racing parking: injector threads (the driver's worker threads,
 * completing IRPs from outside the dispatch thread) raise audit events while
 * the agent keeps a ring of parked requests and re-parks each one the moment
 * it completes; everything left is cancelled at the end. Every parked
 * request must complete exactly once, and every event the driver counts as
 * delivered must arrive - no loss, no double completion, no leaked request.
 *
 * CancelIoEx is NOT fired while deliveries are in flight: Wine 8's
 * dispatch_cancel can run IoCancelIrp on an IRP that another thread has just
 * completed and freed (page fault in ntoskrnl.exe IoCancelIrp+0x39, reproduced
 * here in 3 runs of 5) - a Wine bug, not a driver one; on Windows the I/O
 * manager keeps a cancelled IRP alive. The claim/cancel race itself is
 * counted exactly against core in user mode (driver/tests/host/
 * test_cancel_race.c); irpqueue.c's side of it has no racing test here. */
#define RACE_SLOTS      8u
#define RACE_INJECTORS  3u
#define RACE_PER_THREAD 60u

static volatile LONG g_race_injected;

static DWORD WINAPI race_injector(LPVOID unused)
{
    unsigned i;
    (void)unused;
    for (i = 0; i < RACE_PER_THREAD; i++) {
        inject_op op;
        memset(&op, 0, sizeof(op));
        op.operation = HG_OP_SET_VALUE;
        op.key = K_RUN;
        op.value_name = L"Race";
        inject_run(g_inject, &op);
        if (op.error == 0 && op.status == 0)
            InterlockedIncrement(&g_race_injected);
    }
    return 0;
}

static void case_delivery_races_parking(void)
{
    static parked slots[RACE_SLOTS];
    int outstanding[RACE_SLOTS];
    HANDLE threads[RACE_INJECTORS];
    config_spec s = audit_all();
    HG_STATS before, after;
    unsigned long long events = 0, completions = 0, parks = 0;
    unsigned i, live;
    DWORD err, bytes;

    CHECK(get_stats(&before));
    CHECK_EQ(before.parked_requests, 0);
    CHECK_EQ(configure(g_client, &s), 0);
    g_race_injected = 0;
    for (i = 0; i < RACE_SLOTS; i++) {
        outstanding[i] = park(&slots[i]) == ERROR_IO_PENDING;
        parks += outstanding[i];
    }
    for (i = 0; i < RACE_INJECTORS; i++)
        threads[i] = CreateThread(NULL, 0, race_injector, NULL, 0, NULL);

    for (;;) {
        parked *done;
        unsigned slot;
        done = completion(200, &err, &bytes);
        if (done == NULL) {
            live = 0;
            for (i = 0; i < RACE_INJECTORS; i++)
                live += WaitForSingleObject(threads[i], 0) != WAIT_OBJECT_0;
            if (live == 0)
                break;
            continue;
        }
        slot = (unsigned)(done - slots);
        if (!CHECK(slot < RACE_SLOTS && outstanding[slot]))
            break; /* a completion for a request that was not outstanding */
        outstanding[slot] = 0;
        completions++;
        if (err == 0) {
            uint32_t count = 0;
            event_view ev;
            if (first_event(done, bytes, &ev, &count))
                events += count;
        } else {
            CHECK_EQ(err, ERROR_OPERATION_ABORTED);
        }
        outstanding[slot] = park(&slots[slot]) == ERROR_IO_PENDING;
        parks += outstanding[slot];
    }
    for (i = 0; i < RACE_INJECTORS; i++)
        join(threads[i], RELEASE_BOUND_MS);
    /* Drain the backlog, then cancel what is left parked. */
    for (;;) {
        parked *done = completion(NOTHING_WAIT_MS, &err, &bytes);
        unsigned slot;
        if (done == NULL)
            break;
        slot = (unsigned)(done - slots);
        if (!CHECK(slot < RACE_SLOTS && outstanding[slot]))
            break;
        outstanding[slot] = 0;
        completions++;
        if (err == 0) {
            uint32_t count = 0;
            event_view ev;
            if (first_event(done, bytes, &ev, &count))
                events += count;
            outstanding[slot] = park(&slots[slot]) == ERROR_IO_PENDING;
            parks += outstanding[slot];
        }
    }
    CHECK(CancelIoEx(g_client, NULL));
    for (live = 0, i = 0; i < RACE_SLOTS; i++)
        live += outstanding[i];
    while (live > 0) {
        parked *done = completion(EVENT_WAIT_MS, &err, &bytes);
        unsigned slot;
        if (!CHECK(done != NULL))
            break;
        slot = (unsigned)(done - slots);
        if (!CHECK(slot < RACE_SLOTS && outstanding[slot]))
            break;
        outstanding[slot] = 0;
        completions++;
        live--;
        if (err == 0) {
            uint32_t count = 0;
            event_view ev;
            if (first_event(done, bytes, &ev, &count))
                events += count;
        }
    }
    CHECK(completion(NOTHING_WAIT_MS, &err, &bytes) == NULL); /* nothing completes twice */
    CHECK(get_stats(&after));
    CHECK_EQ(completions, parks);
    CHECK_EQ(g_race_injected, RACE_INJECTORS * RACE_PER_THREAD);
    CHECK_EQ(after.delivered - before.delivered, events);
    CHECK_EQ(after.raised - before.raised, RACE_INJECTORS * RACE_PER_THREAD);
    CHECK_EQ(after.parked_requests, 0);
    CHECK_EQ(after.backlog_events, 0);
    CHECK_EQ(after.raised, after.filtered_out + after.delivered + after.dropped);
    printf("    %llu events in %llu completions of %llu parked requests\n", events, completions, parks);
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
        CHECK_EQ(rr.duplicate, 1); /* already answered */
        CHECK_EQ(rr.late, 0);
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

/* One create/open through the real callback, RootObject named `root`,
 * CompleteName exactly `name` (hg_inject_abi.h): returns 1 and checks the
 * event's key path when the subscription delivered it, 0 when it did not. */
static int canonical_case(uint16_t operation, const wchar_t *root, const wchar_t *name,
                          const wchar_t *want_key)
{
    static parked p;
    inject_op op;
    event_view ev;
    parked *done;
    DWORD err, bytes;
    uint32_t count = 0;
    int delivered = 0;

    if (!CHECK_EQ(park(&p), ERROR_IO_PENDING))
        return -1;
    memset(&op, 0, sizeof(op));
    op.operation = operation;
    op.key = root;
    op.new_name = name;
    inject_run(g_inject, &op);
    CHECK_EQ(op.error, 0);
    CHECK_EQ(op.status, 0); /* audit only */
    done = completion(want_key != NULL ? EVENT_WAIT_MS : NOTHING_WAIT_MS, &err, &bytes);
    if (done == &p) {
        delivered = 1;
        if (first_event(done, bytes, &ev, &count)) {
            CHECK_EQ(ev.h.operation, operation);
            if (!CHECK(want_key != NULL && str_is(ev.key, ev.h.key_path_bytes, want_key)))
                printf("    key: %.*ls\n", (int)(ev.h.key_path_bytes / 2), (const wchar_t *)ev.key);
        }
    } else {
        /* Nothing delivered: take the request back for the next spelling. */
        CHECK(CancelIoEx(g_client, &p.ov));
        CHECK(completion(EVENT_WAIT_MS, &err, &bytes) == &p);
    }
    return delivered;
}

/* Create/open names are canonical before matching: RootObject + a relative
 * CompleteName, repeated and trailing separators, and case outside ASCII
 * (Greek, Latin Extended-B) all reach the protected prefix; the event shows
 * the canonical path with the caller's case. */
static void case_create_open_names_canonical(void)
{
    static const wchar_t intl_prefix[] =
        L"\\REGISTRY\\MACHINE\\SOFTWARE\\\x0395\x03bb\x03bb\x03b7\x03bd\x03b9\x03ba\x03ac\\\x01c4" L"emal";
    static const wchar_t intl_name[] =
        L"\x03b5\x03bb\x03bb\x03b7\x03bd\x03b9\x03ba\x03ac\\\\\x01c6" L"EMAL\\Run\\";
    static const wchar_t intl_key[] =
        L"\\REGISTRY\\MACHINE\\SOFTWARE\\\x03b5\x03bb\x03bb\x03b7\x03bd\x03b9\x03ba\x03ac\\\x01c6" L"EMAL\\Run";
    config_spec s = audit_all();
    HG_STATS st;

    /* Each spelling parks its own request and expects it back. */
    CHECK(get_stats(&st));
    if (!CHECK_EQ(st.parked_requests, 0))
        return;
    s.prefix = K_RUN;
    s.prefix_kind = HG_PREFIX_INCLUDE;
    CHECK_EQ(configure(g_client, &s), 0);
    /* relative CompleteName with a doubled separator under RootObject */
    CHECK_EQ(canonical_case(HG_OP_CREATE_KEY, L"\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft",
                            L"Windows\\\\CurrentVersion\\Run\\Evil",
                            L"\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Evil"), 1);
    /* absolute CompleteName (RootObject ignored), doubled and trailing separators */
    CHECK_EQ(canonical_case(HG_OP_OPEN_KEY, L"\\REGISTRY\\USER",
                            L"\\REGISTRY\\\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\\\",
                            K_RUN), 1);
    /* ASCII mixed case, relative */
    CHECK_EQ(canonical_case(HG_OP_OPEN_KEY, L"\\REGISTRY\\MACHINE",
                            L"software\\MICROSOFT\\windows\\currentversion\\rUN",
                            L"\\REGISTRY\\MACHINE\\software\\MICROSOFT\\windows\\currentversion\\rUN"), 1);
    /* control: a key outside the prefix is not delivered */
    CHECK_EQ(canonical_case(HG_OP_CREATE_KEY, L"\\REGISTRY\\MACHINE\\SOFTWARE", L"Other", NULL), 0);

    s.prefix = intl_prefix;
    CHECK_EQ(configure(g_client, &s), 0);
    CHECK_EQ(canonical_case(HG_OP_CREATE_KEY, L"\\REGISTRY\\MACHINE\\SOFTWARE", intl_name, intl_key), 1);
    CHECK_EQ(canonical_case(HG_OP_CREATE_KEY, L"\\REGISTRY\\MACHINE\\SOFTWARE",
                            L"\x0395\x03bb\x03bb\x03b7\x03bd\x03b9\x03ba\x03ac" L"x", NULL), 0);
}

/* Verdict due, no parked request: the caller still waits for the agent
 * (issue 9: a flood that keeps the agent busy must not buy the default);
 * nobody reads here, so its budget runs out and the fail mode (closed)
 * applies - not the default (allow). */
static void case_default_when_nothing_parked(void)
{
    config_spec s = verdict_all(SHORT_VERDICT_MS, HG_FAIL_CLOSED);
    inject_op op;
    HG_STATS before, after;

    s.default_verdict = HG_VERDICT_ALLOW;
    CHECK(get_stats(&before));
    CHECK_EQ(configure(g_client, &s), 0);
    memset(&op, 0, sizeof(op));
    op.operation = HG_OP_CREATE_KEY;
    op.key = K_TEST;
    inject_run(g_inject, &op);
    CHECK_EQ(op.status, HG_STATUS_ACCESS_DENIED);
    CHECK(op.elapsed_ms + 20u >= SHORT_VERDICT_MS); /* tick granularity */
    CHECK(op.elapsed_ms < RELEASE_BOUND_MS);
    CHECK(get_stats(&after));
    CHECK_EQ(after.defaults_applied - before.defaults_applied, 0);
    CHECK_EQ(after.timed_out - before.timed_out, 1);
    CHECK_EQ(after.fail_closed_applied - before.fail_closed_applied, 1);
    CHECK_EQ(after.verdicts_requested - before.verdicts_requested, 1);
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
    /* REG_MULTI_SZ: two entries, then the empty string that ends the list. */
    static const wchar_t k_protected[] =
        L"\\REGISTRY\\MACHINE\\SOFTWARE\\Locked\0"
        L"\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\0";
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
    wchar_t params[MAX_PATH];

    /* The driver reads Parameters\DefaultVerdict of its service at load. */
    swprintf(params, MAX_PATH, L"System\\CurrentControlSet\\Services\\%ls\\Parameters", g_service);
    CHECK_EQ(RegCreateKeyExW(HKEY_LOCAL_MACHINE, params, 0, NULL, 0,
                             KEY_SET_VALUE, NULL, &key, NULL), ERROR_SUCCESS);
    CHECK_EQ(RegSetValueExW(key, L"DefaultVerdict", 0, REG_DWORD, (const BYTE *)&block, sizeof(block)), 0);
    /* ... and Parameters\ProtectedPrefixes, the keys that block covers. */
    CHECK_EQ(RegSetValueExW(key, L"ProtectedPrefixes", 0, REG_MULTI_SZ, (const BYTE *)k_protected,
                            sizeof(k_protected)), 0);
    RegCloseKey(key);
    if (!CHECK(service_start()))
        return;

    /* 1: no client, default now "block" - applied at once, to a user-mode
     * write on a protected key: the Run key, and a key only the configured
     * list names (so the value was read), but never to an open. */
    memset(&op, 0, sizeof(op));
    op.operation = HG_OP_SET_VALUE;
    op.key = K_RUN;
    inject_run(g_inject, &op);
    CHECK_EQ(op.status, HG_STATUS_ACCESS_DENIED);
    CHECK(op.elapsed_ms < RELEASE_BOUND_MS);
    op.key = L"\\REGISTRY\\MACHINE\\SOFTWARE\\Locked\\Key";
    inject_run(g_inject, &op);
    CHECK_EQ(op.status, HG_STATUS_ACCESS_DENIED);
    memset(&op, 0, sizeof(op));
    op.operation = HG_OP_OPEN_KEY;
    op.key = K_RUN;
    inject_run(g_inject, &op);
    CHECK_EQ(op.status, 0);
    memset(&op, 0, sizeof(op));
    op.operation = HG_OP_SET_VALUE;

    g_client = open_client();
    if (!CHECK(g_client != INVALID_HANDLE_VALUE))
        return;
    g_port = CreateIoCompletionPort(g_client, NULL, 1, 0);
    CHECK_EQ(hello(g_client, HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, &r), 0);
    CHECK(r.instance_id != g_first_instance);

    s.prefix = L"\\REGISTRY\\MACHINE\\SOFTWARE\\Excluded";
    s.prefix_kind = HG_PREFIX_EXCLUDE;
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
    CHECK_EQ(st.raised, 6);
    CHECK_EQ(st.no_client, 3);
    CHECK_EQ(st.lockdown_blocked, 2);
    CHECK_EQ(st.lockdown_exempt, 1);
    CHECK_EQ(st.filtered_out, 4);
    CHECK_EQ(st.self_excluded, 0);
    CHECK_EQ(st.delivered, 2);
    CHECK_EQ(st.dropped, 0);
    CHECK_EQ(st.raised, st.filtered_out + st.delivered + st.dropped);
    CHECK_EQ(st.verdicts_requested, 1);
    CHECK_EQ(st.replies_accepted, 1);
    CHECK_EQ(st.replies_unknown + st.replies_late + st.replies_duplicate, 0);
    CHECK_EQ(st.timed_out, 0);
    CHECK_EQ(st.defaults_applied, 0); /* the no-client default is counted as no_client */
    CHECK_EQ(st.blocked, 2);
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

int inject_child_main(const wchar_t *ready_name, const wchar_t *die_name)
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

/* The release image, started as a second service once the test one is
 * stopped: Wine exports no CmRegisterCallbackEx, and a release image that
 * cannot register its registry callback must not pretend to guard
 * anything. DriverEntry fails with STATUS_PROCEDURE_NOT_FOUND, which the
 * SCM reports as ERROR_PROC_NOT_FOUND; the service is stopped and neither
 * device (nor the inject one, which the release image does not have at all
 * - check-image.sh checks its bytes) exists afterwards. */
const wchar_t *g_release_image;

static void case_release_image_refuses_to_load_without_callback(void)
{
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_ALL_ACCESS), svc;
    SERVICE_STATUS ss;
    DWORD err = 0, waited;
    BOOL started;
    HANDLE h;

    if (!CHECK(scm != NULL))
        return;
    svc = CreateServiceW(scm, L"HiveGuardRelease", L"HiveGuard release image", SERVICE_ALL_ACCESS,
                         SERVICE_KERNEL_DRIVER, SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL,
                         g_release_image, NULL, NULL, NULL, NULL, NULL);
    if (!CHECK(svc != NULL)) {
        CloseServiceHandle(scm);
        return;
    }
    started = StartServiceW(svc, 0, NULL);
    if (!started)
        err = GetLastError();
    /* Whatever StartService said, the service must settle as stopped. */
    memset(&ss, 0, sizeof(ss));
    for (waited = 0; waited < CASE_TIMEOUT_MS; waited += 50) {
        if (!QueryServiceStatus(svc, &ss) || ss.dwCurrentState == SERVICE_STOPPED)
            break;
        Sleep(50);
    }
    printf("    release image: StartService=%d error=%lu state=%lu exit=%lu specific=0x%08lx\n",
           (int)started, (unsigned long)err, (unsigned long)ss.dwCurrentState,
           (unsigned long)ss.dwWin32ExitCode, (unsigned long)ss.dwServiceSpecificExitCode);
    CHECK(!started);
    CHECK_EQ(err, ERROR_PROC_NOT_FOUND);
    CHECK_EQ(ss.dwCurrentState, SERVICE_STOPPED);
    h = CreateFileW(HG_USER_PATH_W, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    CHECK(h == INVALID_HANDLE_VALUE);
    if (h != INVALID_HANDLE_VALUE)
        CloseHandle(h);
    h = CreateFileW(HG_INJECT_USER_PATH_W, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    CHECK(h == INVALID_HANDLE_VALUE);
    if (h != INVALID_HANDLE_VALUE)
        CloseHandle(h);
    CHECK(DeleteService(svc));
    CloseServiceHandle(svc);
    CloseServiceHandle(scm);

    /* Nothing left behind: the test image loads again on the same names. */
    if (CHECK(service_start())) {
        if (connect_client()) {
            HG_HELLO_REPLY r;
            CHECK_EQ(hello(g_client, HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, &r), 0);
            CHECK_EQ(r.capabilities & HG_CAP_REGISTRY_CALLBACK, 0);
            disconnect_client();
        }
        CloseHandle(g_inject);
        g_inject = INVALID_HANDLE_VALUE;
        CHECK(service_stop());
    }
}

/* Parameters the driver cannot use are logged and replaced by the defaults:
 * DefaultVerdict 7 -> allow, a non-numeric Altitude -> 385100. The service
 * still loads and the no-client default is allow again. */
static void case_invalid_parameters_fall_back(void)
{
    wchar_t params[MAX_PATH];
    DWORD bad_verdict = 7;
    HKEY key;
    inject_op op;

    swprintf(params, MAX_PATH, L"System\\CurrentControlSet\\Services\\%ls\\Parameters", g_service);
    CHECK_EQ(RegCreateKeyExW(HKEY_LOCAL_MACHINE, params, 0, NULL, 0, KEY_SET_VALUE, NULL, &key, NULL),
             ERROR_SUCCESS);
    CHECK_EQ(RegSetValueExW(key, L"DefaultVerdict", 0, REG_DWORD, (const BYTE *)&bad_verdict,
                            sizeof(bad_verdict)), 0);
    CHECK_EQ(RegSetValueExW(key, L"Altitude", 0, REG_SZ, (const BYTE *)L"high", 5 * sizeof(wchar_t)), 0);
    RegCloseKey(key);
    if (!CHECK(service_start()))
        return;
    memset(&op, 0, sizeof(op));
    op.operation = HG_OP_SET_VALUE;
    op.key = K_RUN;
    inject_run(g_inject, &op);
    CHECK_EQ(op.error, 0);
    CHECK_EQ(op.status, 0);
    CHECK(op.elapsed_ms < RELEASE_BOUND_MS);
    CloseHandle(g_inject);
    g_inject = INVALID_HANDLE_VALUE;
    CHECK(service_stop());
}

void run_inject_suite(void)
{
    run_case("start_service", case_start_service);
    if (g_failed)
        summary_and_exit(1);
    run_case("handshake_versions_and_order", case_handshake);
    run_case("second_client_refused", case_second_client_refused);
    run_case("configuration_valid_and_invalid", case_configuration);
    run_case("malformed_ioctls_get_status_codes", case_malformed_ioctls);
    run_case("parked_requests_on_completion_port", case_parked_on_completion_port);
    run_case("cancel_io_ex_parked_request", case_cancel_io_ex);
    run_case("delivery_races_parking_exactly_once", case_delivery_races_parking);
    run_case("every_class_allowed_or_blocked_by_reply", case_every_class_verdict);
    run_case("timeout_fail_open_and_fail_closed_then_late_reply", case_timeouts);
    run_case("replies_unknown_duplicate_malformed", case_replies);
    run_case("data_capped_unreadable_kernel_caller", case_data_capture);
    run_case("client_own_operations_self_excluded", case_self_excluded);
    run_case("create_open_names_canonical", case_create_open_names_canonical);
    run_case("default_when_nothing_parked", case_default_when_nothing_parked);
    run_case("no_client_default_at_once", case_no_client_default);
    run_case("client_exit_releases_waiters", case_client_exit_releases_waiters);
    run_case("stop_with_requests_parked", case_stop_with_requests_parked);
    run_case("restart_and_serve_exact_counters", case_restart_and_serve);
    run_case("final_stop", case_final_stop);
    run_case("invalid_parameters_fall_back_to_defaults", case_invalid_parameters_fall_back);
    if (g_release_image != NULL)
        run_case("release_image_refuses_to_load_without_callback",
                 case_release_image_refuses_to_load_without_callback);
}
