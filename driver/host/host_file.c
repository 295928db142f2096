/*
 * host_file.c - opening and closing \\.\HiveGuard: CreateFileW, CloseHandle
 * and what Windows does to a dying process's handles.
 *
 * Windows behaviour reproduced here:
 *  - the object manager compares the device name case-insensitively;
 *  - the driver admits one client at a time (core answers a second open with
 *    STATUS_SHARING_VIOLATION, ERROR_SHARING_VIOLATION for the caller);
 *  - every IOCTL needs FILE_READ_DATA|FILE_WRITE_DATA, so a handle without
 *    both is refused at open instead of failing on its first IOCTL;
 *  - closing the handle (IRP_MJ_CLEANUP) cancels the file's outstanding I/O,
 *    whose completions still reach the completion port, and unbinds the
 *    client, releasing every registry caller waiting for a verdict;
 *  - process exit closes every handle the process holds.
 */
#include <unistd.h>
#include <stdlib.h>
#include "host_internal.h"
#include "plat_posix.h"

/* Handles closed per pass while the table lock is dropped; bounds stack use. */
#define EXIT_CLOSE_BATCH 64u

HG_HOST_API uint64_t hg_sim_current_process_key(void)
{
    return (uint64_t)getpid();
}

/* Generic rights map to FILE_READ_DATA / FILE_WRITE_DATA through the file
 * object's generic mapping; MAXIMUM_ALLOWED gets both from the device DACL,
 * which grants full access to those allowed to open at all. */
static int grants_read_and_write(DWORD access)
{
    const DWORD read = GENERIC_READ | GENERIC_ALL | MAXIMUM_ALLOWED | FILE_READ_DATA;
    const DWORD write = GENERIC_WRITE | GENERIC_ALL | MAXIMUM_ALLOWED | FILE_WRITE_DATA;
    return (access & read) != 0 && (access & write) != 0;
}

HG_HOST_API HANDLE CreateFileW(const wchar_t *name, DWORD access, DWORD share, void *security,
                               DWORD disposition, DWORD flags, HANDLE template_file)
{
    (void)share;         /* exclusivity is the driver's, not the share mode's */
    (void)security;      /* the device DACL is the driver's */
    (void)template_file; /* ignored by Windows when opening an existing object */

    if (name == NULL) {
        host_fail(ERROR_INVALID_PARAMETER);
        return INVALID_HANDLE_VALUE;
    }
    if (!host_wide_equal_nocase(name, HG_USER_PATH_W)) {
        host_fail(ERROR_FILE_NOT_FOUND);
        return INVALID_HANDLE_VALUE;
    }
    if (disposition < CREATE_NEW || disposition > TRUNCATE_EXISTING) {
        host_fail(ERROR_INVALID_PARAMETER);
        return INVALID_HANDLE_VALUE;
    }
    if (!grants_read_and_write(access)) {
        host_fail(ERROR_ACCESS_DENIED);
        return INVALID_HANDLE_VALUE;
    }

    host_file *file = calloc(1, sizeof *file);
    if (file == NULL) {
        host_fail(ERROR_NOT_ENOUGH_MEMORY);
        return INVALID_HANDLE_VALUE;
    }
    uint64_t process_key = hg_sim_current_process_key();
    host_object_init(&file->obj, HOST_OBJ_FILE, process_key);
    file->process_key = process_key;
    file->overlapped = (flags & FILE_FLAG_OVERLAPPED) != 0;
    host_list_init(&file->inflight);

    for (;;) {
        hg_core *core = host_core_enter();
        if (core == NULL) {
            free(file);
            host_fail_nt(HG_STATUS_INSUFFICIENT_RESOURCES);
            return INVALID_HANDLE_VALUE;
        }
        uint32_t status = hg_core_open(core, process_key);
        if (status != HG_STATUS_SUCCESS) {
            host_core_leave();
            free(file);
            host_fail_nt(status);
            return INVALID_HANDLE_VALUE;
        }
        file->core = core;

        pthread_mutex_lock(&g_host.lock);
        int unloading = g_host.unloading;
        HANDLE h = unloading ? NULL : host_handle_insert_locked(&file->obj);
        pthread_mutex_unlock(&g_host.lock);

        if (h != NULL) {
            host_core_leave();
            return h;
        }
        /* Undo the bind: either the table is full or an unload began after
         * we entered - then retry, which waits for the new instance. */
        hg_core_close(core, process_key);
        host_core_leave();
        if (!unloading) {
            free(file);
            host_fail(ERROR_TOO_MANY_OPEN_FILES);
            return INVALID_HANDLE_VALUE;
        }
    }
}

