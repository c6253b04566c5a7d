package org.twllm.core.engine.cpu;

import java.util.Arrays;

/**
 * An opt-in profile of the CPU training step by kind of work, for the speed benchmark
 * ({@code -Dtwllm.cpu.profile=true}). The step is cut into consecutive laps: each {@link #lap} charges the time
 * since the previous lap (or {@link #reset}) to one kind, so the kinds add up to the whole step without nesting.
 *
 * <p>Off (the default) every call is a test of a static final flag, which the JIT folds away. On, a lap is one
 * {@code System.nanoTime()} and an array add: no allocation. Laps come from the thread that runs the model (ND4J's
 * CPU ops are synchronous); the optimizer's parallel pass is charged as one lap after it returns.
 */
public final class StepProfile {
    /** The kinds of work, in the order the benchmark prints them. */
    public enum Kind {
        EMBEDDING("embedding"),
        ATTENTION_GEMM("attention GEMMs (q/k/v/o projections, QK^T, PV)"),
        ATTENTION_SOFTMAX("attention softmax/mask"),
        HEAD_LAYOUT("attention head layout copies"),
        MLP_GEMM("MLP GEMMs"),
        ELEMENTWISE("elementwise (rotary, SwiGLU, residual adds)"),
        NORM("RMSNorm"),
        LM_HEAD_LOSS("LM head + loss"),
        GRADIENT_HANDOFF("gradient hand-off (zero, flush to the partition)"),
        OPTIMIZER("optimizer (AdamW)"),
        DATA("data (batch preparation)"),
        COMMUNICATION("communication");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** Whether laps are timed (system property {@code twllm.cpu.profile}, read once). */
    public static final boolean ENABLED = Boolean.getBoolean("twllm.cpu.profile");

    private static final long[] NANOS = new long[Kind.values().length];
    private static long last;

    private StepProfile() {
    }

    /** Zeroes the totals and starts the first lap now. */
    public static void reset() {
        if (ENABLED) {
            Arrays.fill(NANOS, 0);
            last = System.nanoTime();
        }
    }

    /** Charges the time since the previous lap to {@code kind}. */
    public static void lap(Kind kind) {
        if (ENABLED) {
            long now = System.nanoTime();
            NANOS[kind.ordinal()] += now - last;
            last = now;
        }
    }

    /** Nanoseconds charged to {@code kind} since {@link #reset}. */
    public static long nanos(Kind kind) {
        return NANOS[kind.ordinal()];
    }
}
