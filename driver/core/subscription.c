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

/* The child of `node` for an upcased unit among several, or 0 (the root is
 * nobody's child): a binary search over the sorted children. */
static uint32_t find_child(const hg_trie_node *nodes, const hg_trie_node *node, uint16_t unit)
{
    uint32_t lo = node->child_base, hi = node->child_base + node->child_count;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2u;
        uint16_t u = nodes[mid].unit;
        if (u == unit)
            return mid;
        if (u < unit)
            lo = mid + 1u;
        else
            hi = mid;
    }
    return 0;
}

/* ASCII upcased by one load: most key paths are ASCII, and the trie walk
 * folds every unit it follows (hg_upcase16 for the rest). */
static const uint8_t k_ascii_upper[128] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,
    0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F,
    0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F,
    0x60, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F,
    0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x7B, 0x7C, 0x7D, 0x7E, 0x7F,
};

/* Where one walk down the prefix trie stands. */
typedef struct trie_walk {
    const hg_trie_node *node;
    uint32_t included;
    uint16_t rule;           /* the longest matching INCLUDE's rule, or HG_NONE16 */
} trie_walk;

enum walk_result { WALK_GOES_ON, WALK_STOPPED, WALK_EXCLUDED };

/*
 * Follows `n` units down the trie. Every node on the way that ends a prefix
 * is a prefix of the path: an EXCLUDE there for this class ends the match
 * (exclude wins at any depth); an INCLUDE there for this class is longer
 * than any seen before, so its rule replaces the previous one. A key-path
 * prefix counts only while the walk is in the key path (`in_key`); a
 * full-name prefix that ends inside the key path is a prefix of the full
 * name too, so it counts everywhere.
 */
static enum walk_result walk(const hg_subscription *sub, trie_walk *w, const uint16_t *units, uint32_t n,
                             uint32_t in_key, uint32_t bit, uint16_t operation)
{
    const hg_trie_node *nodes = sub->nodes, *node = w->node;
    enum walk_result result = WALK_GOES_ON;
    uint32_t i;

    for (i = 0; i < n; i++) {
        uint32_t unit = units[i], child;

        unit = unit < 0x80u ? k_ascii_upper[unit] : hg_upcase16((uint16_t)unit);
        /* Most nodes of a real prefix set are links of a chain - one child -
         * so that case is a single compare, without the search. */
        child = node->child_base;
        if (node->child_count == 1u ? nodes[child].unit != unit : (child = find_child(nodes, node, (uint16_t)unit)) == 0u) {
            result = WALK_STOPPED;
            goto out;
        }
        node = &nodes[child];
        if (node->terminal != HG_NONE16) {
            const hg_terminal *t = &sub->terminals[node->terminal];
            uint16_t here = HG_NONE16;
            if (((t->exclude_mask & bit) && in_key) || (t->full_exclude_mask & bit)) {
                result = WALK_EXCLUDED;
                goto out;
            }
            if ((t->include_mask & bit) && in_key)
                here = t->rule_of_op[operation];
            if ((t->full_include_mask & bit) && t->full_rule_of_op[operation] < here)
                here = t->full_rule_of_op[operation];
            if (here != HG_NONE16) {
                w->included = 1;
                w->rule = here;
            }
        }
    }
out:
    w->node = node;
    return result;
}

/* Decides delivery and the verdict from everything the entries said: the
 * path's candidates (the longest prefix's rule folded into `cand`) and, if
 * it was needed, the image's. */
static void finish(const hg_subscription *sub, uint16_t operation, uint32_t included,
                   const hg_pattern_hit *cand, hg_match *match)
{
    uint32_t bit = HG_OP_BIT(operation);

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
    if (!cand->verdict)
        return;
    match->wants_verdict = 1;
    match->timeout_ms = cand->timeout_ms;
    match->fail_mode = cand->closed ? HG_FAIL_CLOSED : HG_FAIL_OPEN;
}

/* Adds one hit's verdict candidates to `cand`: the longest timeout wins,
 * closed wins. */
