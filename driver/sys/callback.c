/*
 * callback.c - the RegistryCallback: registry operations in, verdicts out.
 *
 * Windows behaviour this file deals with:
 *  - CmRegisterCallbackEx is resolved at run time (Wine does not export it;
 *    importing it would make the image unloadable there). Without it the
 *    driver still serves its device and HELLO does not report
 *    HG_CAP_REGISTRY_CALLBACK.
 *  - The altitude must be unique among registry callbacks: registration
 *    fails with STATUS_FLT_INSTANCE_ALTITUDE_COLLISION when another driver
 *    holds it. We then try the next integer altitudes, a bounded number of
 *    times, and log what we took - losing a few positions in the order is
 *    better than not guarding the registry at all.
 *  - The callback runs in the registry caller's thread, at PASSIVE_LEVEL or
 *    APC_LEVEL (a caller inside a critical or guarded region). Nothing here
 *    may raise, assert or assume PASSIVE_LEVEL: a fault is bugcheck 0x135
 *    (REGISTRY_FILTER_DRIVER_EXCEPTION).
 *  - Only pre-notifications are handled: a verdict must be applied before
 *    the operation happens, and returning an error status from a
 *    pre-notification makes the configuration manager fail the call with it
 *    (STATUS_ACCESS_DENIED reaches RegSetValueEx as ERROR_ACCESS_DENIED).
 *    Post-notifications are not registered for: the event carries the
 *    decision, and the outcome of an allowed operation is not needed by the
 *    agent's audit trail.
 *  - SuspendThread (and any other normal kernel APC) is delivered to a
 *    thread waiting at PASSIVE_LEVEL even in a non-alertable KernelMode
 *    wait. A registry caller suspended inside our verdict wait would keep
 *    our rundown reference (and the configuration manager's reference on
 *    this callback) for as long as someone else pleases, so unload -
 *    CmUnRegisterCallback and hg_rundown_wait - would hang. The callback
 *    therefore holds the rundown only inside a critical region
 *    (KeEnterCriticalRegion disables normal kernel APCs, suspension
 *    included), so the verdict wait always ends (verdict, timeout, or
 *    unload releasing it) and the rundown is always given back. A pending
 *    suspend request is delivered by KeLeaveCriticalRegion, after the
 *    rundown is released - but when the configuration manager calls us
 *    with normal kernel APCs enabled, that is still before this function
 *    has returned, and CmUnRegisterCallback waits for the return: the VM
 *    suite's suspended-caller case is what shows whether a stop then
 *    completes (test-vm; Wine has no registry callbacks).
 *  - Cheap checks first: the class is mapped from the notify class with a
 *    switch, the caller is the current process object (never a name), and
 *    core decides on subscription before it asks capture.c for a key name,
 *    the caller's image and user, or value data. The callback runs in the
 *    caller's thread, which is what lets capture.c find that identity from
 *    the current process only when an event is actually delivered.
 */
#include "hg_sys.h"

/* Decimal text of an altitude, into a buffer of HG_ALTITUDE_CHARS_MAX. */
static void hg_altitude_text(ULONG altitude, PWCHAR buffer, UNICODE_STRING *out)
{
    WCHAR digits[HG_ALTITUDE_CHARS_MAX];
    USHORT n = 0, i;

    do {
        digits[n++] = (WCHAR)(L'0' + altitude % 10u);
        altitude /= 10u;
    } while (altitude != 0 && n < HG_ALTITUDE_CHARS_MAX - 1);
    for (i = 0; i < n; i++)
        buffer[i] = digits[n - 1 - i];
    buffer[n] = L'\0';
    out->Buffer = buffer;
    out->Length = (USHORT)(n * sizeof(WCHAR));
    out->MaximumLength = (USHORT)((n + 1) * sizeof(WCHAR));
}

/* The altitude string must stay valid while the callback is registered. */
static WCHAR s_altitude_buffer[HG_ALTITUDE_CHARS_MAX];

