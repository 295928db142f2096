/*
 * pattern.c - SUFFIX and CONTAINS subscription entries: one Aho-Corasick
 * automaton over upcased UTF-16 code units, built at CONFIGURE from the
 * validated entries and run by the raise path in a single pass.
 *
 * Why a full transition table: the raise path runs for every subscribed
 * registry operation on the machine, at APC_LEVEL at worst, so a step must
 * cost the same few instructions whatever the patterns are - no failure-link
 * loop, no search among children, no recursion, no allocation. The alphabet
 * is compressed to the units that occur in some pattern (plus class 0 for
 * every other unit), which keeps the table at states x classes 16-bit cells;
 * the wire header bounds that product (HG_PATTERN_MAX_CELLS) and the agent
 * computes the same bound before it sends a configuration.
 *
 * What a state reports is merged at build time along the failure links, so
 * the matcher looks at one record per position and never walks a chain:
 * a record is the union of what every pattern that ends at this position
 * (the state's string and each of its suffixes that is a pattern) says,
 * kept apart by kind (contains / suffix) and target (key path / full name).
 *
 * Building allocates and may take a few milliseconds for thousands of
 * patterns; it runs without the core lock, before anything is published.
 */
#include "core_internal.h"

#define ALPHABET_ASCII 128u

/* What build() needs of one pattern entry, copied once from the caller's
 * buffer so a rewrite of that buffer (the user-mode host hands us caller
 * memory) cannot make two reads disagree. */
typedef struct pattern_src {
    uint32_t first_unit;     /* into the private, upcased unit copy */
    uint32_t units;
    uint16_t slot;           /* HG_PSLOT_* */
    uint16_t entry;          /* index in the CONFIGURE entry table */
} pattern_src;

static uint16_t read_le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t slot_of(const HG_PREFIX_ENTRY *e)
{
    uint32_t suffix = e->match == HG_MATCH_SUFFIX;

    return e->target == HG_TARGET_FULL_NAME ? (suffix ? HG_PSLOT_FULL_END : HG_PSLOT_FULL_ANY)
                                            : (suffix ? HG_PSLOT_KEY_END : HG_PSLOT_KEY_ANY);
}

/* The class of an upcased unit, or 0 when no pattern uses it. */
static uint32_t class_of(const hg_patterns *p, uint16_t unit)
{
    uint32_t lo = 0, hi = p->wide_count;

    if (unit < ALPHABET_ASCII)
        return p->ascii_class[unit];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2u;
        if (p->wide_units[mid] == unit)
            return p->wide_first_class + mid;
        if (p->wide_units[mid] < unit)
            lo = mid + 1u;
        else
            hi = mid;
    }
    return 0;
}

static void merge_slot(hg_pattern_slot *dst, const hg_pattern_slot *src)
{
    uint32_t op;

    dst->include_mask |= src->include_mask;
    dst->exclude_mask |= src->exclude_mask;
    dst->verdict_mask |= src->verdict_mask;
    dst->closed_mask |= src->closed_mask;
    for (op = 0; op < HG_OP_COUNT; op++)
        if (src->timeout_of_op[op] > dst->timeout_of_op[op])
            dst->timeout_of_op[op] = src->timeout_of_op[op];
}

/* One entry's demands, with the global timeout and fail mode resolved now:
 * the configuration is immutable, so the matcher never has to. */
static void add_entry(hg_pattern_slot *s, const HG_PREFIX_ENTRY *e, const HG_CONFIG_HEADER *h)
{
    uint32_t op, timeout;
    uint16_t fail;

    if (e->kind == HG_PREFIX_EXCLUDE) {
        s->exclude_mask |= e->op_mask;
        return;
    }
    s->include_mask |= e->op_mask;
    if (!(e->flags & HG_PREFIX_F_VERDICT))
        return;
    s->verdict_mask |= e->op_mask;
    timeout = e->timeout_ms != 0u ? e->timeout_ms : h->timeout_ms;
    fail = e->fail_mode != HG_FAIL_INHERIT ? e->fail_mode : h->fail_mode;
    if (fail == HG_FAIL_CLOSED)
        s->closed_mask |= e->op_mask;
    for (op = 1; op < HG_OP_COUNT; op++)
        if ((e->op_mask & HG_OP_BIT(op)) && timeout > s->timeout_of_op[op])
            s->timeout_of_op[op] = (uint16_t)timeout;
}

