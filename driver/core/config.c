/*
 * config.c - CONFIGURE: validate the agent's buffer completely, then compile
 * it into an immutable hg_subscription (sorted process keys of the excluded
 * pids, a prefix trie over upcased UTF-16 code units, - built by
 * pattern.c - the automaton of the SUFFIX/CONTAINS entries and the AND
 * group members, and the compiled groups of wire minor 3).
 *
 * Everything here runs before any core state is touched and allocates, so it
 * is called without the core lock; a rejected buffer therefore changes
 * nothing. The buffer may be hostile (any process that can open the device
 * can send one), so every count and offset is checked before it is used and
 * no arithmetic on agent values can overflow: every product below is of
 * values already bounded by the HG_*_MAX limits.
 */
#include "core_internal.h"

/* Byte-wise little-endian read: the wire is LE and the buffer may be
 * unaligned (the string pool follows 8-byte tables, but offsets are only
 * required to be even). */
static uint16_t read_le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static int in_range_u32(uint32_t v, uint32_t lo, uint32_t hi)
{
    return v >= lo && v <= hi;
}

static int verdict_valid(uint32_t v)
{
    return v == HG_VERDICT_ALLOW || v == HG_VERDICT_BLOCK;
}

static int fail_mode_valid(uint32_t v)
{
    return v == HG_FAIL_OPEN || v == HG_FAIL_CLOSED;
}

static uint32_t check_header(const HG_CONFIG_HEADER *h)
{
    if (h->op_mask & ~HG_OP_MASK_ALL)
        return HG_STATUS_INVALID_PARAMETER;
    if (h->verdict_op_mask & ~h->op_mask)
        return HG_STATUS_INVALID_PARAMETER;
    if (h->flags & ~HG_CFG_F_ALL)
        return HG_STATUS_INVALID_PARAMETER;
    if (!in_range_u32(h->timeout_ms, HG_TIMEOUT_MIN_MS, HG_TIMEOUT_MAX_MS))
        return HG_STATUS_INVALID_PARAMETER;
    if (!fail_mode_valid(h->fail_mode) || !verdict_valid(h->default_verdict))
        return HG_STATUS_INVALID_PARAMETER;
    if (!in_range_u32(h->max_backlog, HG_BACKLOG_MIN, HG_BACKLOG_MAX))
        return HG_STATUS_INVALID_PARAMETER;
    if (h->data_cap > HG_DATA_CAP_MAX)
        return HG_STATUS_INVALID_PARAMETER;
    if (h->prefix_count > HG_PREFIX_MAX_COUNT || h->excluded_pid_count > HG_EXCLUDED_PID_MAX_COUNT)
        return HG_STATUS_INVALID_PARAMETER;
    if (h->volume_count > HG_VOLUME_MAX_COUNT)
        return HG_STATUS_INVALID_PARAMETER;
    if (h->group_count > HG_GROUP_MAX_COUNT)
        return HG_STATUS_INVALID_PARAMETER;
    if (h->reserved0 != 0u)
        return HG_STATUS_INVALID_PARAMETER;
    return HG_STATUS_SUCCESS;
}

/* DATA and NEW_NAME entries (minor 2): one class each, and SUFFIX/CONTAINS
 * only - the automaton has no anchor at the start of the subject, and a
 * PREFIX would otherwise join the key-path trie. */
static uint32_t check_subject_target(const HG_PREFIX_ENTRY *e)
{
    if (e->target == HG_TARGET_DATA && (e->op_mask & ~HG_TARGET_DATA_OPS))
        return HG_STATUS_INVALID_PARAMETER;
    if (e->target == HG_TARGET_NEW_NAME && (e->op_mask & ~HG_TARGET_NEW_NAME_OPS))
        return HG_STATUS_INVALID_PARAMETER;
    /* Subjects are SUFFIX/CONTAINS only: their slots are not anchored. */
    if ((e->target == HG_TARGET_DATA || e->target == HG_TARGET_NEW_NAME) &&
        (e->match == HG_MATCH_PREFIX || e->match == HG_MATCH_EXACT))
        return HG_STATUS_INVALID_PARAMETER;
    return HG_STATUS_SUCCESS;
}

