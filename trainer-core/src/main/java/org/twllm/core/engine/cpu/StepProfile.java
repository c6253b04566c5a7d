package org.twllm.core.engine.cpu;

import java.util.Arrays;

/**
 * An opt-in profile of the CPU training step by kind of work, for the speed benchmark
 * ({@code -Dtwllm.cpu.profile=true}). The step is cut into consecutive laps: each {@link #lap} charges the time
 * since the previous lap (or {@link #reset}) to one kind, so the kinds add up to the whole step without nesting.
 *
 * <p>The GEMMs also count their floating-point operations ({@link #gemm}), charged with the lap they run in, so the
 * benchmark prints the rate each GEMM kind reaches inside the step and what the step would reach if nothing but
 * its GEMMs took time (docs/performance.md).
 *
 * <p>Off (the default) every call is a test of a static final flag, which the JIT folds away. On, a lap is one
 * {@code System.nanoTime()} and an array add: no allocation. Laps come from the thread that runs the model (ND4J's
 * CPU ops are synchronous); the optimizer's parallel pass is charged as one lap after it returns.
 */
public final class StepProfile {
    /** The kinds of work, in the order the benchmark prints them. */
    public enum Kind {
        EMBEDDING("embedding", false),
        ATTENTION_PROJECTION("attention projection GEMMs (q/k/v/o)", true),
        ATTENTION_TILE_GEMM("attention tile GEMMs (QK^T, PV, their gradients)", true),
        ATTENTION_SOFTMAX("attention softmax/mask", false),
        HEAD_LAYOUT("attention head layout copies", false),
        MLP_GEMM("MLP GEMMs", true),
        ELEMENTWISE("elementwise (rotary, SwiGLU, residual adds)", false),
        NORM("RMSNorm", false),
        LM_HEAD_GEMM("LM head GEMMs", true),
        LOSS("loss (softmax, cross-entropy)", false),
        GRADIENT_HANDOFF("gradient hand-off (zero, flush to the partition)", false),
        OPTIMIZER("optimizer (AdamW)", false),
        DATA("data (batch preparation)", false),
        COMMUNICATION("communication", false);

        private final String label;
        private final boolean gemm;

        Kind(String label, boolean gemm) {
            this.label = label;
            this.gemm = gemm;
        }

        public String label() {
            return label;
        }

        /** True for the kinds whose laps are GEMMs (and the views and output arrays around them), nothing else. */
        public boolean isGemm() {
            return gemm;
        }
    }

    /** Whether laps are timed (system property {@code twllm.cpu.profile}, read once). */
    public static final boolean ENABLED = Boolean.getBoolean("twllm.cpu.profile");

    private static final long[] NANOS = new long[Kind.values().length];
    private static final double[] FLOPS = new double[Kind.values().length];
    private static long last;
    /** FLOPs of the GEMMs run since the previous lap, charged to the next lap's kind. */
    private static double pendingFlops;

    private StepProfile() {
    }

    /** Zeroes the totals and starts the first lap now. */
    public static void reset() {
        if (ENABLED) {
            Arrays.fill(NANOS, 0);
            Arrays.fill(FLOPS, 0);
            pendingFlops = 0;
            last = System.nanoTime();
        }
    }

    /** Charges the time since the previous lap to {@code kind}. */
    public static void lap(Kind kind) {
        if (ENABLED) {
            long now = System.nanoTime();
            NANOS[kind.ordinal()] += now - last;
            FLOPS[kind.ordinal()] += pendingFlops;
            pendingFlops = 0;
            last = now;
        }
    }

    /** Counts {@code batch} products of [m, k] x [k, n]: 2 m n k operations each, charged with the next lap. */
    public static void gemm(long batch, long m, long n, long k) {
        if (ENABLED) {
            pendingFlops += 2.0 * batch * m * n * k;
        }
    }

    /** Nanoseconds charged to {@code kind} since {@link #reset}. */
    public static long nanos(Kind kind) {
        return NANOS[kind.ordinal()];
    }

    /** GEMM operations charged to {@code kind} since {@link #reset}. */
    public static double flops(Kind kind) {
        return FLOPS[kind.ordinal()];
    }
}
