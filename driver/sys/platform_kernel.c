/*
 * platform_kernel.c - core/hg_platform.h on the NT kernel.
 *
 * Windows behaviour this file deals with:
 *  - core calls hg_plat_lock from the registry callback (PASSIVE or
 *    APC_LEVEL) and from dispatch and cancel paths (up to DISPATCH_LEVEL), so
 *    the lock is a KSPIN_LOCK; core keeps it for a few lines only and never
 *    allocates, waits or completes under it (hg_platform.h rules).
 *  - A verdict wait blocks a registry caller's thread. It is a KernelMode,
 *    non-alertable wait: a UserMode wait would let the kernel page the
 *    waiter's stack out while the KEVENT lives on it, and an alertable one
 *    could return STATUS_USER_APC and skip the verdict.
 *  - KeWaitForSingleObject returns STATUS_TIMEOUT, a SUCCESS code, when the
 *    deadline passes: NT_SUCCESS() would treat a timeout as a signal, so the
 *    status is compared exactly.
 *  - Pool: NonPagedPoolNx (the data is touched at DISPATCH_LEVEL under the
 *    lock and must never be executable). ExAllocatePool2 is preferred when
 *    the running kernel exports it (Windows 10 2004+); it is resolved at run
 *    time because neither mingw-w64 nor Wine 8 provides it.
 */
#include "hg_sys.h"

typedef struct hg_kernel_lock {
    KSPIN_LOCK lock;
    KIRQL      old_irql;
} hg_kernel_lock;

_Static_assert(sizeof(hg_kernel_lock) <= sizeof(hg_lock), "KSPIN_LOCK fits hg_lock");
_Static_assert(sizeof(KEVENT) <= sizeof(hg_event), "KEVENT fits hg_event");

/* 100 ns units per millisecond, for relative (negative) kernel timeouts. */
#define HG_100NS_PER_MS 10000LL

static hg_alloc_pool2_fn s_alloc_pool2;

void hg_platform_init(void)
{
    UNICODE_STRING name;
    RtlInitUnicodeString(&name, L"ExAllocatePool2");
    s_alloc_pool2 = (hg_alloc_pool2_fn)MmGetSystemRoutineAddress(&name);
}

void hg_plat_lock_init(hg_lock *lock)
{
    hg_kernel_lock *k = (hg_kernel_lock *)lock;
    KeInitializeSpinLock(&k->lock);
    k->old_irql = PASSIVE_LEVEL;
}

void hg_plat_lock_destroy(hg_lock *lock)
{
    (void)lock; /* a KSPIN_LOCK owns nothing */
}

void hg_plat_lock(hg_lock *lock)
{
    hg_kernel_lock *k = (hg_kernel_lock *)lock;
    KIRQL irql;
    KeAcquireSpinLock(&k->lock, &irql);
    /* Written only by the owner, after acquiring: safe to keep in the lock. */
    k->old_irql = irql;
}

void hg_plat_unlock(hg_lock *lock)
{
    hg_kernel_lock *k = (hg_kernel_lock *)lock;
    KeReleaseSpinLock(&k->lock, k->old_irql);
}

void hg_plat_event_init(hg_event *ev)
{
    KeInitializeEvent((PKEVENT)ev, NotificationEvent, FALSE);
}

void hg_plat_event_destroy(hg_event *ev)
{
    (void)ev; /* a KEVENT owns nothing */
}

void hg_plat_signal(hg_event *ev)
{
    KeSetEvent((PKEVENT)ev, IO_NO_INCREMENT, FALSE);
}

int hg_plat_wait(hg_event *ev, uint32_t timeout_ms)
{
    LARGE_INTEGER timeout;
    NTSTATUS status;

    timeout.QuadPart = -((LONGLONG)timeout_ms * HG_100NS_PER_MS);
    status = KeWaitForSingleObject((PKEVENT)ev, Executive, KernelMode, FALSE, &timeout);
    if (status == STATUS_SUCCESS)
        return 1;
    /* STATUS_TIMEOUT, and anything a non-alertable KernelMode wait should
     * never return: both mean "no verdict arrived", so core applies the
     * configured fail mode rather than guessing. */
    return 0;
}

void *hg_plat_alloc(size_t bytes)
{
    if (bytes == 0)
        bytes = 1;
    if (s_alloc_pool2 != NULL)
        return s_alloc_pool2(HG_POOL_FLAG_NON_PAGED, bytes, HG_POOL_TAG);
    return ExAllocatePoolWithTag(NonPagedPoolNx, bytes, HG_POOL_TAG);
}

void hg_plat_free(void *p)
{
    if (p != NULL)
        ExFreePoolWithTag(p, HG_POOL_TAG);
}

uint64_t hg_plat_filetime_now(void)
{
    LARGE_INTEGER now;
    KeQuerySystemTime(&now);
    return (uint64_t)now.QuadPart;
}