NTSTATUS hg_callback_register(void)
{
    UNICODE_STRING altitude;
    NTSTATUS status = STATUS_NOT_SUPPORTED;
    ULONG attempt;

    if (g_hg.cm_register == NULL || g_hg.cm_unregister == NULL)
        return STATUS_NOT_SUPPORTED;

    for (attempt = 0; attempt < HG_ALTITUDE_RETRY_MAX; attempt++) {
        ULONG candidate = g_hg.altitude_configured + attempt;
        if (candidate > HG_ALTITUDE_MAX)
            break;
        hg_altitude_text(candidate, s_altitude_buffer, &altitude);
        status = g_hg.cm_register(hg_registry_callback, &altitude, g_hg.driver_object,
                                  NULL, &g_hg.cookie, NULL);
        if (status == STATUS_FLT_INSTANCE_ALTITUDE_COLLISION) {
            HG_LOG("altitude %lu is taken by another registry filter, trying the next",
                   (unsigned long)candidate);
            continue;
        }
        if (NT_SUCCESS(status)) {
            g_hg.callback_registered = TRUE;
            g_hg.altitude_registered = candidate;
            HG_LOG("registry callback registered at altitude %lu", (unsigned long)candidate);
        } else {
            HG_LOG("CmRegisterCallbackEx failed 0x%08lx", (unsigned long)status);
        }
        return status;
    }
    HG_LOG("no free altitude in %lu..%lu", (unsigned long)g_hg.altitude_configured,
           (unsigned long)(g_hg.altitude_configured + HG_ALTITUDE_RETRY_MAX - 1));
    return status;
}

void hg_callback_unregister(void)
{
    NTSTATUS status;

    if (!g_hg.callback_registered)
        return;
    /* The configuration manager stops calling us for new operations and
     * waits for every call still inside hg_registry_callback to return.
     * Unload has already unbound the client, so none of them waits for a
     * verdict any more: this returns promptly. */
    status = g_hg.cm_unregister(g_hg.cookie);
    if (!NT_SUCCESS(status))
        HG_LOG("CmUnRegisterCallback failed 0x%08lx", (unsigned long)status);
    g_hg.callback_registered = FALSE;
}

static uint16_t hg_op_of_class(REG_NOTIFY_CLASS cls)
{
    switch (cls) {
    case RegNtPreCreateKeyEx:      return HG_OP_CREATE_KEY;
    case RegNtPreOpenKeyEx:        return HG_OP_OPEN_KEY;
    case RegNtPreSetValueKey:      return HG_OP_SET_VALUE;
    case RegNtPreDeleteValueKey:   return HG_OP_DELETE_VALUE;
    case RegNtPreDeleteKey:        return HG_OP_DELETE_KEY;
    case RegNtPreRenameKey:        return HG_OP_RENAME_KEY;
    case RegNtPreSetKeySecurity:   return HG_OP_SET_KEY_SECURITY;
    case RegNtPreSetInformationKey:return HG_OP_SET_INFORMATION;
    case RegNtPreLoadKey:          return HG_OP_LOAD_KEY;
    case RegNtPreUnLoadKey:        return HG_OP_UNLOAD_KEY;
    case RegNtPreSaveKey:          return HG_OP_SAVE_KEY;
    case RegNtPreRestoreKey:       return HG_OP_RESTORE_KEY;
    case RegNtPreReplaceKey:       return HG_OP_REPLACE_KEY;
    case RegNtPreFlushKey:         return HG_OP_FLUSH_KEY;
    default:                       return HG_OP_NONE;
    }
}

static hg_utf16 hg_utf16_of(PCUNICODE_STRING s)
{
    hg_utf16 u = { NULL, 0 };
    if (s != NULL && s->Buffer != NULL && (s->Length & 1u) == 0) {
        u.chars = (const uint16_t *)s->Buffer;
        u.bytes = s->Length;
    }
    return u;
}

/* Fills the operation-specific parts of op and capture from Argument2.
 * Every structure starts with the fields used here in all Windows versions
 * since Vista (the V1 create/open layout extends the original one). */
