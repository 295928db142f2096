/*
 * host_utf.c - wchar_t (UTF-32 on Linux) to the UTF-16 the kernel and the
 * wire use, and the object manager's case-insensitive name comparison.
 *
 * Code points above U+FFFF become surrogate pairs. A lone surrogate value is
 * passed through as one code unit: Windows does not validate UTF-16 in
 * registry names, so such names exist and a Windows caller could raise them.
 * A value that is no code point at all (above U+10FFFF, or negative) becomes
 * U+FFFD, since no UTF-16 string can carry it.
 */
#include "host_internal.h"

#define UTF16_MAX_UNITS    (HOST_UNICODE_STRING_MAX_BYTES / 2u)
#define UNICODE_MAX        0x10FFFFu
#define BMP_MAX            0xFFFFu
#define REPLACEMENT_CHAR   0xFFFDu
#define SURROGATE_HIGH     0xD800u
#define SURROGATE_LOW      0xDC00u
#define SURROGATE_OFFSET   0x10000u
#define SURROGATE_BITS     10u
#define SURROGATE_MASK     0x3FFu

static int needs_pair(uint32_t c)
{
    return c > BMP_MAX && c <= UNICODE_MAX;
}

size_t host_utf16_units(const wchar_t *s)
{
    size_t n = 0;
    if (s == NULL)
        return 0;
    for (; *s != 0; s++) {
        n += needs_pair((uint32_t)*s) ? 2u : 1u;
        if (n > UTF16_MAX_UNITS)
            return SIZE_MAX;
    }
    return n;
}

void host_utf16_encode(const wchar_t *s, uint16_t *dst)
{
    if (s == NULL)
        return;
    for (; *s != 0; s++) {
        uint32_t c = (uint32_t)*s;
        if (needs_pair(c)) {
            c -= SURROGATE_OFFSET;
            *dst++ = (uint16_t)(SURROGATE_HIGH | (c >> SURROGATE_BITS));
            *dst++ = (uint16_t)(SURROGATE_LOW | (c & SURROGATE_MASK));
        } else if (c > UNICODE_MAX) {
            *dst++ = REPLACEMENT_CHAR;
        } else {
            *dst++ = (uint16_t)c;
        }
    }
}

int host_wide_equal_nocase(const wchar_t *a, const wchar_t *b)
{
    for (; *a != 0 && *b != 0; a++, b++) {
        uint32_t ca = (uint32_t)*a, cb = (uint32_t)*b;
        if (ca > BMP_MAX || cb > BMP_MAX) {
            if (ca != cb)
                return 0;
        } else if (hg_upcase16((uint16_t)ca) != hg_upcase16((uint16_t)cb)) {
            return 0;
        }
    }
    return *a == 0 && *b == 0;
}
