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
 * Why column by column, and why the states are renumbered: a step is
 * delta[column_of_unit[unit] + state], where the unit's column start is
 * read from a 64 Ki-entry map that already folds case and multiplies by the
 * state count, and states that report something are numbered last, so
 * "did anything match here" is one compare of the new state. The cell is
 * 2 bytes (a state number) rather than a pre-multiplied row offset, which
 * halves the table, and the table has a row for each state the trie really
 * has (counted before allocating), not for the wire bound's worst case:
 * 2,000 Sysmon-like patterns take 2.7 MiB (driver/tests/host/bench).
 *
 * What a state reports is merged at build time along the failure links, so
 * the matcher looks at one record per position and never walks a chain:
 * a record is the union of what every pattern that ends at this position
 * (the state's string and each of its suffixes that is a pattern) says,
 * kept apart by kind (contains / suffix) and target (key path / full name).
 *
 * AND group members (wire minor 3) are patterns too, of any match and
 * target (key-path and full-name PREFIX anchored here, not in the trie).
 * What a member says is which clause it makes true, so its record carries
 * the clause's bit (hg_clause_out, per position kind, merged along the
 * failure links like the slots) and the matcher ORs the bits that apply at
 * its position into the operation's clause set; subscription.c decides the
 * groups from that set.
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
    uint16_t slot;           /* HG_PSLOT_*, or for a group member HG_CSLOT_* */
    uint16_t entry;          /* index in the CONFIGURE entry table */
} pattern_src;

static uint16_t read_le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static int is_subject_target(const HG_PREFIX_ENTRY *e)
{
    return e->target == HG_TARGET_DATA || e->target == HG_TARGET_NEW_NAME;
}

static uint32_t slot_of(const HG_PREFIX_ENTRY *e)
{
    uint32_t suffix = e->match == HG_MATCH_SUFFIX;

    if (e->match == HG_MATCH_EXACT)
        return e->target == HG_TARGET_IMAGE       ? HG_PSLOT_IMAGE_WHOLE
               : e->target == HG_TARGET_FULL_NAME ? HG_PSLOT_FULL_WHOLE
                                                  : HG_PSLOT_KEY_WHOLE;
    if (e->target == HG_TARGET_IMAGE && e->match == HG_MATCH_PREFIX)
        return HG_PSLOT_IMAGE_HEAD;
    if (e->target == HG_TARGET_IMAGE)
        return suffix ? HG_PSLOT_IMAGE_END : HG_PSLOT_IMAGE_ANY;
    if (e->target == HG_TARGET_DATA || e->target == HG_TARGET_NEW_NAME)
        return suffix ? HG_PSLOT_SUBJECT_END : HG_PSLOT_SUBJECT_ANY;
    return e->target == HG_TARGET_FULL_NAME ? (suffix ? HG_PSLOT_FULL_END : HG_PSLOT_FULL_ANY)
                                            : (suffix ? HG_PSLOT_KEY_END : HG_PSLOT_KEY_ANY);
}

/* Where a group member's clause bit applies (hg_clause_slot_index). */
static uint32_t clause_slot_of(const HG_PREFIX_ENTRY *e)
{
    static const uint8_t k_slot[4][4] = {
        /*                PREFIX              SUFFIX               CONTAINS              EXACT */
        /* KEY_PATH */  { HG_CSLOT_KEY_HEAD, HG_CSLOT_KEY_END, HG_CSLOT_KEY_ANY, HG_CSLOT_KEY_WHOLE },
        /* FULL_NAME */ { HG_CSLOT_FULL_HEAD, HG_CSLOT_FULL_END, HG_CSLOT_FULL_ANY, HG_CSLOT_FULL_WHOLE },
        /* IMAGE */     { HG_CSLOT_IMAGE_HEAD, HG_CSLOT_IMAGE_END, HG_CSLOT_IMAGE_ANY, HG_CSLOT_IMAGE_WHOLE },
        /* subject */   { HG_CSLOT_SUBJECT_ANY, HG_CSLOT_SUBJECT_END, HG_CSLOT_SUBJECT_ANY, HG_CSLOT_SUBJECT_END },
    };
    uint32_t row = e->target == HG_TARGET_FULL_NAME ? 1u
                   : e->target == HG_TARGET_IMAGE   ? 2u
                   : is_subject_target(e)           ? 3u
                                                    : 0u;
    return k_slot[row][e->match]; /* config.c: match <= EXACT; subjects are SUFFIX/CONTAINS */
}