static void join_candidates(hg_pattern_hit *cand, const hg_pattern_hit *hit)
{
    if (!hit->verdict)
        return;
    cand->verdict = 1;
    cand->closed |= hit->closed;
    if (hit->timeout_ms > cand->timeout_ms)
        cand->timeout_ms = hit->timeout_ms;
}

/* ---- AND groups (minor 3) ------------------------------------------------------ */

/* What the groups that have not matched yet could still do, per later
 * stage: a group is open at a stage when every clause it still misses can
 * be set by that stage or a later one, and the stage can set one of them. */
enum group_open {
    OPEN_INCLUDE = 1,        /* an INCLUDE group could still match */
    OPEN_VERDICT = 2,        /* ... one with HG_PREFIX_F_VERDICT */
    OPEN_EXCLUDE = 4         /* an EXCLUDE group could still match */
};
enum stages_left { LEFT_NONE = 0, LEFT_SUBJECT = 1, LEFT_IMAGE = 2 };

typedef struct group_outlook {
    uint32_t image;          /* enum group_open */
    uint32_t subject;
} group_outlook;

/* One group of the class on the clause bits set so far: all of its bits set,
 * it matches - an EXCLUDE one excludes (returns 1), an INCLUDE one includes
 * and joins the verdict candidates; else it is open at the later stages
 * that can set the clauses it misses, if they can set them all. */
static int eval_group(const hg_subscription *sub, const hg_group *grp, const uint64_t *clauses, uint32_t left,
                      uint32_t *included, hg_pattern_hit *cand, group_outlook *outlook)
{
    uint64_t missing = 0, unreachable = 0, by_image = 0, by_subject = 0;
    uint32_t w, open;

    for (w = grp->first_word; w <= grp->last_word; w++) {
        uint64_t m = grp->clauses[w] & ~clauses[w];
        missing |= m;
        by_image |= m & sub->image_clauses[w];
        by_subject |= m & sub->subject_clauses[w];
        unreachable |= m & ~((left & LEFT_IMAGE ? sub->image_clauses[w] : 0u) |
                             (left != LEFT_NONE ? sub->subject_clauses[w] : 0u));
    }
    if (missing == 0u) {
        if (grp->kind == HG_PREFIX_EXCLUDE)
            return 1;
        *included = 1;
        if (grp->verdict) {
            cand->verdict = 1;
            cand->closed |= grp->closed;
            if (grp->timeout_ms > cand->timeout_ms)
                cand->timeout_ms = grp->timeout_ms;
        }
        return 0;
    }
    if (unreachable != 0u)
        return 0; /* FALSE for good: a missing clause no later stage can set */
    open = grp->kind == HG_PREFIX_EXCLUDE ? OPEN_EXCLUDE : OPEN_INCLUDE | (grp->verdict ? OPEN_VERDICT : 0u);
    if ((left & LEFT_IMAGE) && by_image != 0u)
        outlook->image |= open;
    if (by_subject != 0u)
        outlook->subject |= open;
    return 0;
}

/* Whether any group of the class can be looked at: one set clause bit, or
 * a group with no path clause. Inline, so an operation no member matched
 * pays a few compares and no call. */
static inline int groups_may_apply(const hg_subscription *sub, uint32_t bit, const uint64_t *clauses)
{
    HG_STATIC_ASSERT(HG_CLAUSE_WORDS == 4u, "four words of clause bits");
    return (sub->group_op_mask & bit) &&
           ((clauses[0] | clauses[1] | clauses[2] | clauses[3]) != 0u || (sub->group_free_op_mask & bit));
}

/*
 * Evaluates the groups of the class that could match on the clause bits
 * set so far: those a set bit leads to, and those with no path clause.
 * Evaluating a group twice changes nothing (the bits only grow from stage
 * to stage), so a group reached twice is merely looked at twice. Callers
 * test groups_may_apply first.
 */
