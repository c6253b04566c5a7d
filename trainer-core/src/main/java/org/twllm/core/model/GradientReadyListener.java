package org.twllm.core.model;

/**
 * Told by the backward pass when a range of the flat gradient buffer holds its final value for this
 * backward (a layer's parameter gradients are done). Backward runs from the last layer to the first,
 * so ranges arrive roughly from the end of the flat buffer towards its start. Data parallelism uses
 * this to start reducing gradient buckets while backward still computes earlier layers.
 */
@FunctionalInterface
public interface GradientReadyListener {
    GradientReadyListener NONE = (offset, length) -> { };

    /** Elements {@code [offset, offset + length)} of the flat gradient buffer are final. */
    void gradientsReady(long offset, long length);
}
