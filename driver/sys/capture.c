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
 *  - Input buffers. The EX_CALLBACK_FUNCTION reference (RegistryCallback,
 *    Remarks, learn.microsoft.com/windows-hardware/drivers/ddi/wdm/
 *    nc-wdm-ex_callback_function; "Handling Notifications" in the registry
 *    filtering guide leads there) says: "Starting with Windows 8, the kernel
 *    captures all input buffers pointed to by members of the Argument2
 *    structures in system memory before calling the RegistryCallback
 *    routine"; before Windows 8 it probes them but captures only some, and
 *    the callback "must enclose any access of an input buffer in a
 *    try/except block". So on Windows 8 and later, value data, value names,
 *    CompleteName and NewName of a user-mode caller are kernel copies, safe
 *    to read directly. The guarded copy (seh_copy.S) is kept, and still
 *    needed, for two reasons: the driver does not refuse Windows 7
 *    (CmRegisterCallbackEx exists there, and a user-range pointer is the
 *    caller's live buffer, which another of its threads may free or unmap
 *    at any moment), and the test image's injection path hands the callback
 *    deliberately unmapped user-range pointers to prove the recovery. On
 *    Windows 8+ it costs one range check per buffer: every input pointer is
 *    then kernel-range and taken as is. The address decides, because a
 *    user-mode caller cannot make the configuration manager hand us a
 *    kernel address it did not capture.
 *  - Names are resolved lazily through hg_op_source, so an operation the
 *    subscription drops never pays for a name lookup or a data copy.
 *  - The caller's image and user (Sysmon's Image and User, the fields
 *    policies match most) are looked up just as lazily, for delivered
 *    operations only: the callback runs in the caller's thread, so "the
 *    caller" is the current process. See the identity section below.
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

static hg_utf16 hg_utf16_of_unicode(PCUNICODE_STRING s)
{
    hg_utf16 u;
    u.chars = (const uint16_t *)s->Buffer;
    u.bytes = s->Length;
    return u;
}

/*
 * The key path core matches. Without a relative name it is the key
 * object's own name, which the configuration manager already keeps in
 * canonical form. With one (pre-create/open CompleteName, load-key KeyName)
 * it is the caller's spelling: hg_keyname_canonical (core/keyname.c, the
 * same code the host and the unit tests run) joins RootObject's name and a
 * relative CompleteName and collapses repeated and trailing separators, so
 * "\REGISTRY\\MACHINE\SOFTWARE\" or "SOFTWARE" under a handle of
 * \REGISTRY\MACHINE cannot dodge a prefix; case is folded when matching.
 */