static int apply_groups(const hg_subscription *sub, uint32_t bit, const uint64_t *clauses, uint32_t left,
                        uint32_t *included, hg_pattern_hit *cand, group_outlook *outlook)
{
    uint32_t w, i, last = HG_NONE16;

    outlook->image = 0;
    outlook->subject = 0;
    for (w = 0; w < HG_CLAUSE_WORDS; w++) {
        uint64_t bits = clauses[w];
        while (bits != 0u) {
            uint32_t g = sub->group_of_clause[w * 64u + (uint32_t)__builtin_ctzll(bits)];
            const hg_group *grp = &sub->groups[g];
            bits &= ~grp->clauses[w]; /* the group's other bits in this word lead to it too */
            if (g == last || !(grp->op_mask & bit))
                continue;
            last = g;
            if (eval_group(sub, grp, clauses, left, included, cand, outlook))
                return 1;
        }
    }
    if (sub->group_free_op_mask & bit)
        for (i = 0; i < sub->free_group_count; i++)
            if ((sub->groups[sub->free_groups[i]].op_mask & bit) &&
                eval_group(sub, &sub->groups[sub->free_groups[i]], clauses, left, included, cand, outlook))
                return 1;
    return 0;
}

/* Whether the groups still open at a stage can change the outcome: an
 * INCLUDE group where nothing included yet, an EXCLUDE group where
 * something did or still may (`includable_later`), a verdict-flagged
 * INCLUDE group of a verdict class where something did. */
static int groups_may_decide(const hg_subscription *sub, uint32_t open, uint32_t included, uint32_t bit,
                             int includable_later)
{
    if (included)
        return (open & OPEN_EXCLUDE) || ((open & OPEN_VERDICT) && (sub->verdict_op_mask & bit));
    return (open & OPEN_INCLUDE) || ((open & OPEN_EXCLUDE) && includable_later);
}

/* The last, lazy stage: if DATA / NEW_NAME entries or groups for the class
 * could still change the outcome - a subject INCLUDE (or an INCLUDE group
 * open at the subject stage) where nothing included yet, a subject EXCLUDE,
 * an EXCLUDE group or a verdict-flagged INCLUDE of either kind (of a
 * verdict class) where something did - the match is left to
 * hg_sub_match_subject, so the caller reads and renders the value data only
 * then; otherwise it is decided here. `open_subject` is the group_outlook
 * the caller evaluated on the bits `clauses` holds. */
static void finish_or_ask_subject(const hg_subscription *sub, uint16_t operation, uint32_t included,
                                  const hg_pattern_hit *cand, const uint64_t *clauses, uint32_t open_subject,
                                  hg_match *match)
{
    uint32_t bit = HG_OP_BIT(operation);
    const hg_patterns *p = sub->patterns;

    if (p != NULL && (((included ? p->subject_exclude_mask | (p->subject_verdict_mask & sub->verdict_op_mask)
                                 : p->subject_include_mask) & bit) ||
                      (open_subject != 0u && groups_may_decide(sub, open_subject, included, bit, 0)))) {
        match->needs_subject = 1;
        match->path_included = included;
        match->path_hit = *cand;
        if (match->clauses != clauses)
            memcpy(match->clauses, clauses, sizeof match->clauses);
        return;
    }
    finish(sub, operation, included, cand, match);
}

/* Whether the image can still change the outcome: an image INCLUDE where
 * nothing included yet, an image EXCLUDE or verdict INCLUDE where something
 * did - or an image EXCLUDE where the
 * later DATA / NEW_NAME stage may still include (exclude wins over it);
 * the same for the groups still open at the image stage. */
static int image_may_decide(const hg_subscription *sub, const hg_patterns *p, uint32_t included, uint32_t bit,
                            const group_outlook *outlook)
{
    int subject_may_include;

    if (included) { /* an exclusion, or a verdict the path's candidates may lack */
        if ((p->image_exclude_mask | (p->image_verdict_mask & sub->verdict_op_mask)) & bit)
            return 1;
        return outlook->image != 0u && groups_may_decide(sub, outlook->image, included, bit, 1);
    }
    if (p->image_include_mask & bit)
        return 1;
    if (!(p->image_exclude_mask & bit) && outlook->image == 0u)
        return 0; /* the common case: nothing of the class looks at the image */
    subject_may_include = (p->subject_include_mask & bit) || (outlook->subject & OPEN_INCLUDE);
    return ((p->image_exclude_mask & bit) && subject_may_include) ||
           groups_may_decide(sub, outlook->image, included, bit, subject_may_include);
}

