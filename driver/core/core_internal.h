/*
 * core_internal.h - private state of the portable core, shared by the core's
 * .c files only. Nothing here is part of the API (hg_core.h) or the wire.
 *
 * Where things live (the path of one operation reads top to bottom):
 *   raise.c         hg_core_raise: cheap checks -> name -> match -> encode ->
 *                   queue -> bounded verdict wait
 *   subscription.c  matching against the compiled configuration
 *   event.c         encoding one event record (caps, truncation flags,
 *                   the caller identity borrowed from the source)
 *   delivery.c      backlog, parked GET_EVENTS, batching, cancellation
 *   verdict.c       waiter table, REPLY (accepted/unknown/late/duplicate)
 *   config.c        CONFIGURE validation and compilation (prefix trie)
 *   pattern.c       SUFFIX/CONTAINS entries: one Aho-Corasick automaton
 *   client.c        open / HELLO / CONFIGURE swap / close
 *   core.c          create / destroy / STATS (sharded counters, the gate word)
 *   lockdown.c      what DefaultVerdict=block may block with no client
 *   util.c          lists, sort, upcase (no libc in the kernel build)
 *
 * Locking: one lock (hg_core.lock) guards everything in struct hg_core except
 * the gate word and the counter shards. It is a spin lock in the kernel, so it
 * is held for a few lines, never across an allocation, a free, a wait, a
 * source callback or a request completion. Work that needs any of those is
 * split: decide and detach under the lock, then act outside it.
 *
 * The fast path takes no lock: every registry operation on the machine reads
 * the gate word (client bound + subscribed classes, published under the lock)
 * and, when its class is not subscribed or nobody is bound, counts itself in
 * the counter shard of its thread and leaves. Nothing it writes is a cache
 * line every CPU writes; nothing it reads changes except the gate.
 */
#ifndef HG_CORE_INTERNAL_H
#define HG_CORE_INTERNAL_H

#include <string.h> /* memcpy, memset, memcmp: the only libc the kernel build may use */
#include "hg_core.h"

/* ---- limits private to the core ------------------------------------------ */

/* Verdict waiters are found by id through a small hash; the number of waiters
 * is bounded by the number of registry threads blocked at once (hundreds at
 * most), so 64 buckets keep chains short without a large fixed table. */
#define HG_WAITER_BUCKETS        64u

/* Ids of recently released waiters, indexed by id modulo the size. Ids are
 * issued sequentially, so the ring remembers exactly the fate of the last
 * HG_RELEASED_RING issued ids, which is what lets a reply be told "late"
 * (released unanswered) from "duplicate" (answered) in O(1). Older ids fall
 * back to "late". Power of two. */
#define HG_RELEASED_RING         2048u

/* A REPLY is applied in chunks so the spin lock is never held for all
 * HG_REPLY_MAX_ENTRIES lookups at once. */
#define HG_REPLY_CHUNK           64u

/* "no rule" / "no terminal" marker in the compiled trie. */
#define HG_NONE16                0xFFFFu

/* Counter shards: each thread counts its fast-path outcomes in the shard its
 * thread id hashes to, so CPUs do not bounce one counter line between them.
 * Power of two; 64 covers the CPUs of any machine HiveGuard targets with few
 * collisions, at 4 KiB. */
#define HG_STAT_SHARDS           64u
#define HG_CACHE_LINE            64u

/* Gate word: the client is bound (HELLO done) and, in the low bits, the
 * subscribed op_mask (bit 0 is never a class). */
#define HG_GATE_BOUND            0x80000000u

/* Backlog reservation: audit-only events may fill the backlog only up to this
 * fraction (in events and in bytes); the rest is kept for verdict-requested
 * events, so a flood of audit-only traffic can never leave a verdict event
 * without room. 3/4: at the default backlog 1024 slots stay for verdicts. */
#define HG_AUDIT_WATERMARK_NUM   3u
#define HG_AUDIT_WATERMARK_DEN   4u

/* ProtectedPrefixes (REG_MULTI_SZ) limits. */
#define HG_LOCKDOWN_MAX_PREFIXES 256u
#define HG_LOCKDOWN_MAX_BYTES    (64u * 1024u)

/* ---- lists ----------------------------------------------------------------- */

