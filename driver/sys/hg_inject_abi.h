/*
 * hg_inject_abi.h - test-build-only extensions of the INJECT channel that
 * belong to hiveguard-test.sys, shared with its Wine client
 * (driver/tests/wine). Nothing here exists in the release image.
 *
 * Registry callers are other processes than the agent, and the agent's
 * device admits one client at a time, so the test build offers injection on
 * a second device that any number of "registry caller" handles may open
 * (same DACL). HG_IOCTL_INJECT is also accepted on the agent's own handle.
 */
#ifndef HG_INJECT_ABI_H
#define HG_INJECT_ABI_H

#define HG_INJECT_DEVICE_NAME_W   L"\\Device\\HiveGuardInject"
#define HG_INJECT_SYMLINK_NAME_W  L"\\DosDevices\\HiveGuardInject"
#define HG_INJECT_USER_PATH_W     L"\\\\.\\HiveGuardInject"

/*
 * Kernel-test-build flag beyond HG_INJECT_F_ALL: the synthesized set-value
 * carries a data pointer into an unmapped user page, so the capture must
 * fault, recover and flag HG_EVENT_F_DATA_UNREADABLE. Kept out of the wire
 * contract because only this driver's capture path has anything to prove.
 */
#define HG_INJECT_F_SYS_DATA_FAULT 0x0100u
#define HG_INJECT_F_SYS_ALL        (HG_INJECT_F_ALL | HG_INJECT_F_SYS_DATA_FAULT)

/*
 * Create and open take their CompleteName from new_name when it is given:
 * the synthesized RootObject is then the key named key_path and new_name is
 * passed exactly as written (relative, absolute, doubled or trailing
 * separators, any case), which is how the Wine suite shows that the
 * callback matches the canonical name. Without new_name, create is split at
 * key_path's last separator (parent + leaf) and open is absolute.
 */
#define HG_INJECT_CREATE_NAME_IN_NEW_NAME 1

/* The HG_INJECT_RESULT.status of an INJECT IRP is the registry call's
 * status; the IRP itself completes with STATUS_SUCCESS so a transport error
 * (bad header: an error status, no output) cannot be mistaken for a block. */

#endif /* HG_INJECT_ABI_H */
