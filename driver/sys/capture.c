/*
 * capture.c - key names and value data, produced only when core asks.
 *
 * Windows behaviour this file deals with:
 *  - A registry callback gets key *objects*, not names. The name comes from
 *    CmCallbackGetKeyObjectIDEx (Windows 8+: returns a private copy that
 *    must be given back with CmCallbackReleaseKeyObjectIDEx, safe while the
 *    key is being renamed or deleted) or, before that, from
 *    CmCallbackGetKeyObjectID (returns a name the configuration manager
 *    owns). Both are resolved at run time: the mingw-w64 headers lack the Ex
 *    pair and Wine exports neither.
 *  - Pre-create and pre-open carry no key object yet: the name is
 *    CompleteName, which is relative to RootObject unless it starts with a
 *    backslash (then it is already a full \REGISTRY\... path).
 *  - NtSetValueKey captures the value name into kernel memory before it
 *    calls the callbacks, but passes Data as the caller gave it: value data
 *    of a user-mode caller is the caller's own user-mode buffer (see
 *    seh_copy.S); a kernel-range pointer is either a kernel caller's
 *    buffer or one the configuration manager captured, and both are safe to
 *    read. The address decides, because a user-mode caller cannot make the
 *    configuration manager hand us a kernel address it did not capture.
 *  - Names are resolved lazily through hg_op_source, so an operation the
 *    subscription drops never pays for a name lookup or a data copy.
 *
 * Everything here runs in the registry callback at PASSIVE or APC_LEVEL:
 * no exception escapes, nothing asserts, failures become "no name" (core
 * then lets the operation pass and counts it) or "data unreadable".
 */
#include "hg_sys.h"

void hg_capture_init_apis(void)
{
    UNICODE_STRING name;

    RtlInitUnicodeString(&name, L"CmCallbackGetKeyObjectIDEx");
    g_hg.names.get_id_ex = (hg_cm_get_key_id_ex_fn)MmGetSystemRoutineAddress(&name);
    RtlInitUnicodeString(&name, L"CmCallbackReleaseKeyObjectIDEx");
    g_hg.names.release_id_ex = (hg_cm_release_key_id_ex_fn)MmGetSystemRoutineAddress(&name);
    if (g_hg.names.get_id_ex == NULL || g_hg.names.release_id_ex == NULL) {
        /* Half a pair is useless: a copy we cannot release would leak. */
        g_hg.names.get_id_ex = NULL;
        g_hg.names.release_id_ex = NULL;
    }
    RtlInitUnicodeString(&name, L"CmCallbackGetKeyObjectID");
    g_hg.names.get_id = (hg_cm_get_key_id_fn)MmGetSystemRoutineAddress(&name);
}

static BOOLEAN hg_unicode_ok(PCUNICODE_STRING s)
{
    return s != NULL && (s->Length & 1u) == 0 && s->Length <= s->MaximumLength &&
           (s->Length == 0 || s->Buffer != NULL);
}

static BOOLEAN hg_is_absolute(PCUNICODE_STRING s)
{
    return s->Length >= sizeof(WCHAR) && s->Buffer[0] == L'\\';
}

/* The name of a key object, or NULL. Sets c->cm_name / cm_name_ex so that
 * the release hook gives a private copy back. */
static PCUNICODE_STRING hg_key_object_name(hg_capture *c)
{
    PCUNICODE_STRING name = NULL;
    NTSTATUS status;

    if (c->key_object == NULL)
        return NULL;
#ifdef HG_TEST_BUILD
    /* Synthesized key objects of the injection path are not configuration
     * manager objects: handing one to CmCallbackGetKeyObjectID* on a real
     * kernel would be a bugcheck. */
    if (hg_inject_key_name(c->key_object, &name))
        return hg_unicode_ok(name) ? name : NULL;
#endif
    if (g_hg.names.get_id_ex != NULL) {
        status = g_hg.names.get_id_ex(&g_hg.cookie, c->key_object, NULL, &name, 0);
        if (!NT_SUCCESS(status) || name == NULL)
            return NULL;
        c->cm_name = name;
        c->cm_name_ex = TRUE;
    } else if (g_hg.names.get_id != NULL) {
        status = g_hg.names.get_id(&g_hg.cookie, c->key_object, NULL, &name);
        if (!NT_SUCCESS(status) || name == NULL)
            return NULL;
        c->cm_name = name;
    } else {
        return NULL;
    }
    return hg_unicode_ok(name) ? name : NULL;
}