void hg_list_init(hg_list *head);
int  hg_list_empty(const hg_list *head);
void hg_list_push_back(hg_list *head, hg_list *node);
void hg_list_remove(hg_list *node);
hg_list *hg_list_pop_front(hg_list *head);
/* Moves every node of src to the back of dst; src becomes empty. */
void hg_list_splice_back(hg_list *dst, hg_list *src);

#define HG_CONTAINER_OF(ptr, type, member) \
    ((type *)(void *)((unsigned char *)(ptr) - __builtin_offsetof(type, member)))

/* ---- compiled subscription -------------------------------------------------- */

/* Per-prefix data an INCLUDE contributes to a verdict decision. */
typedef struct hg_rule {
    uint16_t flags;          /* HG_PREFIX_F_* */
    uint16_t fail_mode;      /* HG_FAIL_* (INHERIT = global) */
    uint32_t timeout_ms;     /* 0 = global */
} hg_rule;

/* What the prefixes that end at one trie node say, merged per class so that
 * a lookup costs O(1) per node whatever the number of identical prefixes. */
typedef struct hg_terminal {
    uint32_t exclude_mask;             /* classes some key-path EXCLUDE ending here covers */
    uint32_t include_mask;             /* classes some key-path INCLUDE ending here covers */
    uint32_t full_exclude_mask;        /* the same for full-name (key\value) prefixes */
    uint32_t full_include_mask;
    uint16_t rule_of_op[HG_OP_COUNT];  /* first key-path INCLUDE (entry order) per class, or HG_NONE16 */
    uint16_t full_rule_of_op[HG_OP_COUNT]; /* first full-name INCLUDE per class, or HG_NONE16 */
} hg_terminal;

/* Trie node over upcased UTF-16 code units. Children of a node are stored
 * contiguously and sorted by unit (child_base .. child_base+child_count), so
 * finding a child is a binary search bounded by log2(HG_PREFIX_MAX_COUNT)
 * steps: matching is linear in the path length whatever the prefix count. */
typedef struct hg_trie_node {
    uint32_t child_base;
    uint16_t unit;
    uint16_t child_count;
    uint16_t terminal;       /* index into terminals, or HG_NONE16 */
    uint16_t reserved;
} hg_trie_node;

/* ---- pattern automaton (pattern.c) ------------------------------------------ */

/* Where a pattern's verdict applies: kind x target. */
enum hg_pattern_slot_index {
    HG_PSLOT_KEY_ANY  = 0,   /* CONTAINS on the key path: at any position inside it */
    HG_PSLOT_KEY_END  = 1,   /* SUFFIX on the key path: at its end only */
    HG_PSLOT_FULL_ANY = 2,   /* CONTAINS on key path + '\' + value name */
    HG_PSLOT_FULL_END = 3,   /* SUFFIX on it */
    HG_PSLOT_IMAGE_ANY = 4,  /* CONTAINS on the caller's image path */
    HG_PSLOT_IMAGE_END = 5,  /* SUFFIX on it */
    /* CONTAINS / SUFFIX on the operation's subject: SetValue's rendered data
     * (DATA entries) or RenameKey's new full name (NEW_NAME entries). Each
     * target has one class, so the class bit tells them apart in one slot. */
    HG_PSLOT_SUBJECT_ANY = 6,
    HG_PSLOT_SUBJECT_END = 7,
    /* Anchored slots (minor 2): the pattern is the whole text read so far,
     * so they hold only the state's own patterns (never merged along the
     * failure links) and count only where the record's depth equals the
     * units read. */
    HG_PSLOT_KEY_WHOLE   = 8, /* EXACT on the key path: at its end */
    HG_PSLOT_FULL_WHOLE  = 9, /* EXACT on key path + '\' + value name: at its end */
    HG_PSLOT_IMAGE_HEAD  = 10, /* PREFIX on the (mapped) image: anywhere */
    HG_PSLOT_IMAGE_WHOLE = 11, /* EXACT on the (mapped) image: at its end */
    HG_PSLOT_COUNT    = 12
};
#define HG_PSLOT_FIRST_ANCHORED HG_PSLOT_KEY_WHOLE

/* The union of what the patterns ending at one position say, per slot, with
 * the global timeout and fail mode already substituted. */
