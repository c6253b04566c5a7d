package org.twllm.core.engine.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.ParameterLayout;
import org.twllm.core.engine.TokenBatch;

/**
 * The Llama-2 model on a {@link Gpu}: forward and backward of the whole model over ONE flat parameter
 * buffer in the storage type (the compute copy; {@link ParameterLayout}'s order and offsets, so it maps
 * one-to-one onto the CPU store and the checkpoints) and ONE flat fp32 gradient buffer of the same layout.
 * Every linear layer is a cuBLAS GEMM (bf16 in, fp32 accumulation for bf16); the residual stream and its
 * gradient are fp32; attention is {@link TiledAttention}; the LM head is {@link ChunkedLmHead}.
 *
 * <p>Saved between forward and backward, per layer: the block's input and middle residual (fp32), the two
 * norms' reciprocal rms, rotated q and k, v, the attention output and its log-sum-exp, and the MLP's gate
 * and up projections. The norm outputs and the SwiGLU product are recomputed in backward. Batches up to
 * {@code maxBatch x maxSeqLen}; not thread-safe.
 */
public final class DeviceLlamaModel implements AutoCloseable {
    private final LlamaConfig config;
    private final ParameterLayout layout;
    private final Gpu gpu;
    private final BufferGroup buffers;
    private final StorageType type;
    private final Kernels k;
    private final Gemms gemms;
    private final TiledAttention attention;
    private final ChunkedLmHead head;
    private final int maxTokens;
    private final int maxBatch;
    private final int maxSeqLen;
    private final DeviceBuffer params;
    private final DeviceBuffer grads;
    private final DeviceBuffer cos;
    private final DeviceBuffer sin;
    private final DeviceBuffer ids;
    private final DeviceBuffer targets;
    private final DeviceBuffer positions;
    private final DeviceBuffer exampleIds;
    private final ByteBuffer batchStaging;
    private final Layer[] layers;
    private final DeviceBuffer finalResidual;
    private final DeviceBuffer finalRstd;
    private final DeviceBuffer hidden;
    private final Scratch s;

    private TokenBatch batch;
    private AttentionPlan plan;

    /** What one layer keeps from forward for backward. */
    private final class Layer {
        final DeviceBuffer input = f32(hiddenElements());
        final DeviceBuffer middle = f32(hiddenElements());
        final DeviceBuffer rstdAttention = f32(maxTokens);
        final DeviceBuffer rstdMlp = f32(maxTokens);
        final DeviceBuffer q = stored(hiddenElements());
        final DeviceBuffer k = stored(kvElements());
        final DeviceBuffer v = stored(kvElements());
        final DeviceBuffer out = stored(hiddenElements());
        final DeviceBuffer lse = f32((long) maxBatch * config.numHeads() * maxSeqLen);
        final DeviceBuffer gate = stored(mlpElements());
        final DeviceBuffer up = stored(mlpElements());

    }

    /** Buffers reused by every layer. */
    private final class Scratch {
        final DeviceBuffer normed = stored(hiddenElements());
        final DeviceBuffer projected = stored(hiddenElements());
        final DeviceBuffer mlp = stored(mlpElements());
        final DeviceBuffer dResidual = f32(hiddenElements());
        final DeviceBuffer dStored = stored(hiddenElements());
        final DeviceBuffer dNormed = f32(hiddenElements());
        final DeviceBuffer dOut = stored(hiddenElements());
        final DeviceBuffer delta = f32((long) maxBatch * config.numHeads() * maxSeqLen);
        final DeviceBuffer dqAcc = f32(hiddenElements());
        final DeviceBuffer dkAcc = f32(kvElements());
        final DeviceBuffer dvAcc = f32(kvElements());
        final DeviceBuffer dq = stored(hiddenElements());
        final DeviceBuffer dk = stored(kvElements());
        final DeviceBuffer dv = stored(kvElements());
        final DeviceBuffer dMlp = stored(mlpElements());
        final DeviceBuffer dGate = stored(mlpElements());
        final DeviceBuffer dUp = stored(mlpElements());

    }

