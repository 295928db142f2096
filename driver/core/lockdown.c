/*
 * lockdown.c - what DefaultVerdict=block (no client bound) may block.
 *
 * With no agent the driver cannot ask anyone, and "block everything" would
 * brick the machine: Windows opens, queries and flushes keys all the time,
 * the kernel and the System process write configuration during boot, and the
 * service control manager must be able to (re)start the agent that would end
 * the lock-down. So the no-client block applies only to an operation that is
 *   - of a write class (set/delete value, delete/rename key, security,
 *     key information, restore, replace). Create-key is not one: the registry
 *     APIs open existing keys through it (RegCreateKeyEx), and a new empty
 *     key persists nothing a Run-style reader looks at;
 *   - from a user-mode caller (PreviousMode user), and not the System process;
 *   - on a key at or below one of the protected prefixes (the service's
 *     Parameters\ProtectedPrefixes, REG_MULTI_SZ, or the built-in list below);
 *   - not on the Services keys of HiveGuard or HiveGuardAgent (in any control
 *     set), and not made by the service control manager itself (services.exe
 *     in \Windows\System32, running as LocalSystem).
 * Everything else gets allow. Prefixes match whole key-name components,
 * case-insensitively (...\Run does not cover ...\RunOnce).
 *
 * The compiled list is built once at create and never changes, so raisers
 * read it with no lock.
 */
#include "core_internal.h"

/* The System process has pid 4 on every supported Windows. */
#define HG_SYSTEM_PID 4u

/* Built-in protected prefixes: the machine-wide autostart points malware uses
 * first. Kept short on purpose: a lock-down that blocks too much is the brick
 * this module exists to prevent. An administrator widens it through
 * Parameters\ProtectedPrefixes. */
static const char *const k_builtin_prefixes[] = {
    "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
    "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnce",
    "\\REGISTRY\\MACHINE\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Run",
    "\\REGISTRY\\MACHINE\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\RunOnce",
    "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon",
    "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options",
};
#define HG_BUILTIN_PREFIX_COUNT (sizeof k_builtin_prefixes / sizeof k_builtin_prefixes[0])

/* Upcased; compared by whole components. */
static const char k_registry_root[] = "\\REGISTRY\\";
static const char k_machine_system[] = "\\REGISTRY\\MACHINE\\SYSTEM\\";
static const char k_services[] = "\\SERVICES\\";
static const char *const k_own_services[] = { "HIVEGUARD", "HIVEGUARDAGENT" };
static const char k_scm_image_tail[] = "\\WINDOWS\\SYSTEM32\\SERVICES.EXE";
static const char k_local_system_sid[] = "S-1-5-18";

uint32_t hg_lockdown_write_class(uint16_t operation)
{
    switch (operation) {
    case HG_OP_SET_VALUE:
    case HG_OP_DELETE_VALUE:
    case HG_OP_DELETE_KEY:
    case HG_OP_RENAME_KEY:
    case HG_OP_SET_KEY_SECURITY:
    case HG_OP_SET_INFORMATION:
    case HG_OP_RESTORE_KEY:
    case HG_OP_REPLACE_KEY:
        return 1;
    default:
        return 0;
    }
}

uint32_t hg_lockdown_caller_blockable(const hg_op *op)
{
    return hg_lockdown_write_class(op->operation) && !op->kernel_caller &&
           op->pid != HG_SYSTEM_PID;
}

/* Does `units` (upcased already) equal the ASCII text `text` upcased? */
static uint32_t units_equal_ascii(const uint16_t *units, uint32_t count, const char *text,
                                  uint32_t text_len)
{
    uint32_t i;

    if (count != text_len)
        return 0;
    for (i = 0; i < count; i++)
        if (hg_upcase16(units[i]) != hg_upcase16((uint16_t)(unsigned char)text[i]))
            return 0;
    return 1;
}

static uint32_t ascii_len(const char *s)
{
    uint32_t n = 0;
    while (s[n] != '\0')
        n++;
    return n;
}

static uint32_t starts_with_ascii(const hg_utf16 *s, uint32_t at, const char *text)
{
    uint32_t n = ascii_len(text);

    return s->bytes / 2u >= at + n && units_equal_ascii(s->chars + at, n, text, n);
}

static uint32_t ends_with_ascii(const hg_utf16 *s, const char *text)
{
    uint32_t n = ascii_len(text), units = s->bytes / 2u;

    return units >= n && units_equal_ascii(s->chars + units - n, n, text, n);
}

/* Checks one prefix of a REG_MULTI_SZ: a kernel key path under \REGISTRY\,
 * not ending in a separator, no empty component, within the prefix limit. */
static uint32_t prefix_valid(const uint16_t *units, uint32_t count)
{
    hg_utf16 s;
    uint32_t i;

    s.chars = units;
    s.bytes = count * 2u;
    if (count == 0u || count * 2u > HG_PREFIX_MAX_BYTES || !starts_with_ascii(&s, 0, k_registry_root))
        return 0;
    if (units[count - 1u] == '\\')
        return 0;
    for (i = 1; i < count; i++)
        if (units[i] == '\\' && units[i - 1u] == '\\')
            return 0;
    return 1;
}

