/*
 * host_ioctl.c - DeviceIoControl, GetOverlappedResult, CancelIoEx, CancelIo.
 *
 * HELLO, CONFIGURE, REPLY and STATS complete inside the call, as the driver
 * completes them in its dispatch routine. GET_EVENTS is the inverted call:
 * core either fills it at once from the backlog or parks it until events
 * arrive, and completes it later from a registry caller's thread.
 *
 * Windows behaviour reproduced here (kernel32 + the I/O manager):
 *  - an overlapped handle needs an OVERLAPPED; its Internal is STATUS_PENDING
 *    while the I/O runs and the final NTSTATUS afterwards, InternalHigh the
 *    bytes; a parked request returns FALSE/ERROR_IO_PENDING;
 *  - a request that succeeds at once still queues a completion packet (we do
 *    not emulate FILE_SKIP_COMPLETION_PORT_ON_SUCCESS); one that fails at once
 *    returns FALSE with the error and queues nothing;
 *  - on a synchronous handle the call blocks until the request completes;
 *  - METHOD_BUFFERED: the input is copied into a private "system buffer"
 *    before the driver sees it, so another thread rewriting the caller's
 *    buffer cannot change a message between its validation and its use;
 *    output goes to the caller's buffer, which the caller keeps alive until
 *    completion, as on Windows.
 * Deliberate difference: an immediate failure also stores its status in the
 * OVERLAPPED (Windows leaves STATUS_PENDING there), so a GetOverlappedResult
 * on it reports the failure instead of waiting forever.
 */
#include <stdlib.h>
#include <string.h>
#include "host_internal.h"

/* Inputs up to this size are copied to the stack instead of the heap: HELLO
 * and any REPLY of up to 63 verdicts, i.e. everything on the hot path. */
#define SYSTEM_BUFFER_INLINE_BYTES 1024u

static void write_ov(OVERLAPPED *ov, uint32_t status, uint32_t bytes)
{
    __atomic_store_n(&ov->InternalHigh, (ULONG_PTR)bytes, __ATOMIC_RELAXED);
    __atomic_store_n(&ov->Internal, (ULONG_PTR)status, __ATOMIC_RELEASE);
}

/* Requests that complete inside their dispatch routine. */
static uint32_t dispatch_immediate(hg_core *core, host_file *file, DWORD code, void *in,
                                   DWORD in_len, void *out, DWORD out_len, size_t *written)
{
    switch (code) {
    case HG_IOCTL_HELLO:
        return hg_core_hello(core, file->process_key, in, in_len, out, out_len, written);
    case HG_IOCTL_CONFIGURE:
        return hg_core_configure(core, file->process_key, in, in_len);
    case HG_IOCTL_REPLY:
        return hg_core_reply(core, file->process_key, in, in_len, out, out_len, written);
    case HG_IOCTL_STATS:
        return hg_core_stats(core, out, out_len, written);
    default:
        /* Includes HG_IOCTL_INJECT: the host offers hg_sim_raise instead. */
        return HG_STATUS_INVALID_DEVICE_REQUEST;
    }
}

/* Finishes a request that was never parked. Returns the Win32 error (0 = success). */
static DWORD finish_now(host_file *file, host_request *req, OVERLAPPED *ov, uint32_t status,
                        size_t written, DWORD *returned)
{
    uint32_t bytes = (uint32_t)written;
    if (!HOST_NT_SUCCESS(status)) {
        if (req != NULL) {
            host_request_untrack(req);
            host_request_free(req);
        }
        if (file->overlapped)
            write_ov(ov, status, 0);
        return host_nt_to_win32(status);
    }
    if (req != NULL) {
        /* Overlapped: writes the OVERLAPPED and queues the packet (req is
         * gone afterwards). Synchronous: only marks it done. */
        host_request_complete(req, status, bytes);
        if (!file->overlapped)
            host_request_free(req);
    }
    if (returned != NULL)
        *returned = bytes;
    return ERROR_SUCCESS;
}