typedef struct hg_pattern_slot {
    uint32_t include_mask;
    uint32_t exclude_mask;
    uint32_t verdict_mask;             /* INCLUDEs with HG_PREFIX_F_VERDICT */
    uint32_t closed_mask;              /* ... whose effective fail mode is closed */
    uint16_t timeout_of_op[HG_OP_COUNT]; /* longest effective timeout per class */
    uint16_t reserved;
} hg_pattern_slot;

typedef struct hg_pattern_out {
    hg_pattern_slot slot[HG_PSLOT_COUNT];
    uint32_t depth;          /* units of the state that owns the record: anchored slots count iff == units read */
    uint32_t clause_rec;     /* p->clause_outs[clause_rec]: the members' clause bits here; 0 = none */
} hg_pattern_out;

/* ---- AND groups (wire minor 3) ----------------------------------------------
 *
 * Every clause of every group has one bit (its global index, in group
 * order): a member that matches sets its clause's bit in the operation's
 * clause set, and a group matches when all of its clauses' bits are set.
 * Members go into the automaton like any pattern, but what they say is
 * which clause they make true, so their records carry clause bits per
 * position kind instead of include/exclude masks. */
#define HG_CLAUSE_WORDS (HG_CLAUSE_MAX_COUNT / 64u)
HG_STATIC_ASSERT(HG_CLAUSE_MAX_COUNT % 64u == 0u, "clause sets are whole words");

/* Where a member's clause bit applies: like the slots above, plus PREFIX on
 * the key path and the full name (standalone ones live in the trie; members
 * need their identity, so the automaton carries them anchored). */
enum hg_clause_slot_index {
    HG_CSLOT_KEY_ANY     = 0,
    HG_CSLOT_KEY_END     = 1,
    HG_CSLOT_FULL_ANY    = 2,
    HG_CSLOT_FULL_END    = 3,
    HG_CSLOT_IMAGE_ANY   = 4,
    HG_CSLOT_IMAGE_END   = 5,
    HG_CSLOT_SUBJECT_ANY = 6,
    HG_CSLOT_SUBJECT_END = 7,
    /* anchored: own state only, counted where depth == units read */
    HG_CSLOT_KEY_HEAD    = 8,
    HG_CSLOT_KEY_WHOLE   = 9,
    HG_CSLOT_FULL_HEAD   = 10,
    HG_CSLOT_FULL_WHOLE  = 11,
    HG_CSLOT_IMAGE_HEAD  = 12,
    HG_CSLOT_IMAGE_WHOLE = 13,
    HG_CSLOT_COUNT       = 14
};
#define HG_CSLOT_FIRST_ANCHORED HG_CSLOT_KEY_HEAD

typedef struct hg_clause_out {
    uint64_t bits[HG_CSLOT_COUNT][HG_CLAUSE_WORDS];
} hg_clause_out;

/* What CONFIGURE tells the automaton builder about one entry: its clause
 * (HG_NONE16 for an entry that is no member) and whether its group is an
 * INCLUDE (only those count an UNKNOWN member as set). */
typedef struct hg_member_info {
    uint16_t clause;
    uint16_t include_group;
} hg_member_info;

/* One compiled group: its clauses as a mask of the clause set, and its
 * verdict demands with the globals already resolved. */
typedef struct hg_group {
    uint64_t clauses[HG_CLAUSE_WORDS];
    uint32_t op_mask;
    uint16_t kind;           /* HG_PREFIX_INCLUDE or HG_PREFIX_EXCLUDE */
    uint16_t verdict;        /* INCLUDE with HG_PREFIX_F_VERDICT */
    uint32_t timeout_ms;     /* effective */
    uint16_t closed;         /* effective fail mode is closed */
    uint8_t  first_word;     /* the words of `clauses` that hold its bits */
    uint8_t  last_word;
} hg_group;

/* The compiled SUFFIX/CONTAINS entries: a complete transition table over a
 * compressed alphabet, column by column (2 bytes a cell: at most
 * 2 * HG_PATTERN_MAX_CELLS bytes). One allocation; the arrays point into it.
 *
 * States are numbered so that every state that reports something comes
 * after every state that does not (first_out_state): a step of the raise
 * path is a column load, an add, a 16-bit load and one compare, with no
 * flag to mask off and no multiply. */
