/* fuzz_get_events.c - GET_EVENTS: the agent controls the output buffer's
 * length and when requests are issued, cancelled and abandoned. The input is
 * a script: 4 bytes of requested capacity, then one command per byte (raise,
 * park, cancel, start a cancel that races delivery, disconnect/reconnect,
 * check). Every request must complete exactly once, every completed batch
 * must be well formed, and the accounting must balance throughout. */
#include "fuzz_common.h"

#define SLOTS 4

typedef struct slot {
    test_request *t;
    int in_flight;      /* PENDING returned and not completed yet */
    int cancel_pending; /* its cancel routine took the request but has not called the core yet */
} slot;

static void bind(hg_core *core, uint32_t data_cap)
{
    unsigned char cfg[512];
    static const cfg_prefix p[] = {
        { HG_PREFIX_INCLUDE, 0, HG_OP_MASK_ALL, 0, 0, "\\REGISTRY\\MACHINE" },
        { HG_PREFIX_EXCLUDE, 0, HG_OP_BIT(HG_OP_OPEN_KEY), 0, 0, "\\REGISTRY\\MACHINE\\SYSTEM" },
    };
    HG_CONFIG_HEADER h;
    size_t len;

    cfg_defaults(&h);
    h.max_backlog = HG_BACKLOG_MIN;
    h.data_cap = data_cap;
    len = cfg_encode(cfg, sizeof cfg, &h, p, 2, NULL, 0);
    FUZZ_REQUIRE(hg_core_open(core, TEST_CLIENT_KEY) == HG_STATUS_SUCCESS);
    FUZZ_REQUIRE(fixture_hello(core, TEST_CLIENT_KEY) == HG_STATUS_SUCCESS);
    FUZZ_REQUIRE(hg_core_configure(core, TEST_CLIENT_KEY, cfg, len) == HG_STATUS_SUCCESS);
}

static void settle(slot *s)
{
    if (s->in_flight && treq_completions(s->t) != 0) {
        FUZZ_REQUIRE(treq_completions(s->t) == 1);
        if (s->t->status == HG_STATUS_SUCCESS)
            require_batch(s->t->buffer, s->t->bytes, s->t->req.capacity);
        else
            FUZZ_REQUIRE(s->t->status == HG_STATUS_CANCELLED && s->t->bytes == 0);
        s->in_flight = 0;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hg_core_params params = { .no_client_verdict = HG_VERDICT_ALLOW, .capabilities = 0, .instance_id = 1 };
    slot slots[SLOTS];
    uint32_t capacity = HG_GET_EVENTS_MIN_BYTES, i, k;
    hg_core *core;
    size_t pos = 0;

    if (size >= 4) {
        /* keep most capacities near the interesting range, allow any */
        uint32_t raw = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
        capacity = (raw & 0x80000000u) ? raw : HG_GET_EVENTS_MIN_BYTES - 64u + raw % (HG_GET_EVENTS_MIN_BYTES * 2u);
        pos = 4;
    }
    FUZZ_REQUIRE(hg_core_create(&params, &core) == HG_STATUS_SUCCESS);
    bind(core, 64);
    for (k = 0; k < SLOTS; k++) {
        /* one slot always gets a legal minimum size, so delivery happens */
        uint32_t cap = k == 0 ? HG_GET_EVENTS_MIN_BYTES : capacity;
        slots[k].t = treq_new(core, cap <= HG_GET_EVENTS_MAX_BYTES + 16u ? cap : 16u);
        slots[k].t->req.capacity = cap; /* may lie about a huge length: core must reject before use */
        slots[k].in_flight = 0;
        slots[k].cancel_pending = 0;
    }

    while (pos < size) {
        uint8_t cmd = data[pos++];
        slot *s = &slots[(cmd >> 4) % SLOTS];
        size_t w = 0;

        switch (cmd & 0x0Fu) {
        case 0: case 1: case 2: case 3: { /* raise, path from the script */
            static const char *roots[] = { "\\REGISTRY\\MACHINE\\SOFTWARE\\", "\\REGISTRY\\MACHINE\\SYSTEM\\",
                                           "\\REGISTRY\\USER\\", "\\registry\\machine\\" };
            char path[96];
            hg_raise_result r;
            hg_op op;
            uint8_t n = pos < size ? data[pos++] % 32u : 0u;
            size_t len = strlen(roots[cmd & 3u]);

            memcpy(path, roots[cmd & 3u], len);
            for (i = 0; i < n && pos < size; i++)
                path[len++] = (char)(0x20 + data[pos++] % 0x5Fu);
            path[len] = '\0';
            top_init(&op, (uint16_t)(1u + cmd % (HG_OP_COUNT - 1u)), cmd);
            raise_path(core, &op, path, data, (uint32_t)(size < 200 ? size : 200), &r);
            FUZZ_REQUIRE(!r.waited);
            break;
        }
        case 4: case 5: case 6: /* park or take */
            if (s->in_flight)
                break;
            treq_reset(s->t);
            switch (hg_core_get_events(core, TEST_CLIENT_KEY, &s->t->req, &w)) {
            case HG_STATUS_SUCCESS:
                require_batch(s->t->buffer, (uint32_t)w, s->t->req.capacity);
                FUZZ_REQUIRE(treq_completions(s->t) == 0); /* the caller completes it */
                break;
            case HG_STATUS_PENDING:
                s->in_flight = 1;
                break;
            default:
                FUZZ_REQUIRE(w == 0 && treq_completions(s->t) == 0);
            }
            break;
        case 7: case 8: /* cancel (IoCancelIrp), or a started cancel routine arriving */
            if (s->cancel_pending) {
                s->cancel_pending = 0;
                hg_core_cancel_request(core, &s->t->req);
            } else if (s->in_flight) {
                treq_cancel(s->t);
            }
            break;
        case 9: /* a cancel routine starts but has not reached the core yet */
            if (s->in_flight && !s->cancel_pending && !atomic_load(&s->t->cancel_requested)) {
                atomic_store(&s->t->cancel_requested, 1);
                s->cancel_pending = atomic_exchange(&s->t->armed, 0) == 1;
            }
            break;
        case 10: /* disconnect, reconnect */
            hg_core_close(core, TEST_CLIENT_KEY);
            bind(core, (uint32_t)(cmd >> 4) * 1024u);
            break;
        case 11:
            hg_core_close(core, TEST_CLIENT_KEY);
            break;
        case 12: { /* reconnect if nobody is bound */
            HG_STATS st;
            hg_core_get_stats(core, &st);
            if (!st.client_bound)
                bind(core, 16);
            break;
        }
        default:
            require_accounting(core);
            break;
        }
        for (k = 0; k < SLOTS; k++)
            settle(&slots[k]);
    }

    /* Tear down: requests still in flight complete exactly once. */
    hg_core_close(core, TEST_CLIENT_KEY);
    for (k = 0; k < SLOTS; k++) {
        if (slots[k].cancel_pending)
            hg_core_cancel_request(core, &slots[k].t->req); /* the started cancel routine finishes */
        settle(&slots[k]);
        FUZZ_REQUIRE(!slots[k].in_flight);
    }
    require_accounting(core);
    hg_core_destroy(core);
    for (k = 0; k < SLOTS; k++)
        treq_free(slots[k].t);
    return 0;
}
