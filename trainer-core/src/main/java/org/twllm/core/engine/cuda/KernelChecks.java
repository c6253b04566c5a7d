package org.twllm.core.engine.cuda;

import org.twllm.core.engine.Bf16;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.twllm.core.io.DType;
import org.twllm.core.engine.TokenBatch;

/**
 * Runs every kernel (and the GEMM-and-kernel compositions: tiled attention, the chunked LM head) on a
 * device on seeded random inputs and compares it with {@link HostReference}'s fp64 computation. The device
 * check prints these results on a GPU; the tests run the same checks on the host emulation.
 *
 * <p>The error of a result is its largest absolute difference from the reference divided by the
 * reference's largest magnitude. Tolerances: fp32 1e-5 (AdamW and the conversions exact); bf16 1/64 for
 * element-wise kernels (a few bf16 roundings of the output), 1/16 where bf16 probabilities and gradients
 * feed further products (attention backward, the LM head).
 */
public final class KernelChecks {
    /** Sizes of the check's inputs: small for the emulation, larger on a GPU. */
    public record Shape(int rows, int hidden, int vocab, int batch, int seqLen, int heads, int kvHeads, int headDim,
            int keyTile, long lmHeadChunk) {

        /** Odd sizes, GQA (2 query heads per kv head), several key tiles, chunked rows. */
        public static Shape small() {
            return new Shape(7, 40, 37, 2, 11, 4, 2, 8, 4, 3 * 37);
        }

        /** Sizes that fill a GPU's blocks and tiles, still quick to check in fp64 on the host. */
        public static Shape device() {
            return new Shape(96, 1024, 4099, 2, 200, 8, 2, 64, 64, 40L * 4099);
        }
    }

    /** One comparison: {@code error} against {@code tolerance}. */
    public record Result(String name, StorageType type, double error, double tolerance) {
        public boolean passed() {
            return error <= tolerance;
        }
    }

    private static final double F32_TOLERANCE = 1e-5;
    private static final double BF16_TOLERANCE = 1.0 / 64;
    private static final double BF16_COMPOSED_TOLERANCE = 1.0 / 16;

    private final Gpu gpu;
    private final Shape shape;
    private final List<Result> results = new ArrayList<>();
    private Random rng;

    public KernelChecks(Gpu gpu, Shape shape) {
        this.gpu = gpu;
        this.shape = shape;
    }

    /** Every check in both storage types. */
    public List<Result> runAll() {
        for (StorageType type : StorageType.values()) {
            rng = new Random(20240613L + type.ordinal());
            Kernels k = new Kernels(gpu, type);
            embedding(k);
            rmsnorm(k);
            rotary(k);
            swiglu(k);
            residualAdd(k);
            linear(k);
            attention(k);
            lmHead(k);
            adamw(k);
        }
        conversions();
        sumOfSquares();
        gpu.synchronize();
        return List.copyOf(results);
    }

    private void embedding(Kernels k) {
        StorageType t = k.type();
        int rows = shape.rows();
        int h = shape.hidden();
        int[] ids = new int[rows];
        for (int i = 0; i < rows; i++) {
            ids[i] = i % 3 == 0 ? 1 : rng.nextInt(shape.vocab()); // repeated ids exercise the atomic adds
        }
        float[] table = random(shape.vocab() * h, 1, t);
        float[] dout = random(rows * h, 1, StorageType.F32);
        float[] dtable = random(shape.vocab() * h, 1, StorageType.F32);
        try (DeviceBuffer dIds = ints(ids); DeviceBuffer dTable = upload(table, t); DeviceBuffer out = gpu.allocate(4L * rows * h);
                DeviceBuffer dOut = upload(dout, StorageType.F32); DeviceBuffer dGrad = upload(dtable, StorageType.F32)) {
            k.embeddingForward(dIds.address(), dTable.address(), out.address(), rows, h);
            k.embeddingBackward(dIds.address(), dOut.address(), dGrad.address(), rows, h);
            record("embedding forward", t, f32(out, rows * h), HostReference.embeddingForward(ids, d(table), h), F32_TOLERANCE);
            record("embedding backward", t, f32(dGrad, dtable.length),
                    HostReference.embeddingBackward(ids, d(dout), d(dtable), h), F32_TOLERANCE);
        }
    }

