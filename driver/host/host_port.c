/*
 * host_port.c - I/O completion ports.
 *
 * As in the NT I/O manager, a completed request is itself the completion
 * packet (the kernel reuses the IRP as the packet): queueing a completion
 * can therefore never fail for lack of memory, and the packet is freed when
 * a thread dequeues it or when the port dies with it still queued.
 *
 * Windows behaviour reproduced here:
 *  - a packet carries the NTSTATUS of the I/O; GetQueuedCompletionStatus
 *    returns FALSE with *ov set and the mapped error for a failed I/O
 *    (STATUS_CANCELLED -> ERROR_OPERATION_ABORTED), and FALSE with *ov NULL
 *    for its own failures (WAIT_TIMEOUT, ERROR_ABANDONED_WAIT_0);
 *  - GetQueuedCompletionStatusEx returns every available packet up to the
 *    array size, each entry's Internal holding the NTSTATUS;
 *  - closing the port handle wakes its waiters with ERROR_ABANDONED_WAIT_0,
 *    while files keep the port object alive (completions of their I/O are
 *    then discarded, as nobody can dequeue them any more).
 * Not reproduced: the concurrency limit (every waiter may run) and alertable
 * waits (the host has no APCs, so an alertable wait ends like any other).
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "host_internal.h"

#define NS_PER_MS  1000000L
#define NS_PER_SEC 1000000000L

struct host_port {
    host_object     obj;
    pthread_mutex_t lock;
    pthread_cond_t  ready;  /* a packet was queued or the port was closed */
    host_link       queue;  /* host_request.packet_link */
    int             closed;
};

host_port *host_port_new(uint64_t owner)
{
    host_port *port = calloc(1, sizeof *port);
    if (port == NULL)
        return NULL;
    host_object_init(&port->obj, HOST_OBJ_PORT, owner);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    /* Timeouts are intervals, as on Windows: immune to wall-clock steps. */
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&port->ready, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&port->lock, NULL);
    host_list_init(&port->queue);
    return port;
}

host_port *host_port_of(host_object *obj)
{
    return HOST_CONTAINER_OF(obj, host_port, obj);
}

void host_port_ref(host_port *port)
{
    host_object_ref(&port->obj);
}

void host_port_unref(host_port *port)
{
    host_object_unref(&port->obj);
}

void host_port_destroy(host_port *port)
{
    /* Every queued packet holds a reference, so the queue is empty here. */
    pthread_cond_destroy(&port->ready);
    pthread_mutex_destroy(&port->lock);
    free(port);
}

void host_port_post(host_port *port, host_request *req)
{
    pthread_mutex_lock(&port->lock);
    int closed = port->closed;
    if (!closed) {
        host_list_append(&port->queue, &req->packet_link);
        pthread_cond_signal(&port->ready);
    }
    pthread_mutex_unlock(&port->lock);
    if (closed)
        host_request_free(req);
}

void host_port_close(host_port *port)
{
    host_link drained;
    host_list_init(&drained);

    pthread_mutex_lock(&port->lock);
    port->closed = 1;
    while (!host_list_empty(&port->queue)) {
        host_link *n = port->queue.next;
        host_list_remove(n);
        host_list_append(&drained, n);
    }
    pthread_cond_broadcast(&port->ready);
    pthread_mutex_unlock(&port->lock);

    while (!host_list_empty(&drained)) {
        host_link *n = drained.next;
        host_list_remove(n);
        host_request_free(HOST_CONTAINER_OF(n, host_request, packet_link));
    }
}

static struct timespec deadline_after(DWORD ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += (time_t)(ms / 1000u);
    t.tv_nsec += (long)(ms % 1000u) * NS_PER_MS;
    if (t.tv_nsec >= NS_PER_SEC) {
        t.tv_sec += 1;
        t.tv_nsec -= NS_PER_SEC;
    }
    return t;
}

/* Waits for at least one packet and moves up to cap of them, in queue order,
 * onto `taken` (linked through packet_link).
 * Returns ERROR_SUCCESS, WAIT_TIMEOUT or ERROR_ABANDONED_WAIT_0. */
static DWORD port_dequeue(host_port *port, host_link *taken, ULONG cap, DWORD ms)
{
    struct timespec deadline = deadline_after(ms == INFINITE ? 0 : ms);
    DWORD result = ERROR_SUCCESS;

    pthread_mutex_lock(&port->lock);
    while (host_list_empty(&port->queue) && !port->closed) {
        if (ms == INFINITE) {
            pthread_cond_wait(&port->ready, &port->lock);
        } else if (ms == 0 ||
                   pthread_cond_timedwait(&port->ready, &port->lock, &deadline) == ETIMEDOUT) {
            break;
        }
    }
    if (port->closed) {
        result = ERROR_ABANDONED_WAIT_0;
    } else if (host_list_empty(&port->queue)) {
        result = WAIT_TIMEOUT;
    } else {
        for (ULONG got = 0; got < cap && !host_list_empty(&port->queue); got++) {
            host_link *n = port->queue.next;
            host_list_remove(n);
            host_list_append(taken, n);
        }
        /* Wake another waiter if packets are left for it. */
        if (!host_list_empty(&port->queue))
            pthread_cond_signal(&port->ready);
    }
    pthread_mutex_unlock(&port->lock);
    return result;
}

