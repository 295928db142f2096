/*
 * hgwt.h - what the parts of hgwinetest.exe share: limits, the harness
 * (reporting, per-case timeout), device I/O helpers and wire builders.
 */
#ifndef HGWT_H
#define HGWT_H

#include <windows.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include "hiveguard_wire.h"
#include "hg_inject_abi.h"

#define CASE_TIMEOUT_MS     30000u /* one case; the longest waits on a 25 s verdict budget at most */
#define IO_TIMEOUT_MS       10000u /* one synchronous IOCTL */
#define EVENT_WAIT_MS       5000u  /* an event expected on the completion port */
#define NOTHING_WAIT_MS     300u   /* proving that nothing arrives */
#define SCM_TIMEOUT_MS      20000u /* service start/stop */
#define LONG_VERDICT_MS     25000u /* verdict budget that must never be reached in a case */
#define SHORT_VERDICT_MS    200u   /* verdict budget that a case lets expire */
#define RELEASE_BOUND_MS    5000u  /* released callers must return well before LONG_VERDICT_MS */
#define BATCH_BYTES         (HG_GET_EVENTS_MIN_BYTES + 4096u)
#define TEST_PID            4242u

typedef struct config_spec {
    uint32_t op_mask, verdict_op_mask, flags, timeout_ms, data_cap;
    uint16_t fail_mode, default_verdict;
    const wchar_t *prefix;         /* optional prefix, all classes */
    uint16_t prefix_kind;          /* HG_PREFIX_INCLUDE / HG_PREFIX_EXCLUDE */
    uint16_t prefix_flags;         /* HG_PREFIX_F_* */
} config_spec;

typedef struct inject_op {
    uint16_t operation, flags;
    uint32_t value_type;
    uint64_t pid;
    const wchar_t *key, *value_name, *new_name;
    const void *data;
    uint32_t data_bytes;
    /* results */
    DWORD    error;      /* DeviceIoControl */
    uint32_t status;     /* the registry call's NTSTATUS */
    DWORD    elapsed_ms;
} inject_op;

typedef struct parked {
    OVERLAPPED ov;
    unsigned char buf[BATCH_BYTES];
} parked;

typedef struct event_view {
    HG_EVENT_HEADER h;
    const uint16_t *key, *value_name, *new_name;
    const unsigned char *data;
} event_view;

extern int g_passed, g_failed;
extern const wchar_t *g_service;
extern HANDLE g_client, g_port, g_inject;
extern int g_want_inject;
extern const wchar_t *g_release_image; /* optional: path of the release .sys for the inject suite */

#define CHECK(c) check_at((c) != 0, #c, __LINE__)
#define CHECK_EQ(a, b) check_eq_at((unsigned long long)(a), (unsigned long long)(b), #a, __LINE__)

int check_at(int ok, const char *what, int line);
int check_eq_at(unsigned long long got, unsigned long long want, const char *expr, int line);
void summary_and_exit(int code);
void run_case(const char *name, void (*fn)(void));
HANDLE open_client(void);
DWORD dev_call(HANDLE h, DWORD code, const void *in, DWORD in_len, void *out,
                      DWORD out_len, DWORD *bytes);
DWORD hello(HANDLE h, uint32_t magic, uint16_t major, HG_HELLO_REPLY *reply);
DWORD build_config(const config_spec *s, unsigned char *buf, DWORD cap);
DWORD configure(HANDLE h, const config_spec *s);
config_spec audit_all(void);
config_spec verdict_all(uint32_t timeout_ms, uint16_t fail_mode);
int get_stats(HG_STATS *st);
void inject_run(HANDLE h, inject_op *op);
HANDLE inject_async(inject_op *op);
int join(HANDLE t, DWORD ms);
DWORD park(parked *p);
parked *completion(DWORD ms, DWORD *err, DWORD *bytes);
int first_event(const parked *p, DWORD bytes, event_view *ev, uint32_t *count);
int str_is(const uint16_t *s, uint32_t bytes, const wchar_t *want);
HG_REPLY_RESULT reply(uint64_t id, uint32_t verdict, DWORD *err);
int connect_client(void);
void disconnect_client(void);
int service_wait(SC_HANDLE svc, DWORD state);
int service_start(void);
int service_stop(void);

/* The two suites (hgwt_inject_cases.c, hgwt_real_cases.c) and their helpers. */
void run_inject_suite(void);
int  inject_child_main(const wchar_t *ready_name, const wchar_t *die_name);
void run_real_suite(void);
int  reg_helper_main(int argc, wchar_t **argv);

#endif /* HGWT_H */