    private void rmsnorm(Kernels k) {
        StorageType t = k.type();
        int rows = shape.rows();
        int h = shape.hidden();
        float eps = 1e-5f;
        float[] x = random(rows * h, 2, StorageType.F32);
        float[] w = random(h, 1, t);
        float[] dy = random(rows * h, 1, StorageType.F32);
        float[] dx0 = random(rows * h, 1, StorageType.F32);
        float[] dw0 = random(h, 1, StorageType.F32);
        try (DeviceBuffer dX = upload(x, StorageType.F32); DeviceBuffer dW = upload(w, t); DeviceBuffer y = gpu.allocate((long) t.bytes() * rows * h);
                DeviceBuffer rstd = gpu.allocate(4L * rows); DeviceBuffer dDy = upload(dy, StorageType.F32);
                DeviceBuffer dDx = upload(dx0, StorageType.F32); DeviceBuffer dDw = upload(dw0, StorageType.F32)) {
            k.rmsnormForward(dX.address(), dW.address(), y.address(), rstd.address(), rows, h, eps);
            k.rmsnormBackward(dDy.address(), dX.address(), dW.address(), rstd.address(), dDx.address(), dDw.address(), rows, h);
            double[][] fwd = HostReference.rmsnormForward(d(x), d(w), rows, h, eps);
            double[][] bwd = HostReference.rmsnormBackward(d(dy), d(x), d(w), d(dx0), d(dw0), rows, h, eps);
            record("rmsnorm forward", t, HostTransfer.download(gpu, y.address(), rows * h, t), fwd[0], tolerance(t, false));
            record("rmsnorm rstd", t, f32(rstd, rows), fwd[1], F32_TOLERANCE);
            record("rmsnorm backward dx", t, f32(dDx, rows * h), bwd[0], F32_TOLERANCE);
            record("rmsnorm backward dw", t, f32(dDw, h), bwd[1], F32_TOLERANCE);
        }
    }

    private void rotary(Kernels k) {
        StorageType t = k.type();
        int tokens = shape.rows();
        int heads = shape.heads();
        int dim = shape.headDim();
        int maxPos = 3 * tokens;
        int[] positions = new int[tokens];
        for (int i = 0; i < tokens; i++) {
            positions[i] = rng.nextInt(maxPos);
        }
        float[][] tables = RotaryTables.compute(maxPos, dim, 10000.0);
        float[] x = random(tokens * heads * dim, 1, t);
        float[] g = random(tokens * heads * dim, 1, StorageType.F32);
        try (DeviceBuffer pos = ints(positions); DeviceBuffer cos = upload(tables[0], StorageType.F32);
                DeviceBuffer sin = upload(tables[1], StorageType.F32); DeviceBuffer dX = upload(x, t);
                DeviceBuffer dG = upload(g, StorageType.F32); DeviceBuffer back = gpu.allocate((long) t.bytes() * g.length)) {
            k.rotaryForward(dX.address(), dX.address(), pos.address(), cos.address(), sin.address(), tokens, heads, dim);
            k.rotaryBackward(dG.address(), back.address(), pos.address(), cos.address(), sin.address(), tokens, heads, dim);
            record("rotary forward", t, HostTransfer.download(gpu, dX.address(), x.length, t),
                    HostReference.rotary(d(x), positions, tables[0], tables[1], heads, dim, false), tolerance(t, false));
            record("rotary backward", t, HostTransfer.download(gpu, back.address(), g.length, t),
                    HostReference.rotary(d(g), positions, tables[0], tables[1], heads, dim, true), tolerance(t, false));
        }
    }

