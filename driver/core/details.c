/*
 * details.c - SetValue's data rendered as Sysmon renders event 13's Details,
 * for the DATA subscription entries (hiveguard_wire.h, HG_TARGET_DATA).
 *
 * The one definition of that text is the agent's ValueRendering.details
 * (checked against the recordings in the shared datasets); this is its
 * kernel twin, kept in step by the unit tests' expected strings and the
 * property test of the agent's SubscriptionMatcher.
 *
 * Why bounded: it runs on the raise path, at APC_LEVEL at worst, into a
 * buffer the caller provides - on its stack, or for a text longer than
 * that a pool buffer of the text's size (raise.c). Text longer than
 * HG_DATA_MATCH_MAX_BYTES, REG_MULTI_SZ (not rendered here) and data that
 * cannot be read whole are "unknown", which every DATA include counts as
 * matching: the subscription may over-deliver, it never hides.
 *
 * The data is read only through source->capture_data, which knows where
 * the buffer lives; nothing here dereferences the caller's buffer. The
 * EX_CALLBACK_FUNCTION reference (RegistryCallback, Remarks,
 * learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nc-wdm-ex_callback_function)
 * says that from Windows 8 the kernel "captures all input buffers pointed
 * to by members of the Argument2 structures in system memory" before the
 * callback, and that otherwise the callback "must enclose any access of an
 * input buffer in a try/except block": the kernel's capture_data
 * (driver/sys/capture.c) reads a kernel-range buffer directly and a
 * user-range one only after a ProbeForRead-equivalent range check, through
 * the guarded copy, reporting a fault as unreadable - "unknown" here. On a
 * pre-Windows 8 kernel a user buffer is live, so the event's copy (taken
 * later by hg_event_build) may differ from what was matched; from Windows 8
 * both read the same kernel copy.
 */
#include "core_internal.h"

enum { DT_SZ = 1, DT_EXPAND_SZ = 2, DT_DWORD = 4, DT_MULTI_SZ = 7, DT_QWORD = 11 };

static uint32_t put_ascii(uint16_t *out, uint32_t at, const char *s)
{
    while (*s != '\0')
        out[at++] = (uint16_t)(unsigned char)*s++;
    return at;
}

/* Eight lower-case hex digits, as Sysmon's %08x. */
static uint32_t put_hex8(uint16_t *out, uint32_t at, uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    int shift;

    for (shift = 28; shift >= 0; shift -= 4)
        out[at++] = (uint16_t)digits[(v >> shift) & 0xFu];
    return at;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Reads exactly `want` bytes of data, or says it could not. */
static int read_whole(const hg_op_source *source, void *dst, uint32_t want)
{
    int unreadable = 0;

    if (want == 0u)
        return 1;
    if (source == NULL || source->capture_data == NULL)
        return 0;
    return source->capture_data(source->ctx, dst, want, &unreadable) == want && !unreadable;
}

static int is_text(const hg_op *op)
{
    return op->value_type == DT_SZ || op->value_type == DT_EXPAND_SZ;
}

uint32_t hg_details_units_for(const hg_op *op)
{
    if (is_text(op) && op->data_original_size / 2u > HG_DETAILS_STACK_UNITS)
        return op->data_original_size / 2u;
    return HG_DETAILS_STACK_UNITS;
}

int hg_details_render(const hg_op *op, const hg_op_source *source, uint16_t *out, uint32_t out_units,
                      uint32_t *units)
{
    unsigned char raw[8];
    uint32_t size = op->data_original_size, n, width, at = 0;

    *units = 0;
    if (out_units < HG_DETAILS_STACK_UNITS) /* the fixed renderings' room */
        return 0;
    switch (op->value_type) {
    case DT_SZ:
    case DT_EXPAND_SZ:
        if (size > HG_DATA_MATCH_MAX_BYTES || size / 2u > out_units || !read_whole(source, out, size & ~1u))
            return 0;
        /* The text up to its first NUL; an odd last byte is no unit. */
        for (n = 0; n < size / 2u && out[n] != 0u; n++)
            ;
        if (n == 0u)
            n = put_ascii(out, 0, "(Empty)");
        *units = n;
        return 1;
    case DT_DWORD:
    case DT_QWORD:
        /* DWORD (0x%08x), QWORD (0x%08x-0x%08x) high half first; shorter data is binary. */
        width = op->value_type == DT_DWORD ? 4u : 8u;
        if (size < width) {
            at = put_ascii(out, 0, "Binary Data");
            break;
        }
        if (!read_whole(source, raw, width))
            return 0;
        at = put_ascii(out, 0, width == 4u ? "DWORD (0x" : "QWORD (0x");
        if (width == 8u) {
            at = put_hex8(out, at, le32(raw + 4));
            at = put_ascii(out, at, "-0x");
        }
        at = put_hex8(out, at, le32(raw));
        at = put_ascii(out, at, ")");
        break;
    case DT_MULTI_SZ:
        return 0;
    default:
        at = put_ascii(out, 0, "Binary Data");
        break;
    }
    *units = at;
    return 1;
}
