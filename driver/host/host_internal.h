/*
 * host_internal.h - objects shared by the files of the user-mode host.
 *
 * Locks, in the only order they may nest (most never nest at all):
 *   g_host.lock   handle table, the core instance and its rundown count
 *   g_io.lock     every file's in-flight list, request completion state and
 *                 the OVERLAPPED status words; its condition variable is
 *                 broadcast on every completion (synchronous waiters and
 *                 GetOverlappedResult(wait=TRUE) sleep on it)
 *   port->lock    one completion port's packet queue
 * None of them is ever held while calling into core, because core calls back
 * (hg_plat_request_complete) and would then take them in the other order.
 */
#ifndef HOST_INTERNAL_H
#define HOST_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "hg_host.h"
#include "../core/hg_core.h"

#define HOST_CONTAINER_OF(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - __builtin_offsetof(type, member)))

/* ---- intrusive list (the host's own; hg_list belongs to core) ---------- */
typedef struct host_link {
    struct host_link *next, *prev;
} host_link;

static inline void host_list_init(host_link *head) { head->next = head->prev = head; }
static inline int  host_list_empty(const host_link *head) { return head->next == head; }
static inline void host_list_append(host_link *head, host_link *node)
{
    node->prev = head->prev;
    node->next = head;
    head->prev->next = node;
    head->prev = node;
}
static inline void host_list_remove(host_link *node)
{
    node->prev->next = node->next;
    node->next->prev = node->prev;
    node->next = node->prev = node;
}

/* ---- NTSTATUS and last error (host_status.c) ---------------------------- */
#define HOST_NT_SUCCESS(st) ((int32_t)(st) >= 0)
DWORD host_nt_to_win32(uint32_t status);
/* Sets the Win32 last error (and errno) and returns FALSE, for one-line failure paths. */
BOOL  host_fail(DWORD error);
BOOL  host_fail_nt(uint32_t status);

/* ---- handle table and objects (host_handles.c) -------------------------- */
typedef enum host_obj_type {
    HOST_OBJ_ANY  = 0,
    HOST_OBJ_FILE = 1,
    HOST_OBJ_PORT = 2
} host_obj_type;

typedef struct host_object {
    host_obj_type type;
    atomic_uint   refs;              /* the handle's own reference + borrowed ones */
    uint64_t      owner_process_key; /* process that opened it (process exit closes it) */
} host_object;

void         host_object_init(host_object *obj, host_obj_type type, uint64_t owner);
void         host_object_ref(host_object *obj);
void         host_object_unref(host_object *obj);
/* Inserts obj into the table (taking over the caller's reference).
 * Requires g_host.lock. Returns NULL when the table is full. */
HANDLE       host_handle_insert_locked(host_object *obj);
/* Returns the object with a new reference, or NULL (wrong type, stale, forged). */
host_object *host_handle_lookup(HANDLE h, host_obj_type type);
/* Removes the handle; returns its object with the handle's reference, or NULL. */
host_object *host_handle_remove(HANDLE h);
/* Removes every handle matching (type, owner) and returns their objects (with
 * the handles' references) in out[], at most cap; returns how many.
 * type HOST_OBJ_ANY matches all types; owner_only selects by owner. Requires g_host.lock. */
size_t       host_handle_remove_matching_locked(host_obj_type type, int owner_only, uint64_t owner,
                                                host_object **out, size_t cap);
/* Upper bound on live handles: the table size. */
size_t       host_handle_capacity(void);

/* ---- the device instance (host_device.c) -------------------------------- */
typedef struct host_state {
    pthread_mutex_t lock;
    pthread_cond_t  cond;           /* rundown drained / unload finished */
    hg_core        *core;           /* current instance, NULL until first use */
    uint32_t        active;         /* threads inside core on `core` */
    int             unloading;      /* hg_sim_reset in progress: no new entries */
    uint16_t        no_client_verdict;
    uint64_t        loads;          /* instances created so far */
} host_state;
extern host_state g_host;

/* Enters the current core instance (creating it on first use); blocks while a
 * reset is in progress. NULL only if the instance cannot be created. */
hg_core *host_core_enter(void);
void     host_core_leave(void);

/* ---- device files, requests and completion (host_file.c, host_request.c) */
typedef struct host_port host_port;