/* Flags by kind: VERDICT only on an INCLUDE, CLAUSE only on a member (it
 * begins a clause), nothing on an EXCLUDE. A member also leaves timeout
 * and fail mode to its group. */
static uint32_t check_kind_and_flags(const HG_PREFIX_ENTRY *e)
{
    switch (e->kind) {
    case HG_PREFIX_INCLUDE:
        return (e->flags & ~HG_PREFIX_F_VERDICT) ? HG_STATUS_INVALID_PARAMETER : HG_STATUS_SUCCESS;
    case HG_PREFIX_EXCLUDE:
        return e->flags != 0u ? HG_STATUS_INVALID_PARAMETER : HG_STATUS_SUCCESS;
    case HG_PREFIX_MEMBER:
        if ((e->flags & ~HG_PREFIX_F_CLAUSE) || e->timeout_ms != 0u || e->fail_mode != HG_FAIL_INHERIT)
            return HG_STATUS_INVALID_PARAMETER;
        return HG_STATUS_SUCCESS;
    default:
        return HG_STATUS_INVALID_PARAMETER;
    }
}

static uint32_t check_prefix(const HG_PREFIX_ENTRY *e, uint32_t pool_start, uint32_t total)
{
    if (check_kind_and_flags(e) != HG_STATUS_SUCCESS)
        return HG_STATUS_INVALID_PARAMETER;
    if (e->op_mask == 0u || (e->op_mask & ~HG_OP_MASK_ALL))
        return HG_STATUS_INVALID_PARAMETER;
    if (e->timeout_ms != 0u && !in_range_u32(e->timeout_ms, HG_TIMEOUT_MIN_MS, HG_TIMEOUT_MAX_MS))
        return HG_STATUS_INVALID_PARAMETER;
    if (e->fail_mode != HG_FAIL_INHERIT && !fail_mode_valid(e->fail_mode))
        return HG_STATUS_INVALID_PARAMETER;
    if ((e->string_bytes & 1u) || e->string_bytes < 2u || e->string_bytes > HG_PREFIX_MAX_BYTES)
        return HG_STATUS_INVALID_PARAMETER;
    if ((e->string_offset & 1u) || e->string_offset < pool_start ||
        (uint64_t)e->string_offset + e->string_bytes > total)
        return HG_STATUS_INVALID_PARAMETER;
    if (e->match > HG_MATCH_EXACT || e->target > HG_TARGET_NEW_NAME)
        return HG_STATUS_INVALID_PARAMETER;
    if (check_subject_target(e) != HG_STATUS_SUCCESS)
        return HG_STATUS_INVALID_PARAMETER;
    if (e->target == HG_TARGET_FULL_NAME && (e->op_mask & ~HG_TARGET_FULL_NAME_OPS))
        return HG_STATUS_INVALID_PARAMETER; /* only value classes have a value name */
    if (hg_pattern_entry_in_automaton(e) && e->string_bytes > HG_PATTERN_MAX_BYTES)
        return HG_STATUS_INVALID_PARAMETER;
    return HG_STATUS_SUCCESS;
}

/* One group's own fields (what its members must agree with is checked by
 * check_groups). */
static uint32_t check_group(const HG_GROUP_ENTRY *g)
{
    if (g->kind != HG_PREFIX_INCLUDE && g->kind != HG_PREFIX_EXCLUDE)
        return HG_STATUS_INVALID_PARAMETER;
    if ((g->flags & ~HG_PREFIX_F_VERDICT) || (g->kind == HG_PREFIX_EXCLUDE && g->flags != 0u))
        return HG_STATUS_INVALID_PARAMETER;
    if (g->op_mask == 0u || (g->op_mask & ~HG_OP_MASK_ALL))
        return HG_STATUS_INVALID_PARAMETER;
    if (g->timeout_ms != 0u && !in_range_u32(g->timeout_ms, HG_TIMEOUT_MIN_MS, HG_TIMEOUT_MAX_MS))
        return HG_STATUS_INVALID_PARAMETER;
    if (g->fail_mode != HG_FAIL_INHERIT && (g->kind == HG_PREFIX_EXCLUDE || !fail_mode_valid(g->fail_mode)))
        return HG_STATUS_INVALID_PARAMETER;
    if (g->member_count == 0u || g->reserved != 0u)
        return HG_STATUS_INVALID_PARAMETER;
    return HG_STATUS_SUCCESS;
}