/* Entries the automaton carries: every non-PREFIX entry, image PREFIX
 * entries (anchored in it; key-path prefixes live in the trie), and every
 * group member (its clause needs the entry's identity, which the trie's
 * per-class union does not keep). */
int hg_pattern_entry_in_automaton(const HG_PREFIX_ENTRY *e)
{
    return e->match != HG_MATCH_PREFIX || e->target == HG_TARGET_IMAGE || e->kind == HG_PREFIX_MEMBER;
}

static int is_member(const HG_PREFIX_ENTRY *e)
{
    return e->kind == HG_PREFIX_MEMBER;
}

static int slot_anchored(uint32_t slot)
{
    return slot >= HG_PSLOT_FIRST_ANCHORED;
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

/* A DATA / NEW_NAME entry: which classes the lazy subject pass can change,
 * and what an unknown subject is given (every include: "could match"). */
static void note_subject_entry(hg_patterns *p, const HG_PREFIX_ENTRY *e, const HG_CONFIG_HEADER *h)
{
    if (e->kind == HG_PREFIX_EXCLUDE) {
        p->subject_exclude_mask |= e->op_mask;
        return;
    }
    p->subject_include_mask |= e->op_mask;
    if (e->flags & HG_PREFIX_F_VERDICT)
        p->subject_verdict_mask |= e->op_mask;
    add_entry(&p->subject_unknown, e, h);
}

static size_t align8(size_t v)
{
    return (v + 7u) & ~(size_t)7u;
}

typedef struct pattern_build {
    uint16_t    *units;      /* every pattern's units, upcased, back to back */
    pattern_src *src;
    uint64_t    *sorted;     /* alphabet collection */
    uint16_t    *fail;       /* per state; then its final number */
    uint16_t    *queue;      /* breadth-first order */
    uint16_t    *own;        /* per state: its own record (1-based) or 0; then a column being renumbered */
    uint32_t    *order;      /* patterns in unit order, to count the trie's states */
    uint32_t    *spare;      /* the merge sort's other half */
    hg_clause_out *clauses;  /* per record while building; only those with bits are kept */
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
    if (b->order != NULL)
        hg_plat_free(b->order);
    if (b->spare != NULL)
        hg_plat_free(b->spare);
    if (b->clauses != NULL)
        hg_plat_free(b->clauses);
}

/* Patterns x and y in unit order (a pattern before those it is a prefix
 * of); *common gets the length of their common prefix. */
static int pattern_order(const pattern_build *b, uint32_t x, uint32_t y, uint32_t *common)
{
    const uint16_t *a = &b->units[b->src[x].first_unit], *c = &b->units[b->src[y].first_unit];
    uint32_t an = b->src[x].units, cn = b->src[y].units, k = 0;

    while (k < an && k < cn && a[k] == c[k])
        k++;
    *common = k;
    if (k < an && k < cn)
        return a[k] < c[k] ? -1 : 1;
    return an < cn ? -1 : (an > cn ? 1 : 0);
}

/*
 * The number of states the trie of the patterns will have: one per distinct
 * prefix of a pattern, the empty one (the root) included. Sorted, each
 * pattern adds the units it does not share with the one before it. Knowing
 * it exactly before the table is allocated sizes the table for the states
 * that exist rather than for the worst case (every unit a state), which
 * real pattern sets - many sharing "\SOFTWARE\Microsoft\..." - never reach.
 * A bottom-up merge sort: no recursion, log2(count) passes.
 */
static uint32_t count_states(pattern_build *b, uint32_t count)
{
    uint32_t *from = b->order, *to = b->spare, *swap, width, lo, i, common, states = 1;

    for (i = 0; i < count; i++)
        from[i] = i;
    for (width = 1; width < count; width *= 2u) {
        for (lo = 0; lo < count; lo += 2u * width) {
            uint32_t mid = lo + width < count ? lo + width : count;
            uint32_t hi = lo + 2u * width < count ? lo + 2u * width : count;
            uint32_t x = lo, y = mid, k = lo;
            while (x < mid && y < hi)
                to[k++] = pattern_order(b, from[y], from[x], &common) < 0 ? from[y++] : from[x++];
            while (x < mid)
                to[k++] = from[x++];
            while (y < hi)
                to[k++] = from[y++];
        }
        swap = from;
        from = to;
        to = swap;
    }
    states += b->src[from[0]].units;
    for (i = 1; i < count; i++) {
        (void)pattern_order(b, from[i - 1u], from[i], &common);
        states += b->src[from[i]].units - common;
    }
    return states;
}

/* The allocation's layout for an automaton of `states` states. */
typedef struct pattern_layout {
    size_t wide, columns, delta, state_out, outs, size;
} pattern_layout;

static void layout_of(pattern_layout *l, uint32_t distinct, uint32_t states, uint32_t classes, uint32_t count)
{
    l->wide = align8(sizeof(hg_patterns));
    l->columns = align8(l->wide + (size_t)distinct * sizeof(uint16_t));
    l->delta = align8(l->columns + (size_t)0x10000u * sizeof(uint32_t));
    l->state_out = align8(l->delta + (size_t)states * classes * sizeof(uint16_t));
    l->outs = align8(l->state_out + (size_t)states * sizeof(uint16_t));
    /* Records: index 0 unused ("none"), then at most one per pattern. */
    l->size = l->outs + ((size_t)count + 1u) * sizeof(hg_pattern_out);
}

/* The largest allocation CONFIGURE can make for the automaton: every bound
 * of the wire header at once. Kept well inside a 32-bit count (p->bytes). */
#define PATTERN_MAX_ALLOC \
    (sizeof(hg_patterns) + 8u + 0x10000u * 2u + 8u + 0x10000u * 4u + 8u + 2u * (size_t)HG_PATTERN_MAX_CELLS + 8u + \
     2u * ((size_t)HG_PATTERN_MAX_UNITS + 1u) + 8u + ((size_t)HG_PATTERN_MAX_COUNT + 1u) * sizeof(hg_pattern_out))
HG_STATIC_ASSERT(PATTERN_MAX_ALLOC < 16u * 1024u * 1024u, "the automaton stays within 16 MiB of non-paged pool");
/* Group members' clause records: at most one per record, under 1 MiB. */
HG_STATIC_ASSERT(((size_t)HG_PATTERN_MAX_COUNT + 1u) * sizeof(hg_clause_out) < 1024u * 1024u,
                 "clause records stay within 1 MiB");

/*
 * Gives the states their final numbers (those that report nothing first, in
 * breadth-first order from the root, then those that report something) and
 * rewrites the table and state_out in place, a column at a time through
 * `column`.
 */
static uint32_t renumber(pattern_build *b, uint16_t *delta, uint16_t *state_out, uint32_t states, uint32_t classes)
{
    uint16_t *final = b->fail, *column = b->own;
    uint32_t i, c, next = 0, first_out;

    final[0] = (uint16_t)next++;
    for (i = 0; i + 1u < states; i++)
        if (state_out[b->queue[i]] == 0u)
            final[b->queue[i]] = (uint16_t)next++;
    first_out = next;
    for (i = 0; i + 1u < states; i++)
        if (state_out[b->queue[i]] != 0u)
            final[b->queue[i]] = (uint16_t)next++;

    for (i = 0; i < states; i++)
        column[final[i]] = state_out[i];
    memcpy(state_out, column, (size_t)states * sizeof(uint16_t));
    for (c = 0; c < classes; c++) {
        uint16_t *cells = &delta[(size_t)c * states];
        for (i = 0; i < states; i++)
            column[final[i]] = final[cells[i]];
        memcpy(cells, column, (size_t)states * sizeof(uint16_t));
    }
    return first_out;
}

static void set_clause(uint64_t *set, uint32_t clause)
{
    set[clause / 64u] |= 1ull << (clause % 64u);
}

/* A member: its clause bit at its position kind in its state's record, and
 * - for an INCLUDE group - in what an unknown image / subject sets. */
static void add_member(hg_patterns *p, hg_clause_out *c, uint32_t cslot, const HG_PREFIX_ENTRY *e,
                       const hg_member_info *m)
{
    set_clause(c->bits[cslot], m->clause);
    if (is_subject_target(e)) {
        if (m->include_group)
            set_clause(p->subject_unknown_clauses, m->clause);
    } else if (e->target == HG_TARGET_IMAGE) {
        if (m->include_group) {
            set_clause(p->image_unknown_clauses, m->clause);
            if (e->match == HG_MATCH_PREFIX || e->match == HG_MATCH_EXACT)
                set_clause(p->image_unmapped_clauses, m->clause);
        }
    } else {
        p->op_mask |= e->op_mask; /* the path pass runs for its classes */
    }
}

uint32_t hg_pattern_build(const unsigned char *buf, const HG_CONFIG_HEADER *h,
                          const HG_PREFIX_ENTRY *entries, uint32_t entry_count,
                          const hg_member_info *members, hg_patterns **out)
{
    pattern_build b;
    pattern_layout l;
    uint32_t status = HG_STATUS_INSUFFICIENT_RESOURCES;
    uint32_t count = 0, total = 0, i, j, classes, distinct = 0, max_states, all_states, states, outs = 0;
    uint32_t member_count = 0;
    uint32_t head, tail;
    unsigned char *block = NULL;
    hg_patterns *p;
    uint32_t *columns;
    uint16_t *delta, *state_out, *wide;
    hg_pattern_out *records;
    hg_clause_out *clause_outs = NULL;

    *out = NULL;
    memset(&b, 0, sizeof b);
    for (i = 0; i < entry_count; i++) {
        if (hg_pattern_entry_in_automaton(&entries[i])) {
            count++;
            total += entries[i].string_bytes / 2u;
            member_count += is_member(&entries[i]);
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

        if (!hg_pattern_entry_in_automaton(e))
            continue;
        b.src[j].first_unit = total;
        b.src[j].units = n;
        b.src[j].slot = (uint16_t)(is_member(e) ? clause_slot_of(e) : slot_of(e));
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
    /* A trie of `total` units has at most total + 1 states: numbers 0..65535. */
    max_states = total + 1u;
    if ((uint64_t)max_states * classes > HG_PATTERN_MAX_CELLS) {
        status = HG_STATUS_INVALID_PARAMETER;
        goto out;
    }

    /* The bound above is the wire contract (the agent checks the same);
     * what is allocated is the table of the states that exist. */
    b.order = (uint32_t *)hg_plat_alloc((size_t)count * sizeof(uint32_t));
    b.spare = (uint32_t *)hg_plat_alloc((size_t)count * sizeof(uint32_t));
    if (b.order == NULL || b.spare == NULL)
        goto out;
    all_states = count_states(&b, count);
    b.fail = (uint16_t *)hg_plat_alloc((size_t)all_states * sizeof(uint16_t));
    b.queue = (uint16_t *)hg_plat_alloc((size_t)all_states * sizeof(uint16_t));
    b.own = (uint16_t *)hg_plat_alloc((size_t)all_states * sizeof(uint16_t));
    if (b.fail == NULL || b.queue == NULL || b.own == NULL)
        goto out;

    if (member_count != 0u) {
        if (members == NULL)
            goto out; /* config.c passes the clause of every member */
        b.clauses = (hg_clause_out *)hg_plat_alloc(((size_t)count + 1u) * sizeof(hg_clause_out));
        if (b.clauses == NULL)
            goto out;
        memset(b.clauses, 0, ((size_t)count + 1u) * sizeof(hg_clause_out));
        clause_outs = b.clauses;
    }
    layout_of(&l, distinct, all_states, classes, count);
    block = (unsigned char *)hg_plat_alloc(l.size);
    if (block == NULL)
        goto out;
    memset(block, 0, l.size);
    memset(b.own, 0, (size_t)all_states * sizeof(uint16_t));
    p = (hg_patterns *)(void *)block;
    wide = (uint16_t *)(void *)(block + l.wide);
    columns = (uint32_t *)(void *)(block + l.columns);
    delta = (uint16_t *)(void *)(block + l.delta);
    state_out = (uint16_t *)(void *)(block + l.state_out);
    records = (hg_pattern_out *)(void *)(block + l.outs);

    /* Classes: ASCII units in a direct table - lower-case letters share the
     * class of their capital - and the rest found by binary search over
     * `wide`; both only at build time (the raise path reads `columns`). */
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

    /* The trie, written straight into the transition table, column c of
     * state s at delta[c * all_states + s] (0 = no child: the root is
     * nobody's child). count_states() said how many states it makes; the
     * check keeps a disagreement from ever writing past the table. */
    states = 1;
    for (j = 0; j < count; j++) {
        uint32_t state = 0, k;
        hg_pattern_out *r;

        for (k = 0; k < b.src[j].units; k++) {
            uint32_t c = class_of(p, b.units[b.src[j].first_unit + k]);
            uint16_t *cell = &delta[(size_t)c * all_states + state];
            if (*cell == 0u) {
                if (states == all_states) {
                    status = HG_STATUS_INVALID_PARAMETER;
                    goto out;
                }
                *cell = (uint16_t)states++;
            }
            state = *cell;
        }
        if (b.own[state] == 0u)
            b.own[state] = (uint16_t)++outs;
        r = &records[b.own[state]];
        r->depth = b.src[j].units;
        if (is_member(&entries[b.src[j].entry])) {
            /* A member includes and excludes nothing: only its clause bit. */
            r->clause_rec = 1; /* a flag until the records with bits are packed */
            add_member(p, &clause_outs[b.own[state]], b.src[j].slot, &entries[b.src[j].entry],
                       &members[b.src[j].entry]);
            continue;
        }
        add_entry(&r->slot[b.src[j].slot], &entries[b.src[j].entry], h);
        if (is_subject_target(&entries[b.src[j].entry])) {
            note_subject_entry(p, &entries[b.src[j].entry], h);
        } else if (entries[b.src[j].entry].target != HG_TARGET_IMAGE) {
            p->op_mask |= entries[b.src[j].entry].op_mask;
        } else if (entries[b.src[j].entry].kind == HG_PREFIX_EXCLUDE) {
            p->image_exclude_mask |= entries[b.src[j].entry].op_mask;
        } else {
            p->image_include_mask |= entries[b.src[j].entry].op_mask;
            if (entries[b.src[j].entry].flags & HG_PREFIX_F_VERDICT)
                p->image_verdict_mask |= entries[b.src[j].entry].op_mask;
            add_entry(&p->image_unknown, &entries[b.src[j].entry], h);
            if (slot_anchored(b.src[j].slot))
                add_entry(&p->image_unmapped, &entries[b.src[j].entry], h);
        }
    }

    /* Breadth first: failure links, the missing transitions, and each
     * state's record merged with its failure state's (already final: it is
     * shallower, so it left the queue earlier). */
    head = 0;
    tail = 0;
    b.fail[0] = 0;
    state_out[0] = 0;
    for (i = 0; i < classes; i++) {
        uint32_t child = delta[(size_t)i * all_states];
        if (child != 0u) {
            b.fail[child] = 0;
            b.queue[tail++] = (uint16_t)child;
        }
    }
    while (head < tail) {
        uint32_t u = b.queue[head++], f = b.fail[u];

        if (b.own[u] != 0u) {
            state_out[u] = b.own[u];
            if (state_out[f] != 0u) {
                uint32_t s;
                /* A failure state's string is a proper suffix: what is
                 * anchored at the start of the text does not carry over. */
                for (s = 0; s < HG_PSLOT_FIRST_ANCHORED; s++)
                    merge_slot(&records[b.own[u]].slot[s], &records[state_out[f]].slot[s]);
                if (records[state_out[f]].clause_rec) {
                    const hg_clause_out *from = &clause_outs[state_out[f]];
                    hg_clause_out *to = &clause_outs[b.own[u]];
                    uint32_t w;
                    records[b.own[u]].clause_rec = 1;
                    for (s = 0; s < HG_CSLOT_FIRST_ANCHORED; s++)
                        for (w = 0; w < HG_CLAUSE_WORDS; w++)
                            to->bits[s][w] |= from->bits[s][w];
                }
            }
        } else {
            state_out[u] = state_out[f];
        }
        for (i = 0; i < classes; i++) {
            uint16_t *cell = &delta[(size_t)i * all_states + u];
            uint16_t via_fail = delta[(size_t)i * all_states + f];
            if (*cell != 0u) {
                b.fail[*cell] = via_fail;
                b.queue[tail++] = *cell;
            } else {
                *cell = via_fail;
            }
        }
    }

    if (states != all_states) {
        status = HG_STATUS_INVALID_PARAMETER;
        goto out;
    }
    p->first_out_state = renumber(&b, delta, state_out, states, classes);
    for (i = 0; i < 0x10000u; i++)
        columns[i] = class_of(p, hg_upcase16((uint16_t)i)) * states;
    p->state_count = states;
    p->out_count = outs;
    p->bytes = (uint32_t)l.size;
    p->column_of_unit = columns;
    p->delta = delta;
    p->state_out = state_out;
    p->outs = records;
    if (clause_outs != NULL) {
        /* Keep the records that carry clause bits, numbered 1..n: a member
         * set costs its own records, not one per pattern. */
        uint32_t kept = 0;
        for (i = 1; i <= outs; i++)
            kept += records[i].clause_rec != 0u;
        p->clause_bytes = (uint32_t)(((size_t)kept + 1u) * sizeof(hg_clause_out));
        p->clause_outs = (hg_clause_out *)hg_plat_alloc(p->clause_bytes);
        if (p->clause_outs == NULL)
            goto out;
        memset(&p->clause_outs[0], 0, sizeof p->clause_outs[0]);
        for (i = 1, kept = 0; i <= outs; i++) {
            if (records[i].clause_rec == 0u)
                continue;
            p->clause_outs[++kept] = clause_outs[i];
            records[i].clause_rec = kept;
        }
        p->clause_count = kept;
        p->bytes += p->clause_bytes;
    }
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
    if (p != NULL) {
        if (p->clause_outs != NULL)
            hg_plat_free(p->clause_outs);
        hg_plat_free(p);
    }
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

/*
 * Steps from `state` over units[*at .. n) and stops just past the first unit
 * that leads to a state reporting something (returned, *at past its unit),
 * or at the end. This is the raise path's innermost loop, so it is unrolled
 * by four: per unit a column load, an add, a table load and a compare.
 */
static uint32_t scan(const hg_patterns *p, uint32_t state, const uint16_t *units, uint32_t *at, uint32_t n)
{
    const uint32_t *columns = p->column_of_unit;
    const uint16_t *delta = p->delta;
    uint32_t first_out = p->first_out_state, i = *at;

    for (; i + 4u <= n; i += 4u) {
        state = delta[columns[units[i]] + state];
        if (state >= first_out) {
            i += 1u;
            goto out;
        }
        state = delta[columns[units[i + 1u]] + state];
        if (state >= first_out) {
            i += 2u;
            goto out;
        }
        state = delta[columns[units[i + 2u]] + state];
        if (state >= first_out) {
            i += 3u;
            goto out;
        }
        state = delta[columns[units[i + 3u]] + state];
        if (state >= first_out) {
            i += 4u;
            goto out;
        }
    }
    for (; i < n; i++) {
        state = delta[columns[units[i]] + state];
        if (state >= first_out) {
            i++;
            break;
        }
    }
out:
    *at = i;
    return state;
}

/* What a state that reports something says. */
static const hg_pattern_out *out_of(const hg_patterns *p, uint32_t state)
{
    return &p->outs[p->state_out[state]];
}

/* ORs one clause-slot of a record into the operation's clause set. */
static void or_clauses(uint64_t *clauses, const uint64_t *bits)
{
    uint32_t w;

    for (w = 0; w < HG_CLAUSE_WORDS; w++)
        clauses[w] |= bits[w];
}

/* full_clauses, key_clauses and end_clauses are kept out of line: only
 * states that end a member call them, and inlined they would cost every
 * operation a longer prologue in hg_pattern_match.
 *
 * The members that end at a reporting state inside the full name (key
 * path, '\', value name), `read` units of it read: CONTAINS here, PREFIX
 * if the state is all that was read. */
static __attribute__((noinline)) void full_clauses(const hg_patterns *p, uint32_t state, uint32_t read, uint64_t *clauses)
{
    const hg_clause_out *c = &p->clause_outs[out_of(p, state)->clause_rec];

    or_clauses(clauses, c->bits[HG_CSLOT_FULL_ANY]);
    if (out_of(p, state)->depth == read)
        or_clauses(clauses, c->bits[HG_CSLOT_FULL_HEAD]);
}

/* ... inside the key path, `read` units of it read (for a value class
 * the key path is the start of the full name too). */
static __attribute__((noinline)) void key_clauses(const hg_patterns *p, uint32_t state, uint32_t read, int full, uint64_t *clauses)
{
    const hg_clause_out *c = &p->clause_outs[out_of(p, state)->clause_rec];

    or_clauses(clauses, c->bits[HG_CSLOT_KEY_ANY]);
    if (out_of(p, state)->depth == read)
        or_clauses(clauses, c->bits[HG_CSLOT_KEY_HEAD]);
    if (full)
        full_clauses(p, state, read, clauses);
}

/* ... at the end of a target of `read` units: SUFFIX, and EXACT when the
 * state is the whole target. */
static __attribute__((noinline)) void end_clauses(const hg_patterns *p, uint32_t state, uint32_t read, uint32_t end_slot,
                        uint32_t whole_slot, uint64_t *clauses)
{
    const hg_clause_out *c = &p->clause_outs[out_of(p, state)->clause_rec];

    or_clauses(clauses, c->bits[end_slot]);
    if (out_of(p, state)->depth == read)
        or_clauses(clauses, c->bits[whole_slot]);
}

void hg_pattern_match(const hg_patterns *p, uint16_t operation, const hg_utf16 *key_path,
                      const hg_utf16 *value_name, hg_pattern_hit *hit, uint64_t *clauses)
{
    uint32_t bit = HG_OP_BIT(operation), state = 0, at = 0, n, first_out = p->first_out_state, key_units;
    int full = (bit & HG_TARGET_FULL_NAME_OPS) != 0;

    memset(hit, 0, sizeof *hit);
    /* Each round consumes at least one unit while any is left. */
    n = key_path->bytes / 2u;
    do {
        state = scan(p, state, key_path->chars, &at, n);
        if (state < first_out)
            continue;
        if (take(&out_of(p, state)->slot[HG_PSLOT_KEY_ANY], bit, operation, hit) ||
            (full && take(&out_of(p, state)->slot[HG_PSLOT_FULL_ANY], bit, operation, hit)))
            goto excluded;
        if (out_of(p, state)->clause_rec)
            key_clauses(p, state, at, full, clauses);
    } while (at < n);
    if (state >= first_out) {
        if (take(&out_of(p, state)->slot[HG_PSLOT_KEY_END], bit, operation, hit) ||
            (out_of(p, state)->depth == n && take(&out_of(p, state)->slot[HG_PSLOT_KEY_WHOLE], bit, operation, hit)))
            goto excluded;
        if (out_of(p, state)->clause_rec)
            end_clauses(p, state, n, HG_CSLOT_KEY_END, HG_CSLOT_KEY_WHOLE, clauses);
    }
    if (!full)
        return;
    key_units = n;
    /* The full name goes on from the same state: key path, '\', value name. */
    state = p->delta[p->column_of_unit['\\'] + state];
    if (state >= first_out) {
        if (take(&out_of(p, state)->slot[HG_PSLOT_FULL_ANY], bit, operation, hit))
            goto excluded;
        if (out_of(p, state)->clause_rec)
            full_clauses(p, state, key_units + 1u, clauses);
    }
    at = 0;
    n = value_name->bytes / 2u;
    while (at < n) {
        state = scan(p, state, value_name->chars, &at, n);
        if (state < first_out)
            continue;
        if (take(&out_of(p, state)->slot[HG_PSLOT_FULL_ANY], bit, operation, hit))
            goto excluded;
        if (out_of(p, state)->clause_rec)
            full_clauses(p, state, key_units + 1u + at, clauses);
    }
    if (state >= first_out) {
        if (take(&out_of(p, state)->slot[HG_PSLOT_FULL_END], bit, operation, hit) ||
            (out_of(p, state)->depth == key_units + 1u + n &&
             take(&out_of(p, state)->slot[HG_PSLOT_FULL_WHOLE], bit, operation, hit)))
            goto excluded;
        if (out_of(p, state)->clause_rec)
            end_clauses(p, state, key_units + 1u + n, HG_CSLOT_FULL_END, HG_CSLOT_FULL_WHOLE, clauses);
    }
    return;
excluded:
    memset(hit, 0, sizeof *hit);
    hit->excluded = 1;
}

/*
 * Reads one piece of the image on from `state`, `*read` units read before
 * it: CONTAINS at every position, PREFIX (mapped only) where the state is
 * the whole text read so far. Returns 1 when an EXCLUDE matched.
 */
static int scan_image_piece(const hg_patterns *p, uint32_t *state, const uint16_t *units, uint32_t n,
                            uint32_t *read, uint32_t mapped, uint32_t bit, uint16_t operation, hg_pattern_hit *hit,
                            uint64_t *clauses)
{
    uint32_t at = 0, first_out = p->first_out_state;

    while (at < n) {
        const hg_pattern_out *o;
        *state = scan(p, *state, units, &at, n);
        if (*state < first_out)
            continue;
        o = out_of(p, *state);
        if (take(&o->slot[HG_PSLOT_IMAGE_ANY], bit, operation, hit))
            return 1;
        if (mapped && o->depth == *read + at && take(&o->slot[HG_PSLOT_IMAGE_HEAD], bit, operation, hit))
            return 1;
        if (o->clause_rec) {
            const hg_clause_out *c = &p->clause_outs[o->clause_rec];
            or_clauses(clauses, c->bits[HG_CSLOT_IMAGE_ANY]);
            if (mapped && o->depth == *read + at)
                or_clauses(clauses, c->bits[HG_CSLOT_IMAGE_HEAD]);
        }
    }
    *read += n;
    return 0;
}

/*
 * The image entries over the caller's image in Sysmon form: the same
 * automaton from the root (a path pattern that ends here reports only into
 * the path slots, which this pass does not read), CONTAINS at every
 * position, SUFFIX at the end, and on a mapped image PREFIX / EXACT where
 * the whole text read so far is the pattern. An unknown image is "could
 * match" for every image INCLUDE of the class and matches no EXCLUDE; an
 * unmapped one is so for the anchored entries. The driver never hides an
 * operation because it could not name its caller.
 */
void hg_pattern_match_image(const hg_patterns *p, uint16_t operation, const hg_image_form *image,
                            hg_pattern_hit *hit, uint64_t *clauses)
{
    uint32_t bit = HG_OP_BIT(operation), state = 0, read = 0, mapped;
    const hg_pattern_out *o;

    memset(hit, 0, sizeof *hit);
    if (image == NULL || image->head_units + image->tail_units == 0u) {
        (void)take(&p->image_unknown, bit, operation, hit);
        or_clauses(clauses, p->image_unknown_clauses);
        return;
    }
    mapped = image->mapped;
    if (!mapped) {
        (void)take(&p->image_unmapped, bit, operation, hit);
        or_clauses(clauses, p->image_unmapped_clauses);
    }
    if (scan_image_piece(p, &state, image->head, image->head_units, &read, mapped, bit, operation, hit, clauses) ||
        scan_image_piece(p, &state, image->tail, image->tail_units, &read, mapped, bit, operation, hit, clauses))
        goto excluded;
    if (state >= p->first_out_state) {
        o = out_of(p, state);
        if (take(&o->slot[HG_PSLOT_IMAGE_END], bit, operation, hit) ||
            (mapped && o->depth == read && take(&o->slot[HG_PSLOT_IMAGE_WHOLE], bit, operation, hit)))
            goto excluded;
        /* No depth is ~0: on an unmapped image an EXACT member never counts (the
         * unmapped bits above gave those of INCLUDE groups already). */
        if (o->clause_rec)
            end_clauses(p, state, mapped ? read : ~0u, HG_CSLOT_IMAGE_END, HG_CSLOT_IMAGE_WHOLE, clauses);
    }
    return;
excluded:
    memset(hit, 0, sizeof *hit);
    hit->excluded = 1;
}

/*
 * The DATA / NEW_NAME entries over the operation's subject, like the image
 * pass: from the root, CONTAINS at every position, SUFFIX at the end of the
 * tail. The head and the tail are one string to the automaton (the state
 * carries over), so a pattern may span the new name's parent and leaf. An
 * unknown subject could match every include of the class and matches no
 * exclude: never hidden.
 */
void hg_pattern_match_subject(const hg_patterns *p, uint16_t operation, int known,
                              const hg_utf16 *head, const hg_utf16 *tail, hg_pattern_hit *hit,
                              uint64_t *clauses)
{
    uint32_t bit = HG_OP_BIT(operation), state = 0, at, n, first_out = p->first_out_state, part;

    memset(hit, 0, sizeof *hit);
    if (!known) {
        (void)take(&p->subject_unknown, bit, operation, hit);
        or_clauses(clauses, p->subject_unknown_clauses);
        return;
    }
    for (part = 0; part < 2u; part++) {
        const hg_utf16 *s = part == 0u ? head : tail;
        at = 0;
        n = s != NULL && s->chars != NULL ? s->bytes / 2u : 0u;
        while (at < n) {
            state = scan(p, state, s->chars, &at, n);
            if (state < first_out)
                continue;
            if (take(&out_of(p, state)->slot[HG_PSLOT_SUBJECT_ANY], bit, operation, hit))
                goto excluded;
            if (out_of(p, state)->clause_rec)
                or_clauses(clauses, p->clause_outs[out_of(p, state)->clause_rec].bits[HG_CSLOT_SUBJECT_ANY]);
        }
    }
    if (state >= first_out) {
        if (take(&out_of(p, state)->slot[HG_PSLOT_SUBJECT_END], bit, operation, hit))
            goto excluded;
        if (out_of(p, state)->clause_rec)
            or_clauses(clauses, p->clause_outs[out_of(p, state)->clause_rec].bits[HG_CSLOT_SUBJECT_END]);
    }
    return;
excluded:
    memset(hit, 0, sizeof *hit);
    hit->excluded = 1;
}
