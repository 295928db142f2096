/*
 * hgwt_real_cases.c - the Windows VM suite: the RELEASE hiveguard.sys with its
 * real CmRegisterCallbackEx registration, driven by real registry calls.
 *
 * This process is the agent. Each registry caller is a separate helper
 * process (this exe with --reg-helper) so that the calls come from a process
 * the driver does not exclude as the agent's own, through the real
 * advapi32 -> NtSetValueKey/NtDeleteValueKey path; the helper's exit code is
 * the Win32 error of its one call. The agent itself creates and removes the
 * test key: its own operations are self-excluded, which the suite also
 * checks. Cannot run in Wine (no registry callbacks there): it fails at the
 * capability check, by design.
 */
#include "hgwt.h"

#define REAL_VERDICT_MS    5000u  /* budget the agent answers well within */
#define REAL_TIMEOUT_MS    1000u  /* budget a case lets expire */
#define HELPER_TIMEOUT_MS  (REAL_VERDICT_MS + 5000u)
#define REAL_SNAPSHOTS       20u  /* STATS reads until the identity holds */
#define REAL_SNAPSHOT_GAP_MS 50u

static const wchar_t *REAL_KEY_USER = L"SOFTWARE\\HiveGuardE2E";              /* under HKLM */
static const wchar_t *REAL_KEY_KERNEL = L"\\REGISTRY\\MACHINE\\SOFTWARE\\HiveGuardE2E";
static const char     REAL_DATA[] = "hiveguard-e2e";

/* --reg-helper set|delete NAME: one call on HKLM\SOFTWARE\HiveGuardE2E. */
int reg_helper_main(int argc, wchar_t **argv)
{
    HKEY key;
    LONG err;

    if (argc != 4)
        return ERROR_BAD_ARGUMENTS;
    err = RegOpenKeyExW(HKEY_LOCAL_MACHINE, REAL_KEY_USER, 0, KEY_SET_VALUE, &key);
    if (err != ERROR_SUCCESS)
        return (int)err + 100000; /* distinguishable from the verdict */
    if (wcscmp(argv[2], L"set") == 0)
        err = RegSetValueExW(key, argv[3], 0, REG_BINARY, (const BYTE *)REAL_DATA, sizeof(REAL_DATA));
    else if (wcscmp(argv[2], L"delete") == 0)
        err = RegDeleteValueW(key, argv[3]);
    else
        err = ERROR_BAD_ARGUMENTS;
    RegCloseKey(key);
    return (int)err;
}

typedef struct helper {
    PROCESS_INFORMATION pi;
    DWORD exit_code;
} helper;

static int helper_start(helper *h, const wchar_t *op, const wchar_t *name)
{
    wchar_t cmd[MAX_PATH * 2], exe[MAX_PATH];
    STARTUPINFOW si;

    GetModuleFileNameW(NULL, exe, MAX_PATH);
    swprintf(cmd, MAX_PATH * 2, L"\"%ls\" --reg-helper %ls %ls", exe, op, name);
    memset(&si, 0, sizeof(si));
    si.cb = sizeof(si);
    memset(h, 0, sizeof(*h));
    return CHECK(CreateProcessW(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &h->pi));
}

static int helper_finish(helper *h)
{
    int ok = CHECK_EQ(WaitForSingleObject(h->pi.hProcess, HELPER_TIMEOUT_MS), WAIT_OBJECT_0);
    GetExitCodeProcess(h->pi.hProcess, &h->exit_code);
    CloseHandle(h->pi.hProcess);
    CloseHandle(h->pi.hThread);
    return ok;
}

static int value_exists(const wchar_t *name)
{
    HKEY key;
    LONG err = RegOpenKeyExW(HKEY_LOCAL_MACHINE, REAL_KEY_USER, 0, KEY_QUERY_VALUE, &key);
    if (err != ERROR_SUCCESS)
        return 0;
    err = RegQueryValueExW(key, name, NULL, NULL, NULL, NULL);
    RegCloseKey(key);
    return err == ERROR_SUCCESS;
}

/* Set-value and delete-value under the test key wait for a verdict;
 * everything else there is audited; nothing else is delivered. */
