/*
 * core.c - life of a core instance (one per driver load) and STATS.
 */
#include "core_internal.h"

/* How often hg_core_destroy re-checks for raisers still on their way out and
 * for requests whose cancel routine is still running. Both finish in
 * microseconds once released; 1 ms keeps the unload path from spinning. */
#define HG_DRAIN_POLL_MS 1u

uint32_t hg_core_create(const hg_core_params *params, hg_core **out)
{
    hg_core *core;

    if (out == NULL)
        return HG_STATUS_INVALID_PARAMETER;
    *out = NULL;
    if (params != NULL && params->no_client_verdict != HG_VERDICT_ALLOW &&
        params->no_client_verdict != HG_VERDICT_BLOCK)
        return HG_STATUS_INVALID_PARAMETER;
    core = (hg_core *)hg_plat_alloc(sizeof *core);
    if (core == NULL)
        return HG_STATUS_INSUFFICIENT_RESOURCES;
    memset(core, 0, sizeof *core);
    if (params != NULL)
        core->params = *params;
    else
        core->params.no_client_verdict = HG_VERDICT_ALLOW;
    hg_plat_lock_init(&core->lock);
    hg_plat_event_init(&core->drained);
    hg_list_init(&core->backlog);
    hg_list_init(&core->parked);
    hg_verdict_init(core);
    *out = core;
    return HG_STATUS_SUCCESS;
}

void hg_core_destroy(hg_core *core)
{
    if (core == NULL)
        return;
    hg_plat_lock(&core->lock);
    core->destroying = 1;
    hg_plat_unlock(&core->lock);

    hg_client_unbind(core);

    /* Released raisers still have to re-take the lock and leave, and a
     * request whose cancel routine was already running at unbind is still
     * listed until that routine calls hg_core_cancel_request. Both need the
     * core alive. */
    for (;;) {
        uint32_t busy;
        hg_plat_lock(&core->lock);
        busy = core->active_raisers != 0u || core->parked_count != 0u;
        hg_plat_unlock(&core->lock);
        if (!busy)
            break;
        (void)hg_plat_wait(&core->drained, HG_DRAIN_POLL_MS);
    }
    hg_event_list_free(&core->backlog); /* empty after unbind; kept for safety */
    hg_plat_event_destroy(&core->drained);
    hg_plat_lock_destroy(&core->lock);
    hg_plat_free(core);
}

void hg_core_get_stats(hg_core *core, HG_STATS *out)
{
    hg_plat_lock(&core->lock);
    *out = core->stats;
    out->pending_waiters = core->waiter_count;
    out->parked_requests = core->parked_count;
    out->backlog_events = core->backlog_events;
    out->backlog_bytes = core->backlog_bytes;
    out->client_bound = core->client_hello ? 1u : 0u;
    hg_plat_unlock(&core->lock);
    out->magic = HG_WIRE_MAGIC;
    out->size = (uint32_t)sizeof *out;
}

uint32_t hg_core_stats(hg_core *core, void *out, size_t out_len, size_t *written)
{
    HG_STATS stats;

    if (written != NULL)
        *written = 0;
    if (out == NULL || out_len < sizeof stats)
        return HG_STATUS_BUFFER_TOO_SMALL;
    hg_core_get_stats(core, &stats);
    memcpy(out, &stats, sizeof stats);
    if (written != NULL)
        *written = sizeof stats;
    return HG_STATUS_SUCCESS;
}