static host_request *take_first(host_link *taken)
{
    host_link *n = taken->next;
    host_list_remove(n);
    return HOST_CONTAINER_OF(n, host_request, packet_link);
}

HG_HOST_API HANDLE CreateIoCompletionPort(HANDLE file, HANDLE existing_port, ULONG_PTR key,
                                          DWORD concurrent_threads)
{
    (void)concurrent_threads; /* no concurrency throttling in the host, see above */
    uint64_t owner = hg_sim_current_process_key();

    if (file == INVALID_HANDLE_VALUE && existing_port != NULL) {
        host_fail(ERROR_INVALID_PARAMETER);
        return NULL;
    }

    host_file *f = NULL;
    if (file != INVALID_HANDLE_VALUE) {
        host_object *obj = host_handle_lookup(file, HOST_OBJ_FILE);
        if (obj == NULL) {
            host_fail(ERROR_INVALID_HANDLE);
            return NULL;
        }
        f = HOST_CONTAINER_OF(obj, host_file, obj);
    }

    host_port *port = NULL;
    HANDLE port_handle = NULL;
    int created = 0;
    if (existing_port == NULL) {
        port = host_port_new(owner);
        if (port != NULL) {
            pthread_mutex_lock(&g_host.lock);
            port_handle = host_handle_insert_locked(&port->obj);
            pthread_mutex_unlock(&g_host.lock);
        }
        if (port_handle == NULL) {
            DWORD err = port == NULL ? ERROR_NOT_ENOUGH_MEMORY : ERROR_TOO_MANY_OPEN_FILES;
            if (port != NULL)
                host_port_unref(port);
            if (f != NULL)
                host_object_unref(&f->obj);
            host_fail(err);
            return NULL;
        }
        host_port_ref(port); /* ours, next to the handle's */
        created = 1;
    } else {
        host_object *obj = host_handle_lookup(existing_port, HOST_OBJ_PORT);
        if (obj == NULL) {
            if (f != NULL)
                host_object_unref(&f->obj);
            host_fail(ERROR_INVALID_HANDLE);
            return NULL;
        }
        port = HOST_CONTAINER_OF(obj, host_port, obj);
        port_handle = existing_port;
    }

    DWORD err = ERROR_SUCCESS;
    if (f != NULL) {
        pthread_mutex_lock(&g_io.lock);
        if (f->closed) {
            err = ERROR_INVALID_HANDLE;
        } else if (f->port != NULL) {
            err = ERROR_INVALID_PARAMETER; /* Windows: a file joins one port, once */
        } else {
            host_port_ref(port);
            f->port = port;
            f->port_key = key;
        }
        pthread_mutex_unlock(&g_io.lock);
        host_object_unref(&f->obj);
    }
    host_port_unref(port);

    if (err != ERROR_SUCCESS) {
        if (created)
            CloseHandle(port_handle);
        host_fail(err);
        return NULL;
    }
    return port_handle;
}

HG_HOST_API BOOL GetQueuedCompletionStatus(HANDLE port_handle, DWORD *bytes, ULONG_PTR *key,
                                           OVERLAPPED **ov, DWORD ms)
{
    if (bytes == NULL || key == NULL || ov == NULL)
        return host_fail(ERROR_INVALID_PARAMETER);
    *ov = NULL;
    host_object *obj = host_handle_lookup(port_handle, HOST_OBJ_PORT);
    if (obj == NULL)
        return host_fail(ERROR_INVALID_HANDLE);
    host_port *port = HOST_CONTAINER_OF(obj, host_port, obj);

    host_link taken;
    host_list_init(&taken);
    DWORD err = port_dequeue(port, &taken, 1, ms);
    host_port_unref(port);
    if (err != ERROR_SUCCESS)
        return host_fail(err);

    host_request *req = take_first(&taken);
    uint32_t status = req->status;
    *bytes = req->bytes;
    *key = req->port_key;
    *ov = req->ov;
    host_request_free(req);
    if (!HOST_NT_SUCCESS(status))
        return host_fail_nt(status);
    return 1;
}

HG_HOST_API BOOL GetQueuedCompletionStatusEx(HANDLE port_handle, OVERLAPPED_ENTRY *entries,
                                             ULONG count, ULONG *removed, DWORD ms,
                                             BOOL alertable)
{
    (void)alertable; /* no APCs in the host: nothing could make the wait return early */
    if (entries == NULL || count == 0 || removed == NULL)
        return host_fail(ERROR_INVALID_PARAMETER);
    *removed = 0;
    host_object *obj = host_handle_lookup(port_handle, HOST_OBJ_PORT);
    if (obj == NULL)
        return host_fail(ERROR_INVALID_HANDLE);
    host_port *port = HOST_CONTAINER_OF(obj, host_port, obj);

    host_link taken;
    host_list_init(&taken);
    DWORD err = port_dequeue(port, &taken, count, ms);
    host_port_unref(port);
    if (err != ERROR_SUCCESS)
        return host_fail(err);

    ULONG got = 0;
    while (!host_list_empty(&taken)) {
        host_request *req = take_first(&taken);
        entries[got].lpCompletionKey = req->port_key;
        entries[got].lpOverlapped = req->ov;
        entries[got].Internal = req->status;
        entries[got].dwNumberOfBytesTransferred = req->bytes;
        got++;
        host_request_free(req);
    }
    *removed = got;
    return 1;
}
