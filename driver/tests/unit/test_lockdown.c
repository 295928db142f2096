/* test_lockdown.c - DefaultVerdict=block with no client cannot brick the
 * machine: it blocks only user-mode writes on protected prefixes, and each
 * exemption (class, kernel caller, System, the HiveGuard service keys, the
 * service control manager, an unresolvable name) holds. */
#include "tests.h"

#define RUN_KEY   KEY_MACHINE_SOFTWARE "\\Microsoft\\Windows\\CurrentVersion\\Run"
#define SCM_IMAGE "\\Device\\HarddiskVolume3\\Windows\\System32\\services.exe"

static hg_core *lockdown_core(const char *multi_sz_utf8, size_t multi_sz_units)
{
    static uint16_t units[1024];
    hg_core_params params = { .no_client_verdict = HG_VERDICT_BLOCK, .capabilities = 0, .instance_id = 1 };
    hg_core *core = NULL;
    size_t i;

    if (multi_sz_utf8 != NULL) {
        for (i = 0; i < multi_sz_units; i++)
            units[i] = (uint16_t)(unsigned char)multi_sz_utf8[i]; /* ASCII; embedded NULs kept */
        params.protected_prefixes = units;
        params.protected_prefixes_bytes = (uint32_t)(multi_sz_units * 2u);
    }
    if (hg_core_create(&params, &core) != HG_STATUS_SUCCESS)
        return NULL;
    return core;
}

static uint32_t create_status(const char *multi_sz, size_t units)
{
    hg_core *core = lockdown_core(multi_sz, units);

    if (core == NULL)
        return HG_STATUS_INVALID_PARAMETER;
    hg_core_destroy(core);
    return HG_STATUS_SUCCESS;
}

/* A literal's units without the compiler's final NUL (embedded ones kept). */
#define CREATE_STATUS(lit) create_status((lit), sizeof(lit) - 1u)

static uint32_t verdict_of(hg_core *core, hg_op *op, const char *path)
{
    hg_raise_result r;

    raise_path(core, op, path, NULL, 0, &r);
    return r.verdict;
}

static hg_utf16 ascii16(uint16_t *buf, const char *s)
{
    hg_utf16 u;
    uint32_t n = 0;

    while (s[n] != '\0') {
        buf[n] = (uint16_t)(unsigned char)s[n];
        n++;
    }
    u.chars = buf;
    u.bytes = n * 2u;
    return u;
}

int test_lockdown_blocks_only_user_writes_on_protected_keys(void)
{
    static const uint16_t write_classes[] = {
        HG_OP_SET_VALUE, HG_OP_DELETE_VALUE, HG_OP_DELETE_KEY, HG_OP_RENAME_KEY,
        HG_OP_SET_KEY_SECURITY, HG_OP_SET_INFORMATION, HG_OP_RESTORE_KEY, HG_OP_REPLACE_KEY,
    };
    static const uint16_t exempt_classes[] = {
        HG_OP_OPEN_KEY, HG_OP_CREATE_KEY, HG_OP_FLUSH_KEY, HG_OP_UNLOAD_KEY, HG_OP_LOAD_KEY,
        HG_OP_SAVE_KEY,
    };
    hg_core *core = lockdown_core(NULL, 0);
    hg_op op;
    size_t i;
    HG_STATS s;

    CHECK(core != NULL);
    for (i = 0; i < sizeof write_classes / sizeof write_classes[0]; i++) {
        top_init(&op, write_classes[i], 500);
        CHECK_EQ(verdict_of(core, &op, RUN_KEY), HG_VERDICT_BLOCK);
        CHECK_EQ(verdict_of(core, &op, RUN_KEY "\\Sub"), HG_VERDICT_BLOCK);
    }
    /* open / create (opens existing keys) / flush / unload / load / save */
    for (i = 0; i < sizeof exempt_classes / sizeof exempt_classes[0]; i++) {
        top_init(&op, exempt_classes[i], 500);
        CHECK_EQ(verdict_of(core, &op, RUN_KEY), HG_VERDICT_ALLOW);
    }
    top_init(&op, HG_OP_SET_VALUE, 500);
    /* not protected; whole components only; case does not matter */
    CHECK_EQ(verdict_of(core, &op, KEY_MACHINE_SOFTWARE "\\Vendor"), HG_VERDICT_ALLOW);
    CHECK_EQ(verdict_of(core, &op, RUN_KEY "MRU"), HG_VERDICT_ALLOW);
    CHECK_EQ(verdict_of(core, &op, "\\registry\\machine\\software\\microsoft\\windows\\currentversion\\runonce"),
             HG_VERDICT_BLOCK);
    CHECK_EQ(verdict_of(core, &op, "\\REGISTRY\\USER\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"),
             HG_VERDICT_ALLOW); /* per-user hives are not in the built-in list */
    s = stats_of(core);
    CHECK_EQ(s.lockdown_blocked, 2u * (sizeof write_classes / sizeof write_classes[0]) + 1u);
    CHECK_EQ(s.lockdown_exempt, (sizeof exempt_classes / sizeof exempt_classes[0]) + 3u);
    CHECK_EQ(s.no_client, s.lockdown_blocked + s.lockdown_exempt);
    CHECK_EQ(s.blocked, s.lockdown_blocked);
    CHECK_EQ(s.raised, s.filtered_out);
    hg_core_destroy(core);
    return 0;
}

