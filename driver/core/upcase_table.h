/*
 * upcase_table.h - the generated data behind hg_upcase16 (util.c): see
 * gen_upcase_table.py for what it is and how it is built.
 */
#ifndef HG_UPCASE_TABLE_H
#define HG_UPCASE_TABLE_H

#include <stdint.h>

/* Page of each high byte, then per page the 256 deltas (upcase - unit, mod
 * 2^16) of its low bytes. */
extern const uint8_t  hg_upcase_page_index[256];
extern const uint16_t hg_upcase_page_delta[][256];

#endif /* HG_UPCASE_TABLE_H */