/*
 * One walk down the trie along the upcased key path, and for value classes
 * on along '\' and the value name. Then, if some SUFFIX/CONTAINS entry
 * covers the class, one pass of the pattern automaton; its verdict
 * candidates join the longest prefix's (see hiveguard_wire.h: the longest
 * timeout wins, closed wins). If image entries for the class could still
 * change the outcome - an image INCLUDE where the path did not include, an
 * image EXCLUDE where it did - the match is left to hg_sub_match_image, so
 * the caller looks the image up only then.
 */
void hg_sub_match_path(const hg_subscription *sub, uint16_t operation,
                       const hg_utf16 *path, const hg_utf16 *value_name, hg_match *match)
{
    static const uint16_t separator = '\\';
    uint32_t bit = HG_OP_BIT(operation);
    uint32_t included;
    uint16_t rule;
    hg_pattern_hit hit, cand;
    trie_walk w;
    enum walk_result r;
    group_outlook outlook;

    memset(match, 0, sizeof *match);
    w.node = &sub->nodes[0];
    w.included = sub->include_count == 0u;
    w.rule = HG_NONE16;
    r = walk(sub, &w, path->chars, path->bytes / 2u, 1u, bit, operation);
    if (r == WALK_GOES_ON && (bit & HG_TARGET_FULL_NAME_OPS)) {
        r = walk(sub, &w, &separator, 1u, 0u, bit, operation);
        if (r == WALK_GOES_ON)
            r = walk(sub, &w, value_name->chars, value_name->bytes / 2u, 0u, bit, operation);
    }
    if (r == WALK_EXCLUDED)
        return;
    included = w.included;
    rule = w.rule;
    memset(&cand, 0, sizeof cand);
    if (rule != HG_NONE16 && (sub->rules[rule].flags & HG_PREFIX_F_VERDICT)) {
        cand.verdict = 1;
        cand.timeout_ms = sub->rules[rule].timeout_ms != 0u ? sub->rules[rule].timeout_ms : sub->timeout_ms;
        cand.closed = (sub->rules[rule].fail_mode != HG_FAIL_INHERIT ? sub->rules[rule].fail_mode
                                                                     : sub->fail_mode) == HG_FAIL_CLOSED;
    }
    if (sub->patterns != NULL && (sub->patterns->op_mask & bit)) {
        hg_pattern_match(sub->patterns, operation, path, value_name, &hit, match->clauses);
        if (hit.excluded)
            return;
        included |= hit.included;
        join_candidates(&cand, &hit);
    }
    outlook.image = 0;
    outlook.subject = 0;
    if (groups_may_apply(sub, bit, match->clauses) &&
        apply_groups(sub, bit, match->clauses, LEFT_IMAGE | LEFT_SUBJECT, &included, &cand, &outlook)) {
        memset(match, 0, sizeof *match);
        return;
    }
    if (sub->patterns != NULL && image_may_decide(sub, sub->patterns, included, bit, &outlook)) {
        match->needs_image = 1;
        match->path_included = included;
        match->path_hit = cand;
        return;
    }
    /* No image stage: the groups open at the subject stage are as the path
     * left them (some may need an image clause they can no longer get: the
     * subject stage's own evaluation finds them FALSE). */
    finish_or_ask_subject(sub, operation, included, &cand, match->clauses, outlook.subject, match);
}

/* Whether `units` (n of them) begin with the upcased device `v` followed by
 * '\'. The last unit of the device is compared first: the map's names
 * differ mostly in the volume number at their end. */
static int on_volume(const hg_volume *v, const uint16_t *units, uint32_t n)
{
    uint32_t i, last = v->unit_count - 1u;

    if (n <= v->unit_count || units[v->unit_count] != '\\' ||
        (units[last] != v->sent[last] && hg_upcase16(units[last]) != v->units[last]))
        return 0;
    for (i = 0; i < last; i++)
        if (units[i] != v->sent[i] && hg_upcase16(units[i]) != v->units[i])
            return 0;
    return 1;
}