int test_lockdown_exempts_kernel_and_system_callers(void)
{
    hg_core *core = lockdown_core(NULL, 0);
    hg_op op;

    CHECK(core != NULL);
    top_init(&op, HG_OP_SET_VALUE, 500);
    op.kernel_caller = 1;
    CHECK_EQ(verdict_of(core, &op, RUN_KEY), HG_VERDICT_ALLOW);
    top_init(&op, HG_OP_SET_VALUE, 4); /* the System process */
    CHECK_EQ(verdict_of(core, &op, RUN_KEY), HG_VERDICT_ALLOW);
    top_init(&op, HG_OP_SET_VALUE, 500);
    CHECK_EQ(verdict_of(core, &op, RUN_KEY), HG_VERDICT_BLOCK);
    hg_core_destroy(core);
    return 0;
}

/* Even a lock-down that covers all of SYSTEM leaves the keys the service
 * control manager needs to start HiveGuard and its agent, and the SCM. */
int test_lockdown_exempts_the_service_control_path(void)
{
    static const char prefixes[] = "\\REGISTRY\\MACHINE\\SYSTEM\0" RUN_KEY "\0";
    static uint16_t image[128], sid[32];
    hg_core *core = lockdown_core(prefixes, sizeof prefixes - 1u);
    test_source src;
    hg_op_source source;
    hg_raise_result r;
    hg_op op;

    CHECK(core != NULL);
    top_init(&op, HG_OP_SET_VALUE, 500);
    CHECK_EQ(verdict_of(core, &op, "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\HiveGuard"),
             HG_VERDICT_ALLOW);
    CHECK_EQ(verdict_of(core, &op, "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet002\\Services\\hiveguardagent\\Parameters"),
             HG_VERDICT_ALLOW);
    CHECK_EQ(verdict_of(core, &op, "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\HiveGuardX"),
             HG_VERDICT_BLOCK);
    CHECK_EQ(verdict_of(core, &op, "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\Other"),
             HG_VERDICT_BLOCK);
    CHECK_EQ(verdict_of(core, &op, "\\REGISTRY\\MACHINE\\SYSTEM\\Services\\HiveGuard"),
             HG_VERDICT_BLOCK); /* not under a control set: not the service key */

    /* services.exe as LocalSystem: exempt, whatever key it writes */
    top_init(&op, HG_OP_SET_VALUE, 600);
    op.image = ascii16(image, SCM_IMAGE);
    op.user_sid = ascii16(sid, "S-1-5-18");
    CHECK_EQ(verdict_of(core, &op, "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\Other"),
             HG_VERDICT_ALLOW);
    CHECK_EQ(verdict_of(core, &op, RUN_KEY), HG_VERDICT_ALLOW);
    /* the same image name as an ordinary user is not the SCM */
    op.user_sid = ascii16(sid, "S-1-5-21-1-2-3-1001");
    CHECK_EQ(verdict_of(core, &op, RUN_KEY), HG_VERDICT_BLOCK);
    /* nor is LocalSystem running another image */
    op.image = ascii16(image, "\\Device\\HarddiskVolume3\\Windows\\System32\\svchost.exe");
    op.user_sid = ascii16(sid, "S-1-5-18");
    CHECK_EQ(verdict_of(core, &op, RUN_KEY), HG_VERDICT_BLOCK);

    /* an unresolvable name is never blocked by the lock-down, and released */
    CHECK_EQ(tsrc_init(&src, RUN_KEY), 0);
    src.fail_resolve = 1;
    tsrc_bind(&src, &source);
    top_init(&op, HG_OP_SET_VALUE, 500);
    hg_core_raise(core, &op, &source, &r);
    CHECK_EQ(r.verdict, HG_VERDICT_ALLOW);
    CHECK_EQ(src.resolve_calls, 1);
    CHECK_EQ(src.release_calls, 1);
    hg_core_destroy(core);
    return 0;
}

