/*
 * irpqueue.c - the cancel-safe queue of parked GET_EVENTS IRPs.
 *
 * Windows behaviour this file deals with:
 *  - A parked IRP can be cancelled at any moment (CancelIoEx, the thread or
 *    process exiting, handle close on some paths) and the I/O manager calls
 *    our cancel routine holding the global cancel spin lock. Delivery of
 *    events can complete the same IRP on another CPU at the same moment.
 *    Exactly one of them may complete it.
 *  - IoCsq* would do this for us, but Wine's IoCsq routines are stubs that
 *    abort the driver host, so the queue is built on IoSetCancelRoutine as in
 *    Microsoft's general/cancel sample. The list and its lock are core's;
 *    this file supplies the three hooks of hg_platform.h:
 *      arm   (core lock held): install the cancel routine; if the IRP was
 *            cancelled before that and we can take the routine back, report
 *            "already cancelled" so core completes it itself.
 *      claim (core lock held): take the cancel routine back; NULL means the
 *            I/O manager already took it and our cancel routine is running
 *            or about to run - it owns the completion, core must not.
 *      complete (no lock): IoCompleteRequest, exactly once.
 *  - The cancel routine releases the cancel spin lock FIRST and only then
 *    enters core (which takes the core lock): taking them in the other
 *    order would invert against arm/claim, which run under the core lock.
 *  - The hg_request core links lives in Tail.Overlay.DriverContext, the
 *    four pointers the IRP reserves for the driver that currently owns it
 *    (we use no device queue, so nothing else overlays them).
 */
#include "hg_sys.h"

_Static_assert(sizeof(hg_request) <= sizeof(((IRP *)0)->Tail.Overlay.DriverContext),
               "hg_request fits in the IRP's DriverContext");

hg_request *hg_irp_request(PIRP irp)
{
    return (hg_request *)&irp->Tail.Overlay.DriverContext[0];
}

static PIRP hg_request_irp(hg_request *req)
{
    return CONTAINING_RECORD((PVOID *)req, IRP, Tail.Overlay.DriverContext[0]);
}

/* Unload waits for this to reach zero before it destroys the core: a cancel
 * routine that already left the cancel spin lock still has to enter core. */
static volatile LONG s_cancels_running;

static VOID NTAPI hg_irp_cancel(PDEVICE_OBJECT device, PIRP irp)
{
    UNREFERENCED_PARAMETER(device);
    InterlockedIncrement(&s_cancels_running);
    IoReleaseCancelSpinLock(irp->CancelIrql);
    hg_core_cancel_request(g_hg.core, hg_irp_request(irp));
    InterlockedDecrement(&s_cancels_running);
}

LONG hg_irpqueue_cancels_running(void)
{
    return InterlockedCompareExchange(&s_cancels_running, 0, 0);
}

int hg_plat_request_arm(hg_request *req)
{
    PIRP irp = hg_request_irp(req);

    IoSetCancelRoutine(irp, hg_irp_cancel);
    if (irp->Cancel && IoSetCancelRoutine(irp, NULL) != NULL) {
        /* Cancelled before the routine was in place, and we took it back:
         * nobody else will complete this IRP. */
        return 0;
    }
    /* Either not cancelled, or IoCancelIrp already took the routine and will
     * call it: it then waits for the core lock we hold and finds the request
     * parked. */
    return 1;
}

int hg_plat_request_claim(hg_request *req)
{
    return IoSetCancelRoutine(hg_request_irp(req), NULL) != NULL;
}

void hg_plat_request_complete(hg_request *req, uint32_t status, uint32_t bytes)
{
    PIRP irp = hg_request_irp(req);

    irp->IoStatus.Status = (NTSTATUS)status;
    irp->IoStatus.Information = bytes;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
}
