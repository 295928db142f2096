/* fuzz_configure.c - CONFIGURE input buffers. A rejected buffer must leave
 * the configuration generation where it was; an accepted one is then used:
 * operations whose paths (and, for value classes, value names) are taken
 * from the buffer's own entry strings (so they walk deep into the compiled
 * trie and through the pattern automaton's outputs, the same strings serving
 * as the caller's image for image entries, also behind each of the volume
 * map's devices so the Sysmon form is derived, as SetValue's data for data
 * entries and as RenameKey's new name for new-name entries) are raised
 * through it,
 * and the accounting must balance. */
#include "fuzz_common.h"

/* Since issue 9 a verdict event waits for the agent even when nothing is
 * parked, up to its budget. The fuzzer has no agent, so an accepted buffer is
 * applied again with every budget at the minimum (1 ms): the trie walk and
 * the accounting exercised are the same, and no input can stall the run on
 * 30 s waits. Returns 0 if the copy is not accepted (it always should be). */
static int apply_short_budgets(hg_core *core, const uint8_t *data, size_t size)
{
    static uint8_t copy[HG_CONFIG_MAX_BYTES];
    HG_CONFIG_HEADER h;
    uint32_t i;

    if (size > sizeof copy)
        return 0;
    memcpy(copy, data, size);
    memcpy(&h, copy, sizeof h);
    h.timeout_ms = HG_TIMEOUT_MIN_MS;
    memcpy(copy, &h, sizeof h);
    for (i = 0; i < h.prefix_count; i++) {
        HG_PREFIX_ENTRY e;
        memcpy(&e, copy + sizeof h + i * sizeof e, sizeof e);
        if (e.timeout_ms != 0u)
            e.timeout_ms = HG_TIMEOUT_MIN_MS;
        memcpy(copy + sizeof h + i * sizeof e, &e, sizeof e);
    }
    for (i = 0; i < h.group_count; i++) { /* minor 3: a verdict group has its own budget too */
        HG_GROUP_ENTRY g;
        size_t at = sizeof h + h.prefix_count * sizeof(HG_PREFIX_ENTRY) + h.excluded_pid_count * 8u +
                    h.volume_count * sizeof(HG_VOLUME_ENTRY) + i * sizeof g;
        if (at + sizeof g > size)
            return 0;
        memcpy(&g, copy + at, sizeof g);
        if (g.timeout_ms != 0u)
            g.timeout_ms = HG_TIMEOUT_MIN_MS;
        memcpy(copy + at, &g, sizeof g);
    }
    return hg_core_configure(core, TEST_CLIENT_KEY, copy, size) == HG_STATUS_SUCCESS;
}

/* The caller's image for class `op` of entry `i`: the entry's string, or
 * (minor 2) the i-th volume's device name, '\' and the entry's string, so
 * the raise path maps it to "X:\...". Returns the units written. */
static uint32_t image_behind_volume(const uint8_t *data, const HG_CONFIG_HEADER *h, uint32_t i,
                                    const uint16_t *entry, uint32_t entry_units, uint16_t *out, uint32_t cap)
{
    HG_VOLUME_ENTRY v;
    uint32_t k, n = 0, table;

    table = (uint32_t)sizeof *h + h->prefix_count * (uint32_t)sizeof(HG_PREFIX_ENTRY) +
            h->excluded_pid_count * 8u;
    memcpy(&v, data + table + (i % h->volume_count) * sizeof v, sizeof v);
    for (k = 0; k + 1u < v.string_bytes && n < cap; k += 2u)
        out[n++] = (uint16_t)(data[v.string_offset + k] | (data[v.string_offset + k + 1u] << 8));
    if (n < cap)
        out[n++] = '\\';
    for (k = 0; k < entry_units && n < cap; k++)
        out[n++] = entry[k];
    return n;
}