/*
 * The group table against the entries (hiveguard_wire.h, "AND groups"):
 * ranges ascending and disjoint, every entry in a range a MEMBER whose
 * op_mask is its group's, the first one beginning a clause, every MEMBER in
 * some range, and at most HG_CLAUSE_MAX_COUNT clauses. On success
 * members[i] gives entry i's global clause (HG_NONE16 if no member).
 */
static uint32_t check_groups(const HG_PREFIX_ENTRY *entries, uint32_t entry_count,
                             const HG_GROUP_ENTRY *groups, uint32_t group_count, hg_member_info *members)
{
    uint32_t g, i, next_free = 0, in_groups = 0, member_entries = 0, clauses = 0;

    for (i = 0; i < entry_count; i++) {
        members[i].clause = HG_NONE16;
        members[i].include_group = 0;
        member_entries += entries[i].kind == HG_PREFIX_MEMBER;
    }
    for (g = 0; g < group_count; g++) {
        const HG_GROUP_ENTRY *grp = &groups[g];
        uint32_t first = grp->first_member, end = first + grp->member_count;

        if (check_group(grp) != HG_STATUS_SUCCESS)
            return HG_STATUS_INVALID_PARAMETER;
        if (first < next_free || end > entry_count)
            return HG_STATUS_INVALID_PARAMETER;
        if (!(entries[first].flags & HG_PREFIX_F_CLAUSE))
            return HG_STATUS_INVALID_PARAMETER;
        for (i = first; i < end; i++) {
            if (entries[i].kind != HG_PREFIX_MEMBER || entries[i].op_mask != grp->op_mask)
                return HG_STATUS_INVALID_PARAMETER;
            if (entries[i].flags & HG_PREFIX_F_CLAUSE) {
                if (clauses == HG_CLAUSE_MAX_COUNT)
                    return HG_STATUS_INVALID_PARAMETER;
                clauses++;
            }
            members[i].clause = (uint16_t)(clauses - 1u);
            members[i].include_group = grp->kind == HG_PREFIX_INCLUDE;
        }
        in_groups += grp->member_count;
        next_free = end;
    }
    /* The ranges are disjoint and hold members only: equal counts mean
     * no member is left outside every group. */
    return in_groups == member_entries ? HG_STATUS_SUCCESS : HG_STATUS_INVALID_PARAMETER;
}

/* A volume-map entry's bounds and drive letter, on the private snapshot of
 * the entries; the name's characters are checked on the upcased copy. */
static uint32_t check_volume(const HG_VOLUME_ENTRY *v, uint32_t pool_start,
                             uint32_t total)
{
    if (v->drive < 'A' || v->drive > 'Z')
        return HG_STATUS_INVALID_PARAMETER;
    if ((v->string_bytes & 1u) || v->string_bytes < HG_VOLUME_DEVICE_MIN_BYTES ||
        v->string_bytes > HG_VOLUME_DEVICE_MAX_BYTES)
        return HG_STATUS_INVALID_PARAMETER;
    if ((v->string_offset & 1u) || v->string_offset < pool_start ||
        (uint64_t)v->string_offset + v->string_bytes > total)
        return HG_STATUS_INVALID_PARAMETER;
    return HG_STATUS_SUCCESS;
}

/* Upcases the devices into the compiled map (the characters are checked on
 * this private copy: the host's buffer is caller memory) and rejects a name
 * that is not \X... without a trailing '\', and a letter or a device listed
 * twice: the map must name one drive per device and one device per drive,
 * or the derived image would depend on entry order. */