    /**
     * A model with zero parameters and gradients; load them with {@link #setParameters}.
     *
     * @param keyTile attention key tile (128 on a GPU)
     * @param lmHeadChunk most logits of one LM-head chunk
     */
    public DeviceLlamaModel(Gpu gpu, LlamaConfig config, StorageType type, int maxBatch, int maxSeqLen, int keyTile,
            long lmHeadChunk) {
        this.config = config;
        this.layout = new ParameterLayout(config);
        this.gpu = gpu;
        this.buffers = new BufferGroup(gpu);
        this.type = type;
        this.k = new Kernels(gpu, type);
        this.gemms = new Gemms(gpu, type);
        this.maxBatch = maxBatch;
        this.maxSeqLen = maxSeqLen;
        this.maxTokens = maxBatch * maxSeqLen;
        this.attention = new TiledAttention(k, config.numHeads(), config.numKvHeads(), config.headDim(), keyTile, maxBatch, maxSeqLen);
        this.head = new ChunkedLmHead(k, config.hiddenSize(), config.vocabSize(), maxTokens, lmHeadChunk);
        this.params = stored(layout.total());
        this.grads = f32(layout.total());
        gpu.fill(params.address(), 0, params.bytes());
        gpu.fill(grads.address(), 0, grads.bytes());
        float[][] tables = RotaryTables.compute(config.maxPositionEmbeddings(), config.headDim(), config.ropeTheta());
        this.cos = f32(tables[0].length);
        this.sin = f32(tables[1].length);
        HostTransfer.upload(gpu, cos.address(), tables[0], StorageType.F32);
        HostTransfer.upload(gpu, sin.address(), tables[1], StorageType.F32);
        this.ids = buffers.ints(maxTokens);
        this.targets = buffers.ints(maxTokens);
        this.positions = buffers.ints(maxTokens);
        this.exampleIds = buffers.ints(maxTokens);
        this.batchStaging = ByteBuffer.allocateDirect(4 * maxTokens).order(ByteOrder.LITTLE_ENDIAN);
        this.layers = new Layer[config.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = new Layer();
        }
        this.finalResidual = f32(hiddenElements());
        this.finalRstd = f32(maxTokens);
        this.hidden = stored(hiddenElements());
        this.s = new Scratch();
    }

    public LlamaConfig config() {
        return config;
    }

    public ParameterLayout layout() {
        return layout;
    }

    public Gpu gpu() {
        return gpu;
    }

    public StorageType storageType() {
        return type;
    }

    /** The flat compute parameters (storage type) and gradients (fp32). */
    public DeviceBuffer parameterBuffer() {
        return params;
    }

    public DeviceBuffer gradientBuffer() {
        return grads;
    }

    /** Stores {@code values} (rounded to the storage type) as the flat parameters from {@code offset}. */
    public void setParameters(long offset, float[] values) {
        HostTransfer.upload(gpu, params.at(offset * type.bytes()), values, type);
    }

    /** {@code count} flat parameters from {@code offset}, as floats. */
    public float[] parameters(long offset, int count) {
        return HostTransfer.download(gpu, params.at(offset * type.bytes()), count, type);
    }

    /** {@code count} flat gradients from {@code offset}. */
    public float[] gradients(long offset, int count) {
        return HostTransfer.download(gpu, grads.at(offset * 4), count, StorageType.F32);
    }

    public void zeroGradients() {
        gpu.fill(grads.address(), 0, grads.bytes());
    }

    /**
     * Forward, cross-entropy summed over positions with a target, and the backward of {@code lossScale}
     * times that sum ADDED into the gradient buffer (accumulation is several calls).
     *
     * @return the summed (unscaled) loss
     */
    public double forwardBackward(TokenBatch tokens, double lossScale) {
        return forwardBackward(tokens, lossScale, FinalGradients.IGNORED);
    }