static void raise_through(hg_core *core, const uint8_t *data, size_t size)
{
    static test_source src;
    static uint16_t image[TEST_PATH_MAX_UNITS];
    hg_op_source source;
    hg_raise_result r;
    HG_CONFIG_HEADER h;
    uint32_t i, op;

    FUZZ_REQUIRE(apply_short_budgets(core, data, size));
    memcpy(&h, data, sizeof h);
    for (i = 0; i < h.prefix_count && i < 16u; i++) {
        HG_PREFIX_ENTRY e;
        uint32_t units, k;

        memcpy(&e, data + sizeof h + i * sizeof e, sizeof e);
        units = e.string_bytes / 2u;
        memset(&src, 0, sizeof src);
        for (k = 0; k < units && k + 1u < TEST_PATH_MAX_UNITS; k++)
            src.path[k] = (uint16_t)(data[e.string_offset + 2u * k] | (data[e.string_offset + 2u * k + 1u] << 8));
        src.path[k++] = '\\'; /* a key below the prefix */
        src.path[k++] = 'x';
        src.path_units = k;
        /* SetValue's data: the entry's own string, as a REG_SZ, a DWORD or
         * a REG_MULTI_SZ (not rendered: unknown), now and then unreadable -
         * every path of details.c against the automaton's data outputs. */
        src.data = data + e.string_offset;
        src.data_len = e.string_bytes;
        src.unreadable = i % 5u == 4u;
        tsrc_bind(&src, &source);
        for (op = HG_OP_CREATE_KEY; op < HG_OP_COUNT; op += 1u) {
            hg_op o;
            top_init(&o, (uint16_t)op, 100u + i);
            o.data_original_size = e.string_bytes;
            o.value_type = i % 3u == 0u ? 1u : i % 3u == 1u ? 4u : 7u; /* REG_SZ, REG_DWORD, REG_MULTI_SZ */
            /* Value classes also run the full name (key path '\' value name)
             * through the pattern automaton: the entry's own string again. */
            o.value_name.chars = src.path;
            o.value_name.bytes = (units < k ? units : k) * 2u;
            /* Image entries: every other class brings the entry's string as
             * its caller's image, the rest an unknown image (no hook). */
            if (op & 1u)
                o.image = o.value_name;
            else if ((op & 2u) && h.volume_count != 0u) {
                o.image.chars = image;
                o.image.bytes = 2u * image_behind_volume(data, &h, i, src.path, units < k ? units : k, image,
                                                         TEST_PATH_MAX_UNITS);
            }
            /* RenameKey: the entry's string as the new name (parent: the path's). */
            if (op == HG_OP_RENAME_KEY)
                o.new_name = o.value_name;
            hg_core_raise(core, &o, &source, &r);
            FUZZ_REQUIRE(r.verdict == HG_VERDICT_ALLOW || r.verdict == HG_VERDICT_BLOCK);
            /* nobody answers: a caller that waited ran out its (1 ms) budget */
            FUZZ_REQUIRE(!r.waited || r.timed_out);
        }
    }
    require_accounting(core);
}

/* ---- AND groups (minor 3), drawn from the input ------------------------------------- */

/* Byte-wise mutation rarely turns the seed's two groups into other valid
 * tables, so the input also drives a structured draw: entries of every
 * kind, target and match with short strings over a small alphabet (they
 * overlap and find each other in the automaton), and a group table that is
 * either made valid (ranges ascending, members' op_mask the group's, first
 * member a clause) or left as drawn (overlapping, out of range, members
 * outside any group, wrong flags). Accepted tables are raised through like
 * any configuration. */
typedef struct byte_reader {
    const uint8_t *p;
    size_t n, at;
} byte_reader;

static uint32_t next8(byte_reader *r)
{
    return r->at < r->n ? r->p[r->at++] : 0u;
}

#define DRAW_ENTRIES 14u
#define DRAW_GROUPS  4u

