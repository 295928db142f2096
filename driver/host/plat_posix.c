/*
 * plat_posix.c - hg_platform.h for user mode on Linux: the lock is a pthread
 * mutex, the one-shot event a mutex + condition variable + flag, memory comes
 * from malloc and the clocks from clock_gettime.
 *
 * Processes are simulated: plat_posix_process_start/exit keep the table of
 * live (pid, process key) pairs that hg_plat_process_key_of_pid consults at
 * CONFIGURE, as PsLookupProcessByProcessId consults the kernel's.
 *
 * The request hooks (hg_plat_request_*) are NOT here: they belong to whoever
 * owns the request objects (the host library, the unit tests, the stress
 * test), exactly as they belong to the IRP queue in the kernel.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "../core/hg_platform.h"
#include "plat_posix.h"

typedef struct posix_event {
    pthread_mutex_t mutex;
    pthread_cond_t  cond;
    int             signalled;
} posix_event;

_Static_assert(sizeof(pthread_mutex_t) <= sizeof(hg_lock), "pthread_mutex_t must fit in hg_lock");
_Static_assert(_Alignof(pthread_mutex_t) <= _Alignof(hg_lock), "hg_lock alignment");
_Static_assert(sizeof(posix_event) <= sizeof(hg_event), "posix_event must fit in hg_event");
_Static_assert(_Alignof(posix_event) <= _Alignof(hg_event), "hg_event alignment");

#define NSEC_PER_SEC  1000000000L
#define NSEC_PER_MSEC 1000000L
/* Seconds from 1601-01-01 (FILETIME epoch) to 1970-01-01 (Unix epoch). */
#define FILETIME_UNIX_EPOCH_DELTA_S 11644473600ull
#define FILETIME_TICKS_PER_SEC      10000000ull

static pthread_mutex_t *native_lock(hg_lock *lock)
{
    return (pthread_mutex_t *)(void *)lock->opaque;
}

static posix_event *native_event(hg_event *ev)
{
    return (posix_event *)(void *)ev->opaque;
}

/* pthread calls on a correctly initialised object cannot fail except on
 * programming errors; crashing loudly then beats continuing with a broken
 * lock, and this file never runs in the kernel. */
static void check(int rc)
{
    if (rc != 0)
        abort();
}

void hg_plat_lock_init(hg_lock *lock)
{
    check(pthread_mutex_init(native_lock(lock), NULL));
}

void hg_plat_lock_destroy(hg_lock *lock)
{
    check(pthread_mutex_destroy(native_lock(lock)));
}

void hg_plat_lock(hg_lock *lock)
{
    check(pthread_mutex_lock(native_lock(lock)));
}

void hg_plat_unlock(hg_lock *lock)
{
    check(pthread_mutex_unlock(native_lock(lock)));
}

void hg_plat_event_init(hg_event *ev)
{
    posix_event *e = native_event(ev);
    pthread_condattr_t attr;

    check(pthread_mutex_init(&e->mutex, NULL));
    check(pthread_condattr_init(&attr));
    /* Timeouts are measured on the monotonic clock, like the kernel's
     * relative KeWaitForSingleObject timeouts: a wall-clock step must not
     * shorten or stretch a registry caller's wait. */
    check(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
    check(pthread_cond_init(&e->cond, &attr));
    check(pthread_condattr_destroy(&attr));
    e->signalled = 0;
}

void hg_plat_event_destroy(hg_event *ev)
{
    posix_event *e = native_event(ev);

    check(pthread_cond_destroy(&e->cond));
    check(pthread_mutex_destroy(&e->mutex));
}

void hg_plat_signal(hg_event *ev)
{
    posix_event *e = native_event(ev);

    check(pthread_mutex_lock(&e->mutex));
    e->signalled = 1;
    check(pthread_cond_signal(&e->cond));
    check(pthread_mutex_unlock(&e->mutex));
}

int hg_plat_wait(hg_event *ev, uint32_t timeout_ms)
{
    posix_event *e = native_event(ev);
    struct timespec deadline;
    int signalled;

    check(clock_gettime(CLOCK_MONOTONIC, &deadline));
    deadline.tv_sec += (time_t)(timeout_ms / 1000u);
    deadline.tv_nsec += (long)(timeout_ms % 1000u) * NSEC_PER_MSEC;
    if (deadline.tv_nsec >= NSEC_PER_SEC) {
        deadline.tv_sec++;
        deadline.tv_nsec -= NSEC_PER_SEC;
    }
    check(pthread_mutex_lock(&e->mutex));
    while (!e->signalled) {
        int rc = pthread_cond_timedwait(&e->cond, &e->mutex, &deadline);
        if (rc == ETIMEDOUT)
            break;
        check(rc);
    }
    signalled = e->signalled;
    check(pthread_mutex_unlock(&e->mutex));
    return signalled;
}

void *hg_plat_alloc(size_t bytes)
{
    return malloc(bytes != 0 ? bytes : 1);
}

void hg_plat_free(void *p)
{
    free(p);
}

uint64_t hg_plat_filetime_now(void)
{
    struct timespec now;

    check(clock_gettime(CLOCK_REALTIME, &now));
    return ((uint64_t)now.tv_sec + FILETIME_UNIX_EPOCH_DELTA_S) * FILETIME_TICKS_PER_SEC +
           (uint64_t)now.tv_nsec / 100u;
}

/* ---- simulated processes ------------------------------------------------ */

/* Live processes, a small unsorted table: CONFIGURE looks up at most
 * HG_EXCLUDED_PID_MAX_COUNT pids, and tests start a handful of processes. */
#define SIM_PROCESSES_MAX 1024u

static pthread_mutex_t s_processes_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { uint64_t pid, key; } s_processes[SIM_PROCESSES_MAX];
static unsigned s_process_count;

int plat_posix_process_start(uint64_t pid, uint64_t process_key)
{
    unsigned i;
    int ok = 1;

    check(pthread_mutex_lock(&s_processes_lock));
    /* A pid belongs to one live process: a start with a pid still in the
     * table means the old holder is gone (the simulator missed its exit). */
    for (i = 0; i < s_process_count && s_processes[i].pid != pid; i++)
        ;
    if (i == s_process_count) {
        if (s_process_count == SIM_PROCESSES_MAX)
            ok = 0;
        else
            s_process_count++;
    }
    if (ok) {
        s_processes[i].pid = pid;
        s_processes[i].key = process_key;
    }
    check(pthread_mutex_unlock(&s_processes_lock));
    return ok;
}

void plat_posix_process_exit(uint64_t process_key)
{
    unsigned i = 0;

    check(pthread_mutex_lock(&s_processes_lock));
    while (i < s_process_count) {
        if (s_processes[i].key == process_key)
            s_processes[i] = s_processes[--s_process_count];
        else
            i++;
    }
    check(pthread_mutex_unlock(&s_processes_lock));
}

int hg_plat_process_key_of_pid(uint64_t pid, uint64_t *key)
{
    unsigned i;
    int found = 0;

    check(pthread_mutex_lock(&s_processes_lock));
    for (i = 0; i < s_process_count; i++) {
        if (s_processes[i].pid == pid) {
            *key = s_processes[i].key;
            found = 1;
            break;
        }
    }
    check(pthread_mutex_unlock(&s_processes_lock));
    return found;
}