    /**
     * What backward tells as it goes: {@code finalFrom(w)} once every gradient of flat elements {@code >= w}
     * has been issued on the compute stream (backward walks the layout from its end, so {@code w} only falls,
     * down to 0 after the embedding). A tied head's gradient lands in the embedding's range, below every
     * earlier mark.
     */
    @FunctionalInterface
    public interface FinalGradients {
        FinalGradients IGNORED = from -> { };

        void finalFrom(long flatIndex);
    }

    /** As {@link #forwardBackward(TokenBatch, double)}, telling {@code progress} which gradients are final. */
    public double forwardBackward(TokenBatch tokens, double lossScale, FinalGradients progress) {
        forward(tokens);
        int n = tokens.batchSize() * tokens.seqLen();
        double loss = head.forwardBackward(hidden.address(), param(headName()), grad(headName()), tokens.targets(),
                targets.address(), n, lossScale, s.dNormed.address());
        if (!config.tieWordEmbeddings()) {
            progress.finalFrom(layout.spec(headName()).offset());
        }
        gpu.fill(s.dResidual.address(), 0, 4L * n * config.hiddenSize());
        k.rmsnormBackward(s.dNormed.address(), finalResidual.address(), param("model.norm.weight"), finalRstd.address(),
                s.dResidual.address(), grad("model.norm.weight"), n, config.hiddenSize());
        progress.finalFrom(layout.spec("model.norm.weight").offset());
        for (int l = layers.length - 1; l >= 0; l--) {
            layerBackward(l, n);
            progress.finalFrom(layout.layerStart(l));
        }
        k.embeddingBackward(ids.address(), s.dResidual.address(), grad("model.embed_tokens.weight"), n, config.hiddenSize());
        progress.finalFrom(0);
        return loss;
    }

    /** log p(target | earlier tokens) per position ([b * T + t]), NaN where the target is ignored. */
    public float[] targetLogProbs(TokenBatch tokens) {
        forward(tokens);
        return head.logProbs(hidden.address(), param(headName()), targets.address(), tokens.batchSize() * tokens.seqLen());
    }

    private void forward(TokenBatch tokens) {
        load(tokens);
        int n = tokens.batchSize() * tokens.seqLen();
        k.embeddingForward(ids.address(), param("model.embed_tokens.weight"), layers.length > 0 ? layers[0].input.address()
                : finalResidual.address(), n, config.hiddenSize());
        for (int l = 0; l < layers.length; l++) {
            layerForward(l, n);
        }
        k.rmsnormForward(finalResidual.address(), param("model.norm.weight"), hidden.address(), finalRstd.address(), n,
                config.hiddenSize(), (float) config.rmsNormEps());
    }

    private void layerForward(int l, int n) {
        Layer L = layers[l];
        String p = ParameterLayout.layerPrefix(l);
        int h = config.hiddenSize();
        int kv = config.kvDim();
        int im = config.intermediateSize();
        long next = l + 1 < layers.length ? layers[l + 1].input.address() : finalResidual.address();
        attentionNorm(L, p, n);
        gemms.forward(s.normed.address(), param(p + "self_attn.q_proj.weight"), L.q.address(), n, h, h, type, 0f);
        gemms.forward(s.normed.address(), param(p + "self_attn.k_proj.weight"), L.k.address(), n, h, kv, type, 0f);
        gemms.forward(s.normed.address(), param(p + "self_attn.v_proj.weight"), L.v.address(), n, h, kv, type, 0f);
        k.rotaryForward(L.q.address(), L.q.address(), positions.address(), cos.address(), sin.address(), n, config.numHeads(),
                config.headDim());
        k.rotaryForward(L.k.address(), L.k.address(), positions.address(), cos.address(), sin.address(), n, config.numKvHeads(),
                config.headDim());
        attention.forward(plan, exampleIds.address(), batch.batchSize(), batch.seqLen(), L.q.address(), L.k.address(), L.v.address(),
                L.out.address(), L.lse.address());
        gemms.forward(L.out.address(), param(p + "self_attn.o_proj.weight"), s.projected.address(), n, h, h, type, 0f);
        k.residualAdd(L.input.address(), s.projected.address(), L.middle.address(), (long) n * h);
        mlpNorm(L, p, n);
        gemms.forward(s.normed.address(), param(p + "mlp.gate_proj.weight"), L.gate.address(), n, h, im, type, 0f);
        gemms.forward(s.normed.address(), param(p + "mlp.up_proj.weight"), L.up.address(), n, h, im, type, 0f);
        swiglu(L, n);
        gemms.forward(s.mlp.address(), param(p + "mlp.down_proj.weight"), s.projected.address(), n, im, h, type, 0f);
        k.residualAdd(L.middle.address(), s.projected.address(), next, (long) n * h);
    }

