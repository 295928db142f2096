/*
 * inject.c - TEST BUILD ONLY: drive the real RegistryCallback with
 * synthesized REG_*_INFORMATION structures.
 *
 * Why it exists: Wine exports no CmRegisterCallbackEx and no registry
 * operation ever reaches a driver there, yet the callback, capture, core and
 * IRP paths must run for real in CI. HG_IOCTL_INJECT describes one registry
 * operation; this file builds the structure the configuration manager would
 * pass for that notify class and calls hg_registry_callback - the function
 * CmRegisterCallbackEx gets on Windows - on a worker thread.
 *
 * Windows/Wine behaviour this file deals with:
 *  - Wine's driver host dispatches IRPs on one thread. The callback blocks
 *    until the agent's REPLY, which arrives as another IRP, so INJECT must
 *    never block in dispatch: the IRP is pended and a system thread runs the
 *    callback, completing the IRP with HG_INJECT_RESULT when it returns.
 *  - The worker is a driver-created system thread, so its PreviousMode is
 *    KernelMode and its process is the system (or host) process. The caller
 *    the test describes (pid, user or kernel mode, "is the bound client") is
 *    looked up by thread id from inside the callback (hg_inject_caller).
 *  - Key objects are synthesized too; capture.c asks hg_inject_key_name
 *    first so that one never reaches CmCallbackGetKeyObjectID*.
 *  - Unload must not return while a worker still executes this image: each
 *    worker holds the rundown reference while it works, and unload waits on
 *    every worker's thread handle (signalled only once the thread is gone).
 *  - INJECT IRPs get no cancel routine: the callback they represent cannot
 *    be abandoned halfway, and every wait inside it is bounded by the verdict
 *    timeout, so the IRP always completes within HG_TIMEOUT_MAX_MS.
 */
#ifdef HG_TEST_BUILD

#include "hg_sys.h"
#include "hg_inject_abi.h"

/* 'HgFk': marks a synthesized key object. */
#define HG_FAKE_KEY_MAGIC 0x6B466748u
/* An address in the lowest user page, never mapped on Windows or Wine. */
#define HG_UNMAPPED_USER_ADDRESS ((PVOID)(ULONG_PTR)0x1000u)
/* The process key an injected operation of a pretend process carries. */
#define HG_INJECT_PROCESS_KEY(pid) (0x8000000000000000ULL | ((uint64_t)(pid) << 1) | 1u)

/* A worker thread that does not end within this after rundown has drained
 * is logged; the wait then continues, since freeing under it would crash. */
#define HG_WORKER_EXIT_WAIT_100NS (-10LL * 1000LL * 1000LL * 10LL) /* 10 s */

typedef struct hg_fake_key {
    ULONG          magic;
    UNICODE_STRING name;
} hg_fake_key;

typedef struct hg_inject_ctx {
    LIST_ENTRY       link;         /* s_active while the callback runs */
    PIRP             irp;
    HG_INJECT_HEADER header;
    HANDLE           worker_tid;
    UNICODE_STRING   key_path;
    UNICODE_STRING   value_name;
    UNICODE_STRING   new_name;
    UNICODE_STRING   leaf;         /* create: CompleteName relative to the parent */
    hg_fake_key      key;          /* the key itself */
    hg_fake_key      parent;       /* create: RootObject */
    const VOID      *data;
} hg_inject_ctx;

typedef struct hg_worker {
    LIST_ENTRY link;
    HANDLE     thread;             /* kernel handle, waited on at unload */
} hg_worker;

static KSPIN_LOCK s_lock;
static LIST_ENTRY s_active;        /* hg_inject_ctx whose callback is running */
static LIST_ENTRY s_workers;       /* hg_worker not yet reaped */
static BOOLEAN    s_initialized;