/*
 * The image in Sysmon form (hiveguard_wire.h, "Volume map"), as pieces of
 * the kernel path without a copy: a mapped device becomes its drive ("C:")
 * followed by the rest, \??\X:\ loses the \??\, another NT path stays as it
 * is and is unmapped. A name that does not begin with '\' is no NT path
 * ("System", or a Win32 path the user-mode host was handed; a kernel never
 * reports one): it is already what Sysmon prints, so it counts as mapped.
 * At most HG_VOLUME_MAX_COUNT short compares, once per operation that needs
 * its image.
 */
static void image_form_of(const hg_subscription *sub, const hg_utf16 *image, hg_image_form *form)
{
    const uint16_t *u = image->chars;
    uint32_t n = image->bytes / 2u, i;

    form->head = NULL;
    form->head_units = 0;
    form->tail = u;
    form->tail_units = n;
    form->mapped = 0;
    if (u[0] != '\\') {
        form->mapped = 1;
        return;
    }
    if (n >= 7u && u[0] == '\\' && u[1] == '?' && u[2] == '?' && u[3] == '\\' &&
        (u[4] | 0x20u) >= 'a' && (u[4] | 0x20u) <= 'z' && u[5] == ':' && u[6] == '\\') {
        form->tail = u + 4;
        form->tail_units = n - 4u;
        form->mapped = 1;
        return;
    }
    for (i = 0; i < sub->volume_count; i++) {
        const hg_volume *v = &sub->volumes[i];
        if (on_volume(v, u, n)) {
            form->head = v->drive;
            form->head_units = 2;
            form->tail = u + v->unit_count;
            form->tail_units = n - v->unit_count;
            form->mapped = 1;
            return;
        }
    }
}

void hg_sub_match_image(const hg_subscription *sub, uint16_t operation,
                        const hg_utf16 *image, hg_match *match)
{
    hg_pattern_hit hit, cand = match->path_hit;
    uint32_t included = match->path_included, bit = HG_OP_BIT(operation);
    hg_image_form form;
    uint64_t clauses[HG_CLAUSE_WORDS];
    group_outlook outlook;
    int known = image != NULL && image->chars != NULL && image->bytes >= 2u;

    memcpy(clauses, match->clauses, sizeof clauses);
    memset(match, 0, sizeof *match);
    if (known)
        image_form_of(sub, image, &form);
    hg_pattern_match_image(sub->patterns, operation, known ? &form : NULL, &hit, clauses);
    if (hit.excluded)
        return;
    included |= hit.included;
    join_candidates(&cand, &hit);
    outlook.subject = 0;
    if (groups_may_apply(sub, bit, clauses) && apply_groups(sub, bit, clauses, LEFT_SUBJECT, &included, &cand, &outlook))
        return;
    finish_or_ask_subject(sub, operation, included, &cand, clauses, outlook.subject, match);
}

/* Finishes a match left with needs_subject: the DATA / NEW_NAME pass. */
void hg_sub_match_subject(const hg_subscription *sub, uint16_t operation, int known,
                          const hg_utf16 *head, const hg_utf16 *tail, hg_match *match)
{
    hg_pattern_hit hit, cand = match->path_hit;
    uint32_t included = match->path_included;
    uint64_t clauses[HG_CLAUSE_WORDS];
    group_outlook outlook;

    memcpy(clauses, match->clauses, sizeof clauses);
    memset(match, 0, sizeof *match);
    hg_pattern_match_subject(sub->patterns, operation, known, head, tail, &hit, clauses);
    if (hit.excluded)
        return;
    included |= hit.included;
    join_candidates(&cand, &hit);
    if (groups_may_apply(sub, HG_OP_BIT(operation), clauses) &&
        apply_groups(sub, HG_OP_BIT(operation), clauses, LEFT_NONE, &included, &cand, &outlook))
        return;
    finish(sub, operation, included, &cand, match);
}
