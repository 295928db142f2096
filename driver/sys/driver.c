/*
 * driver.c - DriverEntry, DriverUnload and the driver's life cycle.
 *
 * Windows behaviour this file deals with:
 *  - A legacy (non-PnP) driver is started by the service control manager;
 *    its settings live under the service key's Parameters subkey, which the
 *    INF fills (Altitude, DefaultVerdict, ProtectedPrefixes). Absent values take documented
 *    defaults; present but invalid values are logged and replaced by the
 *    default rather than failing the load of a security driver.
 *  - Unload order matters because registry callbacks and verdict waits run
 *    on other threads: (1) unregister the registry callback so no new
 *    operation enters, (2) remove the symbolic link so no new client opens,
 *    (3) unbind the client - every waiting registry caller is released with
 *    its default verdict and every parked IRP completes, (4) wait for the
 *    rundown reference held by every dispatch, callback and inject worker,
 *    (5) destroy the core (it waits for raisers still leaving and for cancel
 *    routines still running), (6) delete the devices. Nothing of ours runs
 *    after DriverUnload returns.
 *  - On Windows the I/O manager defers DriverUnload while a handle to the
 *    device is open; Wine's driver host calls it anyway, so steps 3-5 also
 *    cover a client that is still connected with requests parked.
 */
#include "hg_sys.h"

hg_driver g_hg;

DRIVER_INITIALIZE DriverEntry;
DRIVER_DISPATCH hg_dispatch;
LONG hg_irpqueue_cancels_running(void);
void hg_device_delete_link(void);

/* Bound on the final wait for cancel routines leaving our code; each has
 * only a few instructions left once core is drained. */
#define HG_CANCEL_DRAIN_POLLS 1000u
#define HG_CANCEL_DRAIN_POLL_100NS (-10000LL) /* 1 ms */

#define HG_PARAM_VALUE_MAX_BYTES 64u /* largest Parameters value we accept */

#define HG_RUNDOWN_CLOSING ((LONG)0x40000000)

BOOLEAN hg_rundown_enter(void)
{
    LONG seen, current = InterlockedCompareExchange(&g_hg.rundown_count, 0, 0);

    for (;;) {
        if (current & HG_RUNDOWN_CLOSING)
            return FALSE;
        seen = InterlockedCompareExchange(&g_hg.rundown_count, current + 1, current);
        if (seen == current)
            return TRUE;
        current = seen;
    }
}

void hg_rundown_leave(void)
{
    /* The last holder out after unload began wakes the unload. */
    if (InterlockedDecrement(&g_hg.rundown_count) == HG_RUNDOWN_CLOSING)
        KeSetEvent(&g_hg.rundown_done, IO_NO_INCREMENT, FALSE);
}

/* Refuses new holders, then waits for the current ones. Every holder's work
 * is bounded (a verdict wait by HG_TIMEOUT_MAX_MS, and unload has released
 * the waiters before calling this), so the wait is too. */
static void hg_rundown_wait(void)
{
    LONG before = InterlockedOr(&g_hg.rundown_count, HG_RUNDOWN_CLOSING);

    if ((before & ~HG_RUNDOWN_CLOSING) != 0)
        KeWaitForSingleObject(&g_hg.rundown_done, Executive, KernelMode, FALSE, NULL);
}

/* Reads one value of the Parameters key into a caller buffer; FALSE when
 * absent, of another type or too large. */
static BOOLEAN hg_read_param(HANDLE key, PCWSTR name, ULONG type,
                             PKEY_VALUE_PARTIAL_INFORMATION info, ULONG info_bytes)
{
    UNICODE_STRING value_name;
    ULONG result = 0;
    NTSTATUS status;

    RtlInitUnicodeString(&value_name, name);
    status = ZwQueryValueKey(key, &value_name, KeyValuePartialInformation, info, info_bytes, &result);
    if (!NT_SUCCESS(status))
        return FALSE;
    if (info->Type != type) {
        HG_LOG("Parameters\\%ws has the wrong type %lu, using the default", name,
               (unsigned long)info->Type);
        return FALSE;
    }
    return TRUE;
}

/* Decimal altitude in a REG_SZ: digits only, an optional fractional part is
 * not supported (we retry by whole numbers). */
static BOOLEAN hg_parse_altitude(const WCHAR *text, ULONG bytes, ULONG *out)
{
    ULONG value = 0, i, n = bytes / sizeof(WCHAR);

    while (n > 0 && text[n - 1] == L'\0')
        n--;
    if (n == 0 || n > HG_ALTITUDE_CHARS_MAX)
        return FALSE;
    for (i = 0; i < n; i++) {
        if (text[i] < L'0' || text[i] > L'9')
            return FALSE;
        value = value * 10u + (ULONG)(text[i] - L'0');
        if (value > HG_ALTITUDE_MAX)
            return FALSE;
    }
    if (value < HG_ALTITUDE_MIN)
        return FALSE;
    *out = value;
    return TRUE;
}

/* Parameters\ProtectedPrefixes (REG_MULTI_SZ): the keys DefaultVerdict=block
 * protects while no agent is connected (see core/lockdown.c). Kept in the
 * image's data, so both core creations of DriverEntry can pass it without an
 * allocation to free on every path; core validates and copies it. */