static config_spec real_config(uint32_t timeout_ms, uint16_t fail_mode)
{
    config_spec s = verdict_all(timeout_ms, fail_mode);
    s.verdict_op_mask = HG_OP_BIT(HG_OP_SET_VALUE) | HG_OP_BIT(HG_OP_DELETE_VALUE);
    s.prefix = REAL_KEY_KERNEL;
    s.prefix_kind = HG_PREFIX_INCLUDE;
    s.prefix_flags = HG_PREFIX_F_VERDICT;
    return s;
}

/* One helper call answered by the agent with `verdict` (0 = no reply). */
static void real_call(const wchar_t *op, const wchar_t *name, uint16_t operation,
                      uint32_t verdict, DWORD expected_exit)
{
    static parked p;
    helper h;
    parked *done;
    event_view ev;
    DWORD err, bytes, rerr;

    CHECK_EQ(park(&p), ERROR_IO_PENDING);
    if (!helper_start(&h, op, name))
        return;
    done = completion(EVENT_WAIT_MS, &err, &bytes);
    if (CHECK(done == &p) && CHECK_EQ(err, 0) && first_event(done, bytes, &ev, NULL)) {
        CHECK_EQ(ev.h.operation, operation);
        CHECK(ev.h.flags & HG_EVENT_F_VERDICT_REQUESTED);
        CHECK_EQ(ev.h.pid, h.pi.dwProcessId);
        CHECK((ev.h.flags & HG_EVENT_F_KERNEL_CALLER) == 0);
        CHECK(str_is(ev.key, ev.h.key_path_bytes, REAL_KEY_KERNEL));
        CHECK(str_is(ev.value_name, ev.h.value_name_bytes, name));
        if (operation == HG_OP_SET_VALUE) {
            CHECK_EQ(ev.h.data_bytes, sizeof(REAL_DATA));
            CHECK(memcmp(ev.data, REAL_DATA, sizeof(REAL_DATA)) == 0);
        }
        if (verdict != 0) {
            HG_REPLY_RESULT rr = reply(ev.h.id, verdict, &rerr);
            CHECK_EQ(rr.accepted, 1);
        }
    } else {
        CancelIoEx(g_client, &p.ov);
        completion(EVENT_WAIT_MS, &err, &bytes);
    }
    if (helper_finish(&h))
        CHECK_EQ(h.exit_code, expected_exit);
}

static void case_real_start(void)
{
    CHECK(service_start());
}

static void case_real_connect(void)
{
    HG_HELLO_REPLY r;
    HKEY key;

    if (!connect_client())
        return;
    CHECK_EQ(hello(g_client, HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, &r), 0);
    CHECK(r.capabilities & HG_CAP_REGISTRY_CALLBACK);
    CHECK((r.capabilities & HG_CAP_INJECT) == 0); /* the release build */
    /* The agent's own write: self-excluded, so no event and no wait. */
    CHECK_EQ(RegCreateKeyExW(HKEY_LOCAL_MACHINE, REAL_KEY_USER, 0, NULL, 0, KEY_ALL_ACCESS, NULL,
                             &key, NULL), ERROR_SUCCESS);
    RegCloseKey(key);
}

/* The DACL the driver applied to \\.\HiveGuard: exactly LocalSystem and
 * BUILTIN\Administrators. Windows only: Wine's device file handles do not
 * report the device object's security descriptor. The open binds this
 * process as the client until the handle closes, so no client may be bound. */
