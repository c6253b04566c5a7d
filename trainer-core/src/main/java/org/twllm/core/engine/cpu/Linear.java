package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The three products of a bias-free linear layer {@code y = x W^T} (W is [out, in], HF's layout), each one
 * GEMM with transpose flags into a c-order output, never a materialised transpose. Each counts its operations for
 * the step profile ({@link StepProfile#gemm}).
 */
final class Linear {
    private Linear() {
    }

    /** y [N, out] = x [N, in] W^T. */
    static INDArray forward(INDArray x, INDArray w) {
        INDArray y = Nd4j.createUninitialized(x.dataType(), x.size(0), w.size(0));
        StepProfile.gemm(1, x.size(0), w.size(0), x.size(1));
        return Nd4j.gemm(x, w, y, false, true, 1.0, 0.0);
    }

    /** dW [out, in] = dy^T [out, N] x [N, in], by blocks of output rows: {@code dW[r0:r1] = dy[:, r0:r1]^T x}. */
    static GradientWriter.RowBlocks weightGrad(INDArray dy, INDArray x) {
        return (r0, r1, dst, accumulate) -> {
            INDArray columns = r0 == 0 && r1 == dy.size(1) ? dy : dy.get(NDArrayIndex.all(), NDArrayIndex.interval(r0, r1));
            StepProfile.gemm(1, r1 - r0, x.size(1), x.size(0));
            Nd4j.gemm(columns, x, dst, true, false, 1.0, accumulate ? 1.0 : 0.0);
        };
    }

    /** dx [N, in] = dy [N, out] W [out, in]. */
    static INDArray inputGrad(INDArray dy, INDArray w) {
        INDArray dx = Nd4j.createUninitialized(dy.dataType(), dy.size(0), w.size(1));
        StepProfile.gemm(1, dy.size(0), w.size(1), w.size(0));
        return Nd4j.gemm(dy, w, dx, false, false, 1.0, 0.0);
    }

    /** dx += dy W. */
    static void addInputGrad(INDArray dy, INDArray w, INDArray dx) {
        StepProfile.gemm(1, dy.size(0), w.size(1), w.size(0));
        Nd4j.gemm(dy, w, dx, false, false, 1.0, 1.0);
    }
}
