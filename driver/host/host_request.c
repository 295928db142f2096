/*
 * host_request.c - the host's IRP: one object per DeviceIoControl, the
 * platform hooks core uses to park and complete it, and cancellation.
 *
 * Cancellation follows the kernel's IoSetCancelRoutine protocol exactly, so
 * core's claim/cancel race handling runs here the way it runs in the driver:
 *   - cancel_routine is swapped atomically, like Irp->CancelRoutine;
 *   - cancel_flag is Irp->Cancel;
 *   - IoCancelIrp = set the flag, then swap the routine out; whoever gets a
 *     non-NULL routine back calls it (and only that one);
 *   - arm (core parks the request) = install the routine, then re-check the
 *     flag: if a cancel slipped in and the routine can still be swapped back
 *     out, the request is already cancelled and core completes it itself;
 *     if it cannot, the canceller owns the routine and will call it;
 *   - claim (core wants to complete it) = swap the routine out; NULL means a
 *     canceller already owns it and core must leave the request to it.
 * A request is completed exactly once, by whoever owns it at that moment,
 * through host_request_complete.
 */
#include <stdlib.h>
#include "host_internal.h"

host_io g_io = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
};

/* The routine core's cancel path is entered through (kernel: the IRP's
 * cancel routine, which calls hg_core_cancel_request after releasing the
 * cancel spin lock). */
static void cancel_parked_request(host_request *req)
{
    hg_core_cancel_request(req->core, &req->core_req);
}

host_request *host_request_new(host_file *file, OVERLAPPED *ov)
{
    host_request *req = calloc(1, sizeof *req);
    if (req == NULL)
        return NULL;
    host_list_init(&req->file_link);
    host_list_init(&req->packet_link);
    host_list_init(&req->cancel_link);
    atomic_init(&req->cancel_routine, NULL);
    atomic_init(&req->cancel_flag, 0);
    host_object_ref(&file->obj);
    req->file = file;
    req->core = file->core;
    req->synchronous = !file->overlapped;
    req->ov = file->overlapped ? ov : NULL;
    /* Windows: an hEvent with its low bit set keeps the completion off the
     * port. Read now: once the I/O completes the caller may reuse the OVERLAPPED. */
    req->skip_packet = req->ov != NULL && ((uintptr_t)req->ov->hEvent & 1u) != 0;
    req->issuer = pthread_self();

    pthread_mutex_lock(&g_io.lock);
    if (file->port != NULL && req->ov != NULL) {
        req->port = file->port;
        req->port_key = file->port_key;
        host_port_ref(req->port);
    }
    pthread_mutex_unlock(&g_io.lock);
    return req;
}

void host_request_free(host_request *req)
{
    if (req->port != NULL)
        host_port_unref(req->port);
    host_object_unref(&req->file->obj);
    free(req);
}

int host_request_track(host_request *req)
{
    int tracked = 0;
    pthread_mutex_lock(&g_io.lock);
    if (!req->file->closed) {
        host_list_append(&req->file->inflight, &req->file_link);
        tracked = 1;
    }
    pthread_mutex_unlock(&g_io.lock);
    return tracked;
}

int host_file_is_open(host_file *file)
{
    pthread_mutex_lock(&g_io.lock);
    int open = !file->closed;
    pthread_mutex_unlock(&g_io.lock);
    return open;
}

void host_request_untrack(host_request *req)
{
    pthread_mutex_lock(&g_io.lock);
    host_list_remove(&req->file_link);
    /* Leaving the in-flight list is what a process exit waits for. */
    pthread_cond_broadcast(&g_io.done);
    pthread_mutex_unlock(&g_io.lock);
}

void host_request_complete(host_request *req, uint32_t status, uint32_t bytes)
{
    pthread_mutex_lock(&g_io.lock);
    host_list_remove(&req->file_link);
    req->status = status;
    req->bytes = bytes;
    if (req->ov != NULL) {
        /* What the I/O manager writes back into the caller's IO_STATUS_BLOCK
         * (which is the OVERLAPPED): bytes first, the status last, because
         * the status leaving STATUS_PENDING is what callers poll for. */
        __atomic_store_n(&req->ov->InternalHigh, (ULONG_PTR)bytes, __ATOMIC_RELAXED);
        __atomic_store_n(&req->ov->Internal, (ULONG_PTR)status, __ATOMIC_RELEASE);
    }
    int synchronous = req->synchronous;
    req->done = 1;
    pthread_cond_broadcast(&g_io.done);
    pthread_mutex_unlock(&g_io.lock);

    if (synchronous)
        return; /* the issuing thread reads the result and frees the request */
    if (req->port != NULL && !req->skip_packet)
        host_port_post(req->port, req);
    else
        host_request_free(req);
}

void host_request_wait(host_request *req)
{
    pthread_mutex_lock(&g_io.lock);
    while (!req->done)
        pthread_cond_wait(&g_io.done, &g_io.lock);
    pthread_mutex_unlock(&g_io.lock);
}

size_t host_file_cancel(host_file *file, const OVERLAPPED *ov, int only_thread)
{
    host_link owned;
    size_t matched = 0;
    pthread_t self = pthread_self();

    host_list_init(&owned);
    pthread_mutex_lock(&g_io.lock);
    for (host_link *n = file->inflight.next; n != &file->inflight; n = n->next) {
        host_request *req = HOST_CONTAINER_OF(n, host_request, file_link);
        if (ov != NULL && req->ov != ov)
            continue;
        if (only_thread && !pthread_equal(req->issuer, self))
            continue;
        matched++;
        atomic_store(&req->cancel_flag, 1);
        if (atomic_exchange(&req->cancel_routine, NULL) != NULL)
            host_list_append(&owned, &req->cancel_link);
    }
    pthread_mutex_unlock(&g_io.lock);

    /* Outside g_io.lock: the cancel routine enters core, which completes the
     * request, which takes g_io.lock. The request cannot complete before
     * that call because core can no longer claim it. */
    while (!host_list_empty(&owned)) {
        host_link *n = owned.next;
        host_list_remove(n);
        cancel_parked_request(HOST_CONTAINER_OF(n, host_request, cancel_link));
    }
    return matched;
}

/* ---- hg_platform.h request hooks ----------------------------------------- */

int hg_plat_request_arm(struct hg_request *core_req)
{
    host_request *req = HOST_CONTAINER_OF(core_req, host_request, core_req);
    atomic_exchange(&req->cancel_routine, cancel_parked_request);
    if (atomic_load(&req->cancel_flag) &&
        atomic_exchange(&req->cancel_routine, NULL) != NULL)
        return 0; /* cancelled before it was parked: core completes it */
    return 1;
}

int hg_plat_request_claim(struct hg_request *core_req)
{
    host_request *req = HOST_CONTAINER_OF(core_req, host_request, core_req);
    return atomic_exchange(&req->cancel_routine, NULL) != NULL;
}

void hg_plat_request_complete(struct hg_request *core_req, uint32_t status, uint32_t bytes)
{
    host_request_complete(HOST_CONTAINER_OF(core_req, host_request, core_req), status, bytes);
}