static uint32_t compile_volumes(const unsigned char *buf, const HG_VOLUME_ENTRY *entries, uint32_t count,
                                hg_volume *out)
{
    uint32_t i, j, k, letters = 0;

    for (i = 0; i < count; i++) {
        uint32_t bit = 1u << (entries[i].drive - 'A');
        if (letters & bit)
            return HG_STATUS_INVALID_PARAMETER;
        letters |= bit;
        out[i].unit_count = (uint16_t)(entries[i].string_bytes / 2u);
        out[i].drive[0] = entries[i].drive;
        out[i].drive[1] = ':';
        out[i].reserved = 0;
        for (k = 0; k < out[i].unit_count; k++) {
            out[i].sent[k] = read_le16(buf + entries[i].string_offset + 2u * k);
            out[i].units[k] = hg_upcase16(out[i].sent[k]);
        }
        if (out[i].units[0] != '\\' || out[i].units[out[i].unit_count - 1u] == '\\')
            return HG_STATUS_INVALID_PARAMETER;
        for (j = 0; j < i; j++)
            if (out[j].unit_count == out[i].unit_count &&
                memcmp(out[j].units, out[i].units, (size_t)out[i].unit_count * sizeof(uint16_t)) == 0)
                return HG_STATUS_INVALID_PARAMETER;
    }
    return HG_STATUS_SUCCESS;
}

/* Strings must not share bytes: sort (offset, length) keys and compare
 * neighbours. Overlap is rejected because the canonical encoding never
 * produces it and allowing it would give two byte-different buffers the same
 * meaning, which the golden-vector comparison relies on not happening. */
static uint32_t check_no_overlap(const HG_PREFIX_ENTRY *entries, uint32_t entry_count,
                                 const HG_VOLUME_ENTRY *volumes, uint32_t volume_count)
{
    uint64_t *keys;
    uint32_t i, count = entry_count + volume_count, status = HG_STATUS_SUCCESS;

    if (count < 2u)
        return HG_STATUS_SUCCESS;
    keys = (uint64_t *)hg_plat_alloc((size_t)count * sizeof(uint64_t));
    if (keys == NULL)
        return HG_STATUS_INSUFFICIENT_RESOURCES;
    for (i = 0; i < entry_count; i++)
        keys[i] = ((uint64_t)entries[i].string_offset << 16) | entries[i].string_bytes;
    for (i = 0; i < volume_count; i++)
        keys[entry_count + i] = ((uint64_t)volumes[i].string_offset << 16) | volumes[i].string_bytes;
    hg_sort_u64(keys, count);
    for (i = 0; i + 1u < count; i++) {
        uint64_t end = (keys[i] >> 16) + (keys[i] & 0xFFFFu);
        if (end > (keys[i + 1u] >> 16)) {
            status = HG_STATUS_INVALID_PARAMETER;
            break;
        }
    }
    hg_plat_free(keys);
    return status;
}

/* ---- trie construction ---------------------------------------------------- */

/* Build-time node: children as a singly linked sibling list kept sorted by
 * unit, so the frozen layout comes out sorted without a separate sort. */
typedef struct build_node {
    uint32_t first_child;
    uint32_t next_sibling;
    uint16_t unit;
    uint16_t terminal;
} build_node;

#define BUILD_NO_NODE 0u /* node 0 is the root and never anybody's child */

typedef struct trie_builder {
    build_node  *nodes;
    uint32_t     node_count;
    hg_terminal *terminals;
    uint32_t     terminal_count;
} trie_builder;

static uint32_t child_of(trie_builder *b, uint32_t parent, uint16_t unit)
{
    uint32_t prev = BUILD_NO_NODE, cur = b->nodes[parent].first_child;
    uint32_t fresh;

    while (cur != BUILD_NO_NODE && b->nodes[cur].unit < unit) {
        prev = cur;
        cur = b->nodes[cur].next_sibling;
    }
    if (cur != BUILD_NO_NODE && b->nodes[cur].unit == unit)
        return cur;
    fresh = b->node_count++;
    b->nodes[fresh].first_child = BUILD_NO_NODE;
    b->nodes[fresh].next_sibling = cur;
    b->nodes[fresh].unit = unit;
    b->nodes[fresh].terminal = HG_NONE16;
    if (prev == BUILD_NO_NODE)
        b->nodes[parent].first_child = fresh;
    else
        b->nodes[prev].next_sibling = fresh;
    return fresh;
}

