/*
 * raise.c - one registry operation through the decision path.
 *
 * In the kernel this runs inside the RegistryCallback, at PASSIVE or
 * APC_LEVEL, on the thread of whoever touched the registry, for every
 * registry operation on the machine. Hence three tiers:
 *   1. the gate (no lock): nobody bound, or the class is not subscribed - by
 *      far the most common outcomes. One atomic read of the gate word and one
 *      count in the thread's counter shard; nothing shared is written. With no
 *      client and DefaultVerdict=block, the lock-down (lockdown.c) may still
 *      resolve the name to decide.
 *   2. the cheap checks under the lock (the agent itself? a kernel caller? an
 *      excluded pid?), re-checking the gate's facts, which may have changed;
 *   3. only an operation that survives them pays for resolving its key name,
 *      the prefix match, its caller's identity (before the match completes
 *      only when image entries must decide) and its value data, then
 *      queues and, if its rule wants a verdict, waits (bounded) for the agent.
 *
 * A verdict-requested event never gets the default because nothing happened
 * to be parked: it queues and waits for a GET_EVENTS and the reply, up to its
 * timeout. Backlog room is reserved for such events (audit-only events stop at
 * a watermark and are counted audit_refused); one that truly cannot be queued
 * gets its rule's fail mode (verdict_unqueued). A key name that cannot be
 * resolved is dropped with a sequence number (the agent sees the gap) and
 * gets the global fail mode if the class wants verdicts (name_unresolved).
 *
 * Every outcome is counted exactly once, so that once quiescent
 *   raised == filtered_out + delivered + dropped
 * (delivered is counted when a GET_EVENTS takes the event from the backlog;
 * the gate's outcomes are counted in the shards - one counter each, implying
 * raised too - and everything past the gate under the lock).
 */
#include "core_internal.h"

enum raise_outcome {
    RAISE_FILTERED,      /* subscription said no */
    RAISE_SELF,          /* the bound client's own operation */
    RAISE_NO_CLIENT,     /* nobody bound, or unbound while we were outside the lock */
    RAISE_QUEUED,        /* in the backlog; counted delivered when a request takes it */
    RAISE_DROPPED,       /* audit-only event, out of memory */
    RAISE_AUDIT_REFUSED, /* audit-only event beyond the watermark */
    RAISE_UNQUEUED,      /* verdict event with no room or no memory: fail mode */
    RAISE_NAME_FAILED    /* the key name could not be resolved */
};

/* The top 6 bits of a Fibonacci hash: thread ids are multiples of 4 and
 * dense, the product spreads them over the shards. */
#define HG_SHARD_SHIFT 58u
_Static_assert(HG_STAT_SHARDS == (1u << (64u - HG_SHARD_SHIFT)), "shard count matches the hash");
_Static_assert(sizeof(hg_stat_shard) == HG_CACHE_LINE, "one shard per cache line");

static hg_stat_shard *shard_of(hg_core *core, uint64_t tid)
{
    return &core->shards[(tid * 0x9E3779B97F4A7C15ull) >> HG_SHARD_SHIFT];
}

static void shard_add(uint64_t *counter)
{
    __atomic_fetch_add(counter, 1u, __ATOMIC_RELAXED);
}

