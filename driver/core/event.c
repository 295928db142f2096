/*
 * event.c - encoding one operation into its wire record: HG_EVENT_HEADER,
 * then key_path, value_name, new_name, image, user_sid (UTF-16LE, each cut to
 * its HG_*_MAX_BYTES cap), then up to data_cap bytes of value data, then zero
 * padding to HG_EVENT_ALIGN.
 *
 * The record is sized and allocated before the lock is taken (the kernel's
 * pool allocator must not run under our spin lock) and filled here too;
 * only the fields that depend on queue state (sequence, id, flags for the
 * verdict, timeout) are set later, under the lock.
 *
 * The caller's image and SID are borrowed from the source's identity hook
 * (hg_identity_borrow) when the operation did not bring them, by the raise
 * path, outside the lock, only for an operation that is delivered or whose
 * delivery depends on its image (image subscription entries): the kernel
 * cannot afford the lookup (a pool copy of the image name, a token query)
 * for every registry operation on the machine. One borrow serves both the
 * image match and this record, so the hook runs at most once per operation.
 */
#include "core_internal.h"

#define UTF16_HIGH_SURROGATE_FIRST 0xD800u
#define UTF16_HIGH_SURROGATE_LAST  0xDBFFu

/* Bytes of `s` that go on the wire: even, at most `cap`, and never ending on
 * a high surrogate whose low half was cut off (that would turn a valid name
 * into invalid UTF-16 for the agent's decoder). *cut is set when shortened. */
static uint32_t capped_bytes(const hg_utf16 *s, uint32_t cap, int *cut)
{
    uint32_t bytes = (s->chars == NULL) ? 0u : (s->bytes & ~1u);

    if (bytes <= cap)
        return bytes;
    *cut = 1;
    bytes = cap & ~1u;
    if (bytes >= 2u) {
        uint16_t last = s->chars[bytes / 2u - 1u];
        if (last >= UTF16_HIGH_SURROGATE_FIRST && last <= UTF16_HIGH_SURROGATE_LAST)
            bytes -= 2u;
    }
    return bytes;
}

static int utf16_empty(const hg_utf16 *s)
{
    return s->chars == NULL || (s->bytes & ~1u) == 0u;
}

/* Decides which strings go on the wire: the operation's own where it has
 * them, else what the hook lends (empty when it fails or has nothing). */
void hg_identity_borrow(const hg_op *op, const hg_op_source *source, hg_identity *id)
{
    memset(id, 0, sizeof *id);
    id->image = op->image;
    id->sid = op->user_sid;
    id->borrowed = 1;
    if (source == NULL || source->resolve_identity == NULL)
        return;
    if (utf16_empty(&id->image))
        id->ask_image = &id->lent_image;
    if (utf16_empty(&id->sid))
        id->ask_sid = &id->lent_sid;
    if (id->ask_image == NULL && id->ask_sid == NULL)
        return;
    id->called = 1;
    if (source->resolve_identity(source->ctx, id->ask_image, id->ask_sid) != HG_STATUS_SUCCESS)
        return; /* unknown: the asked strings stay empty */
    if (id->ask_image != NULL)
        id->image = id->lent_image;
    if (id->ask_sid != NULL)
        id->sid = id->lent_sid;
}

void hg_identity_return(const hg_op_source *source, hg_identity *id)
{
    if (id->called && source->release_identity != NULL)
        source->release_identity(source->ctx, id->ask_image, id->ask_sid);
    id->called = 0;
    memset(&id->image, 0, sizeof id->image);
    memset(&id->sid, 0, sizeof id->sid);
}

HG_EVENT_HEADER *hg_event_header(hg_queued_event *qe)
{
    return (HG_EVENT_HEADER *)(void *)HG_QEVENT_RECORD(qe);
}

static unsigned char *put_string(unsigned char *p, const hg_utf16 *s, uint32_t bytes)
{
    if (bytes != 0u)
        memcpy(p, s->chars, bytes);
    return p + bytes;
}