static size_t align8(size_t v)
{
    return (v + 7u) & ~(size_t)7u;
}

typedef struct pattern_build {
    uint16_t    *units;      /* every pattern's units, upcased, back to back */
    pattern_src *src;
    uint64_t    *sorted;     /* alphabet collection */
    uint16_t    *fail;       /* per state */
    uint16_t    *queue;      /* breadth-first order */
    uint16_t    *own;        /* per state: its own record (1-based) or 0 */
} pattern_build;

static void build_free(pattern_build *b)
{
    if (b->units != NULL)
        hg_plat_free(b->units);
    if (b->src != NULL)
        hg_plat_free(b->src);
    if (b->sorted != NULL)
        hg_plat_free(b->sorted);
    if (b->fail != NULL)
        hg_plat_free(b->fail);
    if (b->queue != NULL)
        hg_plat_free(b->queue);
    if (b->own != NULL)
        hg_plat_free(b->own);
}

uint32_t hg_pattern_build(const unsigned char *buf, const HG_CONFIG_HEADER *h,
                          const HG_PREFIX_ENTRY *entries, uint32_t entry_count, hg_patterns **out)
{
    pattern_build b;
    uint32_t status = HG_STATUS_INSUFFICIENT_RESOURCES;
    uint32_t count = 0, total = 0, i, j, classes, distinct = 0, max_states, states, outs = 0;
    uint32_t head, tail;
    size_t off_wide, off_units, off_delta, off_state_out, off_outs, size;
    unsigned char *block = NULL;
    hg_patterns *p;
    uint32_t *delta;
    uint16_t *state_out, *wide;
    hg_pattern_out *records;

    *out = NULL;
    memset(&b, 0, sizeof b);
    for (i = 0; i < entry_count; i++) {
        if (entries[i].match != HG_MATCH_PREFIX) {
            count++;
            total += entries[i].string_bytes / 2u;
        }
    }
    if (count == 0u)
        return HG_STATUS_SUCCESS;
    /* check_entry bounded each pattern; these bound them together. */
    if (count > HG_PATTERN_MAX_COUNT || total > HG_PATTERN_MAX_UNITS)
        return HG_STATUS_INVALID_PARAMETER;

    b.units = (uint16_t *)hg_plat_alloc((size_t)total * sizeof(uint16_t));
    b.src = (pattern_src *)hg_plat_alloc((size_t)count * sizeof(pattern_src));
    b.sorted = (uint64_t *)hg_plat_alloc((size_t)total * sizeof(uint64_t));
    if (b.units == NULL || b.src == NULL || b.sorted == NULL)
        goto out;
    for (i = 0, j = 0, total = 0; i < entry_count; i++) {
        const HG_PREFIX_ENTRY *e = &entries[i];
        uint32_t k, n = e->string_bytes / 2u;

        if (e->match == HG_MATCH_PREFIX)
            continue;
        b.src[j].first_unit = total;
        b.src[j].units = n;
        b.src[j].slot = (uint16_t)slot_of(e);
        b.src[j].entry = (uint16_t)i;
        for (k = 0; k < n; k++) {
            b.units[total + k] = hg_upcase16(read_le16(buf + e->string_offset + 2u * k));
            b.sorted[total + k] = b.units[total + k];
        }
        total += n;
        j++;
    }

    /* Alphabet: distinct upcased units, ascending; class 0 is "none". */
    hg_sort_u64(b.sorted, total);
    for (i = 0; i < total; i++)
        if (i == 0u || b.sorted[i] != b.sorted[i - 1u])
            b.sorted[distinct++] = b.sorted[i];
    classes = distinct + 1u;
    max_states = total + 1u;
    if ((uint64_t)max_states * classes > HG_PATTERN_MAX_CELLS) {
        status = HG_STATUS_INVALID_PARAMETER;
        goto out;
    }

    b.fail = (uint16_t *)hg_plat_alloc((size_t)max_states * sizeof(uint16_t));
    b.queue = (uint16_t *)hg_plat_alloc((size_t)max_states * sizeof(uint16_t));
    b.own = (uint16_t *)hg_plat_alloc((size_t)max_states * sizeof(uint16_t));
    if (b.fail == NULL || b.queue == NULL || b.own == NULL)
        goto out;

    off_wide = align8(sizeof(hg_patterns));
    off_units = align8(off_wide + (size_t)distinct * sizeof(uint16_t));
    off_delta = align8(off_units + (size_t)0x10000u * sizeof(uint16_t));
    off_state_out = align8(off_delta + (size_t)max_states * classes * sizeof(uint32_t));
    off_outs = align8(off_state_out + (size_t)max_states * sizeof(uint16_t));
    /* Records: index 0 unused ("none"), then at most one per pattern. */
    size = off_outs + ((size_t)count + 1u) * sizeof(hg_pattern_out);
    block = (unsigned char *)hg_plat_alloc(size);
    if (block == NULL)
        goto out;
    memset(block, 0, size);
    memset(b.own, 0, (size_t)max_states * sizeof(uint16_t));
    p = (hg_patterns *)(void *)block;
    wide = (uint16_t *)(void *)(block + off_wide);
    delta = (uint32_t *)(void *)(block + off_delta);
    state_out = (uint16_t *)(void *)(block + off_state_out);
    records = (hg_pattern_out *)(void *)(block + off_outs);

    /* Classes: ASCII units in a direct table - lower-case letters share the
     * class of their capital, so the hot path never calls the upcase - and
     * the rest found by binary search over `wide`. */
    p->class_count = classes;
    p->wide_first_class = 0;
    for (i = 0; i < distinct; i++) {
        uint16_t u = (uint16_t)b.sorted[i];
        if (u < ALPHABET_ASCII) {
            p->ascii_class[u] = (uint16_t)(i + 1u);
            if (u >= 'A' && u <= 'Z')
                p->ascii_class[u + 0x20u] = (uint16_t)(i + 1u);
        } else {
            if (p->wide_count == 0u)
                p->wide_first_class = i + 1u;
            wide[p->wide_count++] = u;
        }
    }
    p->wide_units = wide;
    {
        uint16_t *map = (uint16_t *)(void *)(block + off_units);
        for (i = 0; i < 0x10000u; i++)
            map[i] = (uint16_t)class_of(p, hg_upcase16((uint16_t)i));
        p->class_of_unit = map;
    }

    /* The trie, written straight into the transition table (0 = no child:
     * the root is nobody's child). */
    states = 1;
    for (j = 0; j < count; j++) {
        uint32_t state = 0, k;
        hg_pattern_out *r;

        for (k = 0; k < b.src[j].units; k++) {
            uint32_t c = class_of(p, b.units[b.src[j].first_unit + k]);
            uint32_t *cell = &delta[(size_t)state * classes + c];
            if (*cell == 0u)
                *cell = states++;
            state = *cell;
        }
        if (b.own[state] == 0u)
            b.own[state] = (uint16_t)++outs;
        r = &records[b.own[state]];
        add_entry(&r->slot[b.src[j].slot], &entries[b.src[j].entry], h);
        p->op_mask |= entries[b.src[j].entry].op_mask;
    }

    /* Breadth first: failure links, the missing transitions, and each
     * state's record merged with its failure state's (already final: it is
     * shallower, so it left the queue earlier). */
    head = 0;
    tail = 0;
    b.fail[0] = 0;
    state_out[0] = 0;
    for (i = 0; i < classes; i++) {
        uint32_t child = delta[i];
        if (child != 0u) {
            b.fail[child] = 0;
            b.queue[tail++] = child;
        }
    }
    while (head < tail) {
        uint32_t u = b.queue[head++], f = b.fail[u];
        uint32_t *row = &delta[(size_t)u * classes];
        const uint32_t *frow = &delta[(size_t)f * classes];

        if (b.own[u] != 0u) {
            state_out[u] = b.own[u];
            if (state_out[f] != 0u) {
                uint32_t s;
                for (s = 0; s < HG_PSLOT_COUNT; s++)
                    merge_slot(&records[b.own[u]].slot[s], &records[state_out[f]].slot[s]);
            }
        } else {
            state_out[u] = state_out[f];
        }
        for (i = 0; i < classes; i++) {
            if (row[i] != 0u) {
                b.fail[row[i]] = (uint16_t)frow[i];
                b.queue[tail++] = (uint16_t)row[i];
            } else {
                row[i] = frow[i];
            }
        }
    }

    /* Final form of the cells: row offset and output flag (see hg_patterns). */
    for (i = 0; i < states * classes; i++)
        delta[i] = ((delta[i] * classes) << 1) | (state_out[delta[i]] != 0u ? 1u : 0u);
    p->state_count = states;
    p->out_count = outs;
    p->delta = delta;
    p->state_out = state_out;
    p->outs = records;
    *out = p;
    block = NULL;
    status = HG_STATUS_SUCCESS;
out:
    if (block != NULL)
        hg_plat_free(block);
    build_free(&b);
    return status;
}

