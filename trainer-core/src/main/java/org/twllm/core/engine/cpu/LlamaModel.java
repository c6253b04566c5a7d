package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.ParameterSpec;
import org.twllm.core.engine.TokenBatch;

/**
 * A Llama-2 causal language model with explicit forward and backward passes (llm.c style) over the
 * parameters of one {@link ParameterStore}; the CPU engine's model. The dtype of the store is the compute
 * dtype: FLOAT for training, DOUBLE for finite-difference checks. Backward gives every parameter gradient to a
 * {@link GradientWriter}, last tensor first.
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
    private final ParameterSpec headSpec;
    private final ParameterSpec embeddingSpec;
    private final Rotary rotary;
    /**
     * The [vocab, hidden] gradient of the LM head and then of the embedding, which backward computes whole
     * (the head over chunks of positions, the embedding as a scatter-add) before writing them; with tied
     * embeddings the two add up in it. Allocated at the first backward.
     */
    private INDArray vocabularyGrad;
    private boolean gradientCheckpointing;
    /** Positions per attention tile; 0: {@link AttentionTiling#tileSize} of each batch's sequence length. */
    private int attentionTileSize;

    /** A model that computes in the store's dtype, rounding nothing. */
    public LlamaModel(ParameterStore store) {
        this(store, ActivationRounding.NONE);
    }

    /**
     * A model whose stored activations are rounded as {@code rounding} says: {@link ActivationRounding#BF16} with a
     * FLOAT store of bf16-rounded weights gives the numerics of a bf16 GPU run.
     */
    LlamaModel(ParameterStore store, ActivationRounding rounding) {
        this.store = store;
        this.config = store.config();
        this.rotary = new Rotary(config.headDim(), config.ropeTheta());
        this.embedding = new Embedding(store.param("model.embed_tokens.weight"));
        this.blocks = new TransformerBlock[config.numLayers()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = new TransformerBlock(config, store, i, rotary, rounding);
        }
        this.finalNorm = new RmsNorm(store, "model.norm.weight", config.rmsNormEps(), rounding);
        String headName = config.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
        this.head = new CrossEntropy(store.param(headName));
        this.headSpec = store.spec(headName);
        this.embeddingSpec = store.spec("model.embed_tokens.weight");
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
     * backward of {@code lossScale} times that sum, every parameter gradient given to {@code grads}: the LM
     * head, the final norm, layers from last to first, the embedding last.
     *
     * @return the summed (unscaled) loss
     */
    public double forwardBackward(TokenBatch batch, double lossScale, GradientWriter grads) {
        validate(batch);
        INDArray vocabulary = vocabularyGrad();
        try (MemoryWorkspace ws = Workspaces.open(Workspaces.STEP)) {
            AttentionContext ctx = context(batch);
            StepProfile.lap(StepProfile.Kind.DATA);
            INDArray[] blockInputs = gradientCheckpointing ? new INDArray[blocks.length] : null;
            INDArray hidden = forwardHidden(batch, ctx, blockInputs, Workspaces.STEP);
            INDArray dHidden = Nd4j.createUninitialized(hidden.dataType(), hidden.shape());
            vocabulary.assign(0);
            StepProfile.lap(StepProfile.Kind.GRADIENT_HANDOFF);
            double loss = head.forwardBackward(hidden, batch.targets(), lossScale, dHidden, vocabulary);
            if (!config.tieWordEmbeddings()) {
                grads.values(headSpec.offset(), vocabulary);
                vocabulary.assign(0);
                StepProfile.lap(StepProfile.Kind.GRADIENT_HANDOFF);
            }
            INDArray dResidual = finalNorm.backward(dHidden, grads);
            for (int i = blocks.length - 1; i >= 0; i--) {
                try (MemoryWorkspace layerWs = Workspaces.open(Workspaces.BLOCK)) {
                    if (blockInputs != null) {
                        blocks[i].forward(blockInputs[i], ctx);
                    }
                    blocks[i].backward(dResidual, grads);
                }
            }
            // tied embeddings: the head's gradient is already in the table's, the lookup's adds to it
            Embedding.backward(batch.inputs(), dResidual, vocabulary);
            grads.values(embeddingSpec.offset(), vocabulary);
            StepProfile.lap(StepProfile.Kind.GRADIENT_HANDOFF);
            return loss;
        }
    }

    private INDArray vocabularyGrad() {
        if (vocabularyGrad == null) {
            try (MemoryWorkspace outside = Workspaces.outside()) {
                vocabularyGrad = Nd4j.zeros(store.dataType(), config.vocabSize(), config.hiddenSize());
            }
        }
        return vocabularyGrad;
    }

    /** Bytes of the [vocab, hidden] gradient scratch (0 before the first backward). */
    long vocabularyGradientBytes() {
        return vocabularyGrad == null ? 0 : vocabularyGrad.length() * vocabularyGrad.dataType().width();
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
        int tile = attentionTileSize > 0 ? attentionTileSize : AttentionTiling.tileSize(batch.seqLen());
        AttentionTiling tiling = AttentionTiling.of(batch, tile, AttentionTiling.RUN_SCORES, config.numKvHeads(),
                config.numHeads() / config.numKvHeads(), store.dataType());
        return AttentionContext.of(batch, rotary, store.dataType(), tiling);
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

    private void validate(TokenBatch batch) {
        batch.requireFits(config);
    }
}