    private void swiglu(Kernels k) {
        StorageType t = k.type();
        int n = shape.rows() * shape.hidden() + 5;
        float[] gate = random(n, 3, t);
        float[] up = random(n, 1, t);
        float[] dout = random(n, 1, t);
        try (DeviceBuffer dGate = upload(gate, t); DeviceBuffer dUp = upload(up, t); DeviceBuffer out = gpu.allocate((long) t.bytes() * n);
                DeviceBuffer dOut = upload(dout, t); DeviceBuffer dg = gpu.allocate((long) t.bytes() * n);
                DeviceBuffer du = gpu.allocate((long) t.bytes() * n)) {
            k.swigluForward(dGate.address(), dUp.address(), out.address(), n);
            k.swigluBackward(dOut.address(), dGate.address(), dUp.address(), dg.address(), du.address(), n);
            double[][] bwd = HostReference.swigluBackward(d(dout), d(gate), d(up));
            record("swiglu forward", t, HostTransfer.download(gpu, out.address(), n, t), HostReference.swigluForward(d(gate), d(up)),
                    tolerance(t, false));
            record("swiglu backward gate", t, HostTransfer.download(gpu, dg.address(), n, t), bwd[0], tolerance(t, false));
            record("swiglu backward up", t, HostTransfer.download(gpu, du.address(), n, t), bwd[1], tolerance(t, false));
        }
    }

    private void residualAdd(Kernels k) {
        StorageType t = k.type();
        int n = shape.rows() * shape.hidden() + 3;
        float[] a = random(n, 1, StorageType.F32);
        float[] b = random(n, 1, t);
        double[] want = new double[n];
        for (int i = 0; i < n; i++) {
            want[i] = (double) a[i] + b[i];
        }
        try (DeviceBuffer dA = upload(a, StorageType.F32); DeviceBuffer dB = upload(b, t)) {
            k.residualAdd(dA.address(), dB.address(), dA.address(), n);
            record("residual add", t, f32(dA, n), want, F32_TOLERANCE);
        }
    }

    /** The three GEMMs of a linear layer. */
    private void linear(Kernels k) {
        StorageType t = k.type();
        int rows = shape.rows();
        int in = shape.hidden();
        int out = shape.hidden() / 2 + 3;
        float[] x = random(rows * in, 1, t);
        float[] w = random(out * in, 1, t);
        float[] dy = random(rows * out, 1, t);
        float[] dw0 = random(out * in, 1, StorageType.F32);
        Gemms gemms = new Gemms(gpu, t);
        try (DeviceBuffer dX = upload(x, t); DeviceBuffer dW = upload(w, t); DeviceBuffer y = gpu.allocate(4L * rows * out);
                DeviceBuffer dDy = upload(dy, t); DeviceBuffer dDw = upload(dw0, StorageType.F32); DeviceBuffer dDx = gpu.allocate(4L * rows * in)) {
            gemms.forward(dX.address(), dW.address(), y.address(), rows, in, out, StorageType.F32, 0f);
            gemms.weightGrad(dDy.address(), dX.address(), dDw.address(), rows, in, out);
            gemms.inputGrad(dDy.address(), dW.address(), dDx.address(), rows, in, out, StorageType.F32, 0f);
            double[] wantY = new double[rows * out];
            double[] wantDw = d(dw0);
            double[] wantDx = new double[rows * in];
            for (int r = 0; r < rows; r++) {
                for (int o = 0; o < out; o++) {
                    for (int i = 0; i < in; i++) {
                        wantY[r * out + o] += (double) x[r * in + i] * w[o * in + i];
                        wantDw[o * in + i] += (double) dy[r * out + o] * x[r * in + i];
                        wantDx[r * in + i] += (double) dy[r * out + o] * w[o * in + i];
                    }
                }
            }
            record("linear forward GEMM", t, f32(y, rows * out), wantY, F32_TOLERANCE);
            record("linear weight-gradient GEMM", t, f32(dDw, out * in), wantDw, F32_TOLERANCE);
            record("linear input-gradient GEMM", t, f32(dDx, rows * in), wantDx, F32_TOLERANCE);
        }
    }

