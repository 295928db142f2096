/*
 * driver.c - DriverEntry, DriverUnload and the driver's life cycle.
 *
 * Windows behaviour this file deals with:
 *  - A legacy (non-PnP) driver is started by the service control manager;
 *    its settings live under the service key's Parameters subkey, which the
 *    INF fills (Altitude, DefaultVerdict, ProtectedPrefixes). Absent values take documented
 *    defaults; present but invalid values are logged and replaced by the
 *    default rather than failing the load of a security driver.
 *  - A registry guard that cannot register its callback guards nothing. The
 *    release image therefore fails DriverEntry with the status when
 *    CmRegisterCallbackEx/CmUnRegisterCallback are not exported
 *    (STATUS_PROCEDURE_NOT_FOUND) or registration fails (its own status),
 *    before or after creating anything, and leaves nothing behind: the
 *    service does not start and `sc start` shows the error. Only the test
 *    image (HG_TEST_BUILD) keeps serving without a callback, because Wine
 *    exports neither routine and its suite drives the callback by injection;
 *    HELLO then lacks HG_CAP_REGISTRY_CALLBACK and the agent refuses to
 *    report "serving".
 *  - Unload order, as Windows runs it. CmUnRegisterCallback does not return
 *    while any call of our callback is still in progress (the configuration
 *    manager holds its own run-down reference on the callback block around
 *    each call), so a registry caller parked in a verdict wait would hold it
 *    up for as long as the wait lasts. Hence: (1) remove the symbolic link
 *    so no new client opens, (2) unbind the client - every waiting registry
 *    caller is released with its default verdict, every parked IRP
 *    completes, and from now on a callback finds no client and takes the
 *    default at once, (3) CmUnRegisterCallback: no new operation enters and
 *    the ones in flight, which can no longer wait, have returned when it
 *    does, (4) wait for our rundown reference, held by every dispatch,
 *    callback and inject worker, (5) destroy the core (it waits for raisers
 *    still leaving and for cancel routines still running), (6) delete the
 *    devices. Nothing of ours runs after DriverUnload returns. A caller
 *    suspended by SuspendThread cannot stall step 4 or keep its verdict wait
 *    from ending: callback.c holds the rundown and waits only inside a
 *    critical region (what that leaves for step 3 is said there).
 *  - On Windows the I/O manager does not call DriverUnload while a handle to
 *    the device is open (the unload stays pending until the last reference
 *    goes); Wine's driver host calls it anyway, so step 2 also covers a
 *    client that is still connected with requests parked.
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

    hg_device_delete_link();
    hg_device_release_client();
    hg_callback_unregister();
    hg_rundown_wait();
    /* A CREATE that passed its unloading check just before the state
     * changed may have bound a client after the first release; no dispatch
     * runs any more, so this one is final (and drops that process
     * reference). */
    hg_device_release_client();
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
    KeInitializeSpinLock(&g_hg.client_lock);
    hg_platform_init();
    hg_capture_init_apis();
    hg_resolve_cm();
    with_callback = g_hg.cm_register != NULL && g_hg.cm_unregister != NULL;
#ifndef HG_TEST_BUILD
    if (!with_callback) {
        HG_LOG("CmRegisterCallbackEx/CmUnRegisterCallback are not exported by this kernel: "
               "not loading (0x%08lx)", (unsigned long)STATUS_PROCEDURE_NOT_FOUND);
        return STATUS_PROCEDURE_NOT_FOUND;
    }
#endif
    /* The documented EX_RUNDOWN_REF wherever the kernel is Windows; the
     * test image's Wine fallback otherwise (see hg_sys_rundown). */
    hg_sys_rundown_init(with_callback);
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
     * the callback capability only if registration really worked. */
    status = hg_create_core(with_callback);
    if (!NT_SUCCESS(status))
        return status;
    if (with_callback) {
        status = hg_callback_register();
        if (!NT_SUCCESS(status)) {
            /* Nothing can have used this core: the callback never ran and
             * no device exists. */
            hg_core_destroy(g_hg.core);
            g_hg.core = NULL;
#ifndef HG_TEST_BUILD
            HG_LOG("registry callback not registered: not loading (0x%08lx)", (unsigned long)status);
            return status;
#else
            /* The test image keeps serving its device without a callback:
             * recreate the core without the capability. */
            with_callback = FALSE;
            status = hg_create_core(FALSE);
            if (!NT_SUCCESS(status))
                return status;
#endif
        }
    }
    if (!with_callback)
        HG_LOG("test image without a registry callback: serving the device, HELLO lacks "
               "HG_CAP_REGISTRY_CALLBACK");

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
