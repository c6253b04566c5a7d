package org.twllm.core.engine.cuda;

/**
 * How the compute copy of the weights and the activations that GEMMs read are stored on the device:
 * fp32, or bf16 (the upper half of an fp32, rounded to nearest even). Every kernel accumulates in fp32 and
 * the residual stream, the gradients and the optimizer state are fp32 in both.
 */
public enum StorageType {
    F32("f32", 4),
    BF16("bf16", 2);

    private final String suffix;
    private final int bytes;

    StorageType(String suffix, int bytes) {
        this.suffix = suffix;
        this.bytes = bytes;
    }

    /** The suffix of this type's kernel entry points ({@code rmsnorm_forward_bf16}). */
    public String suffix() {
        return suffix;
    }

    public int bytes() {
        return bytes;
    }

    /** The storage type a config's {@code training.precision} asks for ("fp32" or "bf16"). */
    public static StorageType forPrecision(String precision) {
        return switch (precision.toLowerCase(java.util.Locale.ROOT)) {
            case "fp32", "f32" -> F32;
            case "bf16" -> BF16;
            default -> throw new IllegalArgumentException("the CUDA engine computes in fp32 or bf16, not " + precision);
        };
    }
}
