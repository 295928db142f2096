/*
 * hg_platform.h - what core/ needs from the world, implemented twice:
 * driver/sys (WDM: KSPIN_LOCK, KEVENT, pool, KeQuery*) and driver/host
 * (POSIX: pthread mutex/cond, malloc, clock_gettime).
 *
 * Rules core/ keeps so that both implementations stay trivial and the kernel
 * one stays safe at APC_LEVEL and under a spin lock:
 *  - a lock is held for a few lines, never across an allocation, a wait, a
 *    completion or any call back into the platform except hg_plat_signal and
 *    hg_plat_request_claim/arm (both are interlocked exchanges in the kernel);
 *  - core never frees memory while holding a lock;
 *  - core never waits while holding a lock.
 */
#ifndef HG_PLATFORM_H
#define HG_PLATFORM_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque storage sized for the larger implementation (pthread). Each
 * platform static-asserts that its native object fits. */
typedef struct hg_lock  { _Alignas(16) unsigned char opaque[64];  } hg_lock;
typedef struct hg_event { _Alignas(16) unsigned char opaque[128]; } hg_event;

/* Spin lock (kernel: KSPIN_LOCK + saved KIRQL; host: pthread mutex). */
void hg_plat_lock_init(hg_lock *lock);
void hg_plat_lock_destroy(hg_lock *lock);
void hg_plat_lock(hg_lock *lock);
void hg_plat_unlock(hg_lock *lock);

/* One-shot notification event a single waiter blocks on.
 * hg_plat_signal may be called with a core lock held. */
void hg_plat_event_init(hg_event *ev);
void hg_plat_event_destroy(hg_event *ev);
void hg_plat_signal(hg_event *ev);
/* Returns 1 if signalled, 0 on timeout. Kernel: KernelMode, non-alertable,
 * so the waiter's stack stays resident; STATUS_TIMEOUT is mapped to 0 here
 * explicitly (it is a success code). */
int  hg_plat_wait(hg_event *ev, uint32_t timeout_ms);

/* Non-paged (kernel: NonPagedPoolNx, tagged HG_POOL_TAG). May return NULL. */
void *hg_plat_alloc(size_t bytes);
void  hg_plat_free(void *p);

/* Wall clock as FILETIME (100 ns since 1601-01-01 UTC), for event timestamps.
 * (Deadlines need no clock of their own: hg_plat_wait takes a relative timeout.) */
uint64_t hg_plat_filetime_now(void);

/*
 * Process identity. The process key of the process that has `pid` NOW (the
 * same key hg_op.process_key and hg_core_open carry: kernel, the process
 * start key - or, before Windows 10 1703, the process object's address;
 * host, the simulated process's key). Returns 1 and sets *key, or 0 when no
 * such process exists. Called at CONFIGURE with no core lock held (kernel:
 * PASSIVE_LEVEL), never on the registry path: excluded pids are translated
 * once, so a pid reused later by another process is not excluded.
 */
int hg_plat_process_key_of_pid(uint64_t pid, uint64_t *key);

/*
 * Parked-request hooks. A request (IRP in the kernel, host request object on
 * Linux) is represented in core by an hg_request embedded in it.
 *
 * arm:   called with the core lock held when core parks a request. Installs
 *        the platform's cancel routine. Returns 1 if parked, 0 if the request
 *        was already cancelled (core then completes it with CANCELLED).
 * claim: called with the core lock held when core wants to take a parked
 *        request out for completion. Clears the cancel routine. Returns 1 if
 *        core now owns it, 0 if a cancel is already under way - core then
 *        leaves it on the list, and the platform's cancel routine will call
 *        hg_core_cancel_request, which removes and completes it.
 * complete: called WITHOUT any core lock, exactly once per request core took
 *        ownership of, with the status and bytes written into its buffer.
 */
struct hg_request;
int  hg_plat_request_arm(struct hg_request *req);
int  hg_plat_request_claim(struct hg_request *req);
void hg_plat_request_complete(struct hg_request *req, uint32_t status, uint32_t bytes);

#ifdef __cplusplus
}
#endif
#endif /* HG_PLATFORM_H */
