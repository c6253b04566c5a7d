package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.twllm.core.engine.LlamaConfig;

/**
 * The fused RMSNorm, SwiGLU and rotary passes at shapes big enough to run threaded over several row blocks (a
 * short last one included), against the same math written as chains of ND4J ops, in fp64. The finite-difference
 * checks in {@link LayerGradientTest} cover the same code at sizes that run on one thread.
 */
class FusedPassesTest {
    private static final double BOUND = 1e-12;
    /** hidden 400: 100 rows make several blocks (a short last one) above the threading threshold. */
    private static final LlamaConfig WIDE = new LlamaConfig(400, 600, 1, 1, 1, 7, 16, 1e-5, 500.0, false);

    @Test
    void rmsNormForwardBackwardAndResidualAdd() {
        int n = 100;
        int h = 400;
        double eps = 1e-5;
        INDArray x = GradientCheck.random(1, n, h);
        INDArray dy = GradientCheck.random(2, n, h);
        TestParameters p = new TestParameters(WIDE, DataType.DOUBLE);
        INDArray w = p.set("model.norm.weight", GradientCheck.random(3, h).addi(1.0));
        RmsNorm norm = new RmsNorm(p.store, "model.norm.weight", eps, ActivationRounding.NONE);

        INDArray rstd = Transforms.pow(x.mul(x).mean(true, 1).addi(eps), -0.5, false).reshape(n, 1);
        INDArray xhat = x.mul(rstd);
        INDArray g = dy.mul(w.reshape(1, h));
        INDArray dxReference = g.sub(xhat.mul(g.mul(xhat).mean(true, 1))).muli(rstd);
        INDArray dwReference = dy.mul(xhat).sum(0);

        assertClose(xhat.mul(w.reshape(1, h)), norm.forward(x), "forward");
        assertClose(dxReference, norm.backward(dy, p.grads), "dx");
        assertClose(dwReference, p.grad("model.norm.weight"), "dw");

        INDArray residual = GradientCheck.random(4, n, h);
        INDArray expected = residual.add(dxReference);
        norm.addBackward(dy, p.grads, residual);
        assertClose(expected, residual, "residual + dx");
        assertClose(dwReference.mul(2), p.grad("model.norm.weight"), "dw accumulated");
    }

    @Test
    void swiGluEqualsTheOpChain() {
        int n = 100;
        String[] names = {"model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight"};
        TestParameters p = new TestParameters(WIDE, DataType.DOUBLE);
        INDArray wGate = p.set(names[0], GradientCheck.random(2, 600, 400));
        INDArray wUp = p.set(names[1], GradientCheck.random(3, 600, 400));
        INDArray wDown = p.set(names[2], GradientCheck.random(4, 400, 600));
        INDArray x = GradientCheck.random(1, n, 400);
        INDArray dy = GradientCheck.random(5, n, 400);
        SwiGluMlp mlp = new SwiGluMlp(p.store, 0, ActivationRounding.NONE);

        INDArray a = x.mmul(wGate.transpose());
        INDArray u = x.mmul(wUp.transpose());
        INDArray sig = Transforms.sigmoid(a, true);
        INDArray silu = a.mul(sig);
        INDArray hidden = silu.mul(u);
        INDArray dHidden = dy.mmul(wDown);
        INDArray dUp = dHidden.mul(silu);
        INDArray dGate = dHidden.mul(u).muli(sig.rsub(1.0).muli(a).addi(1.0).muli(sig));
        INDArray dx = dGate.mmul(wGate).addi(dUp.mmul(wUp));

        assertClose(hidden.mmul(wDown.transpose()), mlp.forward(x), "forward");
        assertClose(dx, mlp.backward(dy, p.grads), "dx");
        assertClose(dy.transpose().mmul(hidden), p.grad(names[2]), "d down");
        assertClose(dUp.transpose().mmul(x), p.grad(names[1]), "d up");
        assertClose(dGate.transpose().mmul(x), p.grad(names[0]), "d gate");
    }

    /** fp32 SwiGLU (the Vector API passes, as the build's JVM runs it) against the fp64 one, to fp32 rounding. */
    @Test
    void fp32SwiGluAgreesWithFp64() {
        int n = 100;
        String[] names = {"model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight"};
        INDArray[] w = {GradientCheck.random(2, 600, 400).muli(3.0), GradientCheck.random(3, 600, 400), GradientCheck.random(4, 400, 600)};
        INDArray x = GradientCheck.random(1, n, 400);
        INDArray dy = GradientCheck.random(5, n, 400);
        INDArray[] results = new INDArray[2 * 5];
        DataType[] types = {DataType.DOUBLE, DataType.FLOAT};
        for (int t = 0; t < 2; t++) {
            TestParameters p = new TestParameters(WIDE, types[t]);
            for (int i = 0; i < 3; i++) {
                p.set(names[i], w[i].castTo(types[t]));
            }
            SwiGluMlp mlp = new SwiGluMlp(p.store, 0, ActivationRounding.NONE);
            results[5 * t] = mlp.forward(x.castTo(types[t])).castTo(DataType.DOUBLE);
            results[5 * t + 1] = mlp.backward(dy.castTo(types[t]), p.grads).castTo(DataType.DOUBLE);
            for (int i = 0; i < 3; i++) {
                results[5 * t + 2 + i] = p.grad(names[i]).castTo(DataType.DOUBLE);
            }
        }
        String[] what = {"forward", "dx", "d gate", "d up", "d down"};
        for (int i = 0; i < 5; i++) {
            double scale = results[i].amaxNumber().doubleValue();
            double d = results[i].sub(results[5 + i]).amaxNumber().doubleValue() / scale;
            assertTrue(d < 1e-5, "fp32 " + what[i] + ": " + d);
        }
    }

    @Test
    void rotaryEqualsTheRotateHalfFormula() {
        int b = 3;
        int t = 50;
        int heads = 4;
        int d = 64;
        int[] positions = new int[b * t];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = (i * 7) % 41;
        }
        Rotary rotary = new Rotary(d, 10000.0);
        INDArray[] cs = rotary.tables(positions, b, t, DataType.DOUBLE);
        INDArray x = GradientCheck.random(1, b, t, heads, d);
        INDArray x1 = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, d / 2));
        INDArray x2 = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(d / 2, d));
        INDArray expected = org.nd4j.linalg.factory.Nd4j.concat(3, x1.mul(cs[0]).subi(x2.mul(cs[1])), x2.mul(cs[0]).addi(x1.mul(cs[1])));
        INDArray rotated = x.dup();
        rotary.rotate(rotated, cs[0], cs[1]);
        assertClose(expected, rotated, "rotate");
        rotary.rotateBack(rotated, cs[0], cs[1]);
        assertClose(x, rotated, "rotate back");
    }

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        double scale = Math.max(1e-30, expected.amaxNumber().doubleValue());
        double d = expected.reshape(actual.shape()).sub(actual).amaxNumber().doubleValue() / scale;
        assertTrue(d < BOUND, what + ": " + d);
    }
}
