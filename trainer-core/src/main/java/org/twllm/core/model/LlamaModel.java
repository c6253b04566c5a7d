package org.twllm.core.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A Llama-2 causal language model with explicit forward and backward passes (llm.c style) over the
 * parameters of one {@link ParameterStore}. The dtype of the store is the compute dtype: FLOAT for
 * training, DOUBLE for finite-difference checks.
 *
 * <p>Not thread-safe: forward saves the activations backward needs inside the layers. Every call runs in
 * ND4J workspaces (see {@link Workspaces}), so repeated calls with the same batch shape reuse memory.
 * With gradient checkpointing on, training keeps only each block's input and recomputes the block's forward
 * right before its backward; forward-only calls never keep a block's activations.
 */
public final class LlamaModel {
    private final LlamaConfig config;
    private final ParameterStore store;
    private final Embedding embedding;
    private final TransformerBlock[] blocks;
    private final RmsNorm finalNorm;
    private final CrossEntropy head;
    private final Rotary rotary;
    private boolean gradientCheckpointing;
    private int attentionTileSize = AttentionTiling.DEFAULT_TILE_SIZE;

    public LlamaModel(ParameterStore store) {
        this.store = store;
        this.config = store.config();
        this.rotary = new Rotary(config.headDim(), config.ropeTheta());
        this.embedding = new Embedding(store.param("model.embed_tokens.weight"), store.grad("model.embed_tokens.weight"));
        this.blocks = new TransformerBlock[config.numLayers()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = new TransformerBlock(config, store, i, rotary);
        }
        this.finalNorm = new RmsNorm(store.param("model.norm.weight"), store.grad("model.norm.weight"), config.rmsNormEps());
        String headName = config.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
        this.head = new CrossEntropy(store.param(headName), store.grad(headName));
    }

    /** A model with normal(0, std) weights from {@code seed} and unit norm weights. */
    public static LlamaModel random(LlamaConfig config, DataType dataType, long seed, double std) {
        return new LlamaModel(new ParameterStore(config, dataType).initRandom(seed, std));
    }

    public LlamaConfig config() {
        return config;
    }

    public ParameterStore parameters() {
        return store;
    }

    /**
     * Activation checkpointing for {@link #forwardBackward}: keep only each block's input through the forward
     * pass and recompute the block's forward before its backward (one extra forward of the blocks per step).
     * The gradients are bit-identical to the ones without it: the same kernels run on the same inputs.
     */
    public void setGradientCheckpointing(boolean on) {
        gradientCheckpointing = on;
    }

    /** Positions per attention tile (tests use small tiles to cover several tiles with short sequences). */
    void setAttentionTileSize(int positions) {
        if (positions <= 0) {
            throw new IllegalArgumentException("attention tile size must be positive, got " + positions);
        }
        attentionTileSize = positions;
    }

    /**
     * Forward, cross-entropy summed over positions whose target is not {@link TokenBatch#IGNORE}, and the
     * backward of {@code lossScale} times that sum, ADDED into the flat gradient buffer (so gradient
     * accumulation is several calls). {@code listener} hears each range of the gradient buffer as it
     * becomes final: the LM head, the final norm, layers from last to first, the embedding last.
     *
     * @return the summed (unscaled) loss
     */
    public double forwardBackward(TokenBatch batch, double lossScale, GradientReadyListener listener) {
        validate(batch);
        try (MemoryWorkspace ws = Workspaces.open(Workspaces.STEP)) {
            AttentionContext ctx = context(batch);
            INDArray[] blockInputs = gradientCheckpointing ? new INDArray[blocks.length] : null;
            INDArray hidden = forwardHidden(batch, ctx, blockInputs, Workspaces.STEP);
            INDArray dHidden = Nd4j.createUninitialized(hidden.dataType(), hidden.shape());
            double loss = head.forwardBackward(hidden, batch.targets(), lossScale, dHidden);
            if (!config.tieWordEmbeddings()) {
                ready(listener, "lm_head.weight");
            }
            INDArray dResidual = finalNorm.backward(dHidden);
            ready(listener, "model.norm.weight");
            for (int i = blocks.length - 1; i >= 0; i--) {
                try (MemoryWorkspace layerWs = Workspaces.open(Workspaces.BLOCK)) {
                    if (blockInputs != null) {
                        blocks[i].forward(blockInputs[i], ctx);
                    }
                    blocks[i].backward(dResidual);
                }
                listener.gradientsReady(store.layerStart(i), store.layerEnd(i) - store.layerStart(i));
            }
            embedding.backward(batch.inputs(), dResidual);
            ready(listener, "model.embed_tokens.weight");
            return loss;
        }
    }

    /** Forward only: the cross-entropy summed over trained positions. */
    public double loss(TokenBatch batch) {
        validate(batch);
        try (MemoryWorkspace ws = Workspaces.open(Workspaces.FORWARD)) {
            return head.loss(forwardOnly(batch), batch.targets());
        }
    }

    /** log p(target | earlier tokens) per position (flattened [b * T + t]), NaN where the target is ignored. */
    public float[] targetLogProbs(TokenBatch batch) {
        validate(batch);
        try (MemoryWorkspace ws = Workspaces.open(Workspaces.FORWARD)) {
            return head.targetLogProbs(forwardOnly(batch), batch.targets());
        }
    }

    /** Logits [B*T, vocab] (a fresh array outside any workspace; for evaluation and tests). */
    public INDArray logits(TokenBatch batch) {
        validate(batch);
        INDArray out;
        try (MemoryWorkspace outside = Workspaces.outside()) {
            out = Nd4j.create(store.dataType(), (long) batch.batchSize() * batch.seqLen(), config.vocabSize());
        }
        try (MemoryWorkspace ws = Workspaces.open(Workspaces.FORWARD)) {
            head.logits(forwardOnly(batch), out);
        }
        return out;
    }

    private AttentionContext context(TokenBatch batch) {
        return AttentionContext.of(batch, rotary, store.dataType(), attentionTileSize);
    }

    /** The hidden states of a pass without backward (in the FORWARD workspace): no block keeps its activations. */
    private INDArray forwardOnly(TokenBatch batch) {
        return forwardHidden(batch, context(batch), new INDArray[blocks.length], Workspaces.FORWARD);
    }

    /**
     * Embedding, blocks, final norm: the hidden states [B*T, hidden] the head reads. With {@code blockInputs}
     * null every block keeps its activations for backward; otherwise each block's input is stored there and
     * the block runs in a workspace that is reset right after it, so of each block only its output is copied
     * to the enclosing workspace {@code outer} (the next block's input).
     */
    private INDArray forwardHidden(TokenBatch batch, AttentionContext ctx, INDArray[] blockInputs, String outer) {
        INDArray x = embedding.forward(batch.inputs());
        for (int i = 0; i < blocks.length; i++) {
            if (blockInputs == null) {
                x = blocks[i].forward(x, ctx);
            } else {
                blockInputs[i] = x;
                try (MemoryWorkspace blockWs = Workspaces.open(Workspaces.BLOCK_FORWARD)) {
                    x = blocks[i].forward(x, ctx).leverageTo(outer);
                }
            }
        }
        return finalNorm.forward(x);
    }

    private void ready(GradientReadyListener listener, String tensor) {
        ParameterSpec s = store.spec(tensor);
        listener.gradientsReady(s.offset(), s.length());
    }

    private void validate(TokenBatch batch) {
        batch.requireFits(config);
    }
}
