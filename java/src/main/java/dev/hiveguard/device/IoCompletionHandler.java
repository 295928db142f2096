package dev.hiveguard.device;

/**
 * Called on the device's completion thread once per submitted request, when its
 * completion packet has been dequeued (or it was abandoned). The request is idle
 * again when this runs, so the handler may read its output and resubmit it. Must
 * not block: every other completion waits behind it.
 */
@FunctionalInterface
public interface IoCompletionHandler {
    void completed(IoRequest request, IoResult result);
}
