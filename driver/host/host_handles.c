/*
 * host_handles.c - the handle table and object reference counts.
 *
 * A HANDLE handed out by the host is never a pointer: it encodes a slot index
 * and the slot's generation, like an NT handle table entry, so a handle that
 * was closed (or never existed, or is garbage from Java) is detected with
 * ERROR_INVALID_HANDLE instead of being dereferenced. Encoding:
 *     value = generation << HANDLE_GEN_SHIFT | (slot + 1) << HANDLE_TAG_BITS
 * The low two bits are zero as for NT handles, the value is never 0 and never
 * INVALID_HANDLE_VALUE, and a slot's generation advances on every close, so a
 * stale handle stays invalid until the 32-bit generation wraps.
 *
 * Objects are reference counted: the handle owns one reference, each call in
 * progress borrows one (lookup), requests hold their file and port, and a
 * file holds its completion port. Closing a handle only drops the handle's
 * reference; the object is freed when the last borrower lets go, exactly like
 * an object whose handle count reached zero while IRPs still point at it.
 */
#include <stdlib.h>
#include "host_internal.h"

#define HANDLE_SLOTS      4096u /* live handles at once; the agent holds 2, the tests < 100 */
#define HANDLE_TAG_BITS   2u    /* NT handles are multiples of 4 */
#define HANDLE_GEN_SHIFT  16u   /* above (HANDLE_SLOTS + 1) << HANDLE_TAG_BITS */

_Static_assert(((HANDLE_SLOTS + 1u) << HANDLE_TAG_BITS) < (1u << HANDLE_GEN_SHIFT),
               "slot bits overlap the generation");

typedef struct handle_slot {
    uint32_t     generation; /* never 0 */
    host_object *obj;        /* NULL when free */
} handle_slot;

/* Guarded by g_host.lock. */
static handle_slot g_slots[HANDLE_SLOTS];
static uint32_t    g_next_slot; /* round-robin start so a closed slot is not reused at once */

void host_object_init(host_object *obj, host_obj_type type, uint64_t owner)
{
    obj->type = type;
    atomic_init(&obj->refs, 1);
    obj->owner_process_key = owner;
}

void host_object_ref(host_object *obj)
{
    atomic_fetch_add_explicit(&obj->refs, 1, memory_order_relaxed);
}

void host_object_unref(host_object *obj)
{
    if (atomic_fetch_sub_explicit(&obj->refs, 1, memory_order_acq_rel) != 1)
        return;
    switch (obj->type) {
    case HOST_OBJ_FILE:
        host_file_destroy(HOST_CONTAINER_OF(obj, host_file, obj));
        break;
    case HOST_OBJ_PORT:
        host_port_destroy(host_port_of(obj));
        break;
    default:
        break;
    }
}

static HANDLE encode(uint32_t slot, uint32_t generation)
{
    uintptr_t v = ((uintptr_t)generation << HANDLE_GEN_SHIFT) |
                  ((uintptr_t)(slot + 1u) << HANDLE_TAG_BITS);
    return (HANDLE)v;
}

/* Returns the slot index of h if it is well formed, else -1. */
static long decode(HANDLE h, uint32_t *generation)
{
    uintptr_t v = (uintptr_t)h;
    if (h == NULL || h == INVALID_HANDLE_VALUE || (v & ((1u << HANDLE_TAG_BITS) - 1u)) != 0)
        return -1;
    uintptr_t slot1 = (v & ((1u << HANDLE_GEN_SHIFT) - 1u)) >> HANDLE_TAG_BITS;
    uintptr_t gen = v >> HANDLE_GEN_SHIFT;
    if (slot1 == 0 || slot1 > HANDLE_SLOTS || gen == 0 || gen > UINT32_MAX)
        return -1;
    *generation = (uint32_t)gen;
    return (long)(slot1 - 1u);
}

HANDLE host_handle_insert_locked(host_object *obj)
{
    for (uint32_t n = 0; n < HANDLE_SLOTS; n++) {
        uint32_t i = (g_next_slot + n) % HANDLE_SLOTS;
        handle_slot *s = &g_slots[i];
        if (s->obj != NULL)
            continue;
        if (s->generation == 0)
            s->generation = 1;
        s->obj = obj;
        g_next_slot = (i + 1u) % HANDLE_SLOTS;
        return encode(i, s->generation);
    }
    return NULL;
}

static handle_slot *slot_of_locked(HANDLE h, host_obj_type type)
{
    uint32_t gen = 0;
    long i = decode(h, &gen);
    if (i < 0)
        return NULL;
    handle_slot *s = &g_slots[i];
    if (s->obj == NULL || s->generation != gen)
        return NULL;
    if (type != HOST_OBJ_ANY && s->obj->type != type)
        return NULL;
    return s;
}

static host_object *take_slot_locked(handle_slot *s)
{
    host_object *obj = s->obj;
    s->obj = NULL;
    s->generation = s->generation + 1u == 0 ? 1u : s->generation + 1u;
    return obj;
}

host_object *host_handle_lookup(HANDLE h, host_obj_type type)
{
    host_object *obj = NULL;
    pthread_mutex_lock(&g_host.lock);
    handle_slot *s = slot_of_locked(h, type);
    if (s != NULL) {
        obj = s->obj;
        host_object_ref(obj);
    }
    pthread_mutex_unlock(&g_host.lock);
    return obj;
}

host_object *host_handle_remove(HANDLE h)
{
    host_object *obj = NULL;
    pthread_mutex_lock(&g_host.lock);
    handle_slot *s = slot_of_locked(h, HOST_OBJ_ANY);
    if (s != NULL)
        obj = take_slot_locked(s);
    pthread_mutex_unlock(&g_host.lock);
    return obj;
}

size_t host_handle_remove_matching_locked(host_obj_type type, int owner_only, uint64_t owner,
                                          host_object **out, size_t cap)
{
    size_t n = 0;
    for (uint32_t i = 0; i < HANDLE_SLOTS && n < cap; i++) {
        handle_slot *s = &g_slots[i];
        if (s->obj == NULL)
            continue;
        if (type != HOST_OBJ_ANY && s->obj->type != type)
            continue;
        if (owner_only && s->obj->owner_process_key != owner)
            continue;
        out[n++] = take_slot_locked(s);
    }
    return n;
}

size_t host_handle_capacity(void)
{
    return HANDLE_SLOTS;
}
