/*
 * raise.c - one registry operation through the decision path.
 *
 * In the kernel this runs inside the RegistryCallback, at PASSIVE or
 * APC_LEVEL, on the thread of whoever touched the registry, for every
 * registry operation on the machine. Hence the order: the checks that cost a
 * few compares (client bound? class subscribed? the agent itself? a kernel
 * caller? an excluded pid?) run first, in one short lock hold; only an
 * operation that survives them pays for resolving its key name, then for the
 * prefix and pattern match, and only a matched one for its caller's identity (when the
 * platform produces it lazily) and for copying its value data.
 *
 * Every outcome is counted exactly once, so that once quiescent
 *   raised == filtered_out + delivered + dropped
 * (delivered is counted when a GET_EVENTS takes the event from the backlog).
 */
#include "core_internal.h"

enum raise_outcome {
    RAISE_FILTERED,     /* subscription said no (or the name could not be resolved) */
    RAISE_SELF,         /* the bound client's own operation */
    RAISE_NO_CLIENT,    /* nobody bound, or unbound while we were outside the lock */
    RAISE_QUEUED,       /* in the backlog; counted delivered when a request takes it */
    RAISE_DROPPED       /* backlog full or out of memory */
};

static void count_outcome_locked(hg_core *core, enum raise_outcome outcome)
{
    switch (outcome) {
    case RAISE_SELF:
        core->stats.self_excluded++;
        core->stats.filtered_out++;
        break;
    case RAISE_NO_CLIENT:
        core->stats.no_client++;
        core->stats.filtered_out++;
        break;
    case RAISE_FILTERED:
        core->stats.filtered_out++;
        break;
    case RAISE_DROPPED:
        core->stats.dropped++;
        break;
    case RAISE_QUEUED:
        break;
    }
}

/* The cheap part, under the lock. Returns RAISE_QUEUED to mean "go on". */
static enum raise_outcome cheap_checks_locked(const hg_core *core, const hg_op *op)
{
    const hg_subscription *sub = core->sub;

    if (!core->client_hello)
        return RAISE_NO_CLIENT;
    if (sub == NULL || op->operation == HG_OP_NONE || op->operation >= HG_OP_COUNT ||
        !(sub->op_mask & HG_OP_BIT(op->operation)))
        return RAISE_FILTERED;
    if (op->process_key == core->client_key)
        return RAISE_SELF;
    if (op->kernel_caller && !(sub->flags & HG_CFG_F_INCLUDE_KERNEL_CALLERS))
        return RAISE_FILTERED;
    if (sub->excluded_pid_count != 0u && hg_sub_pid_excluded(sub, op->pid))
        return RAISE_FILTERED;
    return RAISE_QUEUED;
}

static uint32_t backlog_has_room_locked(const hg_core *core, const hg_queued_event *qe)
{
    return core->backlog_events < core->sub->max_backlog &&
           core->backlog_bytes + qe->bytes <= HG_BACKLOG_MAX_BYTES;
}

/* The last bookkeeping of every raise: the verdict is final, the raiser leaves
 * core (destroy waits for active_raisers to reach zero). */
static void settle_locked(hg_core *core, uint32_t verdict)
{
    if (verdict == HG_VERDICT_BLOCK)
        core->stats.blocked++;
    core->active_raisers--;
}

static uint32_t fail_mode_verdict(uint16_t fail_mode)
{
    return fail_mode == HG_FAIL_CLOSED ? HG_VERDICT_BLOCK : HG_VERDICT_ALLOW;
}

/* Waits on the stack waiter and turns what ended the wait into a verdict. */
static uint32_t await_verdict(hg_core *core, hg_waiter *w, const hg_match *match,
                              hg_raise_result *result)
{
    uint32_t verdict;

    (void)hg_plat_wait(&w->event, match->timeout_ms);
    /* Whatever the wait returned, the state under the lock is the truth: a
     * reply may land between the timeout and this lock. */
    hg_plat_lock(&core->lock);
    if (w->state == HG_WAITER_WAITING) {
        hg_waiter_unlist_locked(core, w, 0);
        core->stats.timed_out++;
        if (match->fail_mode == HG_FAIL_CLOSED)
            core->stats.fail_closed_applied++;
        else
            core->stats.fail_open_applied++;
        verdict = fail_mode_verdict(match->fail_mode);
        result->timed_out = 1;
    } else {
        hg_waiter_unlist_locked(core, w, 1); /* no-op if a disconnect already unlisted it */
        verdict = w->verdict;
    }
    hg_plat_unlock(&core->lock);
    return verdict;
}