static uint32_t hg_capture_resolve(void *ctx, hg_utf16 *path)
{
    hg_capture *c = (hg_capture *)ctx;
    PCUNICODE_STRING base = NULL;
    PCUNICODE_STRING rel = c->relative_name;
    hg_utf16 root_u = { NULL, 0 }, rel_u;
    uint32_t units;

    if (c->name_unreadable || (rel != NULL && !hg_unicode_ok(rel)))
        return HG_STATUS_INVALID_PARAMETER;
    if (rel == NULL || !hg_is_absolute(rel)) {
        base = hg_key_object_name(c);
        if (base == NULL)
            return HG_STATUS_INVALID_PARAMETER;
        if (rel == NULL || rel->Length == 0) {
            path->chars = (const uint16_t *)base->Buffer;
            path->bytes = base->Length;
            return HG_STATUS_SUCCESS;
        }
    }

    rel_u = hg_utf16_of_unicode(rel);
    if (base != NULL)
        root_u = hg_utf16_of_unicode(base);
    /* At most 2 * 64 KiB + 1 unit: no overflow. */
    units = hg_keyname_max_units(base != NULL ? &root_u : NULL, &rel_u);
    c->joined = (PWCHAR)hg_plat_alloc((size_t)units * sizeof(WCHAR));
    if (c->joined == NULL)
        return HG_STATUS_INSUFFICIENT_RESOURCES;
    return hg_keyname_canonical(base != NULL ? &root_u : NULL, &rel_u, (uint16_t *)c->joined,
                                units, path);
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
 * A name the configuration manager passed without capturing. On Windows 8+
 * every input buffer is captured (see the file comment), so names arrive in
 * kernel range and are used in place; before Windows 8 a UNICODE_STRING's
 * Buffer (rename's NewName, CompleteName) may still be the caller's. Core
 * copies names into the event without any exception handling, so a
 * user-range buffer is copied here first, under seh_copy. On a fault or
 * without memory the name is dropped (empty) rather than read unsafely.
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

/* ------------------------------------------------------------------ */
/* The caller's identity                                               */
/* ------------------------------------------------------------------ */
/*
 * Image: SeLocateProcessImageName gives the NT path the process was created
 * from (\Device\HarddiskVolume3\Windows\regedit.exe) as a pool copy. Wine 8
 * implements it as a FIXME that returns STATUS_NOT_IMPLEMENTED; only then is
 * ZwQueryInformationProcess(ProcessImageFileName) asked, which Windows fills
 * from the same process field and Wine implements.
 *
 * User: the PROCESS's primary token, never the thread's impersonation token.
 * Sysmon's User field is the process user, and policies are written in
 * Sysmon's terms; a service acting for a client (an RPC server writing the
 * client's HKCU) is reported as the service, as Sysmon does. The token is
 * queried through ZwOpenProcessTokenEx + ZwQueryInformationToken, not
 * PsReferencePrimaryToken + SeQueryInformationToken: Wine 8 exports those
 * two (and PsDereferencePrimaryToken) as unimplemented stubs that abort the
 * driver host, and nothing tells a stub from a real routine at run time.
 * The Zw pair costs a kernel-handle insert and close, paid only for a
 * delivered event.
 *
 * All of these are PASSIVE_LEVEL routines (RtlConvertSidToUnicodeString
 * allocates paged pool), and SeLocateProcessImageName may query the image's
 * file name from the file system, whose completion is a special kernel APC.
 * The callback can run at APC_LEVEL or inside a guarded region (a caller
 * holding a fast mutex), where that APC never arrives: there the identity
 * is skipped and goes out empty. KeGetCurrentIrql states the documented
 * requirement (on x64 an inline read of CR8, a privileged instruction that
 * Wine's driver host emulates, returning PASSIVE_LEVEL); KeAreAllApcsDisabled
 * adds the guarded region.
 *
 * The test build's injected operations run on an inject worker, a system
 * thread, so their identity is that thread's process, not the caller the
 * test describes: on Windows the System process (expected: S-1-5-18 and,
 * having no image file, an empty image; only the VM can show it), in Wine 8
 * the driver host,
 * \??\C:\windows\system32\winedevice.exe (Wine's ProcessImageFileName is
 * a DOS-style NT path, not \Device\HarddiskVolumeN), and the prefix user
 * S-1-5-21-0-0-0-1000.
 *
 * Every failure is an empty string; nothing here raises or fails the
 * operation.
 */

/* A SID is at most 8 bytes of header plus SID_MAX_SUB_AUTHORITIES (15)
 * 32-bit sub-authorities: winnt.h's SECURITY_MAX_SID_SIZE, absent from the
 * DDK headers. */
#define HG_SID_MAX_BYTES           (8u + 15u * 4u)
/* First ProcessImageFileName buffer: enough for every image name the event
 * can carry whole; a longer one is asked again at the size the kernel
 * reports, up to the largest UNICODE_STRING. */
#define HG_IMAGE_QUERY_FIRST_BYTES ((ULONG)sizeof(UNICODE_STRING) + HG_IMAGE_MAX_BYTES + (ULONG)sizeof(WCHAR))
#define HG_IMAGE_QUERY_MAX_BYTES   ((ULONG)sizeof(UNICODE_STRING) + MAXUSHORT + 1u)

/* Asked by the callback on entry, BEFORE it enters its critical region:
 * the caller's own state is what matters (a critical region blocks only
 * normal kernel APCs, not the special one the file system completes with,
 * so it changes nothing on Windows; Wine 8's KeAreAllApcsDisabled also
 * reports a critical region, which would wrongly skip every identity). */
BOOLEAN hg_capture_identity_callable(void)
{
    return KeGetCurrentIrql() == PASSIVE_LEVEL && !KeAreAllApcsDisabled();
}

/* ZwQueryInformationProcess fills a UNICODE_STRING whose Buffer points into
 * the same buffer; anything else is not trusted. */
static BOOLEAN hg_image_query_ok(const VOID *buffer, ULONG size)
{
    const UNICODE_STRING *name = (const UNICODE_STRING *)buffer;
    const UCHAR *start = (const UCHAR *)buffer + sizeof(UNICODE_STRING);
    const UCHAR *end = (const UCHAR *)buffer + size;
    const UCHAR *chars = (const UCHAR *)name->Buffer;

    return hg_unicode_ok(name) && name->Length != 0 && chars >= start && chars <= end &&
           name->Length <= (SIZE_T)(end - chars);
}

static void hg_image_query(hg_capture *c, hg_utf16 *image)
{
    ULONG size = HG_IMAGE_QUERY_FIRST_BYTES, needed = 0;
    NTSTATUS status;
    PVOID buffer;

    buffer = hg_plat_alloc(size);
    if (buffer == NULL)
        return;
    status = ZwQueryInformationProcess(ZwCurrentProcess(), ProcessImageFileName, buffer, size, &needed);
    if (status == STATUS_INFO_LENGTH_MISMATCH && needed > size && needed <= HG_IMAGE_QUERY_MAX_BYTES) {
        hg_plat_free(buffer);
        size = needed;
        buffer = hg_plat_alloc(size);
        if (buffer == NULL)
            return;
        status = ZwQueryInformationProcess(ZwCurrentProcess(), ProcessImageFileName, buffer, size, &needed);
    }
    c->image_queried = buffer;
    if (NT_SUCCESS(status) && hg_image_query_ok(buffer, size)) {
        image->chars = (const uint16_t *)((PCUNICODE_STRING)buffer)->Buffer;
        image->bytes = ((PCUNICODE_STRING)buffer)->Length;
    }
}

static void hg_image_of_caller(hg_capture *c, hg_utf16 *image)
{
    PUNICODE_STRING name = NULL;
    NTSTATUS status;

    status = SeLocateProcessImageName(IoGetCurrentProcess(), &name);
    if (status == STATUS_NOT_IMPLEMENTED) {
        hg_image_query(c, image);
        return;
    }
    if (!NT_SUCCESS(status) || name == NULL)
        return;
    c->image_located = name;
    /* The System process and the minimal ones (Registry, MemCompression)
     * have no image file: an empty name, sent as such. */
    if (hg_unicode_ok(name) && name->Length != 0) {
        image->chars = (const uint16_t *)name->Buffer;
        image->bytes = name->Length;
    }
}

static void hg_user_of_caller(hg_capture *c, hg_utf16 *user_sid)
{
    union {
        TOKEN_USER user;
        UCHAR      bytes[sizeof(TOKEN_USER) + HG_SID_MAX_BYTES];
    } info;
    HANDLE token;
    ULONG returned = 0;
    NTSTATUS status;

    /* A kernel handle: the caller's process cannot see or close it, and
     * KernelMode skips the access check a user caller's token would get. */
    status = ZwOpenProcessTokenEx(ZwCurrentProcess(), TOKEN_QUERY, OBJ_KERNEL_HANDLE, &token);
    if (!NT_SUCCESS(status))
        return;
    status = ZwQueryInformationToken(token, TokenUser, &info, sizeof(info), &returned);
    ZwClose(token);
    if (!NT_SUCCESS(status) || info.user.User.Sid == NULL || !RtlValidSid(info.user.User.Sid))
        return;
    status = RtlConvertSidToUnicodeString(&c->sid_text, info.user.User.Sid, TRUE);
    if (!NT_SUCCESS(status)) {
        RtlZeroMemory(&c->sid_text, sizeof(c->sid_text));
        return;
    }
    if (hg_unicode_ok(&c->sid_text)) {
        user_sid->chars = (const uint16_t *)c->sid_text.Buffer;
        user_sid->bytes = c->sid_text.Length;
    }
}

/* hg_op_source.resolve_identity: core asks only for a delivered operation,
 * and passes NULL for what the operation already carries. */
static uint32_t hg_capture_resolve_identity(void *ctx, hg_utf16 *image, hg_utf16 *user_sid)
{
    hg_capture *c = (hg_capture *)ctx;

    if (!c->identity_callable)
        return (uint32_t)STATUS_INVALID_DEVICE_STATE;
    if (image != NULL)
        hg_image_of_caller(c, image);
    if (user_sid != NULL)
        hg_user_of_caller(c, user_sid);
    return HG_STATUS_SUCCESS;
}

/* hg_op_source.release_identity: called once after every resolve. */
static void hg_capture_release_identity(void *ctx, hg_utf16 *image, hg_utf16 *user_sid)
{
    hg_capture *c = (hg_capture *)ctx;

    if (c->image_located != NULL) {
        ExFreePool(c->image_located);
        c->image_located = NULL;
    }
    if (c->image_queried != NULL) {
        hg_plat_free(c->image_queried);
        c->image_queried = NULL;
    }
    if (c->sid_text.Buffer != NULL)
        RtlFreeUnicodeString(&c->sid_text);
    RtlZeroMemory(&c->sid_text, sizeof(c->sid_text));
    if (image != NULL) {
        image->chars = NULL;
        image->bytes = 0;
    }
    if (user_sid != NULL) {
        user_sid->chars = NULL;
        user_sid->bytes = 0;
    }
}

void hg_capture_source(hg_capture *capture, hg_op_source *source)
{
    source->resolve_key_path = hg_capture_resolve;
    source->release_key_path = hg_capture_release;
    source->capture_data = capture->data_size != 0 ? hg_capture_data : NULL;
    source->ctx = capture;
    source->resolve_identity = hg_capture_resolve_identity;
    source->release_identity = hg_capture_release_identity;
}
