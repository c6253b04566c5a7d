package org.twllm.core.plan;

import java.util.Arrays;
import java.util.stream.Collectors;

import org.twllm.core.config.TrainingConfig.Precision;
import org.twllm.errors.ConfigException;

/**
 * The devices {@code twllm plan} knows: memory per device, datasheet peaks, and the default MFU with where
 * it comes from. A CPU has no fixed memory or peak: the machine's limits and {@code device.peak_flops} (or the
 * start-up GEMM probe) stand in.
 */
public enum DeviceKind {
    /** nvidia-smi's total of an H100 SXM 80GB; dense bf16 989.4 TFLOP/s, fp32 (no TF32) 66.9 TFLOP/s. */
    H100_80GB("h100-80gb", 81_559L << 20, 989.4e12, 66.9e12, 0.33,
            "torchtitan's published 33-39% MFU, Llama 3.1 8B, FSDP, bf16, 8 H100s (docs/performance.md of pytorch/torchtitan)"),
    /** nvidia-smi's total of an H200 141GB; the H100's compute. */
    H200_141GB("h200-141gb", 143_771L << 20, 989.4e12, 66.9e12, 0.33,
            "the H100's published figure (same compute; no measurement on an H200 yet)"),
    /** nvidia-smi's total of an A100 SXM 80GB; dense bf16 312 TFLOP/s, fp32 19.5 TFLOP/s. */
    A100_80GB("a100-80gb", 81_920L << 20, 312e12, 19.5e12, 0.56,
            "torchtitan's published 56-58% MFU, Llama 3 8B, FSDP, bf16, 64 A100s (docs/performance.md of pytorch/torchtitan)"),
    /** Memory: the machine's limits; peak: device.peak_flops or the GEMM probe; bf16 computes in fp32 on CPU. */
    CPU("cpu", 0, 0, 0, 0.6,
            "twllm's own: 107-109 GFLOP/s training against about 180 GFLOP/s of ND4J GEMM on the idle 2-core VM (docs/performance.md)");

    private final String cliName;
    private final long memoryBytes;
    private final double bf16PeakFlops;
    private final double fp32PeakFlops;
    private final double defaultMfu;
    private final String mfuSource;

    DeviceKind(String cliName, long memoryBytes, double bf16PeakFlops, double fp32PeakFlops, double defaultMfu, String mfuSource) {
        this.cliName = cliName;
        this.memoryBytes = memoryBytes;
        this.bf16PeakFlops = bf16PeakFlops;
        this.fp32PeakFlops = fp32PeakFlops;
        this.defaultMfu = defaultMfu;
        this.mfuSource = mfuSource;
    }

    /** The name {@code --gpu} takes. */
    public String cliName() {
        return cliName;
    }

    public boolean isCpu() {
        return this == CPU;
    }

    /** Memory of one device in bytes; 0 for the CPU (the machine's limits decide). */
    public long memoryBytes() {
        return memoryBytes;
    }

    /** Datasheet dense peak for the compute precision; 0 for the CPU (measured or configured). */
    public double peakFlops(Precision precision) {
        return precision == Precision.FP32 ? fp32PeakFlops : bf16PeakFlops;
    }

    public double defaultMfu() {
        return defaultMfu;
    }

    /** Where {@link #defaultMfu()} comes from. */
    public String mfuSource() {
        return mfuSource;
    }

    /**
     * Bytes of one compute-precision element: bf16 on a GPU; always fp32 on the CPU, whose bf16 mode keeps
     * bf16-rounded values in fp32 arrays (ND4J's BF16 GEMM is slow and inexact, docs/model.md).
     */
    public int computeBytes(Precision precision) {
        return precision == Precision.FP32 || isCpu() ? Float.BYTES : 2;
    }

    /** The kind named {@code name} ({@code --gpu}), or a usage error listing the known ones. */
    public static DeviceKind named(String name) {
        for (DeviceKind d : values()) {
            if (d.cliName.equals(name)) {
                return d;
            }
        }
        throw new ConfigException("--gpu " + name + " is not a device twllm plan knows; use one of "
                + Arrays.stream(values()).map(DeviceKind::cliName).collect(Collectors.joining(", ")));
    }
}