typedef struct hg_patterns {
    uint32_t class_count;              /* distinct upcased units + 1 (class 0: any other unit) */
    uint32_t state_count;
    uint32_t out_count;
    uint32_t op_mask;                  /* classes some pattern applies to */
    uint32_t wide_count;               /* non-ASCII units of the alphabet */
    uint32_t wide_first_class;
    uint32_t first_out_state;          /* states >= this report something; the root never does */
    uint32_t bytes;                    /* the whole allocation: what CONFIGURE costs in memory */
    uint32_t image_include_mask;       /* classes some image INCLUDE applies to */
    uint32_t image_exclude_mask;       /* classes some image EXCLUDE applies to */
    /* Every image INCLUDE's demands together (exclusions left out): what an
     * operation whose image is unknown is given - "could match". */
    hg_pattern_slot image_unknown;
    /* Every anchored (PREFIX/EXACT) image INCLUDE's demands: what an
     * operation whose image is unmapped is given (minor 2). */
    hg_pattern_slot image_unmapped;
    uint32_t subject_include_mask;     /* classes some DATA / NEW_NAME INCLUDE applies to */
    uint32_t subject_exclude_mask;     /* ... some EXCLUDE */
    hg_pattern_slot subject_unknown;   /* every such INCLUDE's demands: an unknown subject */
    /* Classes some image / subject INCLUDE with HG_PREFIX_F_VERDICT applies
     * to: such an entry can still make an included operation wait, so its
     * stage runs for included operations of a verdict class too. */
    uint32_t image_verdict_mask;
    uint32_t subject_verdict_mask;
    /* Group members (minor 3): the clause bits an UNKNOWN member sets - of
     * IMAGE members of INCLUDE groups (unknown image), of their anchored
     * ones (unmapped image), of DATA / NEW_NAME members of INCLUDE groups
     * (unknown subject). EXCLUDE groups never get an UNKNOWN clause. */
    uint64_t image_unknown_clauses[HG_CLAUSE_WORDS];
    uint64_t image_unmapped_clauses[HG_CLAUSE_WORDS];
    uint64_t subject_unknown_clauses[HG_CLAUSE_WORDS];
    /* [1 .. clause_count], records with some member's clause bit only; a
     * second allocation (owned), NULL when no entry is a member. */
    hg_clause_out *clause_outs;
    uint32_t clause_count;
    uint32_t clause_bytes;
    uint16_t ascii_class[128];         /* unit < 128 -> class, case folded (build time) */
    const uint16_t *wide_units;        /* sorted; class = wide_first_class + index */
    /* Every UTF-16 unit -> class * state_count, case folded: the start of its
     * column, one load per step on the raise path, no compare, no upcase
     * (256 KiB). */
    const uint32_t *column_of_unit;
    /* [class * state_count + state] -> next state. */
    const uint16_t *delta;
    const uint16_t *state_out;         /* per state: record index, 0 = none */
    const hg_pattern_out *outs;        /* [1 .. out_count] */
} hg_patterns;

/* What the patterns say about one operation. */
/* Flags as bytes: this lives in hg_match on the registry callback's stack
 * (8 bytes, not 20). */
typedef struct hg_pattern_hit {
    uint32_t timeout_ms;     /* longest effective timeout among them */
    uint8_t  excluded;
    uint8_t  included;
    uint8_t  verdict;        /* some matching INCLUDE asks for one */
    uint8_t  closed;         /* ... and one of those fails closed */
} hg_pattern_hit;

/* Builds the automaton of the non-PREFIX entries and the group members
 * (validated by config.c; members[i] for entry i, NULL when no group);
 * *out stays NULL when there are none. INVALID_PARAMETER when the patterns
 * together exceed HG_PATTERN_MAX_COUNT / _UNITS / _CELLS. Allocates. */
uint32_t hg_pattern_build(const unsigned char *buf, const HG_CONFIG_HEADER *h,
                          const HG_PREFIX_ENTRY *entries, uint32_t entry_count,
                          const hg_member_info *members, hg_patterns **out);
void     hg_patterns_free(hg_patterns *p);
/* Whether an entry goes into the automaton (else into the prefix trie). */
int      hg_pattern_entry_in_automaton(const HG_PREFIX_ENTRY *e);
/* One pass over the key path (and for value classes '\' + value name):
 * no allocation, no recursion, constant work per code unit. Image entries
 * take no part in it. The key-path and full-name members that match OR their
 * clause bits into clauses[HG_CLAUSE_WORDS]; the image and subject passes
 * below do the same for theirs. */
