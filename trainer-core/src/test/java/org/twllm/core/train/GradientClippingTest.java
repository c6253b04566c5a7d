package org.twllm.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.twllm.core.engine.HostBuffer;

class GradientClippingTest {
    @Test
    void clippingScalesToMaxNormAndIsOffAtZero() {
        try (HostBuffer grads = HostBuffer.allocate(4, HostBuffer.Element.F32)) {
            grads.floats(0, 4).put(new float[] {3.0f, 4.0f, 0f, 12.0f});
            assertEquals(169.0, grads.sumOfSquares(0, 4), 1e-6);
        }
        double norm = 13.0;
        assertEquals(1.0 / (13.0 + 1e-6), GradientClipping.clipFactor(norm, 1.0), 1e-12);
        assertEquals(1.0, GradientClipping.clipFactor(norm, 0.0));
        assertEquals(1.0, GradientClipping.clipFactor(norm, 100.0));
    }
}
