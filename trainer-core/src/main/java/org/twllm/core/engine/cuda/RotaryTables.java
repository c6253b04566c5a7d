package org.twllm.core.engine.cuda;

/**
 * The cos and sin tables [maxPositions, headDim/2] the rotary kernels read, computed in double exactly as
 * the CPU model's Rotary does (inverse frequency theta^(-2i/D), angle = position * inverse frequency), then
 * stored as fp32.
 */
public final class RotaryTables {
    private RotaryTables() {
    }

    /** {cos, sin}. */
    public static float[][] compute(int maxPositions, int headDim, double theta) {
        int half = headDim / 2;
        double[] inverseFrequency = new double[half];
        for (int i = 0; i < half; i++) {
            inverseFrequency[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
        }
        float[] cos = new float[maxPositions * half];
        float[] sin = new float[maxPositions * half];
        for (int p = 0; p < maxPositions; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * inverseFrequency[i];
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
        return new float[][] {cos, sin};
    }
}