void     hg_pattern_match(const hg_patterns *p, uint16_t operation, const hg_utf16 *key_path,
                          const hg_utf16 *value_name, hg_pattern_hit *hit, uint64_t *clauses);
/* The caller's image in Sysmon form, as two pieces read one after the
 * other (drive "C:" + the rest after the device, or the whole NT path):
 * derived by subscription.c from the volume map without copying. */
typedef struct hg_image_form {
    const uint16_t *head;
    uint32_t head_units;
    const uint16_t *tail;
    uint32_t tail_units;
    uint32_t mapped;         /* the anchored entries may be evaluated */
} hg_image_form;
/* One pass over the caller's image with the image entries only; `image`
 * NULL means unknown: p->image_unknown's includes, no exclusion. An
 * unmapped image gets p->image_unmapped's includes for the anchored entries
 * and is scanned for SUFFIX/CONTAINS only. */
void     hg_pattern_match_image(const hg_patterns *p, uint16_t operation, const hg_image_form *image,
                                hg_pattern_hit *hit, uint64_t *clauses);
/* One pass over the operation's subject - `head` then `tail`, as one string
 * (RenameKey: parent path with its '\', new name; SetValue: empty head, the
 * rendered data) - with the DATA / NEW_NAME entries only. `known` 0 means
 * unknown: p->subject_unknown's includes, no exclusion. */
void     hg_pattern_match_subject(const hg_patterns *p, uint16_t operation, int known,
                                  const hg_utf16 *head, const hg_utf16 *tail, hg_pattern_hit *hit,
                                  uint64_t *clauses);

/* One volume-map entry, compiled: the device name upcased, and as sent - the
 * spelling the kernel reports (QueryDosDevice's), so the usual compare is one
 * load per unit and hg_upcase16 runs only where the spellings differ. */
typedef struct hg_volume {
    uint16_t units[HG_VOLUME_DEVICE_MAX_BYTES / 2u];
    uint16_t sent[HG_VOLUME_DEVICE_MAX_BYTES / 2u];
    uint16_t unit_count;
    uint16_t drive[2];       /* 'C', ':' */
    uint16_t reserved;
} hg_volume;

/* An accepted CONFIGURE, immutable once published. Reference counted under
 * the core lock: the core holds one reference while it is current, every
 * raiser that passed the cheap checks holds one while it matches outside the
 * lock. One allocation; the arrays point into it. */
typedef struct hg_subscription {
    uint32_t refs;           /* guarded by the core lock */
    uint32_t op_mask;
    uint32_t verdict_op_mask;
    uint32_t flags;
    uint32_t timeout_ms;
    uint16_t fail_mode;
    uint16_t default_verdict;
    uint32_t max_backlog;
    uint32_t data_cap;
    uint32_t include_count;  /* INCLUDE entries of any match kind and INCLUDE groups (not members) */
    uint32_t excluded_key_count;
    const uint64_t     *excluded_keys;  /* process keys of the excluded pids, sorted ascending */
    const hg_trie_node *nodes;          /* node 0 is the root */
    const hg_rule      *rules;
    const hg_terminal  *terminals;
    hg_patterns        *patterns;       /* NULL when no SUFFIX/CONTAINS entry; owned */
    uint32_t            volume_count;
    const hg_volume    *volumes;        /* the volume map (minor 2) */
    /* AND groups (minor 3) */
    uint32_t            group_count;
    uint32_t            group_op_mask;      /* classes some group applies to */
    /* Classes of a group every clause of which has an image or subject
     * member: it may match with no clause bit set by the path, so the
     * groups are looked at even when the path set none. */
    uint32_t            group_free_op_mask;
    const hg_group     *groups;
    uint64_t            image_clauses[HG_CLAUSE_WORDS];   /* clauses with an IMAGE member */
    uint64_t            subject_clauses[HG_CLAUSE_WORDS]; /* ... with a DATA / NEW_NAME member */
    /* A set clause bit leads to its group (so only groups with a set bit
     * are looked at); the groups that can match with no path clause are
     * listed apart, since no bit may lead to them. */
    uint8_t             group_of_clause[HG_CLAUSE_MAX_COUNT];
    uint32_t            free_group_count;
    uint8_t             free_groups[HG_GROUP_MAX_COUNT];
} hg_subscription;
HG_STATIC_ASSERT(HG_GROUP_MAX_COUNT <= 256u, "a group index fits a byte");

