/*
 * pump_bench_native.c - the native half of the agent bench (PumpBench, run by
 * `mvn -Pbench`): a minimal C "echo" agent and native registry callers, loaded
 * into the benchmark's JVM next to the host library.
 *
 * Both agents under test - this echo agent and the Java DecisionPump - are
 * driven by the same native raiser threads calling hg_sim_raise directly, so a
 * difference in the table is the agent's, not the load generator's (a Java
 * raiser would add JNA marshalling and garbage to one side only).
 *
 * The echo agent is what the Java pump does minus the policy and the audit
 * trail, over the same Win32 surface: N GET_EVENTS parked on an overlapped handle
 * bound to a completion port, one thread dequeuing with
 * GetQueuedCompletionStatusEx, one REPLY of ALLOW for all the batches of a dequeue
 * that hold verdict events (hEvent low bit set: the REPLY completes in the call and queues no
 * packet), then the requests re-parked.
 *
 * Not a test: the numbers are printed by PumpBench, never asserted.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hg_host.h"

#define PB_API __attribute__((visibility("default")))

#define PB_PARKED_MAX   HG_PARKED_MAX
#define PB_DEQUEUE_MAX  64
#define PB_POLL_MS      100u
#define PB_KEY          0xEC40u
#define PB_RAISERS_MAX  64
/* Raisers act as another process than the agent (the agent's own operations
 * are excluded by the driver). */
#define PB_RAISER_PROCESS 0x9000u

/* Results of hgpb_raise, in this order (int64 slots). */
enum { PB_OUT_OPS, PB_OUT_WALL_NS, PB_OUT_CPU_NS, PB_OUT_P50_NS, PB_OUT_P99_NS, PB_OUT_MAX_NS,
       PB_OUT_DENIED, PB_OUT_FAILED, PB_OUT_SLOTS };

