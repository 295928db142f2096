/* fuzz_reply.c - REPLY input buffers, against a core that has issued verdict
 * ids (some released by timeout, so late/duplicate classification is live).
 * The first byte picks the output buffer length. A rejected reply must not
 * move any reply counter; an accepted one must classify every entry once. */
#include "fuzz_common.h"

#define ISSUED_IDS 6

static hg_core *g_core;

/* Issues ISSUED_IDS verdict ids whose callers time out after 1 ms. */
static hg_core *prepare(void)
{
    unsigned char cfg[256];
    HG_CONFIG_HEADER h;
    test_request *t;
    hg_raise_result r;
    hg_op op;
    size_t len, w;
    hg_core *core;
    int i;

    cfg_defaults(&h);
    h.verdict_op_mask = HG_OP_BIT(HG_OP_SET_VALUE);
    h.timeout_ms = HG_TIMEOUT_MIN_MS;
    len = cfg_encode(cfg, sizeof cfg, &h, NULL, 0, NULL, 0);
    core = fixture_configured(cfg, len);
    FUZZ_REQUIRE(core != NULL);
    t = treq_new(core, HG_GET_EVENTS_MIN_BYTES);
    for (i = 0; i < ISSUED_IDS; i++) {
        treq_reset(t);
        FUZZ_REQUIRE(hg_core_get_events(core, TEST_CLIENT_KEY, &t->req, &w) == HG_STATUS_PENDING);
        top_init(&op, HG_OP_SET_VALUE, 7);
        raise_path(core, &op, "\\REGISTRY\\MACHINE\\SOFTWARE\\F", NULL, 0, &r);
        FUZZ_REQUIRE(r.waited && r.timed_out);
    }
    treq_free(t);
    return core;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t out_lengths[] = { sizeof(HG_REPLY_RESULT), 0, 3, sizeof(HG_REPLY_RESULT) + 4 };
    unsigned char out[sizeof(HG_REPLY_RESULT) + 4];
    size_t out_len = out_lengths[0], written = 99;
    HG_STATS before, after;
    uint32_t status;

    if (g_core == NULL)
        g_core = prepare();
    if (size > 0 && (data[0] & 0x80u)) {
        out_len = out_lengths[data[0] % 4u];
        data++;
        size--;
    }
    hg_core_get_stats(g_core, &before);
    status = hg_core_reply(g_core, TEST_CLIENT_KEY, data, size, out, out_len, &written);
    hg_core_get_stats(g_core, &after);
    if (status == HG_STATUS_SUCCESS) {
        HG_REPLY_HEADER h;
        uint64_t moved = (after.replies_accepted - before.replies_accepted) +
                         (after.replies_unknown - before.replies_unknown) +
                         (after.replies_late - before.replies_late) +
                         (after.replies_duplicate - before.replies_duplicate);
        memcpy(&h, data, sizeof h);
        FUZZ_REQUIRE(moved == h.count);
        FUZZ_REQUIRE(after.replies_accepted == before.replies_accepted); /* nobody is waiting */
        FUZZ_REQUIRE(written == (out_len ? sizeof(HG_REPLY_RESULT) : 0u));
    } else {
        FUZZ_REQUIRE(is_error_status(status) && written == 0);
        FUZZ_REQUIRE(after.replies_accepted == before.replies_accepted &&
                     after.replies_unknown == before.replies_unknown &&
                     after.replies_late == before.replies_late &&
                     after.replies_duplicate == before.replies_duplicate);
    }
    return 0;
}