/* Outcome of matching one key path. */
/* Lives on the registry callback's stack (raise.c): 56 bytes, flags as
 * bytes, so the clause bits of wire minor 3 fit in the frame budget. */
typedef struct hg_match {
    uint32_t timeout_ms;     /* effective, when wants_verdict */
    uint16_t fail_mode;      /* effective HG_FAIL_OPEN/CLOSED */
    uint8_t  delivered;      /* passes the prefix sets */
    uint8_t  wants_verdict;
    /* Set by hg_sub_match_path when the path entries did not decide alone
     * and image entries for the class may: then delivered is 0 so far, and
     * hg_sub_match_image finishes the match with the caller's image. What
     * the path said is kept below for it. */
    uint8_t  needs_image;
    /* Likewise, once path and image are done, when DATA / NEW_NAME entries
     * may decide: hg_sub_match_subject finishes it. */
    uint8_t  needs_subject;
    uint8_t  path_included;
    uint8_t  reserved;
    hg_pattern_hit path_hit; /* the path's verdict candidates (prefix + patterns) */
    /* The clause bits the stages run so far set (minor 3): 32 bytes, the
     * only per-operation state groups add. */
    uint64_t clauses[HG_CLAUSE_WORDS];
} hg_match;
HG_STATIC_ASSERT(sizeof(hg_match) == 56u, "hg_match stays small: it is on the callback's stack");

/* Finishes a match left with needs_subject (see hg_pattern_match_subject
 * for head, tail and known). */
void hg_sub_match_subject(const hg_subscription *sub, uint16_t operation, int known,
                          const hg_utf16 *head, const hg_utf16 *tail, hg_match *match);

/* details.c: SetValue's data rendered as Sysmon's Details (hiveguard_wire.h,
 * HG_TARGET_DATA) into out[out_units], out_units >= HG_DETAILS_STACK_UNITS
 * (what the raise path keeps on its stack; hg_details_units_for says when a
 * text needs more). Returns 1 and sets *units, or 0 for "unknown" (a type
 * not rendered, text longer than HG_DATA_MATCH_MAX_BYTES or than out,
 * data that could not be read whole). */
#define HG_DETAILS_STACK_UNITS (256u / 2u + 16u)
int      hg_details_render(const hg_op *op, const hg_op_source *source, uint16_t *out, uint32_t out_units,
                           uint32_t *units);
/* The units rendering this operation's data takes: a text renders as
 * itself, so a REG_SZ / REG_EXPAND_SZ longer than the stack buffer needs its
 * own size; every other rendering fits HG_DETAILS_STACK_UNITS. */
uint32_t hg_details_units_for(const hg_op *op);

/* config.c: validates a CONFIGURE buffer and compiles it; on success *out has
 * refs == 1. Allocates: call without the core lock. */
uint32_t hg_config_compile(const void *in, size_t in_len, hg_subscription **out);
void     hg_subscription_free(hg_subscription *sub);

/* subscription.c */
int  hg_sub_process_excluded(const hg_subscription *sub, uint64_t process_key);
void hg_sub_match_path(const hg_subscription *sub, uint16_t operation,
                       const hg_utf16 *path, const hg_utf16 *value_name, hg_match *match);
/* Finishes a match left with needs_image; `image` NULL or empty: unknown
 * (delivered, never hidden). */
void hg_sub_match_image(const hg_subscription *sub, uint16_t operation,
                        const hg_utf16 *image, hg_match *match);

/* ---- encoded events and the backlog --------------------------------------- */

/* An encoded event waiting in the backlog. The wire record (HG_EVENT_HEADER +
 * strings + data + padding, `bytes` long) follows the struct, 8-aligned. */
typedef struct hg_queued_event {
    hg_list  link;
    uint32_t bytes;
    uint32_t reserved;
} hg_queued_event;

#define HG_QEVENT_RECORD(qe) ((unsigned char *)((qe) + 1))