static uint64_t clock_ns(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* ---- the echo agent ------------------------------------------------------ */

typedef struct echo_agent {
    HANDLE        dev, port;
    int           slots;
    uint32_t      buffer_bytes;
    unsigned char *buf[PB_PARKED_MAX];
    OVERLAPPED    ov[PB_PARKED_MAX];
    unsigned char *reply;
    pthread_t     thread;
    atomic_int    stopping;
    atomic_int    outstanding;   /* parked requests whose packet has not been dequeued */
    atomic_llong  replies_failed;
} echo_agent;

static echo_agent g_echo;
static int g_echo_running;

/* A control IOCTL that completes in the call and queues no packet. */
static BOOL control(HANDLE dev, DWORD code, void *in, DWORD in_len, void *out, DWORD out_len)
{
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = (HANDLE)(uintptr_t)1;
    DWORD got = 0;
    return DeviceIoControl(dev, code, in, in_len, out, out_len, &got, &ov);
}

static int park(echo_agent *a, int slot)
{
    memset(&a->ov[slot], 0, sizeof a->ov[slot]);
    atomic_fetch_add(&a->outstanding, 1);
    DWORD got;
    if (!DeviceIoControl(a->dev, HG_IOCTL_GET_EVENTS, NULL, 0, a->buf[slot], a->buffer_bytes, &got,
                         &a->ov[slot]) && GetLastError() != ERROR_IO_PENDING) {
        atomic_fetch_sub(&a->outstanding, 1); /* failed at once: no packet follows */
        return 0;
    }
    return 1;
}

/* Sends the REPLY holding the ALLOWs added since the last one (none: nothing to send). */
static void echo_reply(echo_agent *a, uint32_t *count)
{
    if (*count == 0)
        return;
    HG_REPLY_HEADER *rh = (HG_REPLY_HEADER *)a->reply;
    rh->magic = HG_WIRE_MAGIC;
    rh->count = *count;
    HG_REPLY_RESULT result;
    if (!control(a->dev, HG_IOCTL_REPLY, a->reply, (DWORD)(sizeof *rh + *count * sizeof(HG_REPLY_ENTRY)),
                 &result, sizeof result))
        atomic_fetch_add(&a->replies_failed, 1);
    *count = 0;
}

/* Adds an ALLOW for every verdict event of the batch in slot to the pending REPLY
 * (*count entries so far), sending it first when it could not hold a whole buffer more:
 * like the Java pump, one REPLY answers every batch of a dequeue. */
static void echo_batch(echo_agent *a, int slot, DWORD bytes, uint32_t *count)
{
    const unsigned char *p = a->buf[slot];
    HG_BATCH_HEADER b;
    if (bytes < sizeof b)
        return;
    memcpy(&b, p, sizeof b);
    if (*count + b.count > HG_REPLY_MAX_ENTRIES)
        echo_reply(a, count);
    HG_REPLY_ENTRY *re = (HG_REPLY_ENTRY *)(a->reply + sizeof(HG_REPLY_HEADER));
    size_t at = sizeof b;
    for (uint32_t k = 0; k < b.count && at + HG_EVENT_HEADER_BYTES <= bytes && *count < HG_REPLY_MAX_ENTRIES; k++) {
        HG_EVENT_HEADER h;
        memcpy(&h, p + at, sizeof h);
        if (h.flags & HG_EVENT_F_VERDICT_REQUESTED) {
            re[*count].id = h.id;
            re[*count].verdict = HG_VERDICT_ALLOW;
            re[*count].reserved = 0;
            (*count)++;
        }
        if (h.size == 0)
            break;
        at += h.size;
    }
}

static void *echo_loop(void *arg)
{
    echo_agent *a = arg;
    OVERLAPPED_ENTRY e[PB_DEQUEUE_MAX];
    for (;;) {
        ULONG n = 0;
        if (!GetQueuedCompletionStatusEx(a->port, e, PB_DEQUEUE_MAX, &n, PB_POLL_MS, 0)) {
            if (GetLastError() != WAIT_TIMEOUT)
                break; /* the port is gone */
            if (atomic_load(&a->stopping) && atomic_load(&a->outstanding) == 0)
                break;
            continue;
        }
        uint32_t count = 0;
        for (ULONG i = 0; i < n; i++) {
            int slot = (int)(e[i].lpOverlapped - a->ov);
            if (e[i].Internal != HG_STATUS_SUCCESS)
                continue; /* cancelled at stop */
            echo_batch(a, slot, e[i].dwNumberOfBytesTransferred, &count);
        }
        echo_reply(a, &count);
        for (ULONG i = 0; i < n; i++) {
            int slot = (int)(e[i].lpOverlapped - a->ov);
            atomic_fetch_sub(&a->outstanding, 1);
            if (e[i].Internal == HG_STATUS_SUCCESS && !atomic_load(&a->stopping))
                park(a, slot);
        }
        if (atomic_load(&a->stopping) && atomic_load(&a->outstanding) == 0)
            break;
    }
    return NULL;
}

static void echo_free(echo_agent *a)
{
    for (int i = 0; i < (int)PB_PARKED_MAX; i++)
        free(a->buf[i]);
    free(a->reply);
    memset(a, 0, sizeof *a);
}

/*
 * Opens the device, HELLO, CONFIGURE with `config` (the same encoded
 * subscription the Java pump sends), parks `parked` requests of
 * `buffer_bytes` and starts the dequeue thread. Returns 0, or the Win32 error.
 */
PB_API uint32_t hgpb_echo_start(const void *config, uint32_t config_bytes, int32_t parked,
                                uint32_t buffer_bytes)
{
    echo_agent *a = &g_echo;
    if (g_echo_running || parked < 1 || parked > (int32_t)PB_PARKED_MAX || config == NULL)
        return ERROR_INVALID_PARAMETER;
    memset(a, 0, sizeof *a);
    a->slots = parked;
    a->buffer_bytes = buffer_bytes;
    a->reply = malloc(sizeof(HG_REPLY_HEADER) + HG_REPLY_MAX_ENTRIES * sizeof(HG_REPLY_ENTRY));
    for (int i = 0; i < parked; i++)
        a->buf[i] = malloc(buffer_bytes);
    for (int i = 0; i < parked; i++) {
        if (a->buf[i] == NULL || a->reply == NULL) {
            echo_free(a);
            return ERROR_NOT_ENOUGH_MEMORY;
        }
    }
    a->dev = CreateFileW(L"\\\\.\\HiveGuard", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                         FILE_FLAG_OVERLAPPED, NULL);
    if (a->dev == INVALID_HANDLE_VALUE) {
        uint32_t err = GetLastError();
        echo_free(a);
        return err;
    }
    HG_HELLO_REQUEST req = { HG_WIRE_MAGIC, HG_WIRE_VERSION_MAJOR, HG_WIRE_VERSION_MINOR, 0, 0 };
    HG_HELLO_REPLY rep;
    void *cfg = malloc(config_bytes);
    uint32_t err = ERROR_SUCCESS;
    if (cfg == NULL) {
        err = ERROR_NOT_ENOUGH_MEMORY;
    } else {
        memcpy(cfg, config, config_bytes);
        if (!control(a->dev, HG_IOCTL_HELLO, &req, sizeof req, &rep, sizeof rep) ||
            !control(a->dev, HG_IOCTL_CONFIGURE, cfg, config_bytes, NULL, 0))
            err = GetLastError();
        free(cfg);
    }
    if (err == ERROR_SUCCESS) {
        a->port = CreateIoCompletionPort(a->dev, NULL, PB_KEY, 0);
        if (a->port == NULL)
            err = GetLastError();
    }
    if (err != ERROR_SUCCESS) {
        CloseHandle(a->dev);
        echo_free(a);
        return err;
    }
    for (int i = 0; i < parked; i++)
        park(a, i);
    if (pthread_create(&a->thread, NULL, echo_loop, a) != 0) {
        atomic_store(&a->stopping, 1);
        CancelIoEx(a->dev, NULL);
        echo_loop(a); /* drains the cancelled packets on this thread */
        CloseHandle(a->dev);
        CloseHandle(a->port);
        echo_free(a);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    g_echo_running = 1;
    return ERROR_SUCCESS;
}

/* Stops parking, cancels what is parked, waits for every packet (a buffer
 * lives until its packet), closes. Returns the number of failed REPLYs. */
PB_API int64_t hgpb_echo_stop(void)
{
    echo_agent *a = &g_echo;
    if (!g_echo_running)
        return -1;
    atomic_store(&a->stopping, 1);
    CancelIoEx(a->dev, NULL);
    pthread_join(a->thread, NULL);
    CloseHandle(a->dev);
    CloseHandle(a->port);
    int64_t failed = atomic_load(&a->replies_failed);
    echo_free(a);
    g_echo_running = 0;
    return failed;
}

/* ---- native raisers ------------------------------------------------------ */

typedef struct raiser {
    pthread_t  thread;
    int        index;
    uint32_t   operation;
    int64_t    ops;
    uint64_t  *waits;        /* ns per call */
    int64_t    denied, failed;
    const pthread_barrier_t *start;
} raiser;

static const wchar_t *const k_key_path =
    L"\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run";

static void *raise_loop(void *arg)
{
    raiser *r = arg;
    uint32_t data = 1;
    pthread_barrier_wait((pthread_barrier_t *)r->start);
    for (int64_t i = 0; i < r->ops; i++) {
        uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
        uint32_t st = hg_sim_raise(r->operation, PB_RAISER_PROCESS + (uint32_t)r->index,
                                   4000u + (uint32_t)r->index, 7000u + (uint32_t)r->index, 1, 0,
                                   k_key_path, L"Updater", NULL,
                                   L"\\Device\\HarddiskVolume3\\Windows\\System32\\reg.exe",
                                   L"S-1-5-21-1004336348-1177238915-682003330-1001", 4, &data,
                                   sizeof data);
        r->waits[i] = clock_ns(CLOCK_MONOTONIC) - t0;
        if (st == HG_SIM_STATUS_ACCESS_DENIED)
            r->denied++;
        else if (st != HG_SIM_STATUS_SUCCESS)
            r->failed++;
    }
    return NULL;
}

static int by_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/*
 * Raises `ops_per_thread` operations of class `operation` from each of
 * `threads` native threads at once, each timing its own calls (the caller's
 * wait: what a registry caller sees). Fills out[PB_OUT_SLOTS]: operations,
 * wall and process CPU nanoseconds, wait p50/p99/max, denied, failed.
 * Returns 0, or -1 on bad arguments or no memory.
 */
PB_API int32_t hgpb_raise(int32_t threads, int64_t ops_per_thread, uint32_t operation, int64_t *out)
{
    if (threads < 1 || threads > PB_RAISERS_MAX || ops_per_thread < 1 || out == NULL)
        return -1;
    int64_t total = (int64_t)threads * ops_per_thread;
    uint64_t *waits = malloc((size_t)total * sizeof *waits);
    raiser *r = calloc((size_t)threads, sizeof *r);
    if (waits == NULL || r == NULL) {
        free(waits);
        free(r);
        return -1;
    }
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    int started = 0;
    for (int i = 0; i < threads; i++) {
        r[i].index = i;
        r[i].operation = operation;
        r[i].ops = ops_per_thread;
        r[i].waits = waits + (int64_t)i * ops_per_thread;
        r[i].start = &start;
        if (pthread_create(&r[i].thread, NULL, raise_loop, &r[i]) != 0)
            break;
        started++;
    }
    if (started != threads) {
        /* Cannot happen short of thread exhaustion; the started ones are
         * waiting at the barrier, which can no longer be reached. */
        abort();
    }
    uint64_t cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    uint64_t wall0 = clock_ns(CLOCK_MONOTONIC);
    pthread_barrier_wait(&start);
    for (int i = 0; i < threads; i++)
        pthread_join(r[i].thread, NULL);
    uint64_t wall = clock_ns(CLOCK_MONOTONIC) - wall0;
    uint64_t cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    pthread_barrier_destroy(&start);

    qsort(waits, (size_t)total, sizeof *waits, by_u64);
    memset(out, 0, PB_OUT_SLOTS * sizeof *out);
    out[PB_OUT_OPS] = total;
    out[PB_OUT_WALL_NS] = (int64_t)wall;
    out[PB_OUT_CPU_NS] = (int64_t)cpu;
    out[PB_OUT_P50_NS] = (int64_t)waits[total / 2];
    out[PB_OUT_P99_NS] = (int64_t)waits[(total * 99) / 100];
    out[PB_OUT_MAX_NS] = (int64_t)waits[total - 1];
    for (int i = 0; i < threads; i++) {
        out[PB_OUT_DENIED] += r[i].denied;
        out[PB_OUT_FAILED] += r[i].failed;
    }
    free(waits);
    free(r);
    return 0;
}

/* The hg_sim_raise this library calls: PumpBench checks it is the one the JVM
 * loaded, i.e. both agents and the raisers share one simulated driver. */
PB_API void *hgpb_sim_raise_address(void)
{
    return (void *)hg_sim_raise;
}
