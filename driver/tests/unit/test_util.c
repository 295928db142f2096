/* test_util.c - lists, sort, upcase: the helpers the kernel build cannot
 * take from libc. */
#include "tests.h"
#include "core_internal.h"

int test_list_push_pop_splice(void)
{
    hg_list a, b, n[4];
    int i;

    hg_list_init(&a);
    hg_list_init(&b);
    CHECK(hg_list_empty(&a));
    CHECK(hg_list_pop_front(&a) == NULL);
    for (i = 0; i < 2; i++)
        hg_list_push_back(&a, &n[i]);
    for (i = 2; i < 4; i++)
        hg_list_push_back(&b, &n[i]);
    hg_list_splice_back(&a, &b);
    CHECK(hg_list_empty(&b));
    for (i = 0; i < 4; i++)
        CHECK(hg_list_pop_front(&a) == &n[i]);
    CHECK(hg_list_empty(&a));
    hg_list_push_back(&a, &n[0]);
    hg_list_push_back(&a, &n[1]);
    hg_list_remove(&n[0]);
    CHECK(hg_list_pop_front(&a) == &n[1]);
    hg_list_splice_back(&a, &b); /* empty source: no-op */
    CHECK(hg_list_empty(&a));
    return 0;
}

int test_sort_u64_orders_any_input(void)
{
    uint64_t v[300];
    uint32_t i, n;

    for (n = 0; n < 300; n += 37) {
        for (i = 0; i < n; i++)
            v[i] = (uint64_t)((i * 2654435761u) % 97u) << (i % 40u);
        hg_sort_u64(v, n);
        for (i = 1; i < n; i++)
            CHECK(v[i - 1] <= v[i]);
    }
    v[0] = UINT64_MAX;
    v[1] = 0;
    hg_sort_u64(v, 2);
    CHECK(v[0] == 0 && v[1] == UINT64_MAX);
    return 0;
}

int test_min_align(void)
{
    CHECK_EQ(hg_min_u32(3, 9), 3);
    CHECK_EQ(hg_min_u32(9, 3), 3);
    CHECK_EQ(hg_align_up_u32(0, 8), 0);
    CHECK_EQ(hg_align_up_u32(1, 8), 8);
    CHECK_EQ(hg_align_up_u32(80, 8), 80);
    CHECK_EQ(hg_align_up_u32(81, 8), 88);
    return 0;
}

int test_upcase16_ranges(void)
{
    uint32_t c;

    for (c = 'a'; c <= 'z'; c++)
        CHECK_EQ(hg_upcase16((uint16_t)c), c - 0x20u);
    for (c = 0; c < 0x80u; c++)
        if (c < 'a' || c > 'z')
            CHECK_EQ(hg_upcase16((uint16_t)c), c);
    CHECK_EQ(hg_upcase16(0x00E9), 0x00C9);  /* e-acute */
    CHECK_EQ(hg_upcase16(0x00C9), 0x00C9);
    CHECK_EQ(hg_upcase16(0x00F7), 0x00F7);  /* division sign has no case */
    CHECK_EQ(hg_upcase16(0x00FF), 0x0178);  /* y-diaeresis */
    CHECK_EQ(hg_upcase16(0x00DF), 0x00DF);  /* sharp s: no single capital */
    CHECK_EQ(hg_upcase16(0x0101), 0x0100);  /* a-macron */
    CHECK_EQ(hg_upcase16(0x0100), 0x0100);
    CHECK_EQ(hg_upcase16(0x0133), 0x0132);  /* ij */
    CHECK_EQ(hg_upcase16(0x013A), 0x0139);  /* l-acute: odd-start pairs */
    CHECK_EQ(hg_upcase16(0x0148), 0x0147);
    CHECK_EQ(hg_upcase16(0x0151), 0x0150);  /* o-double-acute */
    CHECK_EQ(hg_upcase16(0x017E), 0x017D);  /* z-caron */
    CHECK_EQ(hg_upcase16(0x0131), 0x0131);  /* dotless i: deliberately not ASCII I */
    CHECK_EQ(hg_upcase16(0x017F), 0x017F);  /* long s: deliberately not ASCII S */
    CHECK_EQ(hg_upcase16(0x03B1), 0x0391);  /* Greek alpha */
    CHECK_EQ(hg_upcase16(0x03C2), 0x03A3);  /* final sigma */
    CHECK_EQ(hg_upcase16(0x03AC), 0x0386);  /* alpha with tonos */
    CHECK_EQ(hg_upcase16(0x03AF), 0x038A);  /* iota with tonos */
    CHECK_EQ(hg_upcase16(0x03CC), 0x038C);  /* omicron with tonos */
    CHECK_EQ(hg_upcase16(0x03CE), 0x038F);  /* omega with tonos */
    CHECK_EQ(hg_upcase16(0x0430), 0x0410);  /* Cyrillic a */
    CHECK_EQ(hg_upcase16(0x0451), 0x0401);  /* Cyrillic io */
    /* Beyond the few scripts an ASCII/Latin-1/Greek/Cyrillic subset covers:
     * the full simple-uppercase table the registry folds with. */
    CHECK_EQ(hg_upcase16(0x0180), 0x0243);  /* Latin Extended-B: b with stroke */
    CHECK_EQ(hg_upcase16(0x01C6), 0x01C4);  /* dz with caron */
    CHECK_EQ(hg_upcase16(0x01C5), 0x01C4);  /* ... and its titlecase form */
    CHECK_EQ(hg_upcase16(0x00B5), 0x039C);  /* micro sign -> Greek capital mu */
    CHECK_EQ(hg_upcase16(0x0561), 0x0531);  /* Armenian ayb */
    CHECK_EQ(hg_upcase16(0x10D0), 0x1C90);  /* Georgian an -> Mtavruli */
    CHECK_EQ(hg_upcase16(0x1E01), 0x1E00);  /* Latin Extended Additional */
    CHECK_EQ(hg_upcase16(0x1F00), 0x1F08);  /* Greek Extended */
    CHECK_EQ(hg_upcase16(0x1F80), 0x1F88);  /* simple mapping, not SpecialCasing's two units */
    CHECK_EQ(hg_upcase16(0x2C30), 0x2C00);  /* Glagolitic */
    CHECK_EQ(hg_upcase16(0x24D0), 0x24B6);  /* circled a */
    CHECK_EQ(hg_upcase16(0xAB70), 0x13A0);  /* Cherokee small a */
    CHECK_EQ(hg_upcase16(0xFF41), 0xFF21);  /* fullwidth a */
    CHECK_EQ(hg_upcase16(0x4E2D), 0x4E2D);  /* CJK has no case */
    CHECK_EQ(hg_upcase16(0xD800), 0xD800);  /* surrogates pass through */
    /* Idempotent everywhere: upcasing an upcased unit changes nothing. */
    for (c = 0; c <= 0xFFFFu; c++)
        CHECK_EQ(hg_upcase16(hg_upcase16((uint16_t)c)), hg_upcase16((uint16_t)c));
    return 0;
}