/* The caller's image and SID for one operation: the operation's own, or
 * what source->resolve_identity lent for what it lacked (empty if the hook
 * failed), until hg_identity_return (exactly once per borrow; no lock held
 * for either). */
typedef struct hg_identity {
    hg_utf16 image, sid;                 /* what to use */
    hg_utf16 lent_image, lent_sid;
    hg_utf16 *ask_image, *ask_sid;       /* point at lent_* for what was asked, else NULL */
    uint32_t called;                     /* the hook ran: release it */
    uint32_t borrowed;
} hg_identity;
void hg_identity_borrow(const hg_op *op, const hg_op_source *source, hg_identity *id);
void hg_identity_return(const hg_op_source *source, hg_identity *id);

/* event.c: sizes, allocates and encodes the strings and data of one event
 * (everything but sequence/id/flags decided later under the lock) with the
 * borrowed identity. Returns NULL when out of memory. Calls
 * source->capture_data: no lock held. */
hg_queued_event *hg_event_build(const hg_op *op, const hg_utf16 *key_path,
                                const hg_op_source *source, const hg_identity *identity,
                                uint32_t data_cap, uint64_t timestamp);
HG_EVENT_HEADER *hg_event_header(hg_queued_event *qe);

/* ---- verdict waiters ------------------------------------------------------ */

enum hg_waiter_state {
    HG_WAITER_WAITING  = 0,
    HG_WAITER_ANSWERED = 1,  /* a REPLY set .verdict */
    HG_WAITER_RELEASED = 2   /* disconnect/unload set .verdict to the default */
};

/* Lives on the raiser's stack. Whoever changes .state does so under the core
 * lock and signals under it; the raiser re-takes the lock after waking before
 * it lets the waiter go out of scope, so no signaller touches a dead frame. */
typedef struct hg_waiter {
    hg_list  link;           /* in core->waiters[id % HG_WAITER_BUCKETS] while listed */
    uint64_t id;
    uint32_t state;
    uint32_t verdict;
    uint32_t listed;
    uint32_t reserved;
    hg_event event;
} hg_waiter;

typedef struct hg_released_id {
    uint64_t id;
    uint32_t answered;
    uint32_t reserved;
} hg_released_id;

/* ---- fast-path counters ---------------------------------------------------- */

/* One shard, one cache line. Updated with relaxed atomic adds (two threads
 * may hash to one shard; a preempted thread may resume on another CPU), read
 * and summed by STATS. Each gate outcome is ONE counter that stands for all
 * the STATS fields it implies, so a filtered-out operation costs one atomic
 * add: `unsubscribed` is raised + filtered_out, `no_client` is raised +
 * filtered_out + no_client. The lock-down's two are refinements of no_client
 * (lockdown_blocked also counts in blocked). */
typedef struct hg_stat_shard {
    uint64_t unsubscribed;
    uint64_t no_client;
    uint64_t lockdown_blocked;
    uint64_t lockdown_exempt;
    uint64_t pad[4];
} hg_stat_shard;

/* ---- lock-down (no client, DefaultVerdict=block) ---------------------------- */

typedef struct hg_lockdown_prefix {
    uint32_t offset;         /* into units */
    uint32_t units;
} hg_lockdown_prefix;

/* Immutable after create: read with no lock. One allocation. */
typedef struct hg_lockdown {
    uint32_t count;
    uint32_t reserved;
    hg_lockdown_prefix *prefixes;
    uint16_t *units;         /* upcased */
} hg_lockdown;

/* multi_sz NULL: the built-in list. INVALID_PARAMETER for a malformed list
 * (odd length, too long, an entry not under \REGISTRY\, an empty component
 * or a trailing separator, no entry at all). Allocates. */
uint32_t hg_lockdown_create(const uint16_t *multi_sz, uint32_t bytes, hg_lockdown **out);
void     hg_lockdown_free(hg_lockdown *ld);
uint32_t hg_lockdown_write_class(uint16_t operation);
/* A write class, from user mode, not the System process. */
uint32_t hg_lockdown_caller_blockable(const hg_op *op);
/* The path is at or below a protected prefix and not a HiveGuard service key. */
uint32_t hg_lockdown_protects(const hg_lockdown *ld, const hg_utf16 *path);
/* The caller is the service control manager. */
uint32_t hg_lockdown_is_scm(const hg_utf16 *image, const hg_utf16 *user_sid);