uint32_t hg_lockdown_create(const uint16_t *multi_sz, uint32_t bytes, hg_lockdown **out)
{
    hg_lockdown *ld;
    uint32_t count = 0, total = 0, i, start, units;

    *out = NULL;
    if (multi_sz == NULL) {
        for (i = 0; i < HG_BUILTIN_PREFIX_COUNT; i++)
            total += ascii_len(k_builtin_prefixes[i]);
        count = (uint32_t)HG_BUILTIN_PREFIX_COUNT;
    } else {
        /* REG_MULTI_SZ: strings, each NUL-terminated, then one more NUL. The
         * final terminator(s) may be missing (the registry does not enforce
         * them); an empty string inside the list ends it, as it does for
         * every REG_MULTI_SZ reader. */
        if (bytes % 2u != 0u || bytes > HG_LOCKDOWN_MAX_BYTES)
            return HG_STATUS_INVALID_PARAMETER;
        units = bytes / 2u;
        for (i = 0, start = 0; i <= units; i++) {
            if (i < units && multi_sz[i] != 0u)
                continue;
            if (i == start)
                break; /* empty string: end of list */
            if (!prefix_valid(multi_sz + start, i - start) || count == HG_LOCKDOWN_MAX_PREFIXES)
                return HG_STATUS_INVALID_PARAMETER;
            count++;
            total += i - start;
            start = i + 1u;
        }
        if (count == 0u)
            return HG_STATUS_INVALID_PARAMETER; /* an empty list would silently protect nothing */
    }

    ld = (hg_lockdown *)hg_plat_alloc(sizeof *ld + count * sizeof(hg_lockdown_prefix) +
                                      total * sizeof(uint16_t));
    if (ld == NULL)
        return HG_STATUS_INSUFFICIENT_RESOURCES;
    ld->count = count;
    ld->prefixes = (hg_lockdown_prefix *)(void *)(ld + 1);
    ld->units = (uint16_t *)(void *)(ld->prefixes + count);
    total = 0;
    if (multi_sz == NULL) {
        for (i = 0; i < count; i++) {
            uint32_t n = ascii_len(k_builtin_prefixes[i]), k;
            for (k = 0; k < n; k++)
                ld->units[total + k] = hg_upcase16((uint16_t)(unsigned char)k_builtin_prefixes[i][k]);
            ld->prefixes[i].offset = total;
            ld->prefixes[i].units = n;
            total += n;
        }
    } else {
        uint32_t n = 0;
        for (i = 0, start = 0; n < count; i++) {
            uint32_t k;
            if (i < bytes / 2u && multi_sz[i] != 0u)
                continue;
            for (k = start; k < i; k++)
                ld->units[total + k - start] = hg_upcase16(multi_sz[k]);
            ld->prefixes[n].offset = total;
            ld->prefixes[n].units = i - start;
            total += i - start;
            n++;
            start = i + 1u;
        }
    }
    *out = ld;
    return HG_STATUS_SUCCESS;
}

void hg_lockdown_free(hg_lockdown *ld)
{
    if (ld != NULL)
        hg_plat_free(ld);
}

/* \REGISTRY\MACHINE\SYSTEM\<control set>\Services\HiveGuard[Agent][\...]:
 * the keys the service control manager reads and writes to start the driver
 * and the agent. Any control set, since the kernel names the real one
 * (ControlSet001), never the CurrentControlSet link. */
static uint32_t own_service_key(const hg_utf16 *path)
{
    uint32_t units = path->bytes / 2u, at = ascii_len(k_machine_system), i;

    if (!starts_with_ascii(path, 0, k_machine_system))
        return 0;
    for (; at < units && path->chars[at] != '\\'; at++)
        ; /* the control set component */
    if (at == ascii_len(k_machine_system) || !starts_with_ascii(path, at, k_services))
        return 0;
    at += ascii_len(k_services);
    for (i = 0; i < sizeof k_own_services / sizeof k_own_services[0]; i++) {
        uint32_t n = ascii_len(k_own_services[i]);
        if (starts_with_ascii(path, at, k_own_services[i]) &&
            (at + n == units || path->chars[at + n] == '\\'))
            return 1;
    }
    return 0;
}

uint32_t hg_lockdown_protects(const hg_lockdown *ld, const hg_utf16 *path)
{
    uint32_t units = path->bytes / 2u, i, k;

    if (ld == NULL || path->chars == NULL || own_service_key(path))
        return 0;
    for (i = 0; i < ld->count; i++) {
        const uint16_t *p = ld->units + ld->prefixes[i].offset;
        uint32_t n = ld->prefixes[i].units;
        if (n > units || (n < units && path->chars[n] != '\\'))
            continue;
        for (k = 0; k < n; k++)
            if (hg_upcase16(path->chars[k]) != p[k])
                break;
        if (k == n)
            return 1;
    }
    return 0;
}

uint32_t hg_lockdown_is_scm(const hg_utf16 *image, const hg_utf16 *user_sid)
{
    uint32_t n = ascii_len(k_local_system_sid);

    /* The image alone could be a copy under a user-writable \Windows\System32
     * on another volume; LocalSystem cannot be had without already owning the
     * machine. */
    return image->chars != NULL && user_sid->chars != NULL &&
           ends_with_ascii(image, k_scm_image_tail) &&
           units_equal_ascii(user_sid->chars, user_sid->bytes / 2u, k_local_system_sid, n);
}
