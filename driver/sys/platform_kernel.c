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
 *  - Rundown protection (hg_sys_rundown in hg_sys.h) is EX_RUNDOWN_REF on
 *    Windows. The test image alone keeps a counted fallback for Wine, whose
 *    ExXxxRundownProtection exports are aborting stubs; which one runs is
 *    decided once at load, here, and nothing outside this file can tell.
 *  - Process keys of excluded pids (hg_plat_process_key_of_pid) come from
 *    PsLookupProcessByProcessId, at CONFIGURE (PASSIVE_LEVEL), so that an
 *    exclusion names one process and not whatever later reuses its pid.
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
    RtlInitUnicodeString(&name, L"PsGetProcessStartKey");
    g_hg.process_start_key = (hg_ps_start_key_fn)MmGetSystemRoutineAddress(&name);
}

/* ---- rundown protection ------------------------------------------------ */

#ifdef HG_TEST_BUILD
/* Marks unload in the fallback counter; below it, the holders. */
#define HG_RUNDOWN_CLOSING ((LONG)0x40000000)
#endif

/* documented: the kernel's EX_RUNDOWN_REF works here (the caller knows:
 * real Windows, where CmRegisterCallbackEx resolved). The release image
 * is only ever started that way; the test image may be in Wine. */
void hg_sys_rundown_init(BOOLEAN documented)
{
#ifdef HG_TEST_BUILD
    g_hg.rundown.counted = !documented;
    g_hg.rundown.count = 0;
    KeInitializeEvent(&g_hg.rundown.done, NotificationEvent, FALSE);
    if (g_hg.rundown.counted)
        return;
#else
    UNREFERENCED_PARAMETER(documented);
#endif
    ExInitializeRundownProtection(&g_hg.rundown.ex);
}

BOOLEAN hg_rundown_enter(void)
{
#ifdef HG_TEST_BUILD
    if (g_hg.rundown.counted) {
        LONG seen, current = InterlockedCompareExchange(&g_hg.rundown.count, 0, 0);
        for (;;) {
            if (current & HG_RUNDOWN_CLOSING)
                return FALSE;
            seen = InterlockedCompareExchange(&g_hg.rundown.count, current + 1, current);
            if (seen == current)
                return TRUE;
            current = seen;
        }
    }
#endif
    return ExAcquireRundownProtection(&g_hg.rundown.ex);
}

void hg_rundown_leave(void)
{
#ifdef HG_TEST_BUILD
    if (g_hg.rundown.counted) {
        /* The last holder out after unload began wakes the unload. */
        if (InterlockedDecrement(&g_hg.rundown.count) == HG_RUNDOWN_CLOSING)
            KeSetEvent(&g_hg.rundown.done, IO_NO_INCREMENT, FALSE);
        return;
    }
#endif
    ExReleaseRundownProtection(&g_hg.rundown.ex);
}

/* Refuses new holders, then waits for the current ones. Every holder's work
 * is bounded (a verdict wait by HG_TIMEOUT_MAX_MS, and unload has released
 * the waiters before calling this; a registry caller cannot be suspended
 * while it holds the rundown, see callback.c), so the wait is too. */
void hg_rundown_wait(void)
{
#ifdef HG_TEST_BUILD
    if (g_hg.rundown.counted) {
        LONG before = InterlockedOr(&g_hg.rundown.count, HG_RUNDOWN_CLOSING);
        if ((before & ~HG_RUNDOWN_CLOSING) != 0)
            KeWaitForSingleObject(&g_hg.rundown.done, Executive, KernelMode, FALSE, NULL);
        return;
    }
#endif
    ExWaitForRundownProtectionRelease(&g_hg.rundown.ex);
}

/* ---- process keys ------------------------------------------------------ */

int hg_plat_process_key_of_pid(uint64_t pid, uint64_t *key)
{
    PEPROCESS process = NULL;

    /* Pids are 32-bit values in a HANDLE; 0 and anything wider names no
     * process (PsLookupProcessByProcessId would reject 0 anyway). */
    if (pid == 0 || pid > 0xFFFFFFFFull)
        return 0;
    if (!NT_SUCCESS(PsLookupProcessByProcessId((HANDLE)(ULONG_PTR)pid, &process)))
        return 0;
    *key = hg_process_key(process);
    ObDereferenceObject(process);
    return 1;
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
