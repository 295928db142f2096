/*
 * hg_sys.h - what the WDM glue files of hiveguard.sys share.
 *
 * The driver is one global instance (a legacy NT driver has exactly one
 * DRIVER_OBJECT and we create one device), so its state is one struct that
 * every file reaches through g_hg. Everything decision-relevant is in
 * core/; these files only translate Windows objects (IRPs, registry callback
 * arguments, process objects) into core calls.
 *
 * HG_TEST_BUILD is defined only for hiveguard-test.sys; the release image is
 * compiled without it and contains no injection code at all (checked by the
 * build, see sys.mk).
 */
#ifndef HG_SYS_H
#define HG_SYS_H

#include <ntifs.h>
#include "../include/hiveguard_wire.h"
#include "../core/hg_core.h"

/* ------------------------------------------------------------------ */
/* Routines the mingw-w64 headers lack or Wine does not export.        */
/* ------------------------------------------------------------------ */
/*
 * Everything here is resolved with MmGetSystemRoutineAddress at load, never
 * imported: an import the loader cannot satisfy fails the whole load, and
 * Wine's ntoskrnl.exe exports neither CmRegisterCallbackEx nor
 * CmCallbackGetKeyObjectID. Windows 8+ has the *Ex name pair, Windows 10
 * 2004+ has ExAllocatePool2.
 */
typedef NTSTATUS (NTAPI *hg_cm_register_fn)(PEX_CALLBACK_FUNCTION function,
                                            PCUNICODE_STRING altitude,
                                            PVOID driver, PVOID context,
                                            PLARGE_INTEGER cookie, PVOID reserved);
typedef NTSTATUS (NTAPI *hg_cm_unregister_fn)(LARGE_INTEGER cookie);
typedef NTSTATUS (NTAPI *hg_cm_get_key_id_fn)(PLARGE_INTEGER cookie, PVOID object,
                                              PULONG_PTR object_id,
                                              PCUNICODE_STRING *object_name);
typedef NTSTATUS (NTAPI *hg_cm_get_key_id_ex_fn)(PLARGE_INTEGER cookie, PVOID object,
                                                 PULONG_PTR object_id,
                                                 PCUNICODE_STRING *object_name,
                                                 ULONG flags);
typedef VOID (NTAPI *hg_cm_release_key_id_ex_fn)(PCUNICODE_STRING object_name);
typedef PVOID (NTAPI *hg_alloc_pool2_fn)(ULONG64 flags, SIZE_T bytes, ULONG tag);
/* Windows 10 1703+ (ntddk.h there, absent in mingw-w64 and Wine 8): an
 * identifier of a process that is unique across boot sessions, unlike a pid
 * (reused as soon as the process is gone) or a process object's address
 * (reused once the object is freed). */
typedef ULONGLONG (NTAPI *hg_ps_start_key_fn)(PEPROCESS process);

/* Exported by ntoskrnl since Windows XP (and by Wine), undeclared in the
 * mingw-w64 headers: the session of a process object. */
NTKERNELAPI ULONG NTAPI PsGetProcessSessionId(PEPROCESS process);

/* POOL_FLAG_NON_PAGED from the Windows 10 2004 WDK (absent in mingw-w64). */
#define HG_POOL_FLAG_NON_PAGED 0x0000000000000040ULL

/*
 * Key-object name resolution. The test build can put a resolver in front of
 * the real one that recognises its own synthesized key objects (inject.c);
 * the release build only ever calls the configuration manager.
 */
typedef struct hg_key_name_api {
    hg_cm_get_key_id_fn        get_id;        /* Vista+, name stays valid while the object lives */
    hg_cm_get_key_id_ex_fn     get_id_ex;     /* Windows 8+, returns a copy ... */
    hg_cm_release_key_id_ex_fn release_id_ex; /* ... that must be released with this */
} hg_key_name_api;

/* ------------------------------------------------------------------ */
/* Limits of the glue                                                  */
/* ------------------------------------------------------------------ */