#define HG_PROTECTED_PREFIXES_MAX_BYTES (16u * 1024u)
static WCHAR g_protected_prefixes[HG_PROTECTED_PREFIXES_MAX_BYTES / sizeof(WCHAR)];
static ULONG g_protected_prefixes_bytes; /* 0: absent or unusable, the built-in list */

static void hg_read_protected_prefixes(HANDLE key)
{
    ULONG bytes = FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data) + HG_PROTECTED_PREFIXES_MAX_BYTES;
    ULONG result = 0;
    PKEY_VALUE_PARTIAL_INFORMATION info;
    UNICODE_STRING name;
    NTSTATUS status;

    g_protected_prefixes_bytes = 0;
    info = (PKEY_VALUE_PARTIAL_INFORMATION)hg_plat_alloc(bytes);
    if (info == NULL) {
        HG_LOG("no memory to read Parameters\\ProtectedPrefixes, using the built-in list");
        return;
    }
    RtlInitUnicodeString(&name, L"ProtectedPrefixes");
    status = ZwQueryValueKey(key, &name, KeyValuePartialInformation, info, bytes, &result);
    if (status == STATUS_OBJECT_NAME_NOT_FOUND)
        goto cleanup;
    if (!NT_SUCCESS(status) || info->Type != REG_MULTI_SZ || info->DataLength == 0 ||
        info->DataLength > HG_PROTECTED_PREFIXES_MAX_BYTES) {
        HG_LOG("Parameters\\ProtectedPrefixes must be a REG_MULTI_SZ of at most %u bytes "
               "(status 0x%08lx), using the built-in list",
               HG_PROTECTED_PREFIXES_MAX_BYTES, (unsigned long)status);
        goto cleanup;
    }
    RtlCopyMemory(g_protected_prefixes, info->Data, info->DataLength);
    g_protected_prefixes_bytes = info->DataLength;
cleanup:
    hg_plat_free(info);
}