static void add_prefix(trie_builder *b, const unsigned char *buf, const HG_PREFIX_ENTRY *e,
                       uint16_t entry_index)
{
    uint32_t node = 0, i, op;
    hg_terminal *t;

    for (i = 0; i < e->string_bytes; i += 2u)
        node = child_of(b, node, hg_upcase16(read_le16(buf + e->string_offset + i)));
    uint16_t *rule_of_op;

    if (b->nodes[node].terminal == HG_NONE16) {
        t = &b->terminals[b->terminal_count];
        memset(t, 0, sizeof *t);
        for (op = 0; op < HG_OP_COUNT; op++) {
            t->rule_of_op[op] = HG_NONE16;
            t->full_rule_of_op[op] = HG_NONE16;
        }
        b->nodes[node].terminal = (uint16_t)b->terminal_count++;
    }
    t = &b->terminals[b->nodes[node].terminal];
    if (e->kind == HG_PREFIX_EXCLUDE) {
        if (e->target == HG_TARGET_FULL_NAME)
            t->full_exclude_mask |= e->op_mask;
        else
            t->exclude_mask |= e->op_mask;
        return;
    }
    if (e->target == HG_TARGET_FULL_NAME) {
        t->full_include_mask |= e->op_mask;
        rule_of_op = t->full_rule_of_op;
    } else {
        t->include_mask |= e->op_mask;
        rule_of_op = t->rule_of_op;
    }
    /* Two INCLUDEs with the same string: the first in entry order decides
     * for the classes they share - a stable, documented tie-break. */
    for (op = 1; op < HG_OP_COUNT; op++)
        if ((e->op_mask & HG_OP_BIT(op)) && rule_of_op[op] == HG_NONE16)
            rule_of_op[op] = entry_index;
}

/* Breadth-first renumbering: the children of every node become a contiguous,
 * sorted run. `order` (node_count entries) maps new index -> build index. */
static void freeze_trie(const trie_builder *b, uint32_t *order, hg_trie_node *out)
{
    uint32_t head = 0, tail = 1;

    order[0] = 0;
    while (head < tail) {
        const build_node *src = &b->nodes[order[head]];
        hg_trie_node *dst = &out[head];
        uint32_t child = src->first_child;

        dst->unit = src->unit;
        dst->terminal = src->terminal;
        dst->reserved = 0;
        dst->child_base = tail;
        dst->child_count = 0;
        while (child != BUILD_NO_NODE) {
            order[tail++] = child;
            dst->child_count++;
            child = b->nodes[child].next_sibling;
        }
        head++;
    }
}

static size_t align8(size_t v)
{
    return (v + 7u) & ~(size_t)7u;
}

/*
 * PIDs are reused as soon as a process is gone, so the subscription keeps
 * the process key (hg_plat_process_key_of_pid: the start key on Windows)
 * of the process that has each pid now, and the registry path compares
 * keys. A pid that names no running process is IGNORED, not rejected: the
 * agent builds its list from processes it saw, any of which may exit
 * before CONFIGURE arrives, and refusing the whole configuration for that
 * would leave the previous one in force. Duplicates (two pids, one process
 * cannot happen, but the agent may repeat a pid) collapse. Returns the
 * number of keys written to keys[], sorted ascending.
 */
static uint32_t translate_excluded_pids(const unsigned char *pids, uint32_t count, uint64_t *keys)
{
    uint32_t i, n = 0, out = 0;

    for (i = 0; i < count; i++) {
        uint64_t pid, key;
        memcpy(&pid, pids + (size_t)i * sizeof(uint64_t), sizeof pid);
        if (hg_plat_process_key_of_pid(pid, &key))
            keys[n++] = key;
    }
    hg_sort_u64(keys, n);
    for (i = 0; i < n; i++)
        if (out == 0 || keys[out - 1u] != keys[i])
            keys[out++] = keys[i];
    return out;
}

static void set_clause_bit(uint64_t *set, uint32_t clause)
{
    set[clause / 64u] |= 1ull << (clause % 64u);
}

/* The groups, compiled: each one's clauses as a mask of the clause set and
 * its verdict demands resolved against the globals (as add_entry does for a
 * pattern INCLUDE); which clauses a later stage can set; and the classes
 * whose groups must be looked at even when the path set no clause bit. */
