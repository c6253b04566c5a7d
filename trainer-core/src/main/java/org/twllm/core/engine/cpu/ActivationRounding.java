package org.twllm.core.engine.cpu;

import java.util.stream.IntStream;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.twllm.core.engine.Bf16;
import org.twllm.core.engine.HostBuffer;
import org.twllm.core.engine.Precision;

/**
 * What the model does to the activations a bf16 GPU run stores in bf16 (the CUDA engine's stored type: norm
 * outputs, q/k/v, the attention output, projections, the MLP's gate, up and SwiGLU product, and the gradients
 * its bf16 GEMMs read): in bf16 they are rounded to nearest even in place and stay fp32 arrays, so every
 * product runs in fp32 on bf16 values; in fp32 nothing happens. The residual stream, norm statistics, the
 * log-sum-exp, the loss and every reduction stay fp32 in both, as on the GPU.
 */
final class ActivationRounding {
    static final ActivationRounding NONE = new ActivationRounding(false);
    static final ActivationRounding BF16 = new ActivationRounding(true);

    private final boolean rounds;

    private ActivationRounding(boolean rounds) {
        this.rounds = rounds;
    }

    static ActivationRounding of(Precision precision) {
        return precision == Precision.BF16 ? BF16 : NONE;
    }

    /** {@code a} (a contiguous FLOAT array) with its values rounded to bf16, in place; {@code a} itself in fp32. */
    INDArray apply(INDArray a) {
        if (!rounds) {
            return a;
        }
        if (a.dataType() != DataType.FLOAT) {
            throw new IllegalStateException("bf16 rounding of a " + a.dataType() + " array (bf16 runs compute in fp32)");
        }
        if (a.ordering() != 'c' || !Shape.hasDefaultStridesForShape(a)) {
            throw new IllegalStateException("bf16 rounding needs a contiguous c-order array, not " + a.shapeInfoToString());
        }
        long length = a.length();
        // a view's buffer pointer already points at the view's first element
        FloatPointer data = new FloatPointer(a.data().addressPointer());
        IntStream.range(0, HostBuffer.chunks(length)).parallel().forEach(c -> {
            long from = (long) c * HostBuffer.CHUNK;
            int n = (int) Math.min(HostBuffer.CHUNK, length - from);
            FloatPointer p = new FloatPointer(data);
            p.position(from).limit(from + n);
            Bf16.roundInPlace(p.asBuffer(), n);
        });
        return a;
    }

    /** {@code a} itself in fp32; in bf16 a rounded copy (for a buffer that must keep its fp32 values, such as the residual gradient). */
    INDArray copy(INDArray a) {
        return rounds ? apply(a.dup('c')) : a;
    }
}