static void count_outcome_locked(hg_core *core, enum raise_outcome outcome)
{
    switch (outcome) {
    case RAISE_SELF:
        core->stats.self_excluded++;
        core->stats.filtered_out++;
        break;
    case RAISE_FILTERED:
        core->stats.filtered_out++;
        break;
    case RAISE_DROPPED:
        core->stats.dropped++;
        break;
    case RAISE_AUDIT_REFUSED:
        core->stats.audit_refused++;
        core->stats.dropped++;
        break;
    case RAISE_UNQUEUED:
        core->stats.verdict_unqueued++;
        core->stats.dropped++;
        break;
    case RAISE_NAME_FAILED:
        core->stats.name_unresolved++;
        core->stats.dropped++;
        break;
    case RAISE_NO_CLIENT: /* settle_no_client counts it, with the lock-down's decision */
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
    if (sub->excluded_key_count != 0u && hg_sub_process_excluded(sub, op->process_key))
        return RAISE_FILTERED;
    return RAISE_QUEUED;
}

/* A verdict event may use the whole backlog. */
static uint32_t verdict_room_locked(const hg_core *core, const hg_queued_event *qe)
{
    return core->backlog_events < core->sub->max_backlog &&
           core->backlog_bytes + qe->bytes <= HG_BACKLOG_MAX_BYTES;
}

/* An audit-only event stops at the watermark, leaving the rest for verdicts. */
static uint32_t audit_room_locked(const hg_core *core, const hg_queued_event *qe)
{
    uint32_t max_events = core->sub->max_backlog / HG_AUDIT_WATERMARK_DEN * HG_AUDIT_WATERMARK_NUM;
    uint32_t max_bytes = HG_BACKLOG_MAX_BYTES / HG_AUDIT_WATERMARK_DEN * HG_AUDIT_WATERMARK_NUM;

    return core->backlog_events < max_events && core->backlog_bytes + qe->bytes <= max_bytes;
}

/* The last bookkeeping of every raise past the gate: the verdict is final,
 * the raiser leaves core (destroy waits for active_raisers to reach zero). */
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

/* Is the caller the service control manager? From what the operation carries
 * and, if may_resolve, from the source's lazy identity (once per operation:
 * only where no event was built). */
static uint32_t caller_is_scm(const hg_op *op, const hg_op_source *source, uint32_t may_resolve)
{
    hg_utf16 image = op->image, sid = op->user_sid, lent_image, lent_sid;
    hg_utf16 *ask_image = NULL, *ask_sid = NULL;
    uint32_t is_scm;

    memset(&lent_image, 0, sizeof lent_image);
    memset(&lent_sid, 0, sizeof lent_sid);
    if (may_resolve && source != NULL && source->resolve_identity != NULL) {
        if (image.bytes == 0u || image.chars == NULL)
            ask_image = &lent_image;
        if (sid.bytes == 0u || sid.chars == NULL)
            ask_sid = &lent_sid;
    }
    if ((ask_image != NULL || ask_sid != NULL) &&
        source->resolve_identity(source->ctx, ask_image, ask_sid) == HG_STATUS_SUCCESS) {
        if (ask_image != NULL)
            image = lent_image;
        if (ask_sid != NULL)
            sid = lent_sid;
    }
    is_scm = hg_lockdown_is_scm(&image, &sid);
    if ((ask_image != NULL || ask_sid != NULL) && source->release_identity != NULL)
        source->release_identity(source->ctx, ask_image, ask_sid);
    return is_scm;
}

/* Counts a no-client outcome seen at the gate and applies the lock-down's
 * decision: one shard counter that implies raised, filtered_out and
 * no_client, plus the lock-down's refinement. */
static uint32_t settle_no_client(hg_core *core, hg_stat_shard *shard, uint32_t lockdown_applies)
{
    shard_add(&shard->no_client);
    if (core->params.no_client_verdict != HG_VERDICT_BLOCK)
        return HG_VERDICT_ALLOW;
    if (!lockdown_applies) {
        shard_add(&shard->lockdown_exempt);
        return HG_VERDICT_ALLOW;
    }
    shard_add(&shard->lockdown_blocked); /* also counts as blocked */
    return HG_VERDICT_BLOCK;
}

/* Nobody bound. With DefaultVerdict=block the name decides, so only then, and
 * only for a blockable caller, is it resolved (a failed lookup is exempt: the
 * lock-down must not block what it cannot name). */
static __attribute__((noinline)) uint32_t raise_no_client(hg_core *core, const hg_op *op,
                                                         const hg_op_source *source,
                                                         hg_stat_shard *shard)
{
    hg_utf16 path;
    uint32_t applies = 0;

    if (core->params.no_client_verdict == HG_VERDICT_BLOCK && hg_lockdown_caller_blockable(op) &&
        source != NULL && source->resolve_key_path != NULL) {
        memset(&path, 0, sizeof path);
        if (source->resolve_key_path(source->ctx, &path) == HG_STATUS_SUCCESS)
            applies = hg_lockdown_protects(core->lockdown, &path);
        if (source->release_key_path != NULL)
            source->release_key_path(source->ctx, &path);
        if (applies)
            applies = !caller_is_scm(op, source, 1);
    }
    return settle_no_client(core, shard, applies);
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

/* Under the lock, the client still bound: decides where the event goes and
 * what the caller gets now (a waiter is listed when it must wait). Returns the
 * outcome; *verdict is set when it is final without waiting. */
static enum raise_outcome queue_locked(hg_core *core, hg_subscription *sub, hg_queued_event **qe,
                                       const hg_match *match, const hg_op *op, hg_waiter *waiter,
                                       uint32_t *waiting, uint32_t *verdict)
{
    uint64_t sequence = ++core->next_sequence; /* even if dropped right here: the agent sees the gap */
    HG_EVENT_HEADER *h;

    if (*qe == NULL) {
        if (match == NULL) { /* the name could not be resolved */
            if (sub->verdict_op_mask & HG_OP_BIT(op->operation))
                *verdict = fail_mode_verdict(sub->fail_mode);
            return RAISE_NAME_FAILED;
        }
        if (match->wants_verdict) { /* out of memory */
            *verdict = fail_mode_verdict(match->fail_mode);
            return RAISE_UNQUEUED;
        }
        return RAISE_DROPPED;
    }
    h = hg_event_header(*qe);
    h->sequence = sequence;
    if (match->wants_verdict) {
        if (!verdict_room_locked(core, *qe)) {
            *verdict = fail_mode_verdict(match->fail_mode);
            return RAISE_UNQUEUED;
        }
        hg_waiter_insert_locked(core, waiter);
        h->id = waiter->id;
        h->flags |= HG_EVENT_F_VERDICT_REQUESTED;
        h->timeout_ms = match->timeout_ms;
        core->stats.verdicts_requested++;
        *waiting = 1;
    } else if (!audit_room_locked(core, *qe)) {
        return RAISE_AUDIT_REFUSED;
    }
    hg_list_push_back(&core->backlog, &(*qe)->link);
    core->backlog_events++;
    core->backlog_bytes += (*qe)->bytes;
    *qe = NULL;
    return RAISE_QUEUED;
}

/*
 * The DATA / NEW_NAME stage, reached only when path and image entries left
 * the decision open. SetValue: the data rendered as Sysmon's Details into a
 * bounded stack buffer, or - a text longer than that, at most
 * HG_DATA_MATCH_MAX_BYTES - into a pool buffer of its size, freed before
 * returning; if that allocation fails the data is "unknown" (delivered,
 * never hidden). details.c reads it through capture_data, which knows
 * where the buffer lives. RenameKey: the renamed key's parent path
 * with its '\', then the new name - the new full path, with no copy. A
 * subject that cannot be had is "unknown": every include counts.
 */
static __attribute__((noinline)) void match_subject(const hg_subscription *sub, const hg_op *op,
                                                    const hg_op_source *source, const hg_utf16 *path,
                                                    hg_match *match)
{
    uint16_t rendered[HG_DETAILS_STACK_UNITS], *text = rendered, *pooled = NULL;
    hg_utf16 head, tail;
    uint32_t units = 0, n, room = HG_DETAILS_STACK_UNITS;
    int known = 0;

    memset(&head, 0, sizeof head);
    memset(&tail, 0, sizeof tail);
    if (op->operation == HG_OP_SET_VALUE) {
        n = hg_details_units_for(op);
        if (n > room && n <= HG_DATA_MATCH_MAX_BYTES / 2u) {
            pooled = (uint16_t *)hg_plat_alloc((size_t)n * sizeof(uint16_t));
            if (pooled != NULL) {
                text = pooled;
                room = n;
            }
        }
        known = hg_details_render(op, source, text, room, &units);
        tail.chars = text;
        tail.bytes = units * 2u;
    } else if (op->operation == HG_OP_RENAME_KEY && op->new_name.chars != NULL && op->new_name.bytes != 0u) {
        /* The parent is the path up to and with its last '\'. */
        for (n = path->bytes / 2u; n > 0u && path->chars[n - 1u] != '\\'; n--)
            ;
        known = n > 0u;
        head.chars = path->chars;
        head.bytes = n * 2u;
        tail = op->new_name;
    }
    hg_sub_match_subject(sub, op->operation, known, &head, &tail, match);
    if (pooled != NULL)
        hg_plat_free(pooled);
}

/* Past the gate: the class is subscribed and a client was bound. */
static __attribute__((noinline)) uint32_t raise_subscribed(hg_core *core, const hg_op *op,
                                                          const hg_op_source *source,
                                                          hg_stat_shard *shard,
                                                          hg_raise_result *result)
{
    enum raise_outcome outcome;
    hg_subscription *sub;
    hg_queued_event *qe = NULL;
    hg_match match;
    hg_identity identity;
    hg_utf16 path;
    hg_waiter waiter;
    uint64_t epoch;
    uint32_t verdict = HG_VERDICT_ALLOW, waiting = 0, event_ready = 0, free_sub = 0;
    uint32_t resolved = 0, lockdown_path = 0;

    hg_plat_lock(&core->lock);
    outcome = cheap_checks_locked(core, op);
    if (outcome == RAISE_NO_CLIENT) {
        /* The gate was a moment old: nobody is bound after all. */
        hg_plat_unlock(&core->lock);
        return raise_no_client(core, op, source, shard);
    }
    core->stats.raised++;
    if (outcome != RAISE_QUEUED) {
        count_outcome_locked(core, outcome);
        hg_plat_unlock(&core->lock);
        return HG_VERDICT_ALLOW;
    }
    core->active_raisers++;
    sub = core->sub;
    sub->refs++;
    epoch = core->client_epoch;
    hg_plat_unlock(&core->lock);

    /* Expensive part, no lock held. */
    memset(&match, 0, sizeof match);
    identity.borrowed = 0; /* hg_identity_borrow fills the rest when it runs */
    identity.called = 0;
    memset(&path, 0, sizeof path);
    outcome = RAISE_NAME_FAILED;
    if (source != NULL && source->resolve_key_path != NULL) {
        if (source->resolve_key_path(source->ctx, &path) == HG_STATUS_SUCCESS) {
            resolved = 1;
            outcome = RAISE_FILTERED;
            if (path.chars == NULL)
                path.bytes = 0;
            hg_sub_match_path(sub, op->operation, &path, &op->value_name, &match);
            if (match.needs_image) {
                /* Image entries decide: the one identity lookup of this
                 * operation, kept for the event built below. */
                hg_identity_borrow(op, source, &identity);
                hg_sub_match_image(sub, op->operation, &identity.image, &match);
            }
            if (match.needs_subject)
                match_subject(sub, op, source, &path, &match);
            if (match.delivered) {
                if (!identity.borrowed)
                    hg_identity_borrow(op, source, &identity);
                qe = hg_event_build(op, &path, source, &identity, sub->data_cap, hg_plat_filetime_now());
                outcome = RAISE_QUEUED;
            }
            hg_identity_return(source, &identity);
            /* Kept for the rare case the client goes away before we are back
             * under the lock: the lock-down then decides on this name. */
            lockdown_path = core->params.no_client_verdict == HG_VERDICT_BLOCK &&
                            hg_lockdown_caller_blockable(op) &&
                            hg_lockdown_protects(core->lockdown, &path);
        }
        /* Whatever resolve returned: a partial resolution is undone here. */
        if (source->release_key_path != NULL)
            source->release_key_path(source->ctx, &path);
    }
    if (match.wants_verdict && qe != NULL) {
        hg_plat_event_init(&waiter.event); /* before the lock: it is a platform call */
        event_ready = 1;
    }

    hg_plat_lock(&core->lock);
    if (core->client_epoch != epoch || !core->client_hello)
        outcome = RAISE_NO_CLIENT;
    else if (outcome != RAISE_FILTERED)
        outcome = queue_locked(core, sub, &qe, resolved ? &match : NULL, op, &waiter, &waiting,
                               &verdict);
    count_outcome_locked(core, outcome);
    hg_plat_unlock(&core->lock);

    if (qe != NULL)
        hg_plat_free(qe); /* not queued: refused, unqueued, or no client */
    if (outcome == RAISE_QUEUED)
        hg_deliver_pending(core);
    if (waiting) {
        result->waited = 1;
        verdict = await_verdict(core, &waiter, &match, result);
    }
    if (event_ready)
        hg_plat_event_destroy(&waiter.event);
    if (outcome == RAISE_NO_CLIENT && core->params.no_client_verdict == HG_VERDICT_BLOCK) {
        /* The client went away while we were outside the lock: the lock-down
         * decides, on the name resolved above. An image match or an event
         * built for the agent already resolved the identity (at most once
         * per operation): then only an eagerly known SCM is exempted. */
        verdict = lockdown_path && !caller_is_scm(op, source, !identity.borrowed) ? HG_VERDICT_BLOCK
                                                                                : HG_VERDICT_ALLOW;
    }
    hg_plat_lock(&core->lock);
    if (outcome == RAISE_NO_CLIENT) {
        /* Counted here, before settle_locked: once active_raisers drops, a
         * destroy may free the core under us. */
        core->stats.no_client++;
        core->stats.filtered_out++;
        if (core->params.no_client_verdict == HG_VERDICT_BLOCK) {
            if (verdict == HG_VERDICT_BLOCK)
                core->stats.lockdown_blocked++;
            else
                core->stats.lockdown_exempt++;
        }
    }
    settle_locked(core, verdict);
    if (--sub->refs == 0u)
        free_sub = 1;
    hg_plat_unlock(&core->lock);
    /* Nothing below touches the core. */
    if (free_sub)
        hg_subscription_free(sub);
    result->delivered = outcome == RAISE_QUEUED;
    return verdict;
}

void hg_core_raise(hg_core *core, const hg_op *op, const hg_op_source *source,
                   hg_raise_result *result)
{
    hg_stat_shard *shard = shard_of(core, op->tid);
    uint32_t gate = __atomic_load_n(&core->gate, __ATOMIC_ACQUIRE);

    result->verdict = HG_VERDICT_ALLOW;
    result->delivered = 0;
    result->waited = 0;
    result->timed_out = 0;
    if (!(gate & HG_GATE_BOUND)) {
        result->verdict = raise_no_client(core, op, source, shard);
        return;
    }
    if (op->operation == HG_OP_NONE || op->operation >= HG_OP_COUNT ||
        !(gate & HG_OP_BIT(op->operation))) {
        shard_add(&shard->unsubscribed); /* raised + filtered_out, one add */
        return;
    }
    result->verdict = raise_subscribed(core, op, source, shard, result);
}