int test_lockdown_prefix_list_validation(void)
{
    hg_core_params params = { .no_client_verdict = HG_VERDICT_ALLOW, .capabilities = 0, .instance_id = 1 };
    hg_core *core;
    hg_op op;
    static uint16_t odd[3] = { '\\', 'R', 0 };

    CHECK_EQ(CREATE_STATUS("\\REGISTRY\\MACHINE\\SOFTWARE\\A\0\\REGISTRY\\USER\0"), HG_STATUS_SUCCESS);
    CHECK_EQ(CREATE_STATUS("\\REGISTRY\\MACHINE\\SOFTWARE\\A"), HG_STATUS_SUCCESS); /* no terminator */
    CHECK_EQ(CREATE_STATUS(""), HG_STATUS_INVALID_PARAMETER);                       /* empty list */
    CHECK_EQ(CREATE_STATUS("\0"), HG_STATUS_INVALID_PARAMETER);
    CHECK_EQ(CREATE_STATUS("HKLM\\Software\0"), HG_STATUS_INVALID_PARAMETER);       /* not a kernel path */
    CHECK_EQ(CREATE_STATUS("\\REGISTRY\\MACHINE\\\0"), HG_STATUS_INVALID_PARAMETER); /* trailing separator */
    CHECK_EQ(CREATE_STATUS("\\REGISTRY\\\\MACHINE\0"), HG_STATUS_INVALID_PARAMETER); /* empty component */
    params.protected_prefixes = odd;
    params.protected_prefixes_bytes = 5; /* not whole UTF-16 units */
    CHECK_EQ(hg_core_create(&params, &core), HG_STATUS_INVALID_PARAMETER);
    params.protected_prefixes = NULL;
    params.protected_prefixes_bytes = 4;
    CHECK_EQ(hg_core_create(&params, &core), HG_STATUS_INVALID_PARAMETER);

    /* a configured list replaces the built-in one */
    core = lockdown_core("\\REGISTRY\\MACHINE\\SOFTWARE\\A\0", sizeof "\\REGISTRY\\MACHINE\\SOFTWARE\\A\0" - 1u);
    CHECK(core != NULL);
    top_init(&op, HG_OP_SET_VALUE, 500);
    CHECK_EQ(verdict_of(core, &op, KEY_MACHINE_SOFTWARE "\\A\\B"), HG_VERDICT_BLOCK);
    CHECK_EQ(verdict_of(core, &op, RUN_KEY), HG_VERDICT_ALLOW);
    hg_core_destroy(core);

    /* DefaultVerdict=allow: no lock-down at all, and not counted as one */
    params.protected_prefixes = NULL;
    params.protected_prefixes_bytes = 0;
    CHECK_EQ(hg_core_create(&params, &core), HG_STATUS_SUCCESS);
    CHECK_EQ(verdict_of(core, &op, RUN_KEY), HG_VERDICT_ALLOW);
    CHECK_EQ(stats_of(core).lockdown_exempt + stats_of(core).lockdown_blocked, 0);
    CHECK_EQ(stats_of(core).no_client, 1);
    hg_core_destroy(core);
    return 0;
}
