/*
 * device.c - \Device\HiveGuard: who may open it, and the dispatch routines.
 *
 * Windows behaviour this file deals with:
 *  - IoCreateDevice gives a device object the default security of its
 *    type, which lets any user open it. IoCreateDeviceSecure (wdmsec.lib)
 *    is not available with mingw-w64, so the DACL - SYSTEM and
 *    Administrators, full access, protected from inheritance - is built here
 *    and applied through a kernel handle to the device (ZwSetSecurityObject).
 *    FILE_DEVICE_SECURE_OPEN makes the I/O manager apply that DACL to
 *    \Device\HiveGuard\anything as well, and CREATE refuses trailing names.
 *  - One client at a time: CREATE binds the opening process object through
 *    hg_core_open; a second open gets STATUS_SHARING_VIOLATION. An IOCTL is
 *    served only on the bound file object AND from the process that opened
 *    it (IOCTL dispatch runs in the requestor's context, so
 *    IoGetCurrentProcess is the sender): a handle duplicated into another
 *    process cannot steer verdicts. Wine 8 hands out a handle even when
 *    IRP_MJ_CREATE fails, which the file-object check also covers.
 *  - The client's handle going away releases every waiting registry caller
 *    and completes its parked IRPs. Windows sends IRP_MJ_CLEANUP for that;
 *    Wine sends only IRP_MJ_CLOSE, so both do it (the second is a no-op).
 *  - All IOCTLs are METHOD_BUFFERED: input and output share SystemBuffer.
 *    Fixed-size replies (HELLO, STATS, REPLY results) are built on the stack
 *    and copied out, so core never writes into the buffer it is reading.
 *  - GET_EVENTS may pend. The IRP is marked pending before core sees it
 *    (core can complete it on another CPU as soon as it is parked), so this
 *    dispatch then always returns STATUS_PENDING, completing it itself when
 *    core answered at once.
 */
#include "hg_sys.h"

/* S-1-5-18 (LocalSystem) and S-1-5-32-544 (BUILTIN\Administrators), laid
 * out as SIDs: revision 1, sub-authority count, NT authority {0,0,0,0,0,5}. */
static const struct { UCHAR rev, count, auth[6]; ULONG sub[1]; } s_sid_system = {
    1, 1, { 0, 0, 0, 0, 0, 5 }, { 18 } };
static const struct { UCHAR rev, count, auth[6]; ULONG sub[2]; } s_sid_admins = {
    1, 2, { 0, 0, 0, 0, 0, 5 }, { 32, 544 } };

NTSTATUS hg_device_apply_dacl(PDEVICE_OBJECT device)
{
    SECURITY_DESCRIPTOR sd;
    PACL acl = NULL;
    ULONG acl_bytes;
    HANDLE handle = NULL;
    NTSTATUS status;

    acl_bytes = sizeof(ACL) +
                2 * (ULONG)(sizeof(ACCESS_ALLOWED_ACE) - sizeof(ULONG)) +
                RtlLengthSid((PSID)&s_sid_system) + RtlLengthSid((PSID)&s_sid_admins);
    acl = (PACL)hg_plat_alloc(acl_bytes);
    if (acl == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;

    status = RtlCreateAcl(acl, acl_bytes, ACL_REVISION);
    if (NT_SUCCESS(status))
        status = RtlAddAccessAllowedAce(acl, ACL_REVISION, FILE_ALL_ACCESS, (PSID)&s_sid_system);
    if (NT_SUCCESS(status))
        status = RtlAddAccessAllowedAce(acl, ACL_REVISION, FILE_ALL_ACCESS, (PSID)&s_sid_admins);
    if (NT_SUCCESS(status))
        status = RtlCreateSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION);
    if (NT_SUCCESS(status))
        status = RtlSetDaclSecurityDescriptor(&sd, TRUE, acl, FALSE);
    if (NT_SUCCESS(status))
        status = ObOpenObjectByPointer(device, OBJ_KERNEL_HANDLE, NULL, WRITE_DAC,
                                       NULL, KernelMode, &handle);
    if (NT_SUCCESS(status)) {
        status = ZwSetSecurityObject(handle,
                                     DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                                     &sd);
        ZwClose(handle);
    }
    hg_plat_free(acl);
    return status;
}