static void hg_describe(REG_NOTIFY_CLASS cls, PVOID info, hg_op *op, hg_capture *cap)
{
    switch (cls) {
    case RegNtPreCreateKeyEx:
    case RegNtPreOpenKeyEx: {
        PREG_CREATE_KEY_INFORMATION i = (PREG_CREATE_KEY_INFORMATION)info;
        cap->relative_name = i->CompleteName;
        cap->key_object = i->RootObject;
        break;
    }
    case RegNtPreSetValueKey: {
        PREG_SET_VALUE_KEY_INFORMATION i = (PREG_SET_VALUE_KEY_INFORMATION)info;
        cap->key_object = i->Object;
        op->value_name = hg_utf16_of(i->ValueName);
        op->value_type = i->Type;
        op->data_original_size = i->DataSize;
        cap->data = i->Data;
        cap->data_size = i->DataSize;
        break;
    }
    case RegNtPreDeleteValueKey: {
        PREG_DELETE_VALUE_KEY_INFORMATION i = (PREG_DELETE_VALUE_KEY_INFORMATION)info;
        cap->key_object = i->Object;
        op->value_name = hg_utf16_of(i->ValueName);
        break;
    }
    case RegNtPreRenameKey: {
        PREG_RENAME_KEY_INFORMATION i = (PREG_RENAME_KEY_INFORMATION)info;
        cap->key_object = i->Object;
        op->new_name = hg_utf16_of(i->NewName);
        break;
    }
    case RegNtPreLoadKey: {
        /* KeyName is the full path the hive is mounted at. */
        PREG_LOAD_KEY_INFORMATION i = (PREG_LOAD_KEY_INFORMATION)info;
        cap->key_object = i->Object;
        cap->relative_name = i->KeyName;
        break;
    }
    case RegNtPreDeleteKey:
    case RegNtPreFlushKey:
    case RegNtPreSetKeySecurity:
    case RegNtPreSetInformationKey:
    case RegNtPreUnLoadKey:
    case RegNtPreSaveKey:
    case RegNtPreRestoreKey:
    case RegNtPreReplaceKey:
    default:
        /* All of these start with the key object. */
        cap->key_object = *(PVOID *)info;
        break;
    }
}

NTSTATUS NTAPI hg_registry_callback(PVOID context, PVOID argument1, PVOID argument2)
{
    REG_NOTIFY_CLASS cls = (REG_NOTIFY_CLASS)(ULONG_PTR)argument1;
    hg_op op;
    hg_capture cap;
    hg_op_source source;
    hg_raise_result result;
    uint16_t operation;
    void *owned_value_name = NULL, *owned_new_name = NULL, *owned_relative = NULL;
    UNICODE_STRING relative_copy;

    UNREFERENCED_PARAMETER(context);
    operation = hg_op_of_class(cls);
    if (operation == HG_OP_NONE || argument2 == NULL)
        return STATUS_SUCCESS;
    RtlZeroMemory(&op, sizeof(op));
    RtlZeroMemory(&cap, sizeof(cap));
    RtlZeroMemory(&result, sizeof(result));
    cap.identity_callable = hg_capture_identity_callable();
    /* No suspension while we hold the rundown (see the file comment). */
    KeEnterCriticalRegion();
    if (!hg_rundown_enter()) {
        KeLeaveCriticalRegion();
        return STATUS_SUCCESS;
    }

    op.operation = operation;
#ifdef HG_TEST_BUILD
    /* An injected operation runs on a worker thread of this driver: it
     * stands in for the registry caller the test describes. Checked first,
     * because Wine's ExGetPreviousMode and PsGetProcessSessionId are stubs
     * that abort the host, and there only injected operations ever arrive. */
    if (!hg_inject_caller(&op))
#endif
    {
        op.kernel_caller = ExGetPreviousMode() == KernelMode;
        op.process_key = hg_process_key(IoGetCurrentProcess());
        op.pid = (uint64_t)(ULONG_PTR)PsGetCurrentProcessId();
        op.tid = (uint64_t)(ULONG_PTR)PsGetCurrentThreadId();
        op.session_id = PsGetProcessSessionId(IoGetCurrentProcess());
    }
    hg_describe(cls, argument2, &op, &cap);
    cap.user_data = !op.kernel_caller;
    if (!op.kernel_caller) {
        hg_capture_user_name(&op.value_name, &owned_value_name);
        hg_capture_user_name(&op.new_name, &owned_new_name);
        if (cap.relative_name != NULL && cap.relative_name->Length != 0) {
            hg_utf16 rel = { (const uint16_t *)cap.relative_name->Buffer, cap.relative_name->Length };
            hg_capture_user_name(&rel, &owned_relative);
            if (rel.bytes == 0) {
                cap.name_unreadable = TRUE; /* resolve fails: no verdict on a guessed path */
            } else if (owned_relative != NULL) {
                relative_copy.Buffer = (PWCH)owned_relative;
                relative_copy.Length = relative_copy.MaximumLength = (USHORT)rel.bytes;
                cap.relative_name = &relative_copy;
            }
        }
    }
    hg_capture_source(&cap, &source);

    hg_core_raise(g_hg.core, &op, &source, &result);

    hg_plat_free(owned_value_name);
    hg_plat_free(owned_new_name);
    hg_plat_free(owned_relative);
    hg_rundown_leave();
    KeLeaveCriticalRegion();
    return result.verdict == HG_VERDICT_BLOCK ? STATUS_ACCESS_DENIED : STATUS_SUCCESS;
}
