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
 * longer than any seen before, so its rule replaces the previous one.
 */
void hg_sub_match_path(const hg_subscription *sub, uint16_t operation,
                       const hg_utf16 *path, hg_match *match)
{
    uint32_t bit = HG_OP_BIT(operation), units = path->bytes / 2u, i;
    uint32_t included = sub->include_count == 0u;
    uint16_t rule = HG_NONE16;
    const hg_trie_node *node = &sub->nodes[0];

    memset(match, 0, sizeof *match);
    for (i = 0; i < units; i++) {
        uint32_t child = find_child(sub, node, hg_upcase16(path->chars[i]));
        if (child == 0u)
            break;
        node = &sub->nodes[child];
        if (node->terminal != HG_NONE16) {
            const hg_terminal *t = &sub->terminals[node->terminal];
            if (t->exclude_mask & bit)
                return;
            if (t->include_mask & bit) {
                included = 1;
                rule = t->rule_of_op[operation];
            }
        }
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
    if (rule == HG_NONE16 || !(sub->rules[rule].flags & HG_PREFIX_F_VERDICT))
        return;
    match->wants_verdict = 1;
    if (sub->rules[rule].timeout_ms != 0u)
        match->timeout_ms = sub->rules[rule].timeout_ms;
    if (sub->rules[rule].fail_mode != HG_FAIL_INHERIT)
        match->fail_mode = sub->rules[rule].fail_mode;
}