static NTSTATUS hg_inject_complete(PIRP irp, NTSTATUS status, ULONG_PTR information)
{
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = NT_SUCCESS(status) ? information : 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

BOOLEAN hg_inject_caller(hg_op *op)
{
    HANDLE tid = PsGetCurrentThreadId();
    BOOLEAN found = FALSE;
    PLIST_ENTRY e;
    KIRQL irql;

    if (!s_initialized)
        return FALSE;
    KeAcquireSpinLock(&s_lock, &irql);
    for (e = s_active.Flink; e != &s_active; e = e->Flink) {
        hg_inject_ctx *ctx = CONTAINING_RECORD(e, hg_inject_ctx, link);
        if (ctx->worker_tid != tid)
            continue;
        op->pid = ctx->header.pid;
        op->tid = (uint64_t)(ULONG_PTR)tid;
        op->session_id = 0;
        op->kernel_caller = (ctx->header.flags & HG_INJECT_F_KERNEL_CALLER) != 0;
        if (ctx->header.flags & HG_INJECT_F_AS_CLIENT) {
            KIRQL client_irql;
            KeAcquireSpinLock(&g_hg.client_lock, &client_irql);
            op->process_key = g_hg.client_key;
            KeReleaseSpinLock(&g_hg.client_lock, client_irql);
        } else {
            /* Top bit and low bit set: never a (pool-aligned, kernel-range
             * looking but even) process object address nor a start key
             * (a boot sequence number in the high bits stays far below). */
            op->process_key = HG_INJECT_PROCESS_KEY(ctx->header.pid);
        }
        found = TRUE;
        break;
    }
    KeReleaseSpinLock(&s_lock, irql);
    return found;
}

BOOLEAN hg_inject_key_name(PVOID key_object, PCUNICODE_STRING *name)
{
    BOOLEAN found = FALSE;
    PLIST_ENTRY e;
    KIRQL irql;

    if (!s_initialized)
        return FALSE;
    /* Compare addresses against live contexts only: never dereference an
     * object we did not make. */
    KeAcquireSpinLock(&s_lock, &irql);
    for (e = s_active.Flink; e != &s_active && !found; e = e->Flink) {
        hg_inject_ctx *ctx = CONTAINING_RECORD(e, hg_inject_ctx, link);
        if (key_object == (PVOID)&ctx->key && ctx->key.magic == HG_FAKE_KEY_MAGIC) {
            *name = &ctx->key.name;
            found = TRUE;
        } else if (key_object == (PVOID)&ctx->parent && ctx->parent.magic == HG_FAKE_KEY_MAGIC) {
            *name = &ctx->parent.name;
            found = TRUE;
        }
    }
    KeReleaseSpinLock(&s_lock, irql);
    return found;
}

static REG_NOTIFY_CLASS hg_class_of_op(USHORT operation)
{
    switch (operation) {
    case HG_OP_CREATE_KEY:       return RegNtPreCreateKeyEx;
    case HG_OP_OPEN_KEY:         return RegNtPreOpenKeyEx;
    case HG_OP_SET_VALUE:        return RegNtPreSetValueKey;
    case HG_OP_DELETE_VALUE:     return RegNtPreDeleteValueKey;
    case HG_OP_DELETE_KEY:       return RegNtPreDeleteKey;
    case HG_OP_RENAME_KEY:       return RegNtPreRenameKey;
    case HG_OP_SET_KEY_SECURITY: return RegNtPreSetKeySecurity;
    case HG_OP_SET_INFORMATION:  return RegNtPreSetInformationKey;
    case HG_OP_LOAD_KEY:         return RegNtPreLoadKey;
    case HG_OP_UNLOAD_KEY:       return RegNtPreUnLoadKey;
    case HG_OP_SAVE_KEY:         return RegNtPreSaveKey;
    case HG_OP_RESTORE_KEY:      return RegNtPreRestoreKey;
    case HG_OP_REPLACE_KEY:      return RegNtPreReplaceKey;
    default:                     return RegNtPreFlushKey;
    }
}

/* Runs the real callback with the structure the configuration manager would
 * build for this class. Returns the registry call's status. */
static NTSTATUS hg_inject_run(hg_inject_ctx *ctx)
{
    REG_NOTIFY_CLASS cls = hg_class_of_op(ctx->header.operation);
    union {
        REG_CREATE_KEY_INFORMATION_V1       create;
        REG_SET_VALUE_KEY_INFORMATION       set_value;
        REG_DELETE_VALUE_KEY_INFORMATION    delete_value;
        REG_DELETE_KEY_INFORMATION          delete_key;
        REG_RENAME_KEY_INFORMATION          rename;
        REG_SET_KEY_SECURITY_INFORMATION    set_security;
        REG_SET_INFORMATION_KEY_INFORMATION set_information;
        REG_LOAD_KEY_INFORMATION            load;
        REG_UNLOAD_KEY_INFORMATION          unload;
        REG_SAVE_KEY_INFORMATION            save;
        REG_RESTORE_KEY_INFORMATION         restore;
        REG_REPLACE_KEY_INFORMATION         replace;
    } info;
    SECURITY_INFORMATION security_information = DACL_SECURITY_INFORMATION;
    KEY_WRITE_TIME_INFORMATION write_time;
    UNICODE_STRING hive_file;

    RtlZeroMemory(&info, sizeof(info));
    RtlZeroMemory(&write_time, sizeof(write_time));
    RtlInitUnicodeString(&hive_file, L"\\??\\C:\\hiveguard-test.hiv");

    switch (ctx->header.operation) {
    case HG_OP_CREATE_KEY:
    case HG_OP_OPEN_KEY:
        if (ctx->new_name.Length != 0) {
            /* HG_INJECT_CREATE_NAME_IN_NEW_NAME: RootObject is the key
             * named key_path, CompleteName the caller's exact spelling. */
            info.create.CompleteName = &ctx->new_name;
            info.create.RootObject = &ctx->key;
            info.create.Version = 1;
            break;
        }
        if (ctx->header.operation == HG_OP_OPEN_KEY) {
            /* Absolute, as an open by full \REGISTRY path arrives. */
            info.create.CompleteName = &ctx->key_path;
            info.create.RootObject = &ctx->parent;
            info.create.Version = 1;
            break;
        }
        /* Relative to its parent, as a RegCreateKeyEx(hParent, "Leaf")
         * arrives: the callback must join RootObject's name and it. */
        if (ctx->leaf.Length != 0) {
            info.create.CompleteName = &ctx->leaf;
            info.create.RootObject = &ctx->parent;
        } else {
            info.create.CompleteName = &ctx->key_path;
        }
        info.create.Version = 1;
        break;
    case HG_OP_SET_VALUE:
        info.set_value.Object = &ctx->key;
        info.set_value.ValueName = &ctx->value_name;
        info.set_value.Type = ctx->header.value_type;
        info.set_value.DataSize = ctx->header.data_bytes;
        info.set_value.Data = (ctx->header.flags & HG_INJECT_F_SYS_DATA_FAULT)
                                  ? HG_UNMAPPED_USER_ADDRESS : (PVOID)ctx->data;
        break;
    case HG_OP_DELETE_VALUE:
        info.delete_value.Object = &ctx->key;
        info.delete_value.ValueName = &ctx->value_name;
        break;
    case HG_OP_RENAME_KEY:
        info.rename.Object = &ctx->key;
        info.rename.NewName = &ctx->new_name;
        break;
    case HG_OP_SET_KEY_SECURITY:
        info.set_security.Object = &ctx->key;
        info.set_security.SecurityInformation = &security_information;
        break;
    case HG_OP_SET_INFORMATION:
        info.set_information.Object = &ctx->key;
        info.set_information.KeySetInformationClass = KeyWriteTimeInformation;
        info.set_information.KeySetInformation = &write_time;
        info.set_information.KeySetInformationLength = sizeof(write_time);
        break;
    case HG_OP_LOAD_KEY:
        info.load.KeyName = &ctx->key_path;
        info.load.SourceFile = &hive_file;
        break;
    case HG_OP_REPLACE_KEY:
        info.replace.Object = &ctx->key;
        info.replace.OldFileName = &hive_file;
        info.replace.NewFileName = &hive_file;
        break;
    default:
        /* delete key, flush, unload, save, restore: the key object first. */
        info.delete_key.Object = &ctx->key;
        break;
    }
    return hg_registry_callback(NULL, (PVOID)(ULONG_PTR)cls, &info);
}

static VOID NTAPI hg_inject_worker(PVOID context)
{
    hg_inject_ctx *ctx = (hg_inject_ctx *)context;
    HG_INJECT_RESULT result;
    PIRP irp = ctx->irp;
    KIRQL irql;

    ctx->worker_tid = PsGetCurrentThreadId();
    KeAcquireSpinLock(&s_lock, &irql);
    InsertTailList(&s_active, &ctx->link);
    KeReleaseSpinLock(&s_lock, irql);

    result.status = (uint32_t)hg_inject_run(ctx);
    result.reserved = 0;

    KeAcquireSpinLock(&s_lock, &irql);
    RemoveEntryList(&ctx->link);
    KeReleaseSpinLock(&s_lock, irql);

    /* The strings pointed into the IRP's buffer: done with them before the
     * result overwrites it. */
    hg_plat_free(ctx);
    RtlCopyMemory(irp->AssociatedIrp.SystemBuffer, &result, sizeof(result));
    hg_inject_complete(irp, STATUS_SUCCESS, sizeof(result));
    hg_rundown_leave();
    PsTerminateSystemThread(STATUS_SUCCESS);
}

/* Closes the handles of workers that have ended. PASSIVE_LEVEL. */
static void hg_inject_reap(BOOLEAN wait_all)
{
    LIST_ENTRY done;
    PLIST_ENTRY e, next;
    LARGE_INTEGER zero, bounded;
    KIRQL irql;

    InitializeListHead(&done);
    zero.QuadPart = 0;
    bounded.QuadPart = HG_WORKER_EXIT_WAIT_100NS;

    KeAcquireSpinLock(&s_lock, &irql);
    if (wait_all) {
        while (!IsListEmpty(&s_workers))
            InsertTailList(&done, RemoveHeadList(&s_workers));
    }
    KeReleaseSpinLock(&s_lock, irql);

    if (!wait_all) {
        /* Poll each one without holding the spin lock (no waits under it). */
        LIST_ENTRY check;
        InitializeListHead(&check);
        KeAcquireSpinLock(&s_lock, &irql);
        while (!IsListEmpty(&s_workers))
            InsertTailList(&check, RemoveHeadList(&s_workers));
        KeReleaseSpinLock(&s_lock, irql);
        for (e = check.Flink; e != &check; e = next) {
            hg_worker *w = CONTAINING_RECORD(e, hg_worker, link);
            next = e->Flink;
            RemoveEntryList(e);
            if (ZwWaitForSingleObject(w->thread, FALSE, &zero) == STATUS_SUCCESS) {
                InsertTailList(&done, e);
            } else {
                KeAcquireSpinLock(&s_lock, &irql);
                InsertTailList(&s_workers, e);
                KeReleaseSpinLock(&s_lock, irql);
            }
        }
    }

    while (!IsListEmpty(&done)) {
        hg_worker *w = CONTAINING_RECORD(RemoveHeadList(&done), hg_worker, link);
        if (wait_all) {
            while (ZwWaitForSingleObject(w->thread, FALSE, &bounded) != STATUS_SUCCESS)
                HG_LOG("an inject worker has not ended yet, still waiting");
        }
        ZwClose(w->thread);
        hg_plat_free(w);
    }
}

/* The string that starts `offset` bytes after the header. */
static void hg_inject_string(hg_inject_ctx *ctx, PUCHAR base, ULONG offset, USHORT bytes,
                             UNICODE_STRING *out)
{
    UNREFERENCED_PARAMETER(ctx);
    out->Buffer = bytes != 0 ? (PWCH)(base + offset) : NULL;
    out->Length = bytes;
    out->MaximumLength = bytes;
}

NTSTATUS hg_inject_dispatch(PIRP irp, PIO_STACK_LOCATION sp)
{
    ULONG in_len = sp->Parameters.DeviceIoControl.InputBufferLength;
    ULONG out_len = sp->Parameters.DeviceIoControl.OutputBufferLength;
    PUCHAR buffer = (PUCHAR)irp->AssociatedIrp.SystemBuffer;
    HG_INJECT_HEADER h;
    hg_inject_ctx *ctx;
    hg_worker *worker;
    OBJECT_ATTRIBUTES oa;
    ULONG64 expected;
    NTSTATUS status;
    KIRQL irql;
    USHORT i;

    if (in_len < sizeof(h) || buffer == NULL)
        return hg_inject_complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
    if (out_len < sizeof(HG_INJECT_RESULT))
        return hg_inject_complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
    RtlCopyMemory(&h, buffer, sizeof(h));
    if (h.magic != HG_WIRE_MAGIC)
        return hg_inject_complete(irp, STATUS_UNKNOWN_REVISION, 0);
    if (h.total_bytes != in_len)
        return hg_inject_complete(irp, STATUS_INFO_LENGTH_MISMATCH, 0);
    expected = (ULONG64)sizeof(h) + h.key_path_bytes + h.value_name_bytes + h.new_name_bytes +
               h.data_bytes;
    if (expected != in_len)
        return hg_inject_complete(irp, STATUS_INFO_LENGTH_MISMATCH, 0);
    if (h.operation == HG_OP_NONE || h.operation >= HG_OP_COUNT ||
        (h.flags & ~HG_INJECT_F_SYS_ALL) != 0 || h.reserved0 != 0 || h.reserved1 != 0 ||
        (h.key_path_bytes & 1u) || (h.value_name_bytes & 1u) || (h.new_name_bytes & 1u) ||
        h.key_path_bytes < sizeof(WCHAR) || ((PWCH)(buffer + sizeof(h)))[0] != L'\\' ||
        ((h.flags & HG_INJECT_F_SYS_DATA_FAULT) && h.operation != HG_OP_SET_VALUE))
        return hg_inject_complete(irp, STATUS_INVALID_PARAMETER, 0);
    if (InterlockedCompareExchange(&g_hg.state, 0, 0) != HG_STATE_RUNNING)
        return hg_inject_complete(irp, STATUS_DELETE_PENDING, 0);

    hg_inject_reap(FALSE);

    ctx = (hg_inject_ctx *)hg_plat_alloc(sizeof(*ctx));
    worker = (hg_worker *)hg_plat_alloc(sizeof(*worker));
    if (ctx == NULL || worker == NULL) {
        hg_plat_free(ctx);
        hg_plat_free(worker);
        return hg_inject_complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    }
    RtlZeroMemory(ctx, sizeof(*ctx));
    ctx->irp = irp;
    ctx->header = h;
    hg_inject_string(ctx, buffer, sizeof(h), h.key_path_bytes, &ctx->key_path);
    hg_inject_string(ctx, buffer, sizeof(h) + h.key_path_bytes, h.value_name_bytes, &ctx->value_name);
    hg_inject_string(ctx, buffer, sizeof(h) + h.key_path_bytes + h.value_name_bytes,
                     h.new_name_bytes, &ctx->new_name);
    ctx->data = buffer + sizeof(h) + h.key_path_bytes + h.value_name_bytes + h.new_name_bytes;

    ctx->key.magic = HG_FAKE_KEY_MAGIC;
    ctx->key.name = ctx->key_path;
    /* Parent = path up to the last backslash; leaf = what follows it. */
    ctx->parent.magic = HG_FAKE_KEY_MAGIC;
    ctx->parent.name = ctx->key_path;
    for (i = (USHORT)(ctx->key_path.Length / sizeof(WCHAR)); i > 1; i--) {
        if (ctx->key_path.Buffer[i - 1] == L'\\') {
            ctx->parent.name.Length = (USHORT)((i - 1) * sizeof(WCHAR));
            ctx->leaf.Buffer = ctx->key_path.Buffer + i;
            ctx->leaf.Length = (USHORT)(ctx->key_path.Length - i * sizeof(WCHAR));
            ctx->leaf.MaximumLength = ctx->leaf.Length;
            break;
        }
    }

    /* Held by the worker until it has completed the IRP. */
    if (!hg_rundown_enter()) {
        hg_plat_free(ctx);
        hg_plat_free(worker);
        return hg_inject_complete(irp, STATUS_DELETE_PENDING, 0);
    }
    IoMarkIrpPending(irp);
    InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    status = PsCreateSystemThread(&worker->thread, THREAD_ALL_ACCESS, &oa, NULL, NULL,
                                  hg_inject_worker, ctx);
    if (!NT_SUCCESS(status)) {
        hg_rundown_leave();
        hg_plat_free(ctx);
        hg_plat_free(worker);
        hg_inject_complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
        return STATUS_PENDING;
    }
    KeAcquireSpinLock(&s_lock, &irql);
    InsertTailList(&s_workers, &worker->link);
    KeReleaseSpinLock(&s_lock, irql);
    return STATUS_PENDING;
}

static NTSTATUS hg_inject_device_create(PDRIVER_OBJECT driver)
{
    UNICODE_STRING device_name, link_name;
    NTSTATUS status;

    RtlInitUnicodeString(&device_name, HG_INJECT_DEVICE_NAME_W);
    RtlInitUnicodeString(&link_name, HG_INJECT_SYMLINK_NAME_W);
    status = IoCreateDevice(driver, 0, &device_name, FILE_DEVICE_UNKNOWN,
                            FILE_DEVICE_SECURE_OPEN, FALSE, &g_hg.inject_device);
    if (!NT_SUCCESS(status))
        return status;
    status = hg_device_apply_dacl(g_hg.inject_device);
    if (NT_SUCCESS(status))
        status = IoCreateSymbolicLink(&link_name, &device_name);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(g_hg.inject_device);
        g_hg.inject_device = NULL;
        return status;
    }
    g_hg.inject_symlink_created = TRUE;
    g_hg.inject_device->Flags |= DO_BUFFERED_IO;
    g_hg.inject_device->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

NTSTATUS hg_inject_init(PDRIVER_OBJECT driver)
{
    KeInitializeSpinLock(&s_lock);
    InitializeListHead(&s_active);
    InitializeListHead(&s_workers);
    s_initialized = TRUE;
    HG_LOG("TEST BUILD: HG_IOCTL_INJECT is available");
    return hg_inject_device_create(driver);
}

void hg_inject_shutdown(void)
{
    UNICODE_STRING link_name;

    if (!s_initialized)
        return;
    if (g_hg.inject_symlink_created) {
        RtlInitUnicodeString(&link_name, HG_INJECT_SYMLINK_NAME_W);
        IoDeleteSymbolicLink(&link_name);
        g_hg.inject_symlink_created = FALSE;
    }
    hg_inject_reap(TRUE);
    if (g_hg.inject_device != NULL) {
        IoDeleteDevice(g_hg.inject_device);
        g_hg.inject_device = NULL;
    }
}

#endif /* HG_TEST_BUILD */