static void compile_groups(hg_subscription *sub, const HG_CONFIG_HEADER *h, const HG_PREFIX_ENTRY *entries,
                           const HG_GROUP_ENTRY *groups, const hg_member_info *members, hg_group *out)
{
    uint32_t g, i, w;

    for (g = 0; g < h->group_count; g++) {
        const HG_GROUP_ENTRY *grp = &groups[g];
        hg_group *cg = &out[g];
        uint64_t path_only = 0;

        cg->first_word = (uint8_t)(members[grp->first_member].clause / 64u);
        for (i = grp->first_member; i < (uint32_t)grp->first_member + grp->member_count; i++) {
            set_clause_bit(cg->clauses, members[i].clause);
            sub->group_of_clause[members[i].clause] = (uint8_t)g;
            cg->last_word = (uint8_t)(members[i].clause / 64u);
            if (entries[i].target == HG_TARGET_IMAGE)
                set_clause_bit(sub->image_clauses, members[i].clause);
            else if (entries[i].target == HG_TARGET_DATA || entries[i].target == HG_TARGET_NEW_NAME)
                set_clause_bit(sub->subject_clauses, members[i].clause);
        }
        cg->op_mask = grp->op_mask;
        cg->kind = grp->kind;
        cg->verdict = (grp->flags & HG_PREFIX_F_VERDICT) != 0u;
        cg->timeout_ms = grp->timeout_ms != 0u ? grp->timeout_ms : h->timeout_ms;
        cg->closed = (uint16_t)((grp->fail_mode != HG_FAIL_INHERIT ? grp->fail_mode : h->fail_mode) == HG_FAIL_CLOSED);
        sub->group_op_mask |= grp->op_mask;
        for (w = 0; w < HG_CLAUSE_WORDS; w++)
            path_only |= cg->clauses[w] & ~(sub->image_clauses[w] | sub->subject_clauses[w]);
        if (path_only == 0u) {
            sub->group_free_op_mask |= grp->op_mask;
            sub->free_groups[sub->free_group_count++] = (uint8_t)g;
        }
        if (grp->kind == HG_PREFIX_INCLUDE)
            sub->include_count++;
    }
    sub->group_count = h->group_count;
}