    private void attention(Kernels k) {
        StorageType t = k.type();
        int b = shape.batch();
        int seq = shape.seqLen();
        int heads = shape.heads();
        int kv = shape.kvHeads();
        int dim = shape.headDim();
        int tokens = b * seq;
        int[] ex = packedExampleIds(b, seq);
        float[] q = random(tokens * heads * dim, 1, t);
        float[] kk = random(tokens * kv * dim, 1, t);
        float[] v = random(tokens * kv * dim, 1, t);
        float[] dout = random(tokens * heads * dim, 1, t);
        try (TiledAttention attention = new TiledAttention(k, heads, kv, dim, shape.keyTile(), b, seq);
                DeviceBuffer dEx = ints(ex); DeviceBuffer dQ = upload(q, t); DeviceBuffer dK = upload(kk, t); DeviceBuffer dV = upload(v, t);
                DeviceBuffer out = gpu.allocate((long) t.bytes() * q.length); DeviceBuffer lse = gpu.allocate(4L * b * heads * seq);
                DeviceBuffer dOut = upload(dout, t); DeviceBuffer delta = gpu.allocate(4L * b * heads * seq);
                DeviceBuffer gq = gpu.allocate(4L * q.length); DeviceBuffer gk = gpu.allocate(4L * kk.length);
                DeviceBuffer gv = gpu.allocate(4L * v.length)) {
            AttentionPlan plan = attention.plan(ex, b, seq);
            attention.forward(plan, dEx.address(), b, seq, dQ.address(), dK.address(), dV.address(), out.address(), lse.address());
            attention.backward(plan, dEx.address(), b, seq, dQ.address(), dK.address(), dV.address(), out.address(), lse.address(),
                    dOut.address(), delta.address(), gq.address(), gk.address(), gv.address());
            double[][] fwd = HostReference.attentionForward(d(q), d(kk), d(v), ex, b, seq, heads, kv, dim);
            double[][] bwd = HostReference.attentionBackward(d(q), d(kk), d(v), d(dout), ex, b, seq, heads, kv, dim);
            double composed = t == StorageType.F32 ? F32_TOLERANCE : BF16_COMPOSED_TOLERANCE;
            record("attention forward output", t, HostTransfer.download(gpu, out.address(), q.length, t), fwd[0], tolerance(t, false));
            record("attention forward log-sum-exp", t, f32(lse, b * heads * seq), fwd[1], tolerance(t, false));
            record("attention backward dq", t, f32(gq, q.length), bwd[0], composed);
            record("attention backward dk", t, f32(gk, kk.length), bwd[1], composed);
            record("attention backward dv", t, f32(gv, v.length), bwd[2], composed);
        }
    }

    /** Row 0 one example (plain causal); the others packed examples of varying length. */
    static int[] packedExampleIds(int batch, int seqLen) {
        int[] ex = new int[batch * seqLen];
        for (int r = 1; r < batch; r++) {
            int id = 0;
            int left = 3;
            for (int s = 0; s < seqLen; s++) {
                if (left-- == 0) {
                    id++;
                    left = 3 + id % 3;
                }
                ex[r * seqLen + s] = id;
            }
        }
        return ex;
    }

