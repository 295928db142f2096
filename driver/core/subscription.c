/*
 * subscription.c - matching an operation against the compiled subscription.
 *
 * Runs outside the core lock on an immutable hg_subscription the raiser holds
 * a reference to, so a CONFIGURE swapping in a new one never waits for, nor
 * races with, a matcher.
 */
#include "core_internal.h"

/* By process key, not pid: CONFIGURE translated the agent's pids into the
 * keys of the processes that had them then (config.c). */
int hg_sub_process_excluded(const hg_subscription *sub, uint64_t process_key)
{
    uint32_t lo = 0, hi = sub->excluded_key_count;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2u;
        if (sub->excluded_keys[mid] == process_key)
            return 1;
        if (sub->excluded_keys[mid] < process_key)
            lo = mid + 1u;
        else
            hi = mid;
    }
    return 0;
}

static uint32_t find_child(const hg_subscription *sub, const hg_trie_node *node, uint16_t unit)
{
    uint32_t lo = node->child_base, hi = node->child_base + node->child_count;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2u;
        uint16_t u = sub->nodes[mid].unit;
        if (u == unit)
            return mid;
        if (u < unit)
            lo = mid + 1u;
        else
            hi = mid;
    }
    return 0; /* the root is nobody's child: 0 means "none" */
}

/*
 * One walk down the trie along the upcased path. Every node on the way that
 * ends a prefix is a prefix of the path: an EXCLUDE there for this class ends
 * the match (exclude wins at any depth); an INCLUDE there for this class is
 * longer than any seen before, so its rule replaces the previous one. Then,
 * if some SUFFIX/CONTAINS entry covers the class, one pass of the pattern
 * automaton; its verdict candidates join the longest prefix's (see
 * hiveguard_wire.h: the longest timeout wins, closed wins).
 */
void hg_sub_match_path(const hg_subscription *sub, uint16_t operation,
                       const hg_utf16 *path, const hg_utf16 *value_name, hg_match *match)
{
    uint32_t bit = HG_OP_BIT(operation), units = path->bytes / 2u, i;
    uint32_t included = sub->include_count == 0u, verdict = 0, closed = 0, timeout = 0;
    uint16_t rule = HG_NONE16;
    const hg_trie_node *node = &sub->nodes[0];
    hg_pattern_hit hit;

    uint32_t full = (bit & HG_TARGET_FULL_NAME_OPS) != 0;
    uint32_t value_units = full ? value_name->bytes / 2u : 0u;

    memset(match, 0, sizeof *match);
    /* Key path, then for value classes '\' and the value name: a full-name
     * prefix that ends inside the key path is a prefix of the full name too,
     * so it counts on the whole walk; a key-path prefix only on the key part. */
    for (i = 0; i < units + (full ? 1u + value_units : 0u); i++) {
        uint16_t unit = i < units ? path->chars[i] : (i == units ? (uint16_t)'\\' : value_name->chars[i - units - 1u]);
        /* ASCII folded inline: most key paths are ASCII, and this runs per unit. */
        uint32_t child = find_child(sub, node, unit < 0x80u ? (uint16_t)(unit - ((uint32_t)(unit - 'a') < 26u ? 0x20u : 0u))
                                                            : hg_upcase16(unit));
        if (child == 0u)
            break;
        node = &sub->nodes[child];
        if (node->terminal != HG_NONE16) {
            const hg_terminal *t = &sub->terminals[node->terminal];
            uint32_t in_key = i < units;
            uint16_t here = HG_NONE16;
            if (((t->exclude_mask & bit) && in_key) || (t->full_exclude_mask & bit))
                return;
            if ((t->include_mask & bit) && in_key)
                here = t->rule_of_op[operation];
            if ((t->full_include_mask & bit) && t->full_rule_of_op[operation] < here)
                here = t->full_rule_of_op[operation];
            if (here != HG_NONE16) {
                included = 1;
                rule = here;
            }
        }
    }
    memset(&hit, 0, sizeof hit);
    if (sub->patterns != NULL && (sub->patterns->op_mask & bit)) {
        hg_pattern_match(sub->patterns, operation, path, value_name, &hit);
        if (hit.excluded)
            return;
        included |= hit.included;
    }
    if (!included)
        return;

    match->delivered = 1;
    match->timeout_ms = sub->timeout_ms;
    match->fail_mode = sub->fail_mode;
    if (!(sub->verdict_op_mask & bit))
        return;
    if (sub->include_count == 0u) {
        match->wants_verdict = 1;
        return;
    }
    if (rule != HG_NONE16 && (sub->rules[rule].flags & HG_PREFIX_F_VERDICT)) {
        verdict = 1;
        timeout = sub->rules[rule].timeout_ms != 0u ? sub->rules[rule].timeout_ms : sub->timeout_ms;
        closed = (sub->rules[rule].fail_mode != HG_FAIL_INHERIT ? sub->rules[rule].fail_mode
                                                                 : sub->fail_mode) == HG_FAIL_CLOSED;
    }
    if (hit.verdict) {
        verdict = 1;
        closed |= hit.closed;
        if (hit.timeout_ms > timeout)
            timeout = hit.timeout_ms;
    }
    if (!verdict)
        return;
    match->wants_verdict = 1;
    match->timeout_ms = timeout;
    match->fail_mode = closed ? HG_FAIL_CLOSED : HG_FAIL_OPEN;
}