static uint32_t compile(const unsigned char *buf, const HG_CONFIG_HEADER *h,
                        const HG_PREFIX_ENTRY *entries, uint32_t pid_offset,
                        const HG_VOLUME_ENTRY *volumes, const HG_GROUP_ENTRY *groups,
                        const hg_member_info *members, hg_subscription **out)
{
    trie_builder b;
    uint32_t total_units = 0, max_nodes, i, *order = NULL;
    uint32_t status = HG_STATUS_INSUFFICIENT_RESOURCES;
    size_t off_pids, off_rules, off_terms, off_nodes, off_volumes, off_groups, size;
    unsigned char *block;
    hg_subscription *sub;
    hg_rule *rules;

    for (i = 0; i < h->prefix_count; i++)
        if (!hg_pattern_entry_in_automaton(&entries[i]))
            total_units += entries[i].string_bytes / 2u;
    /* At most HG_PREFIX_MAX_COUNT * HG_PREFIX_MAX_BYTES / 2 = 4 Mi units,
     * and in fact bounded by HG_CONFIG_MAX_BYTES / 2 since strings cannot
     * overlap: the trie is at most 12 bytes per code unit of the pool. */
    max_nodes = total_units + 1u;

    memset(&b, 0, sizeof b);
    b.nodes = (build_node *)hg_plat_alloc((size_t)max_nodes * sizeof(build_node));
    b.terminals = (hg_terminal *)hg_plat_alloc(((size_t)h->prefix_count + 1u) * sizeof(hg_terminal));
    if (b.nodes == NULL || b.terminals == NULL)
        goto out;
    b.nodes[0].first_child = BUILD_NO_NODE;
    b.nodes[0].next_sibling = BUILD_NO_NODE;
    b.nodes[0].unit = 0;
    b.nodes[0].terminal = HG_NONE16;
    b.node_count = 1;
    for (i = 0; i < h->prefix_count; i++)
        if (!hg_pattern_entry_in_automaton(&entries[i]))
            add_prefix(&b, buf, &entries[i], (uint16_t)i);

    off_pids = align8(sizeof(hg_subscription));
    off_rules = align8(off_pids + (size_t)h->excluded_pid_count * sizeof(uint64_t));
    off_terms = align8(off_rules + (size_t)h->prefix_count * sizeof(hg_rule));
    off_nodes = align8(off_terms + (size_t)b.terminal_count * sizeof(hg_terminal));
    off_volumes = align8(off_nodes + (size_t)b.node_count * sizeof(hg_trie_node));
    off_groups = align8(off_volumes + (size_t)h->volume_count * sizeof(hg_volume));
    size = off_groups + (size_t)h->group_count * sizeof(hg_group);

    order = (uint32_t *)hg_plat_alloc((size_t)b.node_count * sizeof(uint32_t));
    block = (unsigned char *)hg_plat_alloc(size);
    if (order == NULL || block == NULL) {
        if (block != NULL)
            hg_plat_free(block);
        goto out;
    }
    memset(block, 0, size);
    sub = (hg_subscription *)(void *)block;
    sub->refs = 1;
    sub->op_mask = h->op_mask;
    sub->verdict_op_mask = h->verdict_op_mask;
    sub->flags = h->flags;
    sub->timeout_ms = h->timeout_ms;
    sub->fail_mode = h->fail_mode;
    sub->default_verdict = h->default_verdict;
    sub->max_backlog = h->max_backlog;
    sub->data_cap = h->data_cap;
    sub->excluded_key_count = translate_excluded_pids(buf + pid_offset, h->excluded_pid_count,
                                                      (uint64_t *)(void *)(block + off_pids));

    rules = (hg_rule *)(void *)(block + off_rules);
    for (i = 0; i < h->prefix_count; i++) {
        rules[i].flags = entries[i].flags;
        rules[i].fail_mode = entries[i].fail_mode;
        rules[i].timeout_ms = entries[i].timeout_ms;
        if (entries[i].kind == HG_PREFIX_INCLUDE) /* members are no INCLUDE: their groups count */
            sub->include_count++;
    }
    memcpy(block + off_terms, b.terminals, (size_t)b.terminal_count * sizeof(hg_terminal));
    freeze_trie(&b, order, (hg_trie_node *)(void *)(block + off_nodes));

    sub->excluded_keys = (const uint64_t *)(const void *)(block + off_pids);
    sub->rules = rules;
    sub->terminals = (const hg_terminal *)(const void *)(block + off_terms);
    sub->nodes = (const hg_trie_node *)(const void *)(block + off_nodes);
    sub->volume_count = h->volume_count;
    sub->volumes = (const hg_volume *)(const void *)(block + off_volumes);
    sub->groups = (const hg_group *)(const void *)(block + off_groups);
    compile_groups(sub, h, entries, groups, members, (hg_group *)(void *)(block + off_groups));
    status = compile_volumes(buf, volumes, h->volume_count, (hg_volume *)(void *)(block + off_volumes));
    if (status != HG_STATUS_SUCCESS) {
        hg_plat_free(block);
        goto out;
    }
    status = hg_pattern_build(buf, h, entries, h->prefix_count, members, &sub->patterns);
    if (status != HG_STATUS_SUCCESS) {
        hg_plat_free(block);
        goto out;
    }
    *out = sub;
out:
    if (order != NULL)
        hg_plat_free(order);
    if (b.nodes != NULL)
        hg_plat_free(b.nodes);
    if (b.terminals != NULL)
        hg_plat_free(b.terminals);
    return status;
}