static void draw_groups(const uint8_t *data, size_t size)
{
    static const char alphabet[] = { '\\', 'A', 'b', 'C', ':', 'x' };
    static const uint32_t masks[] = {
        HG_OP_MASK_ALL, HG_TARGET_FULL_NAME_OPS, HG_TARGET_DATA_OPS, HG_TARGET_NEW_NAME_OPS,
        HG_OP_BIT(HG_OP_CREATE_KEY) | HG_OP_BIT(HG_OP_SET_VALUE),
    };
    static char strings[DRAW_ENTRIES][8];
    static cfg_pattern entries[DRAW_ENTRIES];
    static cfg_group groups[DRAW_GROUPS];
    static uint8_t buf[16384];
    byte_reader r = { data, size, 0 };
    uint32_t count = 1u + next8(&r) % DRAW_ENTRIES, group_count = next8(&r) % (DRAW_GROUPS + 1u);
    uint32_t valid = next8(&r) % 4u != 0u, i, k, cursor = 0, status;
    uint64_t before;
    HG_CONFIG_HEADER h;
    HG_STATS s;
    hg_core *core;
    size_t len;

    for (i = 0; i < count; i++) {
        cfg_pattern *e = &entries[i];
        uint32_t b = next8(&r), n = 1u + next8(&r) % 6u;

        memset(e, 0, sizeof *e);
        e->entry.kind = b % 4u == 0u ? HG_PREFIX_EXCLUDE : b % 4u == 1u ? HG_PREFIX_INCLUDE : HG_PREFIX_MEMBER;
        e->target = (uint16_t)(next8(&r) % 5u);
        e->match = (uint16_t)(next8(&r) % 4u);
        e->entry.op_mask = masks[next8(&r) % 5u];
        if (e->entry.kind == HG_PREFIX_MEMBER)
            e->entry.flags = (b & 4u) ? HG_PREFIX_F_CLAUSE : 0u;
        else if (e->entry.kind == HG_PREFIX_INCLUDE)
            e->entry.flags = (b & 4u) ? HG_PREFIX_F_VERDICT : 0u;
        if (!valid && (b & 8u))
            e->entry.flags ^= HG_PREFIX_F_CLAUSE | HG_PREFIX_F_VERDICT; /* the wrong kind's flag */
        for (k = 0; k < n; k++)
            strings[i][k] = alphabet[next8(&r) % sizeof alphabet];
        strings[i][n] = '\0';
        e->entry.utf8 = strings[i];
        if (valid) { /* the target rules of a standalone entry */
            if (e->target == HG_TARGET_DATA || e->target == HG_TARGET_NEW_NAME) {
                e->target = HG_TARGET_DATA;
                e->entry.op_mask = HG_TARGET_DATA_OPS;
                e->match = (uint16_t)(1u + e->match % 2u);
            } else if (e->target == HG_TARGET_FULL_NAME) {
                e->entry.op_mask = HG_TARGET_FULL_NAME_OPS;
            }
        }
    }
    for (i = 0; i < group_count; i++) {
        cfg_group *g = &groups[i];
        uint32_t b = next8(&r);

        memset(g, 0, sizeof *g);
        g->kind = b & 1u ? HG_PREFIX_EXCLUDE : HG_PREFIX_INCLUDE;
        g->flags = g->kind == HG_PREFIX_INCLUDE && (b & 2u) ? HG_PREFIX_F_VERDICT : 0u;
        g->timeout_ms = b & 4u ? HG_TIMEOUT_MIN_MS : 0u;
        g->fail_mode = g->kind == HG_PREFIX_INCLUDE ? (uint16_t)((b >> 3) % 3u) : 0u;
        g->first_member = (uint16_t)(valid ? cursor : next8(&r) % (count + 1u));
        g->member_count = (uint16_t)(1u + next8(&r) % 4u);
        g->op_mask = masks[next8(&r) % 5u];
        if (valid) {
            if (g->first_member >= count) {
                group_count = i;
                break;
            }
            if (g->first_member + g->member_count > count)
                g->member_count = (uint16_t)(count - g->first_member);
            /* SetValue: every target a member may have, subjects included */
            g->op_mask = HG_TARGET_DATA_OPS;
            for (k = g->first_member; k < (uint32_t)g->first_member + g->member_count; k++) {
                entries[k].entry.kind = HG_PREFIX_MEMBER;
                entries[k].entry.op_mask = g->op_mask;
                if (entries[k].entry.flags & HG_PREFIX_F_VERDICT)
                    entries[k].entry.flags = HG_PREFIX_F_CLAUSE;
            }
            entries[g->first_member].entry.flags = HG_PREFIX_F_CLAUSE;
            cursor = (uint32_t)g->first_member + g->member_count;
        }
    }
    if (valid) { /* a member no group took: a standalone INCLUDE again */
        for (i = cursor; i < count; i++) {
            if (entries[i].entry.kind == HG_PREFIX_MEMBER) {
                entries[i].entry.kind = HG_PREFIX_INCLUDE;
                entries[i].entry.flags = 0;
            }
        }
    }
    cfg_defaults(&h);
    h.verdict_op_mask = next8(&r) & 1u ? HG_OP_MASK_ALL : 0u;
    len = cfg_encode_groups(buf, sizeof buf, &h, entries, count, NULL, 0, NULL, 0, groups, group_count);
    FUZZ_REQUIRE(len != 0u);
    core = fixture_bound(HG_VERDICT_ALLOW);
    FUZZ_REQUIRE(core != NULL);
    hg_core_get_stats(core, &s);
    before = s.config_generation;
    status = hg_core_configure(core, TEST_CLIENT_KEY, buf, len);
    hg_core_get_stats(core, &s);
    if (status == HG_STATUS_SUCCESS) {
        FUZZ_REQUIRE(s.config_generation == before + 1u);
        raise_through(core, buf, len);
    } else {
        FUZZ_REQUIRE(is_error_status(status) && s.config_generation == before);
        /* a draw made valid must be accepted: the validator and the
         * wire's definition of a valid table agree */
        FUZZ_REQUIRE(!valid);
    }
    hg_core_destroy(core);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hg_core *core = fixture_bound(HG_VERDICT_ALLOW);
    uint64_t before, after;
    uint32_t status;
    HG_STATS s;

    FUZZ_REQUIRE(core != NULL);
    hg_core_get_stats(core, &s);
    before = s.config_generation;
    status = hg_core_configure(core, TEST_CLIENT_KEY, data, size);
    hg_core_get_stats(core, &s);
    after = s.config_generation;
    if (status == HG_STATUS_SUCCESS) {
        FUZZ_REQUIRE(after == before + 1u);
        raise_through(core, data, size);
    } else {
        FUZZ_REQUIRE(is_error_status(status) && after == before);
    }
    hg_core_destroy(core);
    draw_groups(data, size);
    return 0;
}