static DWORD device_io(host_file *file, DWORD code, void *in, DWORD in_len, void *out,
                       DWORD out_len, DWORD *returned, OVERLAPPED *ov)
{
    if (file->overlapped && ov == NULL)
        return ERROR_INVALID_PARAMETER;
    /* The I/O manager probes both buffers before the driver sees anything. */
    if ((in == NULL && in_len != 0) || (out == NULL && out_len != 0))
        return ERROR_NOACCESS;

    /* A request object is needed to park (GET_EVENTS) and, on an overlapped
     * handle, as the completion packet of whatever completes. Allocating it
     * before core runs means a completed CONFIGURE can never lose its packet. */
    int get_events = code == HG_IOCTL_GET_EVENTS;
    host_request *req = NULL;
    if (get_events || file->overlapped) {
        req = host_request_new(file, ov);
        if (req == NULL)
            return ERROR_NOT_ENOUGH_MEMORY;
    }
    if (file->overlapped)
        write_ov(ov, HG_STATUS_PENDING, 0);

    hg_core *core = host_core_enter();
    if (core == NULL || core != file->core ||
        (get_events ? !host_request_track(req) : !host_file_is_open(file))) {
        /* No instance (out of memory), or the file's instance was unloaded
         * or the handle closed under us: the handle is dead. */
        DWORD err = core == NULL ? ERROR_NO_SYSTEM_RESOURCES : ERROR_INVALID_HANDLE;
        if (core != NULL)
            host_core_leave();
        if (req != NULL)
            host_request_free(req);
        if (file->overlapped)
            write_ov(ov, HG_STATUS_CANCELLED, 0);
        return err;
    }

    size_t written = 0;
    uint32_t status;
    if (get_events) {
        req->core_req.buffer = out;
        req->core_req.capacity = out_len;
        status = hg_core_get_events(core, file->process_key, &req->core_req, &written);
    } else {
        unsigned char inline_copy[SYSTEM_BUFFER_INLINE_BYTES];
        void *system_buffer = in_len <= sizeof inline_copy ? inline_copy : malloc(in_len);
        if (system_buffer == NULL) {
            status = HG_STATUS_INSUFFICIENT_RESOURCES;
        } else {
            if (in_len != 0)
                memcpy(system_buffer, in, in_len);
            status = dispatch_immediate(core, file, code, in_len != 0 ? system_buffer : NULL,
                                        in_len, out, out_len, &written);
            if (system_buffer != inline_copy)
                free(system_buffer);
        }
    }
    host_core_leave();

    if (status != HG_STATUS_PENDING)
        return finish_now(file, req, ov, status, written, returned);
    if (file->overlapped)
        return ERROR_IO_PENDING; /* core or a canceller completes it later */

    host_request_wait(req);
    status = req->status;
    uint32_t bytes = req->bytes;
    host_request_free(req);
    if (!HOST_NT_SUCCESS(status))
        return host_nt_to_win32(status);
    if (returned != NULL)
        *returned = bytes;
    return ERROR_SUCCESS;
}

HG_HOST_API BOOL DeviceIoControl(HANDLE device, DWORD code, void *in, DWORD in_len, void *out,
                                 DWORD out_len, DWORD *returned, OVERLAPPED *ov)
{
    if (returned != NULL)
        *returned = 0;
    host_object *obj = host_handle_lookup(device, HOST_OBJ_FILE);
    if (obj == NULL)
        return host_fail(ERROR_INVALID_HANDLE);
    DWORD err = device_io(HOST_CONTAINER_OF(obj, host_file, obj), code, in, in_len, out, out_len,
                          returned, ov);
    host_object_unref(obj);
    return err == ERROR_SUCCESS ? 1 : host_fail(err);
}

HG_HOST_API BOOL GetOverlappedResult(HANDLE file, OVERLAPPED *ov, DWORD *bytes, BOOL wait)
{
    if (ov == NULL || bytes == NULL)
        return host_fail(ERROR_INVALID_PARAMETER);
    host_object *obj = host_handle_lookup(file, HOST_OBJ_FILE);
    if (obj == NULL)
        return host_fail(ERROR_INVALID_HANDLE);
    host_object_unref(obj); /* only validated: the OVERLAPPED carries the state */

    ULONG_PTR status = __atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE);
    if (status == HG_STATUS_PENDING) {
        if (!wait)
            return host_fail(ERROR_IO_INCOMPLETE);
        /* Completions store the status and broadcast under g_io.lock, so
         * checking under it cannot miss the wake-up. */
        pthread_mutex_lock(&g_io.lock);
        while ((status = __atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE)) == HG_STATUS_PENDING)
            pthread_cond_wait(&g_io.done, &g_io.lock);
        pthread_mutex_unlock(&g_io.lock);
    }
    *bytes = (DWORD)__atomic_load_n(&ov->InternalHigh, __ATOMIC_RELAXED);
    if (!HOST_NT_SUCCESS((uint32_t)status))
        return host_fail_nt((uint32_t)status);
    return 1;
}

/* Returns how many of the file's in-flight requests matched. */
static size_t cancel_on_handle(HANDLE h, const OVERLAPPED *ov, int only_thread, DWORD *err)
{
    host_object *obj = host_handle_lookup(h, HOST_OBJ_FILE);
    if (obj == NULL) {
        *err = ERROR_INVALID_HANDLE;
        return 0;
    }
    host_file *file = HOST_CONTAINER_OF(obj, host_file, obj);
    size_t matched = 0;
    /* Entered, so the instance cannot be destroyed while a cancel we won is
     * still on its way into core. */
    hg_core *core = host_core_enter();
    if (core != NULL) {
        if (core == file->core)
            matched = host_file_cancel(file, ov, only_thread);
        host_core_leave();
    }
    host_object_unref(obj);
    *err = ERROR_SUCCESS;
    return matched;
}

HG_HOST_API BOOL CancelIoEx(HANDLE file, OVERLAPPED *ov)
{
    DWORD err;
    size_t matched = cancel_on_handle(file, ov, 0, &err);
    if (err != ERROR_SUCCESS)
        return host_fail(err);
    if (matched == 0)
        return host_fail(ERROR_NOT_FOUND);
    return 1;
}

HG_HOST_API BOOL CancelIo(HANDLE file)
{
    /* Windows: only the calling thread's I/O on this handle, and success
     * whether or not any was outstanding. */
    DWORD err;
    (void)cancel_on_handle(file, NULL, 1, &err);
    if (err != ERROR_SUCCESS)
        return host_fail(err);
    return 1;
}