static void case_real_device_dacl(void)
{
    HANDLE h = CreateFileW(HG_USER_PATH_W, READ_CONTROL, 0, NULL, OPEN_EXISTING, 0, NULL);
    unsigned char sd[1024];
    DWORD need = 0;
    BOOL present = FALSE, defaulted = FALSE;
    PACL acl = NULL;
    ACL_SIZE_INFORMATION info;
    DWORD i;
    int system_seen = 0, admins_seen = 0;
    static const SID_IDENTIFIER_AUTHORITY nt = SECURITY_NT_AUTHORITY;
    PSID system_sid = NULL, admins_sid = NULL;

    if (!CHECK(h != INVALID_HANDLE_VALUE))
        return;
    CHECK(GetKernelObjectSecurity(h, DACL_SECURITY_INFORMATION, (PSECURITY_DESCRIPTOR)sd, sizeof(sd), &need));
    CloseHandle(h);
    CHECK(GetSecurityDescriptorDacl((PSECURITY_DESCRIPTOR)sd, &present, &acl, &defaulted));
    if (!CHECK(present && acl != NULL))
        return;
    CHECK(GetAclInformation(acl, &info, sizeof(info), AclSizeInformation));
    CHECK_EQ(info.AceCount, 2);
    AllocateAndInitializeSid((PSID_IDENTIFIER_AUTHORITY)&nt, 1, SECURITY_LOCAL_SYSTEM_RID, 0, 0, 0, 0, 0, 0, 0, &system_sid);
    AllocateAndInitializeSid((PSID_IDENTIFIER_AUTHORITY)&nt, 2, SECURITY_BUILTIN_DOMAIN_RID,
                             DOMAIN_ALIAS_RID_ADMINS, 0, 0, 0, 0, 0, 0, &admins_sid);
    for (i = 0; i < info.AceCount; i++) {
        ACCESS_ALLOWED_ACE *ace = NULL;
        if (!CHECK(GetAce(acl, i, (LPVOID *)&ace)))
            continue;
        CHECK_EQ(ace->Header.AceType, ACCESS_ALLOWED_ACE_TYPE);
        system_seen += EqualSid((PSID)&ace->SidStart, system_sid) ? 1 : 0;
        admins_seen += EqualSid((PSID)&ace->SidStart, admins_sid) ? 1 : 0;
    }
    CHECK_EQ(system_seen, 1);
    CHECK_EQ(admins_seen, 1);
    FreeSid(system_sid);
    FreeSid(admins_sid);
}

static void case_real_allowed_write(void)
{
    config_spec s = real_config(REAL_VERDICT_MS, HG_FAIL_CLOSED);
    CHECK_EQ(configure(g_client, &s), 0);
    real_call(L"set", L"Allowed", HG_OP_SET_VALUE, HG_VERDICT_ALLOW, ERROR_SUCCESS);
    CHECK(value_exists(L"Allowed"));
}

static void case_real_blocked_write(void)
{
    real_call(L"set", L"Blocked", HG_OP_SET_VALUE, HG_VERDICT_BLOCK, ERROR_ACCESS_DENIED);
    CHECK(!value_exists(L"Blocked"));
}

static void case_real_blocked_delete(void)
{
    real_call(L"delete", L"Allowed", HG_OP_DELETE_VALUE, HG_VERDICT_BLOCK, ERROR_ACCESS_DENIED);
    CHECK(value_exists(L"Allowed"));
}

static void case_real_timeout_fail_closed(void)
{
    config_spec s = real_config(REAL_TIMEOUT_MS, HG_FAIL_CLOSED);
    CHECK_EQ(configure(g_client, &s), 0);
    real_call(L"set", L"Late", HG_OP_SET_VALUE, 0, ERROR_ACCESS_DENIED);
    CHECK(!value_exists(L"Late"));
}

static void case_real_timeout_fail_open(void)
{
    config_spec s = real_config(REAL_TIMEOUT_MS, HG_FAIL_OPEN);
    CHECK_EQ(configure(g_client, &s), 0);
    real_call(L"set", L"LateOpen", HG_OP_SET_VALUE, 0, ERROR_SUCCESS);
    CHECK(value_exists(L"LateOpen"));
}

static void case_real_counters_and_cleanup(void)
{
    HG_STATS st;

    unsigned i;
    int balanced = 0;

    /* On a live machine other processes' registry operations are always in
     * flight, so one snapshot may catch one between "raised" and its
     * outcome; a real leak shows in every snapshot. */
    for (i = 0; i < REAL_SNAPSHOTS && !balanced; i++) {
        if (i > 0)
            Sleep(REAL_SNAPSHOT_GAP_MS);
        CHECK(get_stats(&st));
        balanced = st.raised == st.filtered_out + st.delivered + st.dropped + st.backlog_events;
    }
    CHECK(balanced);
    CHECK_EQ(st.pending_waiters, 0);
    CHECK_EQ(st.parked_requests, 0);
    CHECK_EQ(st.replies_accepted, 3);
    CHECK_EQ(st.timed_out, 2);
    CHECK_EQ(st.fail_closed_applied, 1);
    CHECK_EQ(st.fail_open_applied, 1);
    CHECK(st.blocked >= 3);
    printf("    STATS raised=%llu filtered_out=%llu self_excluded=%llu delivered=%llu dropped=%llu "
           "blocked=%llu timed_out=%llu\n",
           (unsigned long long)st.raised, (unsigned long long)st.filtered_out,
           (unsigned long long)st.self_excluded, (unsigned long long)st.delivered,
           (unsigned long long)st.dropped, (unsigned long long)st.blocked,
           (unsigned long long)st.timed_out);
    /* The agent removes its key: self-excluded, never blocked. */
    CHECK_EQ(RegDeleteTreeW(HKEY_LOCAL_MACHINE, REAL_KEY_USER), ERROR_SUCCESS);
    disconnect_client();
    CHECK(service_stop());
}