void host_file_close_held(host_file *file, hg_core *held)
{
    pthread_mutex_lock(&g_io.lock);
    file->closed = 1; /* no new request can be tracked from now on */
    pthread_mutex_unlock(&g_io.lock);

    if (held == NULL || held != file->core)
        return; /* its instance was unloaded, which completed all of its I/O */
    /* Cancel first: that also catches requests between tracking and core's
     * arm, which hg_core_close cannot see yet. */
    host_file_cancel(file, NULL, 0);
    hg_core_close(held, file->process_key);
}

void host_file_close(host_file *file)
{
    hg_core *core = host_core_enter();
    host_file_close_held(file, core);
    if (core != NULL)
        host_core_leave();
}

void host_file_destroy(host_file *file)
{
    if (file->port != NULL)
        host_port_unref(file->port);
    free(file);
}

/* Process exit on Windows does not let the address space go while the
 * process has I/O in flight: thread rundown cancels it and waits for every
 * request to complete. So after hg_sim_process_exit no request of the dead
 * process still writes into its buffers - e.g. one core had already claimed
 * and was packing events into when the cancel came. */
static void wait_until_idle(host_file *file)
{
    pthread_mutex_lock(&g_io.lock);
    while (!host_list_empty(&file->inflight))
        pthread_cond_wait(&g_io.done, &g_io.lock);
    pthread_mutex_unlock(&g_io.lock);
}

static void close_object(host_object *obj, int process_exit)
{
    if (obj->type == HOST_OBJ_FILE) {
        host_file *file = HOST_CONTAINER_OF(obj, host_file, obj);
        host_file_close(file);
        if (process_exit)
            wait_until_idle(file);
    } else if (obj->type == HOST_OBJ_PORT) {
        host_port_close(host_port_of(obj));
    }
    host_object_unref(obj); /* the handle's reference */
}

HG_HOST_API BOOL CloseHandle(HANDLE handle)
{
    /* Unlike process exit, CloseHandle does not wait for the I/O it cancels:
     * the completions arrive later, on the port, as on Windows. */
    host_object *obj = host_handle_remove(handle);
    if (obj == NULL)
        return host_fail(ERROR_INVALID_HANDLE);
    close_object(obj, 0);
    return 1;
}

HG_HOST_API uint32_t hg_sim_process_start(uint64_t process_key, uint64_t pid)
{
    if (pid == 0)
        return HG_SIM_STATUS_INVALID_PARAMETER;
    return plat_posix_process_start(pid, process_key) ? HG_SIM_STATUS_SUCCESS
                                                      : HG_SIM_STATUS_NO_RESOURCES;
}

HG_HOST_API void hg_sim_process_exit(uint64_t process_key)
{
    /* Its pid names nothing from now on (excluded pids are translated
     * against the live processes at CONFIGURE). */
    plat_posix_process_exit(process_key);
    for (;;) {
        host_object *objs[EXIT_CLOSE_BATCH];
        pthread_mutex_lock(&g_host.lock);
        size_t n = host_handle_remove_matching_locked(HOST_OBJ_ANY, 1, process_key, objs,
                                                      EXIT_CLOSE_BATCH);
        pthread_mutex_unlock(&g_host.lock);
        if (n == 0)
            return;
        for (size_t i = 0; i < n; i++)
            close_object(objs[i], 1);
    }
}
