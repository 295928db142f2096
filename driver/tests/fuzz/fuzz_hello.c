/* fuzz_hello.c - HELLO input buffers. The first byte picks the output
 * buffer length, so short output buffers are explored too; the rest is the
 * HELLO request as the agent would send it. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t out_lengths[] = { sizeof(HG_HELLO_REPLY), 0, 1, sizeof(HG_HELLO_REPLY) - 1,
                                          sizeof(HG_HELLO_REPLY) + 8 };
    unsigned char out[sizeof(HG_HELLO_REPLY) + 8];
    hg_core_params params = { .no_client_verdict = HG_VERDICT_ALLOW, .capabilities = HG_CAP_SIMULATOR, .instance_id = 1 };
    hg_core *core;
    size_t out_len = out_lengths[0], written = 12345;
    uint32_t status;
    HG_STATS s;

    if (size > 0 && (data[0] & 0x80u)) {
        out_len = out_lengths[data[0] % 5u];
        data++;
        size--;
    }
    FUZZ_REQUIRE(hg_core_create(&params, &core) == HG_STATUS_SUCCESS);
    FUZZ_REQUIRE(hg_core_open(core, TEST_CLIENT_KEY) == HG_STATUS_SUCCESS);
    status = hg_core_hello(core, TEST_CLIENT_KEY, data, size, out, out_len, &written);
    hg_core_get_stats(core, &s);
    if (status == HG_STATUS_SUCCESS) {
        HG_HELLO_REPLY r;
        /* the whole 1.1 reply, or the 1.0 prefix when the buffer is shorter */
        FUZZ_REQUIRE(written == (out_len >= sizeof r ? sizeof r : HG_HELLO_REPLY_V1_0_BYTES) && s.client_bound == 1);
        memset(&r, 0, sizeof r);
        memcpy(&r, out, written);
        FUZZ_REQUIRE(r.magic == HG_WIRE_MAGIC && r.version_major == HG_WIRE_VERSION_MAJOR);
    } else {
        FUZZ_REQUIRE(is_error_status(status) && written == 0 && s.client_bound == 0);
    }
    hg_core_destroy(core);
    return 0;
}
