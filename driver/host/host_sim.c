/*
 * host_sim.c - the configuration-manager side of the simulator: registry
 * operations raised into core the way CmpCallCallBacks invokes a
 * RegistryCallback, on the caller's own thread, which blocks until the
 * verdict (bounded by core's timeout) and then gets the NTSTATUS the
 * registry call would return.
 *
 * As in the driver, the key path is handed to core lazily (core asks for it
 * only after the class and caller checks pass) and the value data is copied
 * only up to the configured cap.
 */
#include <stdlib.h>
#include <string.h>
#include "host_internal.h"

/* UTF-16 units of all five strings of one raise kept on the stack: a typical
 * key path is under 200 characters; 1024 units is 2 KiB of user-mode stack. */
#define SIM_INLINE_UNITS 1024u

typedef struct sim_source {
    hg_utf16    key_path;
    const void *data;
    uint32_t    data_len;
} sim_source;

static uint32_t sim_resolve_key_path(void *ctx, hg_utf16 *path)
{
    *path = ((const sim_source *)ctx)->key_path;
    return HG_STATUS_SUCCESS;
}

static void sim_release_key_path(void *ctx, hg_utf16 *path)
{
    (void)ctx; /* the caller's buffer lives until hg_sim_raise returns */
    (void)path;
}

static uint32_t sim_capture_data(void *ctx, void *dst, uint32_t cap, int *unreadable)
{
    const sim_source *src = ctx;
    uint32_t n = src->data_len < cap ? src->data_len : cap;
    memcpy(dst, src->data, n);
    *unreadable = 0;
    return n;
}

enum { SIM_KEY_PATH, SIM_VALUE_NAME, SIM_NEW_NAME, SIM_IMAGE, SIM_USER_SID, SIM_STRINGS };

HG_HOST_API uint32_t hg_sim_raise(uint32_t operation, uint64_t process_key, uint64_t pid,
                                  uint64_t tid, uint32_t session_id, int32_t kernel_caller,
                                  const wchar_t *key_path, const wchar_t *value_name,
                                  const wchar_t *new_name, const wchar_t *image,
                                  const wchar_t *user_sid, uint32_t value_type,
                                  const void *data, uint32_t data_len)
{
    if (operation <= HG_OP_NONE || operation >= HG_OP_COUNT)
        return HG_SIM_STATUS_INVALID_PARAMETER;
    if (data == NULL && data_len != 0)
        return HG_SIM_STATUS_INVALID_PARAMETER;

    const wchar_t *in[SIM_STRINGS] = { key_path, value_name, new_name, image, user_sid };
    size_t units[SIM_STRINGS];
    size_t total = 0;
    for (int i = 0; i < SIM_STRINGS; i++) {
        units[i] = host_utf16_units(in[i]);
        if (units[i] == SIZE_MAX)
            return HG_SIM_STATUS_INVALID_PARAMETER;
        total += units[i];
    }
    /* Ordinary names fit on the stack; only huge ones cost an allocation. */
    uint16_t inline_pool[SIM_INLINE_UNITS];
    uint16_t *pool = inline_pool;
    if (total > SIM_INLINE_UNITS && (pool = malloc(total * sizeof *pool)) == NULL)
        return HG_SIM_STATUS_NO_RESOURCES;

    hg_utf16 str[SIM_STRINGS];
    uint16_t *at = pool;
    for (int i = 0; i < SIM_STRINGS; i++) {
        host_utf16_encode(in[i], at);
        str[i].chars = at;
        str[i].bytes = (uint32_t)(units[i] * sizeof *at);
        at += units[i];
    }

    /* The configuration manager resolves "\\REGISTRY\\\\MACHINE\\X\\" as
     * "\\REGISTRY\\MACHINE\\X": canonicalize in place with the driver's own
     * code (core/keyname.c) so the host matches what the driver matches. A
     * relative path (the simulator has no root objects) stays as given. */
    hg_utf16 canonical;
    if (hg_keyname_canonical(NULL, &str[SIM_KEY_PATH], pool, (uint32_t)units[SIM_KEY_PATH],
                             &canonical) == HG_STATUS_SUCCESS)
        str[SIM_KEY_PATH] = canonical;

    hg_op op = {
        .operation = (uint16_t)operation,
        .kernel_caller = kernel_caller != 0,
        .process_key = process_key,
        .pid = pid,
        .tid = tid,
        .session_id = session_id,
        .value_type = value_type,
        .data_original_size = data_len,
        .value_name = str[SIM_VALUE_NAME],
        .new_name = str[SIM_NEW_NAME],
        .image = str[SIM_IMAGE],
        .user_sid = str[SIM_USER_SID],
    };
    sim_source ctx = { .key_path = str[SIM_KEY_PATH], .data = data, .data_len = data_len };
    hg_op_source source = {
        .resolve_key_path = sim_resolve_key_path,
        .release_key_path = sim_release_key_path,
        .capture_data = data_len != 0 ? sim_capture_data : NULL,
        .ctx = &ctx,
    };

    uint32_t status = HG_SIM_STATUS_NO_RESOURCES;
    hg_core *core = host_core_enter();
    if (core != NULL) {
        hg_raise_result result;
        memset(&result, 0, sizeof result);
        hg_core_raise(core, &op, &source, &result);
        host_core_leave();
        status = result.verdict == HG_VERDICT_BLOCK ? HG_SIM_STATUS_ACCESS_DENIED
                                                    : HG_SIM_STATUS_SUCCESS;
    }
    if (pool != inline_pool)
        free(pool);
    return status;
}

HG_HOST_API int32_t hg_sim_get_stats(HG_STATS *out)
{
    if (out == NULL)
        return (int32_t)HG_STATUS_INVALID_PARAMETER;
    hg_core *core = host_core_enter();
    if (core == NULL)
        return (int32_t)HG_STATUS_INSUFFICIENT_RESOURCES;
    hg_core_get_stats(core, out);
    host_core_leave();
    return 0;
}