NTSTATUS hg_device_create(PDRIVER_OBJECT driver)
{
    UNICODE_STRING device_name, link_name;
    NTSTATUS status;

    RtlInitUnicodeString(&device_name, HG_DEVICE_NAME_W);
    RtlInitUnicodeString(&link_name, HG_SYMLINK_NAME_W);
    status = IoCreateDevice(driver, 0, &device_name, FILE_DEVICE_UNKNOWN,
                            FILE_DEVICE_SECURE_OPEN, FALSE, &g_hg.device);
    if (!NT_SUCCESS(status)) {
        HG_LOG("IoCreateDevice failed 0x%08lx", (unsigned long)status);
        return status;
    }
    status = hg_device_apply_dacl(g_hg.device);
    if (!NT_SUCCESS(status)) {
        /* Without its DACL the device would be open to every user: refuse
         * to load rather than run unprotected. */
        HG_LOG("applying the device DACL failed 0x%08lx", (unsigned long)status);
        goto fail;
    }
    status = IoCreateSymbolicLink(&link_name, &device_name);
    if (!NT_SUCCESS(status)) {
        HG_LOG("IoCreateSymbolicLink failed 0x%08lx", (unsigned long)status);
        goto fail;
    }
    g_hg.symlink_created = TRUE;
    g_hg.device->Flags |= DO_BUFFERED_IO;
    g_hg.device->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;

fail:
    IoDeleteDevice(g_hg.device);
    g_hg.device = NULL;
    return status;
}

void hg_device_delete_link(void)
{
    UNICODE_STRING link_name;

    if (g_hg.symlink_created) {
        RtlInitUnicodeString(&link_name, HG_SYMLINK_NAME_W);
        IoDeleteSymbolicLink(&link_name);
        g_hg.symlink_created = FALSE;
    }
}

void hg_device_delete(void)
{
    hg_device_delete_link();
    if (g_hg.device != NULL) {
        IoDeleteDevice(g_hg.device);
        g_hg.device = NULL;
    }
}

/* Unbinds the client if `file` is the bound one (or any bound client when
 * file is NULL, at unload). Core releases waiters and parked IRPs. */
static void hg_device_unbind(PFILE_OBJECT file)
{
    KIRQL irql;
    ULONG64 key = 0;
    PEPROCESS process = NULL;
    BOOLEAN unbind = FALSE;

    KeAcquireSpinLock(&g_hg.client_lock, &irql);
    if (g_hg.client_file != NULL && (file == NULL || g_hg.client_file == file)) {
        key = g_hg.client_key;
        process = g_hg.client_process;
        g_hg.client_file = NULL;
        g_hg.client_process = NULL;
        g_hg.client_key = 0;
        unbind = TRUE;
    }
    KeReleaseSpinLock(&g_hg.client_lock, irql);
    if (unbind) {
        hg_core_close(g_hg.core, key);
        /* Only now may the process object (and, before Windows 10 1703, the
         * key that is its address) go: core no longer compares with it. */
        if (process != NULL)
            ObDereferenceObject(process);
    }
}

static BOOLEAN hg_device_is_client_file(PFILE_OBJECT file)
{
    BOOLEAN is_client;
    KIRQL irql;

    KeAcquireSpinLock(&g_hg.client_lock, &irql);
    is_client = file != NULL && g_hg.client_file == file;
    KeReleaseSpinLock(&g_hg.client_lock, irql);
    return is_client;
}

void hg_device_release_client(void)
{
    hg_device_unbind(NULL);
}