uint32_t hg_config_compile(const void *in, size_t in_len, hg_subscription **out)
{
    const unsigned char *buf = (const unsigned char *)in;
    HG_CONFIG_HEADER h;
    HG_PREFIX_ENTRY *entries = NULL;
    HG_VOLUME_ENTRY *volumes = NULL;
    HG_GROUP_ENTRY *groups = NULL;
    hg_member_info *members = NULL;
    uint32_t status = HG_STATUS_SUCCESS, pid_offset, volume_offset, group_offset, pool_start, i;

    *out = NULL;
    if (in == NULL || in_len < sizeof h)
        return HG_STATUS_BUFFER_TOO_SMALL;
    if (in_len > HG_CONFIG_MAX_BYTES)
        return HG_STATUS_INVALID_BUFFER_SIZE;
    memcpy(&h, buf, sizeof h);
    if (h.magic != HG_WIRE_MAGIC)
        return HG_STATUS_UNKNOWN_REVISION;
    if (h.total_bytes != in_len)
        return HG_STATUS_INFO_LENGTH_MISMATCH;
    status = check_header(&h);
    if (status != HG_STATUS_SUCCESS)
        return status;

    pid_offset = (uint32_t)sizeof h + (uint32_t)h.prefix_count * (uint32_t)sizeof(HG_PREFIX_ENTRY);
    volume_offset = pid_offset + (uint32_t)h.excluded_pid_count * (uint32_t)sizeof(uint64_t);
    group_offset = volume_offset + (uint32_t)h.volume_count * (uint32_t)sizeof(HG_VOLUME_ENTRY);
    pool_start = group_offset + (uint32_t)h.group_count * (uint32_t)sizeof(HG_GROUP_ENTRY);
    if (pool_start > h.total_bytes)
        return HG_STATUS_INVALID_PARAMETER;

    /* The entries are validated and used from one private snapshot: the
     * kernel's METHOD_BUFFERED SystemBuffer cannot change under us, but the
     * user-mode host hands us the caller's memory, which another thread could
     * rewrite between the check and the use. */
    if (h.prefix_count != 0u) {
        entries = (HG_PREFIX_ENTRY *)hg_plat_alloc((size_t)h.prefix_count * sizeof(HG_PREFIX_ENTRY));
        if (entries == NULL) {
            status = HG_STATUS_INSUFFICIENT_RESOURCES;
            goto out;
        }
        memcpy(entries, buf + sizeof h, (size_t)h.prefix_count * sizeof(HG_PREFIX_ENTRY));
        members = (hg_member_info *)hg_plat_alloc((size_t)h.prefix_count * sizeof(hg_member_info));
        if (members == NULL) {
            status = HG_STATUS_INSUFFICIENT_RESOURCES;
            goto out;
        }
    }
    if (h.volume_count != 0u) {
        volumes = (HG_VOLUME_ENTRY *)hg_plat_alloc((size_t)h.volume_count * sizeof(HG_VOLUME_ENTRY));
        if (volumes == NULL) {
            status = HG_STATUS_INSUFFICIENT_RESOURCES;
            goto out;
        }
        memcpy(volumes, buf + volume_offset, (size_t)h.volume_count * sizeof(HG_VOLUME_ENTRY));
    }
    if (h.group_count != 0u) {
        groups = (HG_GROUP_ENTRY *)hg_plat_alloc((size_t)h.group_count * sizeof(HG_GROUP_ENTRY));
        if (groups == NULL) {
            status = HG_STATUS_INSUFFICIENT_RESOURCES;
            goto out;
        }
        memcpy(groups, buf + group_offset, (size_t)h.group_count * sizeof(HG_GROUP_ENTRY));
    }
    for (i = 0; i < h.prefix_count && status == HG_STATUS_SUCCESS; i++)
        status = check_prefix(&entries[i], pool_start, h.total_bytes);
    for (i = 0; i < h.volume_count && status == HG_STATUS_SUCCESS; i++)
        status = check_volume(&volumes[i], pool_start, h.total_bytes);
    if (status == HG_STATUS_SUCCESS)
        status = check_groups(entries, h.prefix_count, groups, h.group_count, members);
    if (status == HG_STATUS_SUCCESS)
        status = check_no_overlap(entries, h.prefix_count, volumes, h.volume_count);
    if (status == HG_STATUS_SUCCESS)
        status = compile(buf, &h, entries, pid_offset, volumes, groups, members, out);
out:
    if (entries != NULL)
        hg_plat_free(entries);
    if (volumes != NULL)
        hg_plat_free(volumes);
    if (groups != NULL)
        hg_plat_free(groups);
    if (members != NULL)
        hg_plat_free(members);
    return status;
}

void hg_subscription_free(hg_subscription *sub)
{
    if (sub != NULL) {
        hg_patterns_free(sub->patterns);
        hg_plat_free(sub);
    }
}
