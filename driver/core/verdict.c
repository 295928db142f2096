/*
 * verdict.c - the verdict table and REPLY.
 *
 * A registry caller that must wait for the agent parks an hg_waiter on its own
 * stack (see raise.c) under a fresh id. The agent's REPLY finds it by id and
 * signals it; a timeout, a disconnect or an unload releases it instead. Every
 * reply entry is classified, never rejected:
 *   accepted   a caller was waiting on this id;
 *   unknown    0, or beyond the last id issued: never existed;
 *   late       issued, but its caller was already released unanswered;
 *   duplicate  already answered (also a second entry in the same message).
 * Released ids are remembered in a ring indexed by id (ids are sequential),
 * so late and duplicate stay distinguishable for the last HG_RELEASED_RING
 * ids; an older id can only be late or duplicate and is reported as late.
 */
#include "core_internal.h"

static hg_list *bucket_of(hg_core *core, uint64_t id)
{
    return &core->waiters[id & (HG_WAITER_BUCKETS - 1u)];
}

static hg_released_id *ring_slot(hg_core *core, uint64_t id)
{
    return &core->released[id & (HG_RELEASED_RING - 1u)];
}

void hg_verdict_init(hg_core *core)
{
    uint32_t i;

    for (i = 0; i < HG_WAITER_BUCKETS; i++)
        hg_list_init(&core->waiters[i]);
    memset(core->released, 0, sizeof core->released); /* id 0 is never issued: an empty slot */
    core->last_id = 0;
    core->waiter_count = 0;
}

void hg_waiter_insert_locked(hg_core *core, hg_waiter *w)
{
    w->id = ++core->last_id; /* 64-bit: at a million waits a second it wraps after 584,000 years */
    w->state = HG_WAITER_WAITING;
    w->verdict = HG_VERDICT_NONE;
    w->listed = 1;
    hg_list_push_back(bucket_of(core, w->id), &w->link);
    core->waiter_count++;
}

void hg_waiter_unlist_locked(hg_core *core, hg_waiter *w, uint32_t answered)
{
    hg_released_id *slot;

    if (!w->listed)
        return;
    hg_list_remove(&w->link);
    w->listed = 0;
    core->waiter_count--;
    slot = ring_slot(core, w->id);
    slot->id = w->id;
    slot->answered = answered;
}

void hg_waiters_release_all_locked(hg_core *core, uint32_t verdict)
{
    uint32_t i;

    for (i = 0; i < HG_WAITER_BUCKETS; i++) {
        while (!hg_list_empty(&core->waiters[i])) {
            hg_waiter *w = HG_CONTAINER_OF(core->waiters[i].next, hg_waiter, link);
            int was_waiting = w->state == HG_WAITER_WAITING;

            hg_waiter_unlist_locked(core, w, !was_waiting);
            if (!was_waiting)
                continue; /* answered already; its raiser is on its way out */
            w->state = HG_WAITER_RELEASED;
            w->verdict = verdict;
            core->stats.defaults_applied++;
            hg_plat_signal(&w->event); /* under the lock: the raiser re-takes it before returning */
        }
    }
}

static hg_waiter *find_waiter_locked(hg_core *core, uint64_t id)
{
    hg_list *head = bucket_of(core, id), *node;

    for (node = head->next; node != head; node = node->next) {
        hg_waiter *w = HG_CONTAINER_OF(node, hg_waiter, link);
        if (w->id == id)
            return w;
    }
    return NULL;
}