/*
 * Altitude of the registry callback. Registry callbacks share the altitude
 * namespace of file-system minifilters; 385100 sits inside the "FSFilter
 * Activity Monitor" band (360000-389999) where Microsoft places monitoring
 * and blocking products, above anti-virus (320000-329999) so a blocked
 * operation never reaches a lower filter. It is NOT a Microsoft-assigned
 * altitude: a shipped build must use the one Microsoft allocates, set
 * through the INF's Parameters\Altitude.
 */
#define HG_ALTITUDE_DEFAULT_W      L"385100"
#define HG_ALTITUDE_DEFAULT        385100u
#define HG_ALTITUDE_MIN            20000u   /* below this Microsoft reserves the range */
#define HG_ALTITUDE_MAX            429999u  /* top of the published minifilter bands */
#define HG_ALTITUDE_RETRY_MAX      8u       /* CmRegisterCallbackEx attempts on collision */
#define HG_ALTITUDE_CHARS_MAX      16u      /* "429999" plus room; longer registry text is rejected */

/* ------------------------------------------------------------------ */
/* Rundown protection (platform_kernel.c)                              */
/* ------------------------------------------------------------------ */
/*
 * On Windows this is the documented EX_RUNDOWN_REF (ExAcquire/Release
 * RundownProtection, ExWaitForRundownProtectionRelease). Wine 8 exports
 * those four names as unimplemented stubs that abort the driver host when
 * called, so the TEST build alone carries a counted fallback, chosen once
 * at load (hg_sys_rundown_init) and hidden behind these four calls: the
 * callback and dispatch paths never know which one runs. The release image
 * has no fallback compiled in (it refuses to load where the registry
 * callback cannot be registered, which includes Wine).
 */
typedef struct hg_sys_rundown {
    EX_RUNDOWN_REF   ex;
#ifdef HG_TEST_BUILD
    BOOLEAN          counted;         /* TRUE: Wine, the fallback below is in use */
    volatile LONG    count;           /* holders; HG_RUNDOWN_CLOSING once unload began */
    KEVENT           done;            /* set by the last holder out after closing */
#endif
} hg_sys_rundown;

/* ------------------------------------------------------------------ */
/* Driver state                                                        */
/* ------------------------------------------------------------------ */

typedef enum hg_driver_state {
    HG_STATE_LOADING = 0,
    HG_STATE_RUNNING = 1,
    HG_STATE_UNLOADING = 2
} hg_driver_state;

typedef struct hg_driver {
    PDRIVER_OBJECT   driver_object;
    PDEVICE_OBJECT   device;          /* \Device\HiveGuard */
    BOOLEAN          symlink_created;
    volatile LONG    state;           /* hg_driver_state */
    hg_core         *core;

    /* Held by every dispatch call, every registry callback and every inject
     * worker; unload waits for it after releasing the waiters, so no code of
     * this image runs once the core is destroyed. See hg_sys_rundown. */
    hg_sys_rundown   rundown;

    /* Registry callback */
    hg_cm_register_fn   cm_register;
    hg_cm_unregister_fn cm_unregister;
    LARGE_INTEGER       cookie;
    BOOLEAN             callback_registered;
    hg_key_name_api     names;


    /* The one bound client: the file object whose CREATE won hg_core_open,
     * the process object that opened it - referenced from CREATE until the
     * unbind, so it cannot be freed and its address (the fallback process
     * key) cannot be reused by another process while bound - and its key
     * (the core's process_key). */
    KSPIN_LOCK       client_lock;
    PFILE_OBJECT     client_file;
    PEPROCESS        client_process;
    ULONG64          client_key;

    /* PsGetProcessStartKey where the kernel exports it (Windows 10 1703+). */
    hg_ps_start_key_fn process_start_key;

    /* Service parameters */
    USHORT           no_client_verdict;
    ULONG            altitude_configured;
    ULONG            altitude_registered; /* where CmRegisterCallbackEx succeeded; reported in HELLO */
    ULONG64          instance_id;

#ifdef HG_TEST_BUILD
    PDEVICE_OBJECT   inject_device;   /* \Device\HiveGuardInject */
    BOOLEAN          inject_symlink_created;
#endif
} hg_driver;

extern hg_driver g_hg;

