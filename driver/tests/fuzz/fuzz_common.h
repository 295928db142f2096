/*
 * fuzz_common.h - helpers shared by the libFuzzer targets. A target aborts
 * (which libFuzzer reports as a finding) whenever the core breaks one of its
 * promises on hostile input, not only when it crashes: a rejected message
 * must change nothing, an accepted one must produce well-formed output.
 */
#ifndef HG_FUZZ_COMMON_H
#define HG_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

#define FUZZ_REQUIRE(cond)                                                   \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "fuzz invariant broken at %s:%d: %s\n",          \
                    __FILE__, __LINE__, #cond);                              \
            abort();                                                         \
        }                                                                    \
    } while (0)

static inline int is_error_status(uint32_t s)
{
    return (s & 0xC0000000u) == 0xC0000000u;
}

/* raised == filtered_out + delivered + dropped + what is still queued: holds
 * at any quiet moment of a single-threaded run. */
static inline void require_accounting(hg_core *core)
{
    HG_STATS s;

    hg_core_get_stats(core, &s);
    FUZZ_REQUIRE(s.raised == s.filtered_out + s.delivered + s.dropped + s.backlog_events);
    FUZZ_REQUIRE(s.self_excluded + s.no_client <= s.filtered_out);
}

/* A completed GET_EVENTS buffer is a batch header plus whole, well-formed
 * events that exactly fill `bytes`. */
static inline void require_batch(const unsigned char *buf, uint32_t bytes, uint32_t capacity)
{
    HG_BATCH_HEADER b;
    uint32_t off = sizeof b, i;

    FUZZ_REQUIRE(bytes >= sizeof b && bytes <= capacity);
    memcpy(&b, buf, sizeof b);
    FUZZ_REQUIRE(b.magic == HG_WIRE_MAGIC && b.count >= 1 && b.total_bytes == bytes && b.reserved == 0);
    for (i = 0; i < b.count; i++) {
        HG_EVENT_HEADER e;
        uint32_t strings;

        FUZZ_REQUIRE(off + sizeof e <= bytes);
        memcpy(&e, buf + off, sizeof e);
        strings = (uint32_t)e.key_path_bytes + e.value_name_bytes + e.new_name_bytes + e.image_bytes + e.user_sid_bytes;
        FUZZ_REQUIRE(e.size % HG_EVENT_ALIGN == 0 && e.size <= HG_MAX_EVENT_BYTES);
        FUZZ_REQUIRE(HG_EVENT_HEADER_BYTES + strings + e.data_bytes <= e.size);
        FUZZ_REQUIRE(e.size - (HG_EVENT_HEADER_BYTES + strings + e.data_bytes) < HG_EVENT_ALIGN);
        FUZZ_REQUIRE((e.flags & ~HG_EVENT_F_ALL) == 0 && e.reserved == 0);
        FUZZ_REQUIRE(((e.flags & HG_EVENT_F_VERDICT_REQUESTED) != 0) == (e.id != 0));
        FUZZ_REQUIRE(e.key_path_bytes <= HG_KEY_PATH_MAX_BYTES && e.data_bytes <= HG_DATA_CAP_MAX);
        off += e.size;
    }
    FUZZ_REQUIRE(off == bytes);
}

#endif