void hg_patterns_free(hg_patterns *p)
{
    if (p != NULL)
        hg_plat_free(p);
}

/* Folds what one slot of a record says about this class into the result.
 * Returns 1 when an EXCLUDE matched: the caller stops there. */
static int take(const hg_pattern_slot *s, uint32_t bit, uint16_t operation, hg_pattern_hit *hit)
{
    if (s->exclude_mask & bit)
        return 1;
    if (s->include_mask & bit) {
        hit->included = 1;
        if (s->verdict_mask & bit) {
            hit->verdict = 1;
            if (s->closed_mask & bit)
                hit->closed = 1;
            if (s->timeout_of_op[operation] > hit->timeout_ms)
                hit->timeout_ms = s->timeout_of_op[operation];
        }
    }
    return 0;
}

/* What the state a cell leads to reports (the cell's flag said something). */
static const hg_pattern_out *out_of(const hg_patterns *p, uint32_t cell)
{
    return &p->outs[p->state_out[(cell >> 1) / p->class_count]];
}

void hg_pattern_match(const hg_patterns *p, uint16_t operation, const hg_utf16 *key_path,
                      const hg_utf16 *value_name, hg_pattern_hit *hit)
{
    const uint32_t *delta = p->delta;
    const uint16_t *cls = p->class_of_unit;
    const uint16_t *chars = key_path->chars;
    uint32_t bit = HG_OP_BIT(operation), cell = 0, i, n;
    int full = (bit & HG_TARGET_FULL_NAME_OPS) != 0;

    memset(hit, 0, sizeof *hit);
    n = key_path->bytes / 2u;
    for (i = 0; i < n; i++) {
        cell = delta[(cell >> 1) + cls[chars[i]]];
        if ((cell & 1u) && (take(&out_of(p, cell)->slot[HG_PSLOT_KEY_ANY], bit, operation, hit) ||
                            (full && take(&out_of(p, cell)->slot[HG_PSLOT_FULL_ANY], bit, operation, hit))))
            goto excluded;
    }
    if ((cell & 1u) && take(&out_of(p, cell)->slot[HG_PSLOT_KEY_END], bit, operation, hit))
        goto excluded;
    if (!full)
        return;
    /* The full name goes on from the same state: key path, '\', value name. */
    chars = value_name->chars;
    n = value_name->bytes / 2u;
    cell = delta[(cell >> 1) + cls['\\']];
    for (i = 0;; i++) {
        if ((cell & 1u) && take(&out_of(p, cell)->slot[HG_PSLOT_FULL_ANY], bit, operation, hit))
            goto excluded;
        if (i == n)
            break;
        cell = delta[(cell >> 1) + cls[chars[i]]];
    }
    if ((cell & 1u) && take(&out_of(p, cell)->slot[HG_PSLOT_FULL_END], bit, operation, hit))
        goto excluded;
    return;
excluded:
    memset(hit, 0, sizeof *hit);
    hit->excluded = 1;
}