static void hg_read_parameters(PUNICODE_STRING registry_path)
{
    static const WCHAR suffix[] = L"\\Parameters";
    UNICODE_STRING path;
    OBJECT_ATTRIBUTES oa;
    HANDLE key = NULL;
    union {
        KEY_VALUE_PARTIAL_INFORMATION info;
        UCHAR bytes[sizeof(KEY_VALUE_PARTIAL_INFORMATION) + HG_PARAM_VALUE_MAX_BYTES];
    } value;
    NTSTATUS status;
    ULONG path_bytes;

    g_hg.altitude_configured = HG_ALTITUDE_DEFAULT;
    g_hg.no_client_verdict = HG_VERDICT_ALLOW;

    if (registry_path == NULL || registry_path->Buffer == NULL)
        return;
    path_bytes = (ULONG)registry_path->Length + sizeof(suffix);
    if (path_bytes > 0xFFFEu)
        return;
    path.Buffer = (PWCH)hg_plat_alloc(path_bytes);
    if (path.Buffer == NULL)
        return;
    path.Length = 0;
    path.MaximumLength = (USHORT)path_bytes;
    RtlCopyUnicodeString(&path, registry_path);
    RtlAppendUnicodeToString(&path, suffix);

    InitializeObjectAttributes(&oa, &path, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    status = ZwOpenKey(&key, KEY_READ, &oa);
    hg_plat_free(path.Buffer);
    if (!NT_SUCCESS(status))
        return; /* no Parameters key: defaults */

    if (hg_read_param(key, L"Altitude", REG_SZ, &value.info, sizeof(value))) {
        ULONG altitude;
        if (hg_parse_altitude((const WCHAR *)value.info.Data, value.info.DataLength, &altitude))
            g_hg.altitude_configured = altitude;
        else
            HG_LOG("Parameters\\Altitude is not an altitude in %lu..%lu, using %ws",
                   (unsigned long)HG_ALTITUDE_MIN, (unsigned long)HG_ALTITUDE_MAX,
                   HG_ALTITUDE_DEFAULT_W);
    }
    if (hg_read_param(key, L"DefaultVerdict", REG_DWORD, &value.info, sizeof(value))) {
        ULONG verdict = *(const ULONG *)value.info.Data;
        if (value.info.DataLength == sizeof(ULONG) &&
            (verdict == HG_VERDICT_ALLOW || verdict == HG_VERDICT_BLOCK))
            g_hg.no_client_verdict = (USHORT)verdict;
        else
            HG_LOG("Parameters\\DefaultVerdict must be 1 (allow) or 2 (block), using allow");
    }
    hg_read_protected_prefixes(key);
    ZwClose(key);
}

static NTSTATUS hg_create_core(BOOLEAN with_callback)
{
    hg_core_params params;
    uint32_t status;

    RtlZeroMemory(&params, sizeof(params));
    params.no_client_verdict = g_hg.no_client_verdict;
    params.instance_id = g_hg.instance_id;
    if (with_callback)
        params.capabilities |= HG_CAP_REGISTRY_CALLBACK;
    if (g_hg.names.get_id_ex != NULL)
        params.capabilities |= HG_CAP_KEY_OBJECT_ID_EX;
#ifdef HG_TEST_BUILD
    params.capabilities |= HG_CAP_INJECT;
#endif
    if (g_protected_prefixes_bytes != 0) {
        params.protected_prefixes = (const uint16_t *)g_protected_prefixes;
        params.protected_prefixes_bytes = g_protected_prefixes_bytes;
    }
    status = hg_core_create(&params, &g_hg.core);
    if (status == HG_STATUS_INVALID_PARAMETER && params.protected_prefixes != NULL) {
        /* A bad list must not fail the load of a security driver. */
        HG_LOG("Parameters\\ProtectedPrefixes is not a list of \\REGISTRY\\... key paths, "
               "using the built-in list");
        g_protected_prefixes_bytes = 0;
        params.protected_prefixes = NULL;
        params.protected_prefixes_bytes = 0;
        status = hg_core_create(&params, &g_hg.core);
    }
    return (NTSTATUS)status;
}

static VOID NTAPI hg_unload(PDRIVER_OBJECT driver)
{
    ULONG polls;

    UNREFERENCED_PARAMETER(driver);
    InterlockedExchange(&g_hg.state, HG_STATE_UNLOADING);

    hg_callback_unregister();
    hg_device_delete_link();
    hg_device_release_client();
    hg_rundown_wait();
#ifdef HG_TEST_BUILD
    hg_inject_shutdown();
#endif
    hg_core_destroy(g_hg.core);
    g_hg.core = NULL;
    for (polls = 0; polls < HG_CANCEL_DRAIN_POLLS && hg_irpqueue_cancels_running() != 0; polls++) {
        LARGE_INTEGER delay;
        delay.QuadPart = HG_CANCEL_DRAIN_POLL_100NS;
        KeDelayExecutionThread(KernelMode, FALSE, &delay);
    }
    hg_device_delete();
    HG_LOG("unloaded");
}

static void hg_resolve_cm(void)
{
    UNICODE_STRING name;

    RtlInitUnicodeString(&name, L"CmRegisterCallbackEx");
    g_hg.cm_register = (hg_cm_register_fn)MmGetSystemRoutineAddress(&name);
    RtlInitUnicodeString(&name, L"CmUnRegisterCallback");
    g_hg.cm_unregister = (hg_cm_unregister_fn)MmGetSystemRoutineAddress(&name);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path)
{
    LARGE_INTEGER now;
    NTSTATUS status;
    BOOLEAN with_callback;

    RtlZeroMemory(&g_hg, sizeof(g_hg));
    g_hg.driver_object = driver;
    g_hg.state = HG_STATE_LOADING;
    KeInitializeEvent(&g_hg.rundown_done, NotificationEvent, FALSE);
    KeInitializeSpinLock(&g_hg.client_lock);
    hg_platform_init();
    hg_capture_init_apis();
    hg_resolve_cm();
    hg_read_parameters(registry_path);

    /* Differs on every load (100 ns wall-clock resolution), so an agent can
     * tell a restarted driver from the one it configured. */
    KeQuerySystemTime(&now);
    g_hg.instance_id = (ULONG64)now.QuadPart;

    driver->MajorFunction[IRP_MJ_CREATE] = hg_dispatch;
    driver->MajorFunction[IRP_MJ_CLEANUP] = hg_dispatch;
    driver->MajorFunction[IRP_MJ_CLOSE] = hg_dispatch;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = hg_dispatch;

    /* The core must exist before the callback can fire, and HELLO reports
     * the callback capability only if registration really worked: create
     * with it, and recreate without it if registration fails (nothing can
     * have used the first core: the callback never ran, no device exists). */
    with_callback = g_hg.cm_register != NULL && g_hg.cm_unregister != NULL;
    status = hg_create_core(with_callback);
    if (!NT_SUCCESS(status))
        return status;
    if (with_callback && !NT_SUCCESS(hg_callback_register())) {
        hg_core_destroy(g_hg.core);
        g_hg.core = NULL;
        status = hg_create_core(FALSE);
        if (!NT_SUCCESS(status))
            return status;
    }
    if (!with_callback)
        HG_LOG("CmRegisterCallbackEx is not available: serving the device without a registry callback");

    status = hg_device_create(driver);
    if (!NT_SUCCESS(status))
        goto fail;
#ifdef HG_TEST_BUILD
    status = hg_inject_init(driver);
    if (!NT_SUCCESS(status))
        goto fail;
#endif
    driver->DriverUnload = hg_unload;
    InterlockedExchange(&g_hg.state, HG_STATE_RUNNING);
    HG_LOG("loaded, instance %I64x, no-client verdict %u", g_hg.instance_id,
           (unsigned)g_hg.no_client_verdict);
    return STATUS_SUCCESS;

fail:
    hg_callback_unregister();
    hg_rundown_wait();
#ifdef HG_TEST_BUILD
    hg_inject_shutdown();
#endif
    hg_device_delete();
    hg_core_destroy(g_hg.core);
    g_hg.core = NULL;
    return status;
}