typedef struct host_file {
    host_object obj;
    hg_core    *core;        /* instance it was opened on */
    uint64_t    process_key; /* opener: what core bound at hg_core_open */
    int         overlapped;  /* FILE_FLAG_OVERLAPPED */
    /* g_io.lock: */
    int         closed;
    host_link   inflight;    /* host_request.file_link: I/O not completed yet */
    host_port  *port;        /* associated completion port (own reference), set once */
    ULONG_PTR   port_key;
} host_file;

typedef struct host_io {
    pthread_mutex_t lock;
    pthread_cond_t  done;
} host_io;
extern host_io g_io;

struct host_request;
typedef void (*host_cancel_routine)(struct host_request *req);

typedef struct host_request {
    hg_request  core_req;     /* what core sees; recovered with HOST_CONTAINER_OF */
    host_link   file_link;    /* on file->inflight until completion (g_io.lock) */
    host_link   packet_link;  /* on port->queue once completed */
    host_link   cancel_link;  /* private to the one canceller that won cancel_routine */
    /* IoSetCancelRoutine / Irp->Cancel, see host_request.c */
    _Atomic(host_cancel_routine) cancel_routine;
    atomic_int  cancel_flag;
    host_file  *file;         /* own reference */
    hg_core    *core;         /* instance the request was submitted to */
    OVERLAPPED *ov;           /* NULL for a synchronous request */
    int         synchronous;  /* the issuing thread waits for `done` */
    int         skip_packet;  /* hEvent low bit: no completion packet */
    pthread_t   issuer;       /* CancelIo cancels only the calling thread's I/O */
    host_port  *port;         /* own reference, captured at submission */
    ULONG_PTR   port_key;
    /* g_io.lock: */
    int         done;
    uint32_t    status;
    uint32_t    bytes;
} host_request;

host_request *host_request_new(host_file *file, OVERLAPPED *ov);
void          host_request_free(host_request *req);
/* Puts req on its file's in-flight list; fails (0) if the file is closed. */
int           host_request_track(host_request *req);
/* 0 once CloseHandle (or process exit, or an unload) began closing it. */
int           host_file_is_open(host_file *file);
/* Takes a request that never went to core off the in-flight list. */
void          host_request_untrack(host_request *req);
/* The one completion path of every request, whoever completes it. */
void          host_request_complete(host_request *req, uint32_t status, uint32_t bytes);
/* Synchronous requests: wait until completed. */
void          host_request_wait(host_request *req);
/* Cancels the file's in-flight requests matching ov (NULL = all) and, when
 * only_thread, issued by the calling thread. Returns how many matched. */
size_t        host_file_cancel(host_file *file, const OVERLAPPED *ov, int only_thread);
/* Handle close: cancel everything, unbind the client. host_file_close enters
 * the current instance itself; host_file_close_held uses `held`, an instance
 * the caller keeps alive (hg_sim_reset, which owns the unload and so cannot
 * enter). Nothing reaches core when the file belongs to another instance. */
void          host_file_close(host_file *file);
void          host_file_close_held(host_file *file, hg_core *held);
void          host_file_destroy(host_file *file);

/* ---- completion ports (host_port.c) ------------------------------------- */
host_port *host_port_new(uint64_t owner);
host_port *host_port_of(host_object *obj);
void       host_port_ref(host_port *port);
void       host_port_unref(host_port *port);
/* Queues a completed request as a packet, or frees it if the port is closed. */
void       host_port_post(host_port *port, host_request *req);
/* Handle close: waiters are released with ERROR_ABANDONED_WAIT_0, queued packets freed. */
void       host_port_close(host_port *port);
void       host_port_destroy(host_port *port);

/* ---- strings (host_utf.c) ------------------------------------------------ */
/* UNICODE_STRING.Length is a USHORT: the kernel cannot hand a registry
 * callback a name longer than this many bytes. */
#define HOST_UNICODE_STRING_MAX_BYTES 0xFFFEu
/* Code units needed for s in UTF-16 (0 for NULL); SIZE_MAX if s is longer
 * than HOST_UNICODE_STRING_MAX_BYTES allows. */
size_t host_utf16_units(const wchar_t *s);
/* Writes exactly host_utf16_units(s) units to dst. */
void   host_utf16_encode(const wchar_t *s, uint16_t *dst);
/* Case-insensitive comparison of a wide string with a wide literal, the way
 * the object manager compares device names (RtlUpcaseUnicodeChar). */
int    host_wide_equal_nocase(const wchar_t *a, const wchar_t *b);

#endif /* HOST_INTERNAL_H */
