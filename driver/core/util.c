/*
 * util.c - the few helpers the core needs that a kernel build cannot take
 * from libc (only memcpy/memset/memcmp are available there): intrusive
 * lists, integer helpers, a non-recursive sort, and the UTF-16 upcase the
 * path matcher and the host's device-name comparison share.
 */
#include "core_internal.h"

void hg_list_init(hg_list *head)
{
    head->next = head;
    head->prev = head;
}

int hg_list_empty(const hg_list *head)
{
    return head->next == head;
}

void hg_list_push_back(hg_list *head, hg_list *node)
{
    node->prev = head->prev;
    node->next = head;
    head->prev->next = node;
    head->prev = node;
}

void hg_list_remove(hg_list *node)
{
    node->prev->next = node->next;
    node->next->prev = node->prev;
    node->next = node;
    node->prev = node;
}

hg_list *hg_list_pop_front(hg_list *head)
{
    hg_list *node;

    if (hg_list_empty(head))
        return NULL;
    node = head->next;
    hg_list_remove(node);
    return node;
}

void hg_list_splice_back(hg_list *dst, hg_list *src)
{
    if (hg_list_empty(src))
        return;
    src->next->prev = dst->prev;
    dst->prev->next = src->next;
    src->prev->next = dst;
    dst->prev = src->prev;
    hg_list_init(src);
}

uint32_t hg_min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

uint32_t hg_align_up_u32(uint32_t v, uint32_t align)
{
    return (v + align - 1u) & ~(align - 1u);
}

static void sift_down_u64(uint64_t *v, uint32_t start, uint32_t end)
{
    uint32_t root = start;

    for (;;) {
        uint32_t child = 2u * root + 1u;
        uint64_t tmp;

        if (child >= end)
            return;
        if (child + 1u < end && v[child] < v[child + 1u])
            child++;
        if (v[root] >= v[child])
            return;
        tmp = v[root];
        v[root] = v[child];
        v[child] = tmp;
        root = child;
    }
}

void hg_sort_u64(uint64_t *v, uint32_t n)
{
    uint32_t i;

    if (n < 2u)
        return;
    for (i = n / 2u; i > 0u; i--)
        sift_down_u64(v, i - 1u, n);
    for (i = n - 1u; i > 0u; i--) {
        uint64_t tmp = v[0];
        v[0] = v[i];
        v[i] = tmp;
        sift_down_u64(v, 0u, i);
    }
}

/*
 * Why a small table-free upcase instead of Windows' full one: the registry
 * compares names with the kernel's upcase table (RtlUpcaseUnicodeChar), which
 * is ~64 KiB of data we would have to carry in non-paged pool and keep in
 * sync. Key paths are overwhelmingly ASCII; the non-ASCII names seen in
 * practice are user-profile, vendor and product names in Western European
 * (Latin-1, Latin Extended-A), Greek and Cyrillic scripts, which all have
 * simple one-to-one case pairs covered below. Scripts without case (CJK,
 * Arabic, Hebrew...) need no folding. Outside these ranges a prefix must be
 * written in the same case as the key name - a documented limitation.
 *
 * Deliberately NOT folded: U+0131 (dotless i) and U+017F (long s). Their
 * Unicode uppercase is ASCII 'I'/'S'; folding them would make an ASCII prefix
 * such as \REGISTRY\MACHINE\SOFTWARE\POLICIES match a differently spelled key
 * ("PolıCIES") that the registry itself treats as a different name, which
 * would let a look-alike key inherit the rules of a real one.
 */
uint16_t hg_upcase16(uint16_t c)
{
    if (c < 0x80u)
        return (c >= 'a' && c <= 'z') ? (uint16_t)(c - 0x20u) : c;
    if (c <= 0xFFu) {
        /* Latin-1: a-grave..thorn map down by 0x20 except the division sign;
         * y-diaeresis's capital lives in Latin Extended-A. */
        if (c >= 0xE0u && c <= 0xFEu && c != 0xF7u)
            return (uint16_t)(c - 0x20u);
        if (c == 0xFFu)
            return 0x0178u;
        return c;
    }
    if (c <= 0x17Fu) {
        /* Latin Extended-A: pairs (capital, small) starting on an even code
         * point in 0x100-0x137 and 0x14A-0x177, on an odd one in 0x139-0x148
         * and 0x179-0x17E. */
        if ((c >= 0x100u && c <= 0x12Fu) || (c >= 0x132u && c <= 0x137u) ||
            (c >= 0x14Au && c <= 0x177u))
            return (c & 1u) ? (uint16_t)(c - 1u) : c;
        if ((c >= 0x139u && c <= 0x148u) || (c >= 0x179u && c <= 0x17Eu))
            return (c & 1u) ? c : (uint16_t)(c - 1u);
        return c;
    }
    if (c == 0x3C2u)                               /* Greek final sigma: same capital as sigma */
        return 0x03A3u;
    if (c == 0x3ACu)                               /* Greek small letters with tonos */
        return 0x0386u;
    if (c >= 0x3ADu && c <= 0x3AFu)
        return (uint16_t)(c - 0x25u);
    if (c == 0x3CCu)
        return 0x038Cu;
    if (c == 0x3CDu || c == 0x3CEu)
        return (uint16_t)(c - 0x3Fu);
    if (c >= 0x3B1u && c <= 0x3CBu)                /* Greek small alpha..upsilon-dialytika */
        return (uint16_t)(c - 0x20u);
    if (c >= 0x430u && c <= 0x44Fu)                /* Cyrillic small a..ya */
        return (uint16_t)(c - 0x20u);
    if (c >= 0x450u && c <= 0x45Fu)                /* Cyrillic small ie-grave..dzhe */
        return (uint16_t)(c - 0x50u);
    return c;
}
