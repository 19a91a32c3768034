package dev.akvq.model;

import java.util.concurrent.CancellationException;

/**
 * How a long forward pass (a prefill of thousands of tokens, a vision tower over many tiles)
 * hears a stop request such as Ctrl-C: the caller interrupts the thread running it, and each
 * layer loop checks the thread's interrupt status before its next layer, so the work stops
 * within one layer instead of after the whole pass. The status is left set for the caller.
 */
public final class StopRequest {
    private StopRequest() {}

    /** Throws {@link CancellationException} when the current thread was interrupted; {@code stack} names the layers. */
    public static void checkBefore(String stack, int layer, int layers) {
        if (Thread.currentThread().isInterrupted()) {
            throw new CancellationException("stopped before " + stack + " layer " + layer + " of " + layers);
        }
    }
}