static NTSTATUS hg_complete(PIRP irp, NTSTATUS status, ULONG_PTR information)
{
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = NT_SUCCESS(status) ? information : 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

static NTSTATUS hg_dispatch_create(PIRP irp, PIO_STACK_LOCATION sp)
{
    PFILE_OBJECT file = sp->FileObject;
    PEPROCESS process;
    ULONG64 key;
    NTSTATUS status;
    KIRQL irql;

    if (file != NULL && file->FileName.Length != 0)
        return hg_complete(irp, STATUS_OBJECT_NAME_NOT_FOUND, 0);
    if (InterlockedCompareExchange(&g_hg.state, 0, 0) == HG_STATE_UNLOADING || !hg_rundown_enter())
        return hg_complete(irp, STATUS_DELETE_PENDING, 0);

    /* CREATE runs in the context of the opening thread: this is the
     * process object the client is bound to. It is referenced for as long
     * as the binding lasts, so the object behind the key cannot be freed
     * and reused by another process meanwhile. */
    process = IoGetCurrentProcess();
    key = hg_process_key(process);
    ObReferenceObject(process);
    status = (NTSTATUS)hg_core_open(g_hg.core, key);
    if (NT_SUCCESS(status)) {
        KeAcquireSpinLock(&g_hg.client_lock, &irql);
        g_hg.client_file = file;
        g_hg.client_process = process;
        g_hg.client_key = key;
        KeReleaseSpinLock(&g_hg.client_lock, irql);
    } else {
        ObDereferenceObject(process);
    }
    hg_rundown_leave();
    return hg_complete(irp, status, 0);
}

/* Output of a fixed-size reply: core writes into `local`, at most out_len
 * of it is copied to the caller's buffer. */
static size_t hg_local_out_len(ULONG out_len, size_t local_size)
{
    return out_len < local_size ? out_len : local_size;
}

static NTSTATUS hg_dispatch_stats(PVOID buffer, ULONG out_len, size_t *written)
{
    HG_STATS stats;
    NTSTATUS status;

    RtlZeroMemory(&stats, sizeof(stats));
    status = (NTSTATUS)hg_core_stats(g_hg.core, &stats, hg_local_out_len(out_len, sizeof(stats)),
                                     written);
    if (NT_SUCCESS(status))
        RtlCopyMemory(buffer, &stats, *written);
    return status;
}

static NTSTATUS hg_dispatch_ioctl(PIRP irp, PIO_STACK_LOCATION sp)
{
    ULONG code = sp->Parameters.DeviceIoControl.IoControlCode;
    ULONG in_len = sp->Parameters.DeviceIoControl.InputBufferLength;
    ULONG out_len = sp->Parameters.DeviceIoControl.OutputBufferLength;
    PVOID buffer = irp->AssociatedIrp.SystemBuffer;
    ULONG64 key = hg_process_key(IoGetCurrentProcess());
    size_t written = 0;
    NTSTATUS status;

    if (!hg_rundown_enter())
        return hg_complete(irp, STATUS_DELETE_PENDING, 0);
    if (!hg_device_is_client_file(sp->FileObject)) {
        hg_rundown_leave();
        return hg_complete(irp, STATUS_ACCESS_DENIED, 0);
    }

    switch (code) {
    case HG_IOCTL_HELLO: {
        HG_HELLO_REPLY reply;
        RtlZeroMemory(&reply, sizeof(reply));
        status = (NTSTATUS)hg_core_hello(g_hg.core, key, buffer, in_len, &reply,
                                         hg_local_out_len(out_len, sizeof(reply)), &written);
        /* Core cannot know where the callback landed (a collision moves it up). */
        if (NT_SUCCESS(status) && g_hg.callback_registered)
            reply.altitude = g_hg.altitude_registered;
        if (NT_SUCCESS(status))
            RtlCopyMemory(buffer, &reply, written);
        break;
    }
    case HG_IOCTL_CONFIGURE:
        status = (NTSTATUS)hg_core_configure(g_hg.core, key, buffer, in_len);
        break;
    case HG_IOCTL_REPLY: {
        HG_REPLY_RESULT result;
        RtlZeroMemory(&result, sizeof(result));
        status = (NTSTATUS)hg_core_reply(g_hg.core, key, buffer, in_len,
                                         out_len != 0 ? &result : NULL,
                                         hg_local_out_len(out_len, sizeof(result)), &written);
        if (NT_SUCCESS(status) && written != 0)
            RtlCopyMemory(buffer, &result, written);
        break;
    }
    case HG_IOCTL_STATS:
        status = hg_dispatch_stats(buffer, out_len, &written);
        break;
    case HG_IOCTL_GET_EVENTS: {
        hg_request *req = hg_irp_request(irp);
        req->buffer = buffer;
        req->capacity = out_len;
        IoMarkIrpPending(irp);
        status = (NTSTATUS)hg_core_get_events(g_hg.core, key, req, &written);
        if (status != STATUS_PENDING)
            hg_complete(irp, status, written);
        hg_rundown_leave();
        return STATUS_PENDING;
    }
#ifdef HG_TEST_BUILD
    case HG_IOCTL_INJECT:
        status = hg_inject_dispatch(irp, sp);
        hg_rundown_leave();
        return status;
#endif
    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
    hg_rundown_leave();
    return hg_complete(irp, status, written);
}

NTSTATUS NTAPI hg_dispatch(PDEVICE_OBJECT device, PIRP irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);

#ifdef HG_TEST_BUILD
    if (device != NULL && device == g_hg.inject_device) {
        switch (sp->MajorFunction) {
        case IRP_MJ_CREATE:
        case IRP_MJ_CLEANUP:
        case IRP_MJ_CLOSE:
            return hg_complete(irp, STATUS_SUCCESS, 0);
        case IRP_MJ_DEVICE_CONTROL:
            /* STATS too: a test must read the counters while some other
             * process is the bound client. */
            if (sp->Parameters.DeviceIoControl.IoControlCode == HG_IOCTL_STATS) {
                size_t written = 0;
                NTSTATUS status;
                if (!hg_rundown_enter())
                    return hg_complete(irp, STATUS_DELETE_PENDING, 0);
                status = hg_dispatch_stats(irp->AssociatedIrp.SystemBuffer,
                                           sp->Parameters.DeviceIoControl.OutputBufferLength, &written);
                hg_rundown_leave();
                return hg_complete(irp, status, written);
            }
            if (sp->Parameters.DeviceIoControl.IoControlCode != HG_IOCTL_INJECT)
                return hg_complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
            return hg_inject_dispatch(irp, sp);
        default:
            return hg_complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
        }
    }
#endif
    UNREFERENCED_PARAMETER(device);

    switch (sp->MajorFunction) {
    case IRP_MJ_CREATE:
        return hg_dispatch_create(irp, sp);
    case IRP_MJ_CLEANUP:
    case IRP_MJ_CLOSE:
        hg_device_unbind(sp->FileObject);
        return hg_complete(irp, STATUS_SUCCESS, 0);
    case IRP_MJ_DEVICE_CONTROL:
        return hg_dispatch_ioctl(irp, sp);
    default:
        return hg_complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}
