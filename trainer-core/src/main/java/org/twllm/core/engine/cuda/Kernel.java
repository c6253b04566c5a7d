package org.twllm.core.engine.cuda;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The catalogue of the engine's CUDA C kernels (resources {@code kernels/*.cu}) with each one's parameter
 * types in order. A typed kernel has one entry point per {@link StorageType} ({@code name_f32},
 * {@code name_bf16}); an untyped one has one. Every launch checks its arguments against this signature, and
 * the host emulation in the tests checks the signature against the C declaration.
 */
public enum Kernel {
    EMBEDDING_FORWARD(true, P.PTR, P.PTR, P.PTR, P.I32, P.I32),
    EMBEDDING_BACKWARD(false, P.PTR, P.PTR, P.PTR, P.I32, P.I32),
    RMSNORM_FORWARD(true, P.PTR, P.PTR, P.PTR, P.PTR, P.I32, P.I32, P.F32),
    RMSNORM_BACKWARD(true, P.PTR, P.PTR, P.PTR, P.PTR, P.PTR, P.I32, P.I32),
    RMSNORM_WEIGHT_GRAD(false, P.PTR, P.PTR, P.PTR, P.PTR, P.I32, P.I32),
    ROTARY_FORWARD(true, P.PTR, P.PTR, P.PTR, P.PTR, P.PTR, P.I32, P.I32, P.I32),
    ROTARY_BACKWARD(true, P.PTR, P.PTR, P.PTR, P.PTR, P.PTR, P.I32, P.I32, P.I32),
    SWIGLU_FORWARD(true, P.PTR, P.PTR, P.PTR, P.I64),
    SWIGLU_BACKWARD(true, P.PTR, P.PTR, P.PTR, P.PTR, P.PTR, P.I64),
    RESIDUAL_ADD(true, P.PTR, P.PTR, P.PTR, P.I64),
    CONVERT_F32_TO_BF16(false, P.PTR, P.PTR, P.I64),
    CONVERT_BF16_TO_F32(false, P.PTR, P.PTR, P.I64),
    FILL_F32(false, P.PTR, P.F32, P.I64),
    SUM_SQUARES_PARTIAL(false, P.PTR, P.I64, P.PTR),
    SUM_PARTIALS(false, P.PTR, P.I32, P.PTR),
    ATTN_FORWARD_TILE(true, tile(new P[] {P.PTR, P.PTR, P.PTR, P.PTR, P.PTR}, P.I32, P.F32)),
    ATTN_FORWARD_FINALIZE(true, P.PTR, P.PTR, P.PTR, P.PTR, P.PTR, P.I32, P.I32, P.I32, P.I32),
    ATTN_BACKWARD_DELTA(true, P.PTR, P.PTR, P.PTR, P.I32, P.I32, P.I32, P.I32),
    ATTN_BACKWARD_PROBS(true, tile(new P[] {P.PTR, P.PTR, P.PTR}, P.F32)),
    ATTN_BACKWARD_DSCORES(true, tile(new P[] {P.PTR, P.PTR, P.PTR, P.PTR, P.PTR}, P.F32)),
    CROSS_ENTROPY(true, P.PTR, P.PTR, P.PTR, P.PTR, P.I32, P.I32, P.F32),
    ADAMW(true, P.PTR, P.PTR, P.PTR, P.PTR, P.PTR, P.I64,
            P.F64, P.F64, P.F64, P.F64, P.F64, P.F64, P.F64, P.F64, P.F64);

    /** A kernel parameter's type: a device pointer, int, long long, float or double. */
    public enum P {
        PTR, I32, I64, F32, F64
    }

    /** One extern "C" entry point: its name and its index in {@link #entries()}. */
    public record Entry(Kernel kernel, StorageType type, String name, int index) {
    }

    private static final List<Entry> ENTRIES;

    static {
        List<Entry> entries = new ArrayList<>();
        for (Kernel k : values()) {
            if (k.typed) {
                for (StorageType t : StorageType.values()) {
                    entries.add(new Entry(k, t, k.baseName() + "_" + t.suffix(), entries.size()));
                }
            } else {
                entries.add(new Entry(k, null, k.baseName(), entries.size()));
            }
        }
        ENTRIES = Collections.unmodifiableList(entries);
    }

    private final boolean typed;
    private final P[] params;

    Kernel(boolean typed, P... params) {
        this.typed = typed;
        this.params = params;
    }

    /** The tile parameters every attention tile kernel takes (attention.cu's TWLLM_TILE_PARAMS) between others. */
    private static P[] tile(P[] before, P... after) {
        P[] tileParams = {P.PTR, P.I32, P.I32, P.I32, P.I32, P.I32, P.I32, P.I32, P.I32, P.I32};
        P[] all = new P[before.length + tileParams.length + after.length];
        System.arraycopy(before, 0, all, 0, before.length);
        System.arraycopy(tileParams, 0, all, before.length, tileParams.length);
        System.arraycopy(after, 0, all, before.length + tileParams.length, after.length);
        return all;
    }

    public boolean typed() {
        return typed;
    }

    /** The C name without the storage suffix ({@code rmsnorm_forward}). */
    public String baseName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public int parameterCount() {
        return params.length;
    }

    public P parameter(int i) {
        return params[i];
    }

    /** The entry point for storage type {@code t} (ignored for an untyped kernel). */
    public Entry entry(StorageType t) {
        for (Entry e : ENTRIES) {
            if (e.kernel() == this && (!typed || e.type() == t)) {
                return e;
            }
        }
        throw new IllegalStateException("no entry for " + this);
    }

    /** Every entry point, in a fixed order. */
    public static List<Entry> entries() {
        return ENTRIES;
    }
}