/* Issue 9, item 2: DefaultVerdict=block with no agent blocks a user-mode
 * write on a protected key, but never an open or a query, never a write to
 * the HiveGuard service keys (even when listed as protected), and the service
 * control manager can still stop and start the driver. ProtectedPrefixes
 * names only the test key and HiveGuard's own service key, so nothing else on
 * the machine is locked while the case runs. */
static void case_real_lockdown_cannot_brick(void)
{
    static const wchar_t params_path[] = L"SYSTEM\\CurrentControlSet\\Services\\HiveGuard\\Parameters";
    static const wchar_t protected_list[] =
        L"\\REGISTRY\\MACHINE\\SOFTWARE\\HiveGuardE2E\0"
        L"\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\HiveGuard\0";
    DWORD block = HG_VERDICT_BLOCK, allow = HG_VERDICT_ALLOW, probe = 1;
    HKEY params, key;
    helper h;
    HG_STATS st;

    CHECK_EQ(RegCreateKeyExW(HKEY_LOCAL_MACHINE, REAL_KEY_USER, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &key, NULL),
             ERROR_SUCCESS);
    RegCloseKey(key);
    if (!CHECK_EQ(RegCreateKeyExW(HKEY_LOCAL_MACHINE, params_path, 0, NULL, 0, KEY_SET_VALUE, NULL, &params,
                                  NULL), ERROR_SUCCESS))
        return;
    CHECK_EQ(RegSetValueExW(params, L"DefaultVerdict", 0, REG_DWORD, (const BYTE *)&block, sizeof(block)), 0);
    CHECK_EQ(RegSetValueExW(params, L"ProtectedPrefixes", 0, REG_MULTI_SZ, (const BYTE *)protected_list,
                            sizeof(protected_list)), 0);
    RegCloseKey(params);
    if (!CHECK(service_start()))
        return;

    /* a write on the protected test key from another process: blocked */
    if (helper_start(&h, L"set", L"Locked") && helper_finish(&h))
        CHECK_EQ(h.exit_code, ERROR_ACCESS_DENIED);
    CHECK(!value_exists(L"Locked"));
    /* an open and a query of the same key: allowed */
    CHECK_EQ(RegOpenKeyExW(HKEY_LOCAL_MACHINE, REAL_KEY_USER, 0, KEY_QUERY_VALUE, &key), ERROR_SUCCESS);
    RegCloseKey(key);
    /* HiveGuard's own service key stays writable though it is listed */
    CHECK_EQ(RegOpenKeyExW(HKEY_LOCAL_MACHINE, params_path, 0, KEY_SET_VALUE, &params), ERROR_SUCCESS);
    CHECK_EQ(RegSetValueExW(params, L"LockdownProbe", 0, REG_DWORD, (const BYTE *)&probe, sizeof(probe)), 0);
    CHECK_EQ(RegDeleteValueW(params, L"LockdownProbe"), 0);
    g_client = open_client(); /* opened, no HELLO: still "no client", enough for STATS */
    if (CHECK(g_client != INVALID_HANDLE_VALUE) && CHECK(get_stats(&st))) {
        CHECK(st.lockdown_blocked >= 1);
        CHECK(st.lockdown_exempt >= 3);
        CHECK_EQ(st.client_bound, 0);
    }
    disconnect_client();
    /* the service control manager still stops (and later starts) the driver */
    CHECK(service_stop());
    CHECK_EQ(RegSetValueExW(params, L"DefaultVerdict", 0, REG_DWORD, (const BYTE *)&allow, sizeof(allow)), 0);
    CHECK_EQ(RegDeleteValueW(params, L"ProtectedPrefixes"), 0);
    RegCloseKey(params);
    CHECK(service_start());
    CHECK(service_stop());
    CHECK_EQ(RegDeleteTreeW(HKEY_LOCAL_MACHINE, REAL_KEY_USER), ERROR_SUCCESS);
}

