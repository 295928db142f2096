/*
 * core.c - life of a core instance (one per driver load), STATS, and the
 * gate word the lock-free fast path reads.
 */
#include "core_internal.h"

/* How often hg_core_destroy re-checks for raisers still on their way out and
 * for requests whose cancel routine is still running. Both finish in
 * microseconds once released; 1 ms keeps the unload path from spinning. */
#define HG_DRAIN_POLL_MS 1u

void hg_gate_publish_locked(hg_core *core)
{
    uint32_t gate = 0;

    if (core->client_hello) {
        gate = HG_GATE_BOUND;
        if (core->sub != NULL)
            gate |= core->sub->op_mask & ~HG_GATE_BOUND;
    }
    __atomic_store_n(&core->gate, gate, __ATOMIC_RELEASE);
}

uint32_t hg_core_create(const hg_core_params *params, hg_core **out)
{
    hg_core *core;
    hg_lockdown *lockdown = NULL;
    size_t shard_bytes = (size_t)HG_STAT_SHARDS * sizeof(hg_stat_shard);
    uintptr_t shards;
    uint32_t status;

    if (out == NULL)
        return HG_STATUS_INVALID_PARAMETER;
    *out = NULL;
    if (params != NULL && params->no_client_verdict != HG_VERDICT_ALLOW &&
        params->no_client_verdict != HG_VERDICT_BLOCK)
        return HG_STATUS_INVALID_PARAMETER;
    if (params != NULL && params->protected_prefixes == NULL && params->protected_prefixes_bytes != 0u)
        return HG_STATUS_INVALID_PARAMETER;
    status = hg_lockdown_create(params != NULL ? params->protected_prefixes : NULL,
                                params != NULL ? params->protected_prefixes_bytes : 0u, &lockdown);
    if (status != HG_STATUS_SUCCESS)
        return status;
    /* Shards follow the core in the same allocation, aligned to a line by
     * hand: pool and malloc guarantee 16 bytes only. */
    core = (hg_core *)hg_plat_alloc(sizeof *core + HG_CACHE_LINE + shard_bytes);
    if (core == NULL) {
        hg_lockdown_free(lockdown);
        return HG_STATUS_INSUFFICIENT_RESOURCES;
    }
    memset(core, 0, sizeof *core + HG_CACHE_LINE + shard_bytes);
    shards = ((uintptr_t)(core + 1) + HG_CACHE_LINE - 1u) & ~(uintptr_t)(HG_CACHE_LINE - 1u);
    core->shards = (hg_stat_shard *)(void *)shards;
    core->lockdown = lockdown;
    if (params != NULL)
        core->params = *params;
    else
        core->params.no_client_verdict = HG_VERDICT_ALLOW;
    /* The caller's buffer is not ours to keep; the compiled copy is. */
    core->params.protected_prefixes = NULL;
    core->params.protected_prefixes_bytes = 0;
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
    hg_lockdown_free(core->lockdown);
    hg_plat_event_destroy(&core->drained);
    hg_plat_lock_destroy(&core->lock);
    hg_plat_free(core);
}

/* The fast path's counts live in the shards; they join the locked counters
 * here. Exact once quiescent; while raisers run, a shard may be a few counts
 * ahead of or behind the locked part, as any snapshot of moving counters. */
static void add_shards(const hg_core *core, HG_STATS *out)
{
    uint32_t i;

    for (i = 0; i < HG_STAT_SHARDS; i++) {
        const hg_stat_shard *sh = &core->shards[i];
        uint64_t unsubscribed = __atomic_load_n(&sh->unsubscribed, __ATOMIC_RELAXED);
        uint64_t no_client = __atomic_load_n(&sh->no_client, __ATOMIC_RELAXED);
        uint64_t lockdown_blocked = __atomic_load_n(&sh->lockdown_blocked, __ATOMIC_RELAXED);

        out->raised += unsubscribed + no_client;
        out->filtered_out += unsubscribed + no_client;
        out->no_client += no_client;
        out->blocked += lockdown_blocked;
        out->lockdown_blocked += lockdown_blocked;
        out->lockdown_exempt += __atomic_load_n(&sh->lockdown_exempt, __ATOMIC_RELAXED);
    }
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
    add_shards(core, out);
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
