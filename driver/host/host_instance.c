/*
 * host_instance.c - the simulated driver instance: created lazily on first
 * use, entered under rundown protection, unloaded and reloaded by
 * hg_sim_reset.
 *
 * hg_core_destroy requires that no call enters core once it begins; the
 * kernel driver gets that from unregistering its callback and from the I/O
 * manager refusing to unload while handles are open. The host gets it from a
 * rundown count: every thread that calls into core holds `active`, and an
 * unload first stops new entries (`unloading`), then closes every device
 * handle - which unbinds the client and releases every caller waiting for a
 * verdict, so the threads inside core leave promptly - and only then waits
 * for `active` to drain and destroys the instance.
 */
#include <unistd.h>
#include "host_internal.h"

/* Handles closed per pass while the table lock is dropped; bounds stack use. */
#define RESET_CLOSE_BATCH 64u
/* The pid goes into bits the FILETIME of the next few thousand years leaves
 * almost untouched, so two processes loading in the same 100 ns tick differ. */
#define INSTANCE_PID_SHIFT 40u

host_state g_host = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .cond = PTHREAD_COND_INITIALIZER,
    .core = NULL,
    .active = 0,
    .unloading = 0,
    .no_client_verdict = HG_VERDICT_ALLOW,
    .loads = 0,
};

static uint64_t g_instance_base; /* g_host.lock; fixed at the first load */
/* HELLO capabilities of instances loaded from now on (g_host.lock). */
static uint32_t g_capabilities = HG_CAP_SIMULATOR;

/* Requires g_host.lock. The instance id only has to differ per load (the agent
 * compares it to notice a driver restart), so a per-process base plus the
 * load count is enough and never repeats within a process. */
static hg_core *create_instance_locked(void)
{
    if (g_instance_base == 0)
        g_instance_base = hg_plat_filetime_now() ^ ((uint64_t)getpid() << INSTANCE_PID_SHIFT);
    hg_core_params params = {
        .no_client_verdict = g_host.no_client_verdict,
        .capabilities = g_capabilities,
        .instance_id = g_instance_base + g_host.loads + 1u,
    };
    hg_core *core = NULL;
    if (hg_core_create(&params, &core) != HG_STATUS_SUCCESS)
        return NULL;
    g_host.loads++;
    return core;
}

hg_core *host_core_enter(void)
{
    pthread_mutex_lock(&g_host.lock);
    while (g_host.unloading)
        pthread_cond_wait(&g_host.cond, &g_host.lock);
    if (g_host.core == NULL)
        g_host.core = create_instance_locked();
    hg_core *core = g_host.core;
    if (core != NULL)
        g_host.active++;
    pthread_mutex_unlock(&g_host.lock);
    return core;
}

void host_core_leave(void)
{
    pthread_mutex_lock(&g_host.lock);
    if (--g_host.active == 0 && g_host.unloading)
        pthread_cond_broadcast(&g_host.cond);
    pthread_mutex_unlock(&g_host.lock);
}

HG_HOST_API void hg_sim_test_set_capabilities(uint32_t capabilities)
{
    pthread_mutex_lock(&g_host.lock);
    g_capabilities = capabilities;
    pthread_mutex_unlock(&g_host.lock);
}

HG_HOST_API void hg_sim_reset(uint32_t no_client_verdict)
{
    if (no_client_verdict != 0 && no_client_verdict != HG_VERDICT_ALLOW &&
        no_client_verdict != HG_VERDICT_BLOCK) {
        host_fail(ERROR_INVALID_PARAMETER);
        return;
    }

    pthread_mutex_lock(&g_host.lock);
    while (g_host.unloading) /* one unload at a time */
        pthread_cond_wait(&g_host.cond, &g_host.lock);
    g_host.unloading = 1;
    hg_core *old = g_host.core;
    pthread_mutex_unlock(&g_host.lock);

    /* No CreateFileW can insert a handle while unloading, so this terminates. */
    for (;;) {
        host_object *files[RESET_CLOSE_BATCH];
        pthread_mutex_lock(&g_host.lock);
        size_t n = host_handle_remove_matching_locked(HOST_OBJ_FILE, 0, 0, files,
                                                      RESET_CLOSE_BATCH);
        pthread_mutex_unlock(&g_host.lock);
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            host_file *file = HOST_CONTAINER_OF(files[i], host_file, obj);
            /* `old` cannot go away under us: only the unload destroys it,
             * and the unload is ours. Entering is impossible while unloading. */
            host_file_close_held(file, old);
            host_object_unref(files[i]);
        }
    }

    /* A CloseHandle that took its handle out of the table before we looked
     * may still be on its way into core (held up by `unloading`): unbind
     * whatever client is left, so the callers waiting on it leave now rather
     * than at their timeout. That close then finds its instance gone. */
    if (old != NULL)
        hg_core_close(old, 0);

    pthread_mutex_lock(&g_host.lock);
    while (g_host.active != 0)
        pthread_cond_wait(&g_host.cond, &g_host.lock);
    g_host.core = NULL;
    pthread_mutex_unlock(&g_host.lock);

    if (old != NULL)
        hg_core_destroy(old);

    pthread_mutex_lock(&g_host.lock);
    g_host.no_client_verdict = no_client_verdict == HG_VERDICT_BLOCK ? HG_VERDICT_BLOCK
                                                                     : HG_VERDICT_ALLOW;
    /* If this fails the next host_core_enter retries; callers see
     * ERROR_NO_SYSTEM_RESOURCES until memory is back. */
    g_host.core = create_instance_locked();
    g_host.unloading = 0;
    pthread_cond_broadcast(&g_host.cond);
    pthread_mutex_unlock(&g_host.lock);
}