    private void lmHead(Kernels k) {
        StorageType t = k.type();
        int rows = shape.rows();
        int h = shape.hidden();
        int vocab = shape.vocab();
        float[] hidden = random(rows * h, 1, t);
        float[] head = random(vocab * h, 0.3, t);
        float[] headGrad0 = random(vocab * h, 1, StorageType.F32);
        int[] targets = new int[rows];
        for (int r = 0; r < rows; r++) {
            targets[r] = r % 4 == 1 ? TokenBatch.IGNORE : rng.nextInt(vocab);
        }
        double scale = 0.5;
        try (ChunkedLmHead lm = new ChunkedLmHead(k, h, vocab, rows, shape.lmHeadChunk()); DeviceBuffer dHidden = upload(hidden, t);
                DeviceBuffer dHead = upload(head, t); DeviceBuffer dGrad = upload(headGrad0, StorageType.F32);
                DeviceBuffer dTargets = ints(targets); DeviceBuffer dH = gpu.allocate(4L * rows * h)) {
            double loss = lm.forwardBackward(dHidden.address(), dHead.address(), dGrad.address(), targets, dTargets.address(), rows,
                    scale, dH.address());
            float[] logProbs = lm.logProbs(dHidden.address(), dHead.address(), dTargets.address(), rows);
            double[] logits = new double[rows * vocab];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < vocab; c++) {
                    for (int i = 0; i < h; i++) {
                        logits[r * vocab + c] += (double) hidden[r * h + i] * head[c * h + i];
                    }
                }
            }
            double[][] ce = HostReference.crossEntropy(logits, targets, vocab, scale);
            double wantLoss = 0;
            double[] trainedLogProbs = new double[rows];
            float[] gotLogProbs = new float[rows];
            for (int r = 0; r < rows; r++) {
                if (targets[r] != TokenBatch.IGNORE) {
                    wantLoss -= ce[0][r];
                    trainedLogProbs[r] = ce[0][r];
                    gotLogProbs[r] = logProbs[r];
                } else if (!Float.isNaN(logProbs[r])) {
                    gotLogProbs[r] = Float.POSITIVE_INFINITY; // an ignored row must come back NaN
                }
            }
            double[] wantDh = new double[rows * h];
            double[] wantDw = d(headGrad0);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < vocab; c++) {
                    double g = ce[1][r * vocab + c];
                    for (int i = 0; i < h; i++) {
                        wantDh[r * h + i] += g * head[c * h + i];
                        wantDw[c * h + i] += g * hidden[r * h + i];
                    }
                }
            }
            double composed = t == StorageType.F32 ? F32_TOLERANCE : BF16_COMPOSED_TOLERANCE;
            record("lm head log-probs", t, gotLogProbs, trainedLogProbs, F32_TOLERANCE);
            record("lm head loss", t, new float[] {(float) loss}, new double[] {wantLoss}, F32_TOLERANCE);
            record("lm head hidden gradient", t, f32(dH, rows * h), wantDh, composed);
            record("lm head weight gradient", t, f32(dGrad, vocab * h), wantDw, composed);
        }
    }

    private void adamw(Kernels k) {
        StorageType t = k.type();
        int n = shape.rows() * shape.hidden() + 1;
        float[] p = random(n, 1, StorageType.F32);
        float[] g = random(n, 0.1, StorageType.F32);
        float[] m = random(n, 0.01, StorageType.F32);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) Math.abs(rng.nextGaussian() * 1e-3);
        }
        AdamWStep step = AdamWStep.of(0.9, 0.95, 1e-8, 0.1, 3e-4, 7, 0.75);
        try (DeviceBuffer dP = upload(p, StorageType.F32); DeviceBuffer dG = upload(g, StorageType.F32);
                DeviceBuffer dM = upload(m, StorageType.F32); DeviceBuffer dV = upload(v, StorageType.F32);
                DeviceBuffer compute = gpu.allocate((long) t.bytes() * n)) {
            k.adamw(dP.address(), dG.address(), dM.address(), dV.address(), compute.address(), n, step, step.decayFactor());
            HostReference.adamw(p, g, m, v, step, true);
            record("adamw parameters (bit-exact)", t, f32(dP, n), d(p), 0);
            record("adamw first moments (bit-exact)", t, f32(dM, n), d(m), 0);
            record("adamw second moments (bit-exact)", t, f32(dV, n), d(v), 0);
            record("adamw compute copy (bit-exact)", t, HostTransfer.download(gpu, compute.address(), n, t),
                    d(HostTransfer.rounded(p, t)), 0);
        }
    }

    private void conversions() {
        float[] values = {1.0f, -2.5f, 0x1.0081p0f /* rounds up */, 0x1.0080p0f /* tie to even: down */, 0x1.0180p0f /* tie: up */,
                Float.MAX_VALUE, Float.MIN_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, -0.0f, 3e-39f};
        float[] more = random(1000, 10, StorageType.F32);
        float[] all = new float[values.length + more.length];
        System.arraycopy(values, 0, all, 0, values.length);
        System.arraycopy(more, 0, all, values.length, more.length);
        Kernels k = new Kernels(gpu, StorageType.BF16);
        try (DeviceBuffer src = upload(all, StorageType.F32); DeviceBuffer bf = gpu.allocate(2L * all.length);
                DeviceBuffer back = gpu.allocate(4L * all.length)) {
            k.toStorage(src.address(), bf.address(), all.length);
            k.bf16ToF32(bf.address(), back.address(), all.length);
            float[] got = f32(back, all.length);
            int wrong = 0;
            for (int i = 0; i < all.length; i++) {
                short want = Bf16.fromFloat(all[i]);
                if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(Bf16.toFloat(want))) {
                    wrong++;
                }
            }
            results.add(new Result("fp32 -> bf16 -> fp32 conversion (bits, wrong values)", StorageType.BF16, wrong, 0));
        }
    }

    private void sumOfSquares() {
        rng = new Random(7);
        int n = 10_000 + 17;
        float[] x = random(n, 1, StorageType.F32);
        Kernels k = new Kernels(gpu, StorageType.F32);
        try (DeviceBuffer dX = upload(x, StorageType.F32); DeviceBuffer scratch = gpu.allocate(8L * k.sumOfSquaresScratch());
                DeviceBuffer out = gpu.allocate(8)) {
            k.sumOfSquares(dX.address(), n, scratch.address(), out.address());
            double got = HostTransfer.downloadDoubles(gpu, out.address(), 1)[0];
            double want = HostReference.sumOfSquares(d(x));
            results.add(new Result("sum of squares (gradient norm)", StorageType.F32, Math.abs(got - want) / want, 1e-12));
        }
    }

    private double tolerance(StorageType t, boolean composed) {
        if (t == StorageType.F32) {
            return F32_TOLERANCE;
        }
        return composed ? BF16_COMPOSED_TOLERANCE : BF16_TOLERANCE;
    }

    private void record(String name, StorageType t, float[] got, double[] want, double tolerance) {
        results.add(new Result(name, t, relativeError(got, want), tolerance));
    }

    /** max |got - want| / max |want| (NaN anywhere in got counts as infinitely wrong). */
    public static double relativeError(float[] got, double[] want) {
        if (got.length != want.length) {
            throw new IllegalArgumentException("lengths differ: " + got.length + " and " + want.length);
        }
        double maxDiff = 0;
        double maxWant = 0;
        for (int i = 0; i < got.length; i++) {
            double diff = Math.abs(got[i] - want[i]);
            maxDiff = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : Math.max(maxDiff, diff);
            maxWant = Math.max(maxWant, Math.abs(want[i]));
        }
        return maxWant == 0 ? maxDiff : maxDiff / maxWant;
    }

    private float[] random(int n, double std, StorageType t) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextGaussian() * std);
        }
        return HostTransfer.rounded(v, t);
    }

    private DeviceBuffer upload(float[] values, StorageType t) {
        DeviceBuffer b = gpu.allocate((long) values.length * t.bytes());
        HostTransfer.upload(gpu, b.address(), values, t);
        return b;
    }

    private DeviceBuffer ints(int[] values) {
        DeviceBuffer b = gpu.allocate(4L * values.length);
        HostTransfer.upload(gpu, b.address(), values);
        return b;
    }

    private float[] f32(DeviceBuffer b, int count) {
        return HostTransfer.download(gpu, b.address(), count, StorageType.F32);
    }

    private static double[] d(float[] v) {
        return HostTransfer.toDoubles(v);
    }
}