hg_queued_event *hg_event_build(const hg_op *op, const hg_utf16 *key_path,
                                const hg_op_source *source, const hg_identity *identity,
                                uint32_t data_cap, uint64_t timestamp)
{
    int cut = 0, unreadable = 0;
    uint32_t key_bytes = capped_bytes(key_path, HG_KEY_PATH_MAX_BYTES, &cut);
    uint32_t value_bytes = capped_bytes(&op->value_name, HG_VALUE_NAME_MAX_BYTES, &cut);
    uint32_t new_bytes = capped_bytes(&op->new_name, HG_NEW_NAME_MAX_BYTES, &cut);
    uint32_t image_bytes, sid_bytes;
    uint32_t data_room = 0, data_bytes = 0, fixed, size;
    const hg_utf16 *image = &identity->image, *sid = &identity->sid;
    hg_queued_event *qe;
    HG_EVENT_HEADER *h;
    unsigned char *p;

    image_bytes = capped_bytes(image, HG_IMAGE_MAX_BYTES, &cut);
    sid_bytes = capped_bytes(sid, HG_USER_SID_MAX_BYTES, &cut);
    if (source != NULL && source->capture_data != NULL)
        data_room = hg_min_u32(hg_min_u32(data_cap, HG_DATA_CAP_MAX), op->data_original_size);
    fixed = HG_EVENT_HEADER_BYTES + key_bytes + value_bytes + new_bytes + image_bytes + sid_bytes;
    size = hg_align_up_u32(fixed + data_room, HG_EVENT_ALIGN);

    qe = (hg_queued_event *)hg_plat_alloc(sizeof(hg_queued_event) + size);
    if (qe == NULL)
        return NULL;
    p = HG_QEVENT_RECORD(qe);
    memset(p, 0, size);
    h = (HG_EVENT_HEADER *)(void *)p;
    p += HG_EVENT_HEADER_BYTES;
    p = put_string(p, key_path, key_bytes);
    p = put_string(p, &op->value_name, value_bytes);
    p = put_string(p, &op->new_name, new_bytes);
    p = put_string(p, image, image_bytes);
    p = put_string(p, sid, sid_bytes);

    if (data_room != 0u) {
        data_bytes = source->capture_data(source->ctx, p, data_room, &unreadable);
        if (unreadable)
            data_bytes = 0;
        else if (data_bytes > data_room)  /* a misbehaving source must not make us lie */
            data_bytes = data_room;
    }
    /* The record shrinks to what was captured; the tail is already zero. */
    size = hg_align_up_u32(fixed + data_bytes, HG_EVENT_ALIGN);

    h->size = size;
    h->operation = op->operation;
    h->flags = 0;
    if (cut)
        h->flags |= HG_EVENT_F_NAME_TRUNCATED;
    if (op->kernel_caller)
        h->flags |= HG_EVENT_F_KERNEL_CALLER;
    if (unreadable)
        h->flags |= HG_EVENT_F_DATA_UNREADABLE;
    else if (data_bytes < op->data_original_size)
        h->flags |= HG_EVENT_F_DATA_TRUNCATED; /* the wire's definition, whatever the cause (cap, no source) */
    h->timestamp = timestamp;
    h->pid = op->pid;
    h->tid = op->tid;
    h->session_id = op->session_id;
    h->value_type = op->value_type;
    h->data_original_size = op->data_original_size;
    h->data_bytes = data_bytes;
    h->key_path_bytes = (uint16_t)key_bytes;
    h->value_name_bytes = (uint16_t)value_bytes;
    h->new_name_bytes = (uint16_t)new_bytes;
    h->image_bytes = (uint16_t)image_bytes;
    h->user_sid_bytes = (uint16_t)sid_bytes;

    qe->bytes = size;
    qe->reserved = 0;
    return qe;
}
