/*
 * client.c - the single client: open (reserve), HELLO (bind), close (unbind).
 *
 * The client is the process that opened the device; HELLO must come from that
 * same process (identified by its process key - in the kernel the process
 * start key, or the address of a process object the driver holds a
 * reference on until close; never a pid, never a name) and completes the
 * binding. Only a bound client may CONFIGURE, park
 * GET_EVENTS or REPLY, and only a bound client receives events: before HELLO
 * every operation is treated as "no client".
 *
 * Unbinding may race raisers that passed the subscription check outside the
 * lock; client_epoch changes on every open/close, and a raiser that comes
 * back with an old epoch treats its operation as "no client".
 */
#include "core_internal.h"

uint32_t hg_client_check_locked(const hg_core *core, uint64_t process_key)
{
    if (!core->client_open)
        return HG_STATUS_INVALID_DEVICE_STATE;
    if (process_key != core->client_key)
        return HG_STATUS_ACCESS_DENIED;
    if (!core->client_hello)
        return HG_STATUS_INVALID_DEVICE_STATE;
    return HG_STATUS_SUCCESS;
}

uint32_t hg_core_open(hg_core *core, uint64_t process_key)
{
    uint32_t status = HG_STATUS_SUCCESS;

    hg_plat_lock(&core->lock);
    if (core->destroying)
        status = HG_STATUS_INVALID_DEVICE_STATE;
    else if (core->client_open)
        status = HG_STATUS_SHARING_VIOLATION;
    else {
        core->client_open = 1;
        core->client_hello = 0;
        core->client_key = process_key;
        core->client_epoch++;
    }
    hg_plat_unlock(&core->lock);
    return status;
}

uint32_t hg_core_hello(hg_core *core, uint64_t process_key,
                       const void *in, size_t in_len,
                       void *out, size_t out_len, size_t *written)
{
    HG_HELLO_REQUEST req;
    HG_HELLO_REPLY rep;
    uint32_t status = HG_STATUS_SUCCESS;
    uint64_t epoch;

    if (written != NULL)
        *written = 0;
    hg_plat_lock(&core->lock);
    if (!core->client_open)
        status = HG_STATUS_INVALID_DEVICE_STATE;
    else if (process_key != core->client_key)
        status = HG_STATUS_ACCESS_DENIED;
    epoch = core->client_epoch;
    hg_plat_unlock(&core->lock);
    if (status != HG_STATUS_SUCCESS)
        return status;

    if (in == NULL || in_len < sizeof req)
        return HG_STATUS_BUFFER_TOO_SMALL;
    if (in_len != sizeof req)
        return HG_STATUS_INFO_LENGTH_MISMATCH;
    memcpy(&req, in, sizeof req);
    if (req.magic != HG_WIRE_MAGIC)
        return HG_STATUS_UNKNOWN_REVISION;
    if (req.version_major != HG_WIRE_VERSION_MAJOR)
        return HG_STATUS_REVISION_MISMATCH;
    if (req.flags != 0u || req.reserved != 0u)
        return HG_STATUS_INVALID_PARAMETER;
    /* A 1.0 agent's buffer ends after instance_id: it gets the 1.0 prefix. */
    if (out == NULL || out_len < HG_HELLO_REPLY_V1_0_BYTES)
        return HG_STATUS_BUFFER_TOO_SMALL;

    hg_plat_lock(&core->lock);
    if (!core->client_open || core->client_epoch != epoch)
        status = HG_STATUS_INVALID_DEVICE_STATE; /* closed while we validated */
    else {
        core->client_hello = 1;
        hg_gate_publish_locked(core);
    }
    hg_plat_unlock(&core->lock);
    if (status != HG_STATUS_SUCCESS)
        return status;

    memset(&rep, 0, sizeof rep);
    rep.magic = HG_WIRE_MAGIC;
    rep.version_major = HG_WIRE_VERSION_MAJOR;
    rep.version_minor = HG_WIRE_VERSION_MINOR;
    rep.capabilities = core->params.capabilities;
    rep.max_event_bytes = HG_MAX_EVENT_BYTES;
    rep.get_events_min_bytes = HG_GET_EVENTS_MIN_BYTES;
    rep.get_events_max_bytes = HG_GET_EVENTS_MAX_BYTES;
    rep.reply_max_entries = HG_REPLY_MAX_ENTRIES;
    rep.parked_max = HG_PARKED_MAX;
    rep.instance_id = core->params.instance_id;
    rep.driver_version = HG_DRIVER_VERSION;
    rep.altitude = 0u; /* the glue that registered the callback fills it in (driver/sys/device.c) */
    rep.no_client_verdict = core->params.no_client_verdict;
    /* Whole fields only: the 1.1 reply, or the 1.0 prefix for a shorter buffer
     * (never a reply cut inside a field). */
    out_len = out_len >= sizeof rep ? sizeof rep : HG_HELLO_REPLY_V1_0_BYTES;
    memcpy(out, &rep, out_len);
    if (written != NULL)
        *written = out_len;
    return HG_STATUS_SUCCESS;
}