/* The core's identity of a process (hg_op.process_key, the bound client,
 * excluded processes): its start key where PsGetProcessStartKey exists -
 * unique across boots, so a pid or object address reused by a later process
 * never matches - else the process object's address. The address is only
 * safe while someone holds a reference: the bound client's is held
 * (client_process); an excluded process's is not, so on kernels older than
 * 1703 an exclusion could follow a freed object's address to a new process
 * (documented in core/config.c). Used only for equality, never on the wire. */
static __inline ULONG64 hg_process_key(PEPROCESS process)
{
    if (g_hg.process_start_key != NULL)
        return (ULONG64)g_hg.process_start_key(process);
    return (ULONG64)(ULONG_PTR)process;
}

/* platform_kernel.c: rundown protection, see hg_sys_rundown. */
void    hg_sys_rundown_init(BOOLEAN documented);
BOOLEAN hg_rundown_enter(void);
void    hg_rundown_leave(void);
void    hg_rundown_wait(void);

/* device.c */
NTSTATUS hg_device_create(PDRIVER_OBJECT driver);
void     hg_device_delete(void);
NTSTATUS hg_device_apply_dacl(PDEVICE_OBJECT device);
void     hg_device_release_client(void);

/* irpqueue.c: the hg_request that core parks lives in the IRP itself. */
hg_request *hg_irp_request(PIRP irp);

/* callback.c */
NTSTATUS hg_callback_register(void);
void     hg_callback_unregister(void);
EX_CALLBACK_FUNCTION hg_registry_callback;

/* capture.c */
typedef struct hg_capture {
    /* inputs */
    PVOID            key_object;      /* REG_*_INFORMATION.Object or RootObject */
    PCUNICODE_STRING relative_name;   /* pre-create/open CompleteName, else NULL */
    PCUNICODE_STRING fallback_name;   /* absolute path the caller gave (load key), else NULL */
    const VOID      *data;            /* value data as the caller passed it */
    ULONG            data_size;
    BOOLEAN          user_data;       /* data is a user-mode address (PreviousMode == UserMode) */
    BOOLEAN          name_unreadable; /* relative_name was a user buffer that faulted */
    BOOLEAN          identity_callable; /* hg_capture_identity_callable() at callback entry */
    /* resolved name, owned until hg_capture_release_path */
    PCUNICODE_STRING cm_name;         /* from CmCallbackGetKeyObjectID(Ex) */
    BOOLEAN          cm_name_ex;      /* must be released with release_id_ex */
    PWCHAR           joined;          /* pool: the canonical path (root + '\' + relative) */
    /* the caller's identity, owned until the release_identity hook */
    PUNICODE_STRING  image_located;   /* SeLocateProcessImageName's copy: ExFreePool */
    PVOID            image_queried;   /* ZwQueryInformationProcess buffer: hg_plat_free */
    UNICODE_STRING   sid_text;        /* RtlConvertSidToUnicodeString's: RtlFreeUnicodeString */
} hg_capture;

void hg_capture_source(hg_capture *capture, hg_op_source *source);
void hg_capture_user_name(hg_utf16 *name, void **owned);
void hg_capture_init_apis(void);
BOOLEAN hg_capture_identity_callable(void);

/* seh_copy.S: copies len bytes, returns 0 or 1 if the source faulted. */
int hg_seh_copy(void *dst, const void *src, SIZE_T len);

/* platform_kernel.c */
void hg_platform_init(void);

#ifdef HG_TEST_BUILD
/* inject.c */
NTSTATUS hg_inject_init(PDRIVER_OBJECT driver);
void     hg_inject_shutdown(void);
NTSTATUS hg_inject_dispatch(PIRP irp, PIO_STACK_LOCATION sp);
BOOLEAN  hg_inject_caller(hg_op *op);
BOOLEAN  hg_inject_key_name(PVOID key_object, PCUNICODE_STRING *name);
#endif

/* DbgPrint with a fixed prefix; shows in WinDbg and, in Wine, on stderr with
 * WINEDEBUG=warn+debugstr. */
#define HG_LOG(fmt, ...) DbgPrint("HiveGuard: " fmt "\n", ##__VA_ARGS__)

#endif /* HG_SYS_H */
