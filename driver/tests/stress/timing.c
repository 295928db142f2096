/*
 * timing.c - the latency bounds the design promises registry callers:
 *   - a verdict wait that times out applies the fail mode within
 *     timeout + TIMEOUT_SLACK_MS;
 *   - with no client the default (here the lock-down's block) applies
 *     without waiting: the call returns within NO_WAIT_BOUND_MS;
 *   - with a client but nothing parked a verdict event still waits for the
 *     agent (issue 9), and no longer than its timeout + TIMEOUT_SLACK_MS,
 *     then gets its fail mode, never the default.
 * Measured around hg_core_raise with CLOCK_MONOTONIC. These are correctness
 * bounds on waits, not performance numbers.
 *
 * The machines running this are shared; a sample that misses its bound is
 * measured again up to RETRIES times, and the test fails only if every
 * attempt misses (a scheduler stall cannot repeat that reliably, a real
 * overrun - e.g. a wait that ignores its timeout - always does). Each
 * attempt's bound also grants what a plain sleep of the same length
 * overshot right before it on this thread: the core cannot wake a caller
 * sooner than the scheduler wakes anyone, so that lateness is the machine's,
 * not the wait's.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "support.h"

#define TIMEOUT_SLACK_MS  10u
/* Far below the 30 s timeout configured for that case, so meeting it proves
 * no wait happened; loose enough that a scheduling stall on a shared
 * machine does not fail it (typical: a few microseconds). */
#define NO_WAIT_BOUND_MS  20u
#define SAMPLES           5
#define RETRIES           3

static uint64_t now_us(void);