static uint32_t hg_capture_resolve(void *ctx, hg_utf16 *path)
{
    hg_capture *c = (hg_capture *)ctx;
    PCUNICODE_STRING base;
    PCUNICODE_STRING rel = c->relative_name;
    SIZE_T total;

    if (c->name_unreadable || (rel != NULL && !hg_unicode_ok(rel)))
        return HG_STATUS_INVALID_PARAMETER;
    if (rel != NULL && hg_is_absolute(rel)) {
        path->chars = (const uint16_t *)rel->Buffer;
        path->bytes = rel->Length;
        return HG_STATUS_SUCCESS;
    }

    base = hg_key_object_name(c);
    if (base == NULL)
        return HG_STATUS_INVALID_PARAMETER;
    if (rel == NULL || rel->Length == 0) {
        path->chars = (const uint16_t *)base->Buffer;
        path->bytes = base->Length;
        return HG_STATUS_SUCCESS;
    }

    /* root + '\' + relative: at most 2 * 64 KiB, no overflow in SIZE_T. */
    total = (SIZE_T)base->Length + sizeof(WCHAR) + rel->Length;
    c->joined = (PWCHAR)hg_plat_alloc(total);
    if (c->joined == NULL)
        return HG_STATUS_INSUFFICIENT_RESOURCES;
    RtlCopyMemory(c->joined, base->Buffer, base->Length);
    c->joined[base->Length / sizeof(WCHAR)] = L'\\';
    RtlCopyMemory((PUCHAR)c->joined + base->Length + sizeof(WCHAR), rel->Buffer, rel->Length);
    path->chars = (const uint16_t *)c->joined;
    path->bytes = (uint32_t)total;
    return HG_STATUS_SUCCESS;
}

static void hg_capture_release(void *ctx, hg_utf16 *path)
{
    hg_capture *c = (hg_capture *)ctx;

    if (c->joined != NULL) {
        hg_plat_free(c->joined);
        c->joined = NULL;
    }
    if (c->cm_name_ex && c->cm_name != NULL && g_hg.names.release_id_ex != NULL)
        g_hg.names.release_id_ex(c->cm_name);
    c->cm_name = NULL;
    c->cm_name_ex = FALSE;
    if (path != NULL) {
        path->chars = NULL;
        path->bytes = 0;
    }
}

/*
 * The value of MmUserProbeAddress on x64 Windows 8.1 and later (128 TiB user
 * space, minus the 64 KiB guard ProbeForRead keeps below it). A constant,
 * not the exported variable: Wine 8 exports MmUserProbeAddress as a stub, so
 * importing it would read code bytes there. On older x64 kernels (8 TiB user
 * space) the addresses between the two bounds are unmapped user addresses,
 * whose reads fault and are caught like any other bad user pointer.
 */
#define HG_USER_PROBE_ADDRESS ((ULONG_PTR)0x00007FFFFFFF0000ULL)

/* What ProbeForRead checks, without raising: [p, p+len) lies below the
 * highest user address and does not wrap. */
static BOOLEAN hg_user_range(const VOID *p, SIZE_T len)
{
    ULONG_PTR start = (ULONG_PTR)p;
    ULONG_PTR end = start + len;
    return end >= start && end <= HG_USER_PROBE_ADDRESS;
}

static uint32_t hg_capture_data(void *ctx, void *dst, uint32_t cap, int *unreadable)
{
    hg_capture *c = (hg_capture *)ctx;
    SIZE_T n = c->data_size < cap ? c->data_size : cap;

    *unreadable = 0;
    if (n == 0)
        return 0;
    if (c->data == NULL) {
        *unreadable = 1;
        return 0;
    }
    if (c->user_data && (ULONG_PTR)c->data < HG_USER_PROBE_ADDRESS &&
        !hg_user_range(c->data, c->data_size)) {
        /* Starts in user space and runs past its end: ProbeForRead would
         * raise, so nothing is read. (A kernel-range pointer for a user-mode
         * caller is the configuration manager's own captured copy.) */
        *unreadable = 1;
        return 0;
    }
    if (hg_seh_copy(dst, c->data, n) != 0) {
        *unreadable = 1;
        return 0;
    }
    return (uint32_t)n;
}

/*
 * A name the configuration manager passed without capturing: NtSetValueKey
 * copies the value name into kernel memory, but other paths (rename's
 * NewName, older kernels) may hand over a UNICODE_STRING whose Buffer is
 * still the caller's. Core copies names into the event without any
 * exception handling, so a user-range buffer is copied here first, under
 * seh_copy. Kernel-range buffers are used in place. On a fault or without
 * memory the name is dropped (empty) rather than read unsafely.
 */
void hg_capture_user_name(hg_utf16 *name, void **owned)
{
    void *copy;

    *owned = NULL;
    if (name->bytes == 0 || name->chars == NULL ||
        (ULONG_PTR)name->chars >= HG_USER_PROBE_ADDRESS)
        return;
    copy = hg_user_range(name->chars, name->bytes) ? hg_plat_alloc(name->bytes) : NULL;
    if (copy == NULL || hg_seh_copy(copy, name->chars, name->bytes) != 0) {
        hg_plat_free(copy);
        name->chars = NULL;
        name->bytes = 0;
        return;
    }
    name->chars = (const uint16_t *)copy;
    *owned = copy;
}

void hg_capture_source(hg_capture *capture, hg_op_source *source)
{
    source->resolve_key_path = hg_capture_resolve;
    source->release_key_path = hg_capture_release;
    source->capture_data = capture->data_size != 0 ? hg_capture_data : NULL;
    source->ctx = capture;
    source->resolve_identity = NULL;
    source->release_identity = NULL;
}
