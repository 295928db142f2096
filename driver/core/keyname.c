/*
 * keyname.c - canonical key paths for matching (see hg_keyname_canonical in
 * hg_core.h).
 *
 * Why: the configuration manager resolves "\REGISTRY\\MACHINE\SOFTWARE\"
 * and "SOFTWARE" relative to a handle of \REGISTRY\MACHINE to the same key
 * as "\REGISTRY\MACHINE\SOFTWARE". A pre-create/open callback sees the
 * caller's spelling, and a prefix compared with that spelling is dodged by
 * any of them. Kernel and host run this one function before matching, so
 * what the tests show here is what the driver does.
 */
#include "core_internal.h"

#define HG_SEP ((uint16_t)'\\')

uint32_t hg_keyname_max_units(const hg_utf16 *root, const hg_utf16 *name)
{
    uint32_t units = name != NULL ? name->bytes / 2u : 0u;

    if (root != NULL)
        units += root->bytes / 2u + 1u; /* root + '\' + name */
    return units;
}

/* Appends src to out[*n], dropping a separator that follows another one
 * (including the one already at out[*n - 1]). */
static void append_collapsed(uint16_t *out, uint32_t *n, const uint16_t *src, uint32_t units)
{
    uint32_t i;

    for (i = 0; i < units; i++) {
        uint16_t c = src[i];
        if (c == HG_SEP && *n != 0u && out[*n - 1u] == HG_SEP)
            continue;
        out[(*n)++] = c;
    }
}

uint32_t hg_keyname_canonical(const hg_utf16 *root, const hg_utf16 *name,
                              uint16_t *out, uint32_t out_units, hg_utf16 *result)
{
    uint32_t name_units, n = 0;
    int absolute;
    static const uint16_t sep = HG_SEP;

    if (name == NULL || result == NULL || out == NULL || (name->bytes & 1u) != 0u ||
        (name->bytes != 0u && name->chars == NULL) ||
        (root != NULL && ((root->bytes & 1u) != 0u || (root->bytes != 0u && root->chars == NULL))))
        return HG_STATUS_INVALID_PARAMETER;
    if (hg_keyname_max_units(root, name) > out_units)
        return HG_STATUS_INVALID_PARAMETER;
    name_units = name->bytes / 2u;
    absolute = name_units != 0u && name->chars[0] == HG_SEP;

    if (!absolute) {
        /* A relative name needs the key it is relative to; an empty one
         * names the root itself. */
        if (root == NULL || root->bytes == 0u)
            return HG_STATUS_INVALID_PARAMETER;
        /* out may alias name only without a root (see hg_core.h), so the
         * root is copied first without overwriting anything unread. */
        append_collapsed(out, &n, root->chars, root->bytes / 2u);
        if (name_units != 0u)
            append_collapsed(out, &n, &sep, 1u);
    }
    /* Compaction in place is safe: n never passes the read position. */
    append_collapsed(out, &n, name->chars, name_units);

    while (n > 1u && out[n - 1u] == HG_SEP)
        n--;
    if (n == 0u || (n == 1u && out[0] == HG_SEP && !absolute))
        return HG_STATUS_INVALID_PARAMETER;
    result->chars = out;
    result->bytes = n * 2u;
    return HG_STATUS_SUCCESS;
}