uint32_t hg_core_configure(hg_core *core, uint64_t process_key,
                           const void *in, size_t in_len)
{
    hg_subscription *fresh = NULL, *old = NULL;
    uint32_t status;
    uint64_t epoch;

    hg_plat_lock(&core->lock);
    status = hg_client_check_locked(core, process_key);
    epoch = core->client_epoch;
    hg_plat_unlock(&core->lock);
    if (status != HG_STATUS_SUCCESS)
        return status;

    status = hg_config_compile(in, in_len, &fresh);
    if (status != HG_STATUS_SUCCESS)
        return status;

    hg_plat_lock(&core->lock);
    if (core->client_epoch != epoch || !core->client_hello) {
        status = HG_STATUS_INVALID_DEVICE_STATE; /* the client went away meanwhile */
    } else {
        old = core->sub;
        core->sub = fresh;
        fresh = NULL;
        core->stats.config_generation++;
        hg_gate_publish_locked(core);
        if (old != NULL && --old->refs != 0u)
            old = NULL; /* raisers still match against it; the last one frees it */
    }
    hg_plat_unlock(&core->lock);
    hg_subscription_free(fresh);
    hg_subscription_free(old);
    return status;
}

void hg_client_unbind(hg_core *core)
{
    hg_list events, requests, *node;
    hg_subscription *sub;
    uint32_t verdict;

    hg_list_init(&events);
    hg_list_init(&requests);
    hg_plat_lock(&core->lock);
    if (!core->client_open) {
        hg_plat_unlock(&core->lock);
        return;
    }
    core->client_open = 0;
    core->client_hello = 0;
    core->client_key = 0;
    core->client_epoch++;

    sub = core->sub;
    core->sub = NULL;
    hg_gate_publish_locked(core);
    verdict = sub != NULL ? sub->default_verdict : core->params.no_client_verdict;
    hg_waiters_release_all_locked(core, verdict);

    core->stats.dropped += core->backlog_events;
    hg_list_splice_back(&events, &core->backlog);
    core->backlog_events = 0;
    core->backlog_bytes = 0;

    node = core->parked.next;
    while (node != &core->parked) {
        hg_request *req = HG_CONTAINER_OF(node, hg_request, link);
        node = node->next;
        if (!hg_plat_request_claim(req))
            continue; /* its cancel routine is running and will call hg_core_cancel_request */
        hg_unpark_locked(core, req);
        hg_list_push_back(&requests, &req->link);
    }
    if (sub != NULL && --sub->refs != 0u)
        sub = NULL;
    hg_plat_unlock(&core->lock);

    while ((node = hg_list_pop_front(&requests)) != NULL)
        hg_plat_request_complete(HG_CONTAINER_OF(node, hg_request, link), HG_STATUS_CANCELLED, 0);
    hg_event_list_free(&events);
    hg_subscription_free(sub);
}

/* IRP_MJ_CLOSE may run in an arbitrary thread context, so process_key cannot
 * be trusted to match the opener there; with a single client a close can only
 * be that client's, so it is not compared. */
void hg_core_close(hg_core *core, uint64_t process_key)
{
    (void)process_key;
    hg_client_unbind(core);
}