/* How late a plain sleep of `ms` wakes up on this thread now, in us. */
static uint64_t sleep_overshoot_us(unsigned ms)
{
    struct timespec ts = { (time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L };
    uint64_t t0 = now_us(), slept;

    nanosleep(&ts, NULL);
    slept = now_us() - t0;
    return slept > (uint64_t)ms * 1000u ? slept - (uint64_t)ms * 1000u : 0;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static hg_core *configured(uint32_t timeout_ms, uint16_t fail_mode, uint16_t default_verdict)
{
    unsigned char buf[256];
    HG_CONFIG_HEADER h;
    size_t len;

    cfg_defaults(&h);
    h.verdict_op_mask = HG_OP_BIT(HG_OP_SET_VALUE);
    h.timeout_ms = timeout_ms;
    h.fail_mode = fail_mode;
    h.default_verdict = default_verdict;
    len = cfg_encode(buf, sizeof buf, &h, NULL, 0, NULL, 0);
    return fixture_configured(buf, len);
}

/* One timed-out verdict wait; returns elapsed microseconds or 0 on a wrong
 * outcome. A parked request takes the event so the caller really waits. */
static uint64_t one_timeout(uint32_t timeout_ms, uint16_t fail_mode)
{
    hg_core *core = configured(timeout_ms, fail_mode, HG_VERDICT_ALLOW);
    test_request *t = treq_new(core, HG_GET_EVENTS_MIN_BYTES);
    hg_raise_result r;
    hg_op op;
    size_t w;
    uint64_t t0, t1;
    uint32_t expected = fail_mode == HG_FAIL_CLOSED ? HG_VERDICT_BLOCK : HG_VERDICT_ALLOW;

    if (core == NULL || t == NULL ||
        hg_core_get_events(core, TEST_CLIENT_KEY, &t->req, &w) != HG_STATUS_PENDING)
        return 0;
    top_init(&op, HG_OP_SET_VALUE, 10);
    t0 = now_us();
    raise_path(core, &op, "\\REGISTRY\\MACHINE\\SOFTWARE\\T", NULL, 0, &r);
    t1 = now_us();
    hg_core_destroy(core);
    treq_free(t);
    if (!r.waited || !r.timed_out || r.verdict != expected)
        return 0;
    return t1 - t0;
}

static int check_timeouts(void)
{
    static const uint32_t timeouts[] = { HG_TIMEOUT_MIN_MS, 20, 100, 250 };
    static const uint16_t modes[] = { HG_FAIL_OPEN, HG_FAIL_CLOSED };
    size_t i, m;
    int s, failed = 0;

    for (i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        for (m = 0; m < 2; m++) {
            uint64_t worst = 0; /* the worst sample's lateness beyond its own bound's baseline */
            for (s = 0; s < SAMPLES; s++) {
                uint64_t best = UINT64_MAX, shortest = UINT64_MAX; /* shortest: raw, for "never early" */
                int attempt;
                for (attempt = 0; attempt < RETRIES; attempt++) {
                    uint64_t machine = sleep_overshoot_us(timeouts[i]);
                    uint64_t us = one_timeout(timeouts[i], modes[m]);
                    if (us == 0) {
                        printf("timeout %4u ms %-11s: wrong outcome\n", timeouts[i],
                               modes[m] == HG_FAIL_OPEN ? "fail-open" : "fail-closed");
                        return 1;
                    }
                    if (us < shortest)
                        shortest = us;
                    us = us > machine ? us - machine : 0;
                    if (us < best)
                        best = us;
                    if (best <= (uint64_t)(timeouts[i] + TIMEOUT_SLACK_MS) * 1000u)
                        break;
                }
                if (best > worst)
                    worst = best;
                /* never early: the caller waited its whole budget */
                if (shortest + 1000u < (uint64_t)timeouts[i] * 1000u) {
                    printf("timeout %4u ms: returned EARLY after %.3f ms\n", timeouts[i], (double)shortest / 1000.0);
                    failed = 1;
                }
            }
            printf("timeout %4u ms %-11s: worst of %d, less a plain sleep's lateness = %7.3f ms (bound %u ms) %s\n",
                   timeouts[i],
                   modes[m] == HG_FAIL_OPEN ? "fail-open" : "fail-closed", SAMPLES, (double)worst / 1000.0,
                   timeouts[i] + TIMEOUT_SLACK_MS,
                   worst <= (uint64_t)(timeouts[i] + TIMEOUT_SLACK_MS) * 1000u ? "ok" : "EXCEEDED");
            if (worst > (uint64_t)(timeouts[i] + TIMEOUT_SLACK_MS) * 1000u)
                failed = 1;
        }
    }
    return failed;
}

#define UNPARKED_TIMEOUT_MS 20u
#define UNPARKED_SAMPLES    10

static int check_no_wait(void)
{
    hg_core_params params = { .no_client_verdict = HG_VERDICT_BLOCK, .capabilities = 0, .instance_id = 1 };
    hg_core *lonely, *unparked;
    hg_raise_result r;
    hg_op op;
    uint64_t worst_lonely = 0, worst_unparked = 0, least_unparked = UINT64_MAX;
    int i, failed = 0, unparked_in_bound = 0;

    if (hg_core_create(&params, &lonely) != HG_STATUS_SUCCESS)
        return 1;
    unparked = configured(UNPARKED_TIMEOUT_MS, HG_FAIL_CLOSED, HG_VERDICT_ALLOW);
    if (unparked == NULL)
        return 1;
    for (i = 0; i < 200; i++) {
        uint64_t t0, t1;

        top_init(&op, HG_OP_SET_VALUE, 10);
        t0 = now_us();
        raise_path(lonely, &op, "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
                   NULL, 0, &r);
        t1 = now_us();
        if (r.waited || r.verdict != HG_VERDICT_BLOCK)
            failed = 1;
        if (t1 - t0 > worst_lonely)
            worst_lonely = t1 - t0;
    }
    for (i = 0; i < UNPARKED_SAMPLES; i++) {
        uint64_t t0, t1;

        top_init(&op, HG_OP_SET_VALUE, 10);
        t0 = now_us();
        raise_path(unparked, &op, "\\REGISTRY\\MACHINE\\SOFTWARE\\T", NULL, 0, &r);
        t1 = now_us();
        /* it waited for the agent, then the fail mode (closed), not the default (allow) */
        if (!r.waited || !r.timed_out || r.verdict != HG_VERDICT_BLOCK)
            failed = 1;
        if (t1 - t0 > worst_unparked)
            worst_unparked = t1 - t0;
        if (t1 - t0 <= (UNPARKED_TIMEOUT_MS + TIMEOUT_SLACK_MS) * 1000u)
            unparked_in_bound++;
        if (t1 - t0 < least_unparked)
            least_unparked = t1 - t0;
    }
    printf("no client            : worst of 200 = %7.3f ms (bound %u ms) %s\n", (double)worst_lonely / 1000.0,
           NO_WAIT_BOUND_MS, worst_lonely <= NO_WAIT_BOUND_MS * 1000u && !failed ? "ok" : "EXCEEDED");
    /* As in check_timeouts, a shared machine may stall one sample: most must
     * meet the bound (a wait that ignores its timeout misses it every time),
     * and none may return early. */
    printf("client, none parked  : %d waits of %u ms, shortest %7.3f ms, worst %7.3f ms, %d within %u ms %s\n",
           UNPARKED_SAMPLES, UNPARKED_TIMEOUT_MS, (double)least_unparked / 1000.0,
           (double)worst_unparked / 1000.0, unparked_in_bound, UNPARKED_TIMEOUT_MS + TIMEOUT_SLACK_MS,
           unparked_in_bound * 2 > UNPARKED_SAMPLES &&
           least_unparked >= UNPARKED_TIMEOUT_MS * 1000u && !failed ? "ok" : "EXCEEDED");
    if (worst_lonely > NO_WAIT_BOUND_MS * 1000u || least_unparked < UNPARKED_TIMEOUT_MS * 1000u ||
        unparked_in_bound * 2 <= UNPARKED_SAMPLES)
        failed = 1;
    hg_core_destroy(lonely);
    hg_core_destroy(unparked);
    return failed;
}

int main(void)
{
    int passed = 0, failed = 0;

    if (check_timeouts() == 0)
        passed++;
    else
        failed++;
    if (check_no_wait() == 0)
        passed++;
    else
        failed++;
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
