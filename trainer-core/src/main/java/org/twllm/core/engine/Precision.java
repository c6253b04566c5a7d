package org.twllm.core.engine;

/**
 * What the compute weights and the activations saved for backward are stored as. Master weights, AdamW moments,
 * gradients and every reduction are fp32 in both.
 */
public enum Precision {
    FP32(HostBuffer.Element.F32),
    /** bfloat16: the upper half of an fp32, rounded to nearest even. */
    BF16(HostBuffer.Element.BF16);

    private final HostBuffer.Element element;

    Precision(HostBuffer.Element element) {
        this.element = element;
    }

    /** The element type of compute weights in this precision (what the all-gather moves). */
    public HostBuffer.Element element() {
        return element;
    }
}