/* ---- the core --------------------------------------------------------------- */

struct hg_core {
    hg_lock        lock;
    hg_core_params params;

    /* client binding */
    uint32_t client_open;    /* hg_core_open succeeded, no close yet */
    uint32_t client_hello;   /* ... and HELLO succeeded: the client is bound */
    uint64_t client_key;
    uint64_t client_epoch;   /* +1 per open: detects a disconnect while a raiser was outside the lock */

    hg_subscription *sub;    /* current configuration, NULL until CONFIGURE */

    /* backlog of encoded events, FIFO */
    hg_list  backlog;
    uint32_t backlog_events;
    uint32_t backlog_bytes;
    uint64_t next_sequence;

    /* parked GET_EVENTS requests, FIFO */
    hg_list  parked;
    uint32_t parked_count;

    /* verdicts */
    uint64_t last_id;        /* last issued, 0 = none yet */
    uint32_t waiter_count;
    hg_list  waiters[HG_WAITER_BUCKETS];
    hg_released_id released[HG_RELEASED_RING];

    /* Lock-free fast path (see the top of this file). gate is written only
     * under the lock, by hg_gate_publish_locked; read with no lock. */
    uint32_t gate;
    hg_stat_shard *shards;   /* HG_STAT_SHARDS, cache-line aligned, in this allocation */
    hg_lockdown *lockdown;   /* immutable */

    /* teardown: hg_core_destroy waits for raisers that passed the gate and
     * are still inside hg_core_raise (waiters released at unbind must re-take
     * the lock). Raisers stopped at the gate are not counted: they touch only
     * the gate, their shard and immutable state, and every platform destroys
     * the core only once no raiser can be inside (Windows: CmUnRegisterCallback
     * returns after in-flight callbacks, then the driver's rundown drains;
     * host: its rundown count). */
    uint32_t active_raisers;
    uint32_t destroying;
    hg_event drained;

    HG_STATS stats;          /* counters; gauges are filled in at snapshot time */
};

/* core.c: republishes the gate word from client_hello and sub. Call under the
 * lock after changing either. */
void hg_gate_publish_locked(hg_core *core);

/* verdict.c (all *_locked: core lock held) */
void hg_verdict_init(hg_core *core);
void hg_waiter_insert_locked(hg_core *core, hg_waiter *w);
void hg_waiter_unlist_locked(hg_core *core, hg_waiter *w, uint32_t answered);
void hg_unpark_locked(hg_core *core, hg_request *req);
/* Releases every waiter with `verdict` (disconnect/unload). */
void hg_waiters_release_all_locked(hg_core *core, uint32_t verdict);

/* delivery.c */
/* Packs the detached events of `batch` into req's buffer, frees them, and
 * returns the bytes written. No lock held. */
uint32_t hg_batch_pack(hg_request *req, hg_list *batch, uint32_t count, uint64_t dropped_total);
/* Under the lock: moves as many whole events as fit into `capacity` from the
 * backlog head to `batch`, counting them delivered. Returns the count. */
uint32_t hg_backlog_take_locked(hg_core *core, uint32_t capacity, hg_list *batch);
/* Frees every event on the list. No lock held. */
void     hg_event_list_free(hg_list *list);
/* Serves parked requests from the backlog until either runs out. Takes and
 * drops the lock itself; completes outside it. */
void     hg_deliver_pending(hg_core *core);

/* client.c */
/* Under the lock: the caller is the bound client (open + HELLO). */
uint32_t hg_client_check_locked(const hg_core *core, uint64_t process_key);
/* Tears a binding down: detaches everything under the lock, then completes,
 * frees and releases outside it. Used by close and destroy. */
void     hg_client_unbind(hg_core *core);

/* subscription.c */

/* util.c */
uint32_t hg_min_u32(uint32_t a, uint32_t b);
uint32_t hg_align_up_u32(uint32_t v, uint32_t align);
/* In-place ascending sort (heapsort: no recursion, no allocation, O(n log n)
 * worst case even for a hostile configuration). */
void     hg_sort_u64(uint64_t *v, uint32_t n);

#endif /* HG_CORE_INTERNAL_H */