    /** Turns dResidual (the gradient of the layer's output) into the gradient of its input, adding every weight gradient. */
    private void layerBackward(int l, int n) {
        Layer L = layers[l];
        String p = ParameterLayout.layerPrefix(l);
        int h = config.hiddenSize();
        int kv = config.kvDim();
        int im = config.intermediateSize();
        long normed = s.normed.address();
        long dNormed = s.dNormed.address();

        // MLP: out = middle + down(silu(gate(xn)) * up(xn)), xn = norm(middle)
        long dy = storedResidualGradient(n);
        mlpNorm(L, p, n);
        swiglu(L, n);
        gemms.weightGrad(dy, s.mlp.address(), grad(p + "mlp.down_proj.weight"), n, im, h);
        gemms.inputGrad(dy, param(p + "mlp.down_proj.weight"), s.dMlp.address(), n, im, h, type, 0f);
        k.swigluBackward(s.dMlp.address(), L.gate.address(), L.up.address(), s.dGate.address(), s.dUp.address(), (long) n * im);
        gemms.weightGrad(s.dGate.address(), normed, grad(p + "mlp.gate_proj.weight"), n, h, im);
        gemms.weightGrad(s.dUp.address(), normed, grad(p + "mlp.up_proj.weight"), n, h, im);
        gemms.inputGrad(s.dGate.address(), param(p + "mlp.gate_proj.weight"), dNormed, n, h, im, StorageType.F32, 0f);
        gemms.inputGrad(s.dUp.address(), param(p + "mlp.up_proj.weight"), dNormed, n, h, im, StorageType.F32, 1f);
        k.rmsnormBackward(dNormed, L.middle.address(), param(p + "post_attention_layernorm.weight"), L.rstdMlp.address(),
                s.dResidual.address(), grad(p + "post_attention_layernorm.weight"), n, h);

        // Attention: middle = input + o(attn(rope(q(xn)), rope(k(xn)), v(xn))), xn = norm(input)
        dy = storedResidualGradient(n);
        gemms.weightGrad(dy, L.out.address(), grad(p + "self_attn.o_proj.weight"), n, h, h);
        gemms.inputGrad(dy, param(p + "self_attn.o_proj.weight"), s.dOut.address(), n, h, h, type, 0f);
        attention.backward(plan, exampleIds.address(), batch.batchSize(), batch.seqLen(), L.q.address(), L.k.address(),
                L.v.address(), L.out.address(), L.lse.address(), s.dOut.address(), s.delta.address(), s.dqAcc.address(),
                s.dkAcc.address(), s.dvAcc.address());
        k.rotaryBackward(s.dqAcc.address(), s.dq.address(), positions.address(), cos.address(), sin.address(), n, config.numHeads(),
                config.headDim());
        k.rotaryBackward(s.dkAcc.address(), s.dk.address(), positions.address(), cos.address(), sin.address(), n,
                config.numKvHeads(), config.headDim());
        long dv = type == StorageType.F32 ? s.dvAcc.address() : s.dv.address();
        k.toStorage(s.dvAcc.address(), dv, (long) n * kv);
        attentionNorm(L, p, n);
        gemms.weightGrad(s.dq.address(), normed, grad(p + "self_attn.q_proj.weight"), n, h, h);
        gemms.weightGrad(s.dk.address(), normed, grad(p + "self_attn.k_proj.weight"), n, h, kv);
        gemms.weightGrad(dv, normed, grad(p + "self_attn.v_proj.weight"), n, h, kv);
        gemms.inputGrad(s.dq.address(), param(p + "self_attn.q_proj.weight"), dNormed, n, h, h, StorageType.F32, 0f);
        gemms.inputGrad(s.dk.address(), param(p + "self_attn.k_proj.weight"), dNormed, n, h, kv, StorageType.F32, 1f);
        gemms.inputGrad(dv, param(p + "self_attn.v_proj.weight"), dNormed, n, h, kv, StorageType.F32, 1f);
        k.rmsnormBackward(dNormed, L.input.address(), param(p + "input_layernorm.weight"), L.rstdAttention.address(),
                s.dResidual.address(), grad(p + "input_layernorm.weight"), n, h);
    }

