/*
 * ht_device.h - what the agent does with the device, written out by hand
 * against the wire header, so the tests drive the library exactly through its
 * exported Win32 surface.
 */
#ifndef HT_DEVICE_H
#define HT_DEVICE_H

#include <errno.h>
#include <stddef.h>
#include "ht.h"

/* A GET_EVENTS buffer: the smallest the driver accepts, rounded up. */
#define HT_EVENTS_BYTES      (64u * 1024u)
/* Most events one such buffer can carry (each is at least a header). */
#define HT_MAX_BATCH_EVENTS  (HT_EVENTS_BYTES / HG_EVENT_HEADER_BYTES)
/* A registry caller that is not this process (this process is the client,
 * whose own operations the driver never delivers). */
#define HT_OTHER_PROCESS     0x5151u
#define HT_OTHER_PID         4242u
#define HT_LONG_TIMEOUT_MS   HG_TIMEOUT_MAX_MS

HANDLE   ht_open(int overlapped);
/* HELLO; returns the instance id, 0 on failure. */
uint64_t ht_hello(HANDLE h, int overlapped);
/* CONFIGURE with no prefixes: every class delivered, `verdict_mask` waits. */
BOOL     ht_configure(HANDLE h, int overlapped, uint32_t verdict_mask, uint32_t timeout_ms,
                      uint16_t fail_mode, uint16_t default_verdict);
/* open + HELLO + CONFIGURE; INVALID_HANDLE_VALUE on failure. */
HANDLE   ht_client(int overlapped, uint32_t verdict_mask, uint32_t timeout_ms,
                   uint16_t fail_mode, uint16_t default_verdict);
/* A synchronous-completing IOCTL on either kind of handle. On an overlapped
 * handle the OVERLAPPED's hEvent has its low bit set, so no packet is queued. */
BOOL     ht_ioctl(HANDLE h, int overlapped, DWORD code, void *in, DWORD in_len, void *out,
                  DWORD out_len, DWORD *returned);
/* Parks GET_EVENTS on an overlapped handle: returns 1 if it pended. */
int      ht_park(HANDLE h, OVERLAPPED *ov, void *buf);
BOOL     ht_reply(HANDLE h, int overlapped, uint64_t id, uint32_t verdict, HG_REPLY_RESULT *res);
HG_STATS ht_stats(void);

/* A raise from another process, audit style (no strings but the key path). */
uint32_t ht_raise(uint32_t op, const wchar_t *key, const wchar_t *value_name);

/* Walks the events of a completed GET_EVENTS buffer. */
typedef struct ht_event_view {
    const HG_EVENT_HEADER *h;
    const uint16_t        *key_path;
    const uint16_t        *value_name;
    const unsigned char   *data;
} ht_event_view;
/* Validates the batch; returns its event count (filling at most cap views)
 * or -1 if it is malformed. */
int      ht_batch_events(const void *buf, DWORD bytes, ht_event_view *out, int cap);
/* 1 if the UTF-16 field equals the ASCII/BMP wide string. */
int      ht_utf16_eq(const uint16_t *chars, uint32_t bytes, const wchar_t *expect);

uint64_t ht_now_ms(void);
void     ht_sleep_ms(unsigned ms);
/* Polls the counters until pred holds or ~10 s pass; returns pred's last value. */
int      ht_wait_stats(int (*pred)(const HG_STATS *s, uint64_t arg), uint64_t arg);
int      ht_pred_pending_waiters(const HG_STATS *s, uint64_t n);
int      ht_pred_parked(const HG_STATS *s, uint64_t n);

#endif /* HT_DEVICE_H */
