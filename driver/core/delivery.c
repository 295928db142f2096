/*
 * delivery.c - the backlog and the parked GET_EVENTS requests (the inverted
 * call): a request either takes events at once or parks until a raiser has
 * something for it.
 *
 * The ownership dance with the platform's cancel routine follows the WDM
 * rules for cancel-safe queues: a request is taken out for completion only
 * after hg_plat_request_claim succeeded (its cancel routine is cleared); if a
 * cancel is already under way the request stays listed and the platform's
 * cancel routine calls hg_core_cancel_request, which unlinks and completes
 * it. Exactly one side completes every request.
 *
 * Packing copies up to 1 MiB, and completion calls into the I/O manager, so
 * both happen outside the lock: events and requests are detached under it
 * and then owned privately by the thread that detached them.
 */
#include "core_internal.h"

uint32_t hg_backlog_take_locked(hg_core *core, uint32_t capacity, hg_list *batch)
{
    uint32_t used = (uint32_t)sizeof(HG_BATCH_HEADER), count = 0;

    while (!hg_list_empty(&core->backlog)) {
        hg_queued_event *qe = HG_CONTAINER_OF(core->backlog.next, hg_queued_event, link);
        if (qe->bytes > capacity - used)
            break;
        hg_list_remove(&qe->link);
        hg_list_push_back(batch, &qe->link);
        used += qe->bytes;
        core->backlog_events--;
        core->backlog_bytes -= qe->bytes;
        count++;
    }
    if (count != 0u) {
        core->stats.delivered += count;
        core->stats.batches++;
    }
    return count;
}

void hg_event_list_free(hg_list *list)
{
    hg_list *node;

    while ((node = hg_list_pop_front(list)) != NULL)
        hg_plat_free(HG_CONTAINER_OF(node, hg_queued_event, link));
}

uint32_t hg_batch_pack(hg_request *req, hg_list *batch, uint32_t count, uint64_t dropped_total)
{
    unsigned char *out = (unsigned char *)req->buffer;
    uint32_t used = (uint32_t)sizeof(HG_BATCH_HEADER);
    HG_BATCH_HEADER h;
    hg_list *node;

    while ((node = hg_list_pop_front(batch)) != NULL) {
        hg_queued_event *qe = HG_CONTAINER_OF(node, hg_queued_event, link);
        memcpy(out + used, HG_QEVENT_RECORD(qe), qe->bytes);
        used += qe->bytes;
        hg_plat_free(qe);
    }
    h.magic = HG_WIRE_MAGIC;
    h.count = count;
    h.total_bytes = used;
    h.reserved = 0;
    h.dropped_total = dropped_total;
    memcpy(out, &h, sizeof h);
    return used;
}

/* Under the lock: takes a request core owns off the parked list. */
void hg_unpark_locked(hg_core *core, hg_request *req)
{
    hg_list_remove(&req->link);
    req->parked = 0;
    core->parked_count--;
}

/* Under the lock: the first parked request the platform lets us own, already
 * unlinked, or NULL. Requests whose cancel is in flight are skipped and left
 * listed for their cancel routine. */
static hg_request *claim_parked_locked(hg_core *core)
{
    hg_list *node;

    for (node = core->parked.next; node != &core->parked; node = node->next) {
        hg_request *req = HG_CONTAINER_OF(node, hg_request, link);
        if (hg_plat_request_claim(req)) {
            hg_unpark_locked(core, req);
            return req;
        }
    }
    return NULL;
}

void hg_deliver_pending(hg_core *core)
{
    for (;;) {
        hg_list batch;
        hg_request *req;
        uint32_t count;
        uint64_t dropped_total;

        hg_list_init(&batch);
        hg_plat_lock(&core->lock);
        if (hg_list_empty(&core->backlog) || (req = claim_parked_locked(core)) == NULL) {
            hg_plat_unlock(&core->lock);
            return;
        }
        count = hg_backlog_take_locked(core, req->capacity, &batch);
        dropped_total = core->stats.dropped;
        hg_plat_unlock(&core->lock);

        /* count >= 1: capacity >= HG_GET_EVENTS_MIN_BYTES holds any one event. */
        hg_plat_request_complete(req, HG_STATUS_SUCCESS,
                                 hg_batch_pack(req, &batch, count, dropped_total));
    }
}

uint32_t hg_core_get_events(hg_core *core, uint64_t process_key,
                            hg_request *req, size_t *written)
{
    hg_list batch;
    uint32_t status, count;
    uint64_t dropped_total;

    if (written != NULL)
        *written = 0;
    if (req == NULL || req->buffer == NULL || req->capacity < HG_GET_EVENTS_MIN_BYTES)
        return HG_STATUS_BUFFER_TOO_SMALL;
    if (req->capacity > HG_GET_EVENTS_MAX_BYTES)
        return HG_STATUS_INVALID_BUFFER_SIZE;

    hg_list_init(&batch);
    hg_plat_lock(&core->lock);
    status = hg_client_check_locked(core, process_key);
    if (status != HG_STATUS_SUCCESS) {
        hg_plat_unlock(&core->lock);
        return status;
    }
    if (!hg_list_empty(&core->backlog)) {
        count = hg_backlog_take_locked(core, req->capacity, &batch);
        dropped_total = core->stats.dropped;
        hg_plat_unlock(&core->lock);
        status = (uint32_t)hg_batch_pack(req, &batch, count, dropped_total);
        if (written != NULL)
            *written = status;
        return HG_STATUS_SUCCESS;
    }
    if (core->parked_count >= HG_PARKED_MAX) {
        hg_plat_unlock(&core->lock);
        return HG_STATUS_QUOTA_EXCEEDED;
    }
    if (!hg_plat_request_arm(req)) {
        /* Cancelled before it could park (e.g. CancelIoEx raced the
         * dispatch). The caller already treats it as pending, so core owns
         * it and completes it, as hg_platform.h describes. */
        hg_plat_unlock(&core->lock);
        hg_plat_request_complete(req, HG_STATUS_CANCELLED, 0);
        return HG_STATUS_PENDING;
    }
    req->parked = 1;
    hg_list_push_back(&core->parked, &req->link);
    core->parked_count++;
    hg_plat_unlock(&core->lock);
    return HG_STATUS_PENDING;
}

void hg_core_cancel_request(hg_core *core, hg_request *req)
{
    int owned = 0;

    hg_plat_lock(&core->lock);
    if (req->parked) {
        hg_unpark_locked(core, req);
        owned = 1;
    }
    hg_plat_unlock(&core->lock);
    if (owned)
        hg_plat_request_complete(req, HG_STATUS_CANCELLED, 0);
}