void hg_core_raise(hg_core *core, const hg_op *op, const hg_op_source *source,
                   hg_raise_result *result)
{
    enum raise_outcome outcome;
    hg_subscription *sub = NULL;
    hg_queued_event *qe = NULL;
    hg_match match;
    hg_utf16 path;
    hg_waiter waiter;
    uint64_t epoch = 0;
    uint32_t verdict = HG_VERDICT_ALLOW, waiting = 0, event_ready = 0, free_sub = 0;

    result->verdict = HG_VERDICT_ALLOW;
    result->delivered = 0;
    result->waited = 0;
    result->timed_out = 0;
    memset(&match, 0, sizeof match);

    hg_plat_lock(&core->lock);
    core->active_raisers++;
    core->stats.raised++;
    outcome = cheap_checks_locked(core, op);
    if (outcome == RAISE_QUEUED) {
        sub = core->sub;
        sub->refs++;
        epoch = core->client_epoch;
    } else {
        /* Most registry operations on a machine end here (no client, class not
         * subscribed, the agent itself): settle them in this one lock hold. */
        count_outcome_locked(core, outcome);
        if (outcome == RAISE_NO_CLIENT)
            verdict = core->params.no_client_verdict;
        settle_locked(core, verdict);
        hg_plat_unlock(&core->lock);
        result->verdict = verdict;
        return;
    }
    hg_plat_unlock(&core->lock);

    /* Expensive part, no lock held. */
    outcome = RAISE_FILTERED;
    if (source != NULL && source->resolve_key_path != NULL &&
        source->resolve_key_path(source->ctx, &path) == HG_STATUS_SUCCESS) {
        if (path.chars == NULL)
            path.bytes = 0;
        hg_sub_match_path(sub, op->operation, &path, &op->value_name, &match);
        if (match.delivered) {
            qe = hg_event_build(op, &path, source, sub->data_cap, hg_plat_filetime_now());
            outcome = qe != NULL ? RAISE_QUEUED : RAISE_DROPPED;
        }
        if (source->release_key_path != NULL)
            source->release_key_path(source->ctx, &path);
    }
    if (match.wants_verdict && qe != NULL) {
        hg_plat_event_init(&waiter.event); /* before the lock: it is a platform call */
        event_ready = 1;
    }

    hg_plat_lock(&core->lock);
    if (core->client_epoch != epoch || !core->client_hello) {
        outcome = RAISE_NO_CLIENT;
        verdict = core->params.no_client_verdict;
    } else if (outcome != RAISE_FILTERED) {
        /* Past the filter: it gets a sequence number even if it is dropped
         * right here, so the agent sees the gap. */
        uint64_t sequence = ++core->next_sequence;
        if (qe != NULL) {
            HG_EVENT_HEADER *h = hg_event_header(qe);
            uint32_t room = backlog_has_room_locked(core, qe);

            h->sequence = sequence;
            if (match.wants_verdict) {
                if (room && !hg_list_empty(&core->parked)) {
                    hg_waiter_insert_locked(core, &waiter);
                    h->id = waiter.id;
                    h->flags |= HG_EVENT_F_VERDICT_REQUESTED;
                    h->timeout_ms = match.timeout_ms;
                    core->stats.verdicts_requested++;
                    waiting = 1;
                } else {
                    /* Nobody is reading right now: waiting would only stall
                     * the registry caller until the timeout. */
                    h->flags |= HG_EVENT_F_DEFAULT_APPLIED;
                    core->stats.defaults_applied++;
                    verdict = core->sub->default_verdict;
                }
            }
            if (room) {
                hg_list_push_back(&core->backlog, &qe->link);
                core->backlog_events++;
                core->backlog_bytes += qe->bytes;
                qe = NULL;
                result->delivered = 1;
            } else {
                outcome = RAISE_DROPPED;
            }
        }
    }
    count_outcome_locked(core, outcome);
    hg_plat_unlock(&core->lock);

    if (qe != NULL)
        hg_plat_free(qe); /* not queued: filtered after all, dropped, or no client */
    if (result->delivered)
        hg_deliver_pending(core);
    if (waiting) {
        result->waited = 1;
        verdict = await_verdict(core, &waiter, &match, result);
    }
    if (event_ready)
        hg_plat_event_destroy(&waiter.event);
    hg_plat_lock(&core->lock);
    settle_locked(core, verdict);
    if (--sub->refs == 0u)
        free_sub = 1;
    hg_plat_unlock(&core->lock);
    if (free_sub)
        hg_subscription_free(sub);
    result->verdict = verdict;
}