static void apply_entry_locked(hg_core *core, const HG_REPLY_ENTRY *e, HG_REPLY_RESULT *r)
{
    hg_waiter *w;
    hg_released_id *slot;

    /* Re-checked here because the host passes the caller's own memory, which
     * could change after validation; the kernel's SystemBuffer cannot. */
    if (e->id == 0u || e->id > core->last_id ||
        (e->verdict != HG_VERDICT_ALLOW && e->verdict != HG_VERDICT_BLOCK)) {
        r->unknown++;
        return;
    }
    w = find_waiter_locked(core, e->id);
    if (w != NULL) {
        if (w->state != HG_WAITER_WAITING) {
            r->duplicate++;
            return;
        }
        w->state = HG_WAITER_ANSWERED;
        w->verdict = e->verdict;
        hg_plat_signal(&w->event);
        r->accepted++;
        return;
    }
    slot = ring_slot(core, e->id);
    if (slot->id == e->id && slot->answered) {
        r->duplicate++;
        return;
    }
    if (slot->id == e->id)
        slot->answered = 1; /* a second late answer to the same id is a duplicate */
    r->late++;
}

static uint32_t validate_reply(const unsigned char *buf, size_t in_len, uint32_t *count)
{
    HG_REPLY_HEADER h;
    uint32_t i;

    if (buf == NULL || in_len < sizeof h)
        return HG_STATUS_BUFFER_TOO_SMALL;
    if (in_len > sizeof h + (size_t)HG_REPLY_MAX_ENTRIES * sizeof(HG_REPLY_ENTRY))
        return HG_STATUS_INVALID_BUFFER_SIZE;
    memcpy(&h, buf, sizeof h);
    if (h.magic != HG_WIRE_MAGIC)
        return HG_STATUS_UNKNOWN_REVISION;
    if (h.count == 0u || h.count > HG_REPLY_MAX_ENTRIES)
        return HG_STATUS_INVALID_PARAMETER;
    if (in_len != sizeof h + (size_t)h.count * sizeof(HG_REPLY_ENTRY))
        return HG_STATUS_INFO_LENGTH_MISMATCH;
    for (i = 0; i < h.count; i++) {
        HG_REPLY_ENTRY e;
        memcpy(&e, buf + sizeof h + (size_t)i * sizeof e, sizeof e);
        if ((e.verdict != HG_VERDICT_ALLOW && e.verdict != HG_VERDICT_BLOCK) || e.reserved != 0u)
            return HG_STATUS_INVALID_PARAMETER;
    }
    *count = h.count;
    return HG_STATUS_SUCCESS;
}

uint32_t hg_core_reply(hg_core *core, uint64_t process_key,
                       const void *in, size_t in_len,
                       void *out, size_t out_len, size_t *written)
{
    const unsigned char *buf = (const unsigned char *)in;
    HG_REPLY_RESULT result;
    uint32_t status, count = 0, base;

    if (written != NULL)
        *written = 0;
    hg_plat_lock(&core->lock);
    status = hg_client_check_locked(core, process_key);
    hg_plat_unlock(&core->lock);
    if (status != HG_STATUS_SUCCESS)
        return status;
    status = validate_reply(buf, in_len, &count);
    if (status != HG_STATUS_SUCCESS)
        return status;
    if (out_len != 0u && (out == NULL || out_len < sizeof result))
        return HG_STATUS_BUFFER_TOO_SMALL;

    memset(&result, 0, sizeof result);
    for (base = 0; base < count; base += HG_REPLY_CHUNK) {
        uint32_t end = hg_min_u32(count, base + HG_REPLY_CHUNK), i;
        HG_REPLY_RESULT part;

        memset(&part, 0, sizeof part);
        hg_plat_lock(&core->lock);
        for (i = base; i < end; i++) {
            HG_REPLY_ENTRY e;
            memcpy(&e, buf + sizeof(HG_REPLY_HEADER) + (size_t)i * sizeof e, sizeof e);
            apply_entry_locked(core, &e, &part);
        }
        core->stats.replies_accepted += part.accepted;
        core->stats.replies_unknown += part.unknown;
        core->stats.replies_late += part.late;
        core->stats.replies_duplicate += part.duplicate;
        hg_plat_unlock(&core->lock);
        result.accepted += part.accepted;
        result.unknown += part.unknown;
        result.late += part.late;
        result.duplicate += part.duplicate;
    }
    if (out_len != 0u) {
        memcpy(out, &result, sizeof result);
        if (written != NULL)
            *written = sizeof result;
    }
    return HG_STATUS_SUCCESS;
}