#define SUSPEND_VERDICT_MS 20000u /* far longer than the stop may take */
#define SUSPEND_STOP_MS    10000u /* unload must finish within this */

static DWORD WINAPI stop_thread(LPVOID arg)
{
    (void)arg;
    return service_stop() ? 0 : 1;
}

/* A registry caller suspended (SuspendThread) while it waits for a verdict
 * must not hang the driver's unload: the callback holds its rundown and
 * waits inside a critical region, so the suspension cannot park the thread
 * there; unbinding the client releases the wait, and the stop completes
 * while the caller is still suspended. Windows only (Wine delivers no
 * registry operation to a callback). The caller is resumed afterwards in
 * every case, so a failure here cannot leave the machine stuck. */
static void case_real_suspended_waiter_unload(void)
{
    static parked p;
    config_spec s = real_config(SUSPEND_VERDICT_MS, HG_FAIL_CLOSED);
    helper h;
    parked *done;
    DWORD err, bytes, start, elapsed, stop_exit = 1;
    HANDLE stopper;
    int suspended = 0;
    HKEY key;

    if (!CHECK(service_start()) || !connect_client())
        return;
    CHECK_EQ(hello(g_client, HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, NULL), 0);
    CHECK_EQ(RegCreateKeyExW(HKEY_LOCAL_MACHINE, REAL_KEY_USER, 0, NULL, 0, KEY_ALL_ACCESS, NULL,
                             &key, NULL), ERROR_SUCCESS);
    RegCloseKey(key);
    CHECK_EQ(configure(g_client, &s), 0);
    CHECK_EQ(park(&p), ERROR_IO_PENDING);
    if (!helper_start(&h, L"set", L"Suspended"))
        return;
    /* The event is here: the helper's thread now waits in the callback. */
    done = completion(EVENT_WAIT_MS, &err, &bytes);
    CHECK(done == &p);
    suspended = CHECK(SuspendThread(h.pi.hThread) != (DWORD)-1);
    Sleep(200); /* let the suspend request reach the thread */

    /* Stop: the agent's handle goes (waiters released), then the unload. */
    start = GetTickCount();
    disconnect_client();
    stopper = CreateThread(NULL, 0, stop_thread, NULL, 0, NULL);
    if (CHECK(stopper != NULL)) {
        CHECK(WaitForSingleObject(stopper, SUSPEND_STOP_MS) == WAIT_OBJECT_0);
        elapsed = GetTickCount() - start;
        printf("    stop with a suspended caller took %lu ms\n", (unsigned long)elapsed);
        CHECK(elapsed < SUSPEND_STOP_MS);
    }
    if (suspended)
        ResumeThread(h.pi.hThread);
    if (stopper != NULL) {
        WaitForSingleObject(stopper, INFINITE); /* only returns once the stop ended */
        GetExitCodeThread(stopper, &stop_exit);
        CloseHandle(stopper);
        CHECK_EQ(stop_exit, 0);
    }
    /* Released with the service default (allow) when the client went. */
    if (helper_finish(&h))
        CHECK_EQ(h.exit_code, ERROR_SUCCESS);
    RegDeleteTreeW(HKEY_LOCAL_MACHINE, REAL_KEY_USER);
}

void run_real_suite(void)
{
    run_case("real_service_start", case_real_start);
    if (g_failed)
        return;
    run_case("real_device_dacl_system_and_admins_only", case_real_device_dacl);
    run_case("real_connect_and_capabilities", case_real_connect);
    run_case("real_write_allowed_by_agent", case_real_allowed_write);
    run_case("real_write_blocked_by_agent", case_real_blocked_write);
    run_case("real_delete_blocked_by_agent", case_real_blocked_delete);
    run_case("real_timeout_fail_closed", case_real_timeout_fail_closed);
    run_case("real_timeout_fail_open", case_real_timeout_fail_open);
    run_case("real_counters_exact_and_cleanup", case_real_counters_and_cleanup);
    run_case("real_lockdown_cannot_brick", case_real_lockdown_cannot_brick);
    run_case("real_suspended_waiter_does_not_hang_unload", case_real_suspended_waiter_unload);
}