    /** The attention norm of layer {@code L}'s input into s.normed: forward, and backward's recomputation. */
    private void attentionNorm(Layer L, String p, int n) {
        k.rmsnormForward(L.input.address(), param(p + "input_layernorm.weight"), s.normed.address(), L.rstdAttention.address(), n,
                config.hiddenSize(), (float) config.rmsNormEps());
    }

    /** The MLP norm of layer {@code L}'s middle residual into s.normed: forward, and backward's recomputation. */
    private void mlpNorm(Layer L, String p, int n) {
        k.rmsnormForward(L.middle.address(), param(p + "post_attention_layernorm.weight"), s.normed.address(), L.rstdMlp.address(),
                n, config.hiddenSize(), (float) config.rmsNormEps());
    }

    /** SwiGLU of layer {@code L}'s gate and up projections into s.mlp: forward, and backward's recomputation. */
    private void swiglu(Layer L, int n) {
        k.swigluForward(L.gate.address(), L.up.address(), s.mlp.address(), (long) n * config.intermediateSize());
    }

    /** dResidual in the storage type, for the GEMMs that read it (the buffer itself in fp32). */
    private long storedResidualGradient(int n) {
        if (type == StorageType.F32) {
            return s.dResidual.address();
        }
        k.toStorage(s.dResidual.address(), s.dStored.address(), (long) n * config.hiddenSize());
        return s.dStored.address();
    }

    private void load(TokenBatch tokens) {
        int n = tokens.batchSize() * tokens.seqLen();
        if (tokens.batchSize() > maxBatch || tokens.seqLen() > maxSeqLen) {
            throw new IllegalArgumentException("a batch of " + tokens.batchSize() + " x " + tokens.seqLen()
                    + " exceeds the model's buffers of " + maxBatch + " x " + maxSeqLen);
        }
        tokens.requireFits(config);
        batch = tokens;
        plan = attention.plan(tokens.exampleIds(), tokens.batchSize(), tokens.seqLen());
        upload(ids, tokens.inputs(), n);
        upload(targets, tokens.targets(), n);
        upload(positions, tokens.positions(), n);
        upload(exampleIds, tokens.exampleIds(), n);
    }

    private void upload(DeviceBuffer dst, int[] values, int n) {
        batchStaging.clear();
        batchStaging.asIntBuffer().put(values, 0, n);
        batchStaging.limit(4 * n);
        gpu.upload(dst.address(), batchStaging);
    }

    private String headName() {
        return config.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
    }

    private long param(String name) {
        return params.address() + layout.spec(name).offset() * type.bytes();
    }

    private long grad(String name) {
        return grads.address() + layout.spec(name).offset() * 4;
    }

    private long hiddenElements() {
        return (long) maxTokens * config.hiddenSize();
    }

    private long kvElements() {
        return (long) maxTokens * config.kvDim();
    }

    private long mlpElements() {
        return (long) maxTokens * config.intermediateSize();
    }

    private DeviceBuffer f32(long elements) {
        return buffers.f32(elements);
    }

    private DeviceBuffer stored(long elements) {
        return buffers.of(type, elements);
    }

    @Override
    public void close() {
        buffers.close();
        attention.close();
        head.close();
    }
}
