package org.twllm.core.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.GaussianDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * All parameters of a Llama model in ONE contiguous flat buffer, and their gradients in a second flat
 * buffer of the same layout, with a view per tensor (HF names). Layout: embedding, layers 0..L-1 (each:
 * input_layernorm, q, k, v, o, post_attention_layernorm, gate, up, down), final norm, lm_head (absent when
 * tied). Sharding, clipping, checkpointing and communication work on ranges of the flat buffers.
 */
public final class ParameterStore {
    private final LlamaConfig config;
    private final DataType dataType;
    private final INDArray params;
    private final INDArray grads;
    private final List<ParameterSpec> specs;
    private final Map<String, ParameterSpec> byName = new LinkedHashMap<>();
    private final Map<String, INDArray> paramViews = new LinkedHashMap<>();
    private final Map<String, INDArray> gradViews = new LinkedHashMap<>();
    private final long[] layerStart;
    private final long[] layerEnd;

    /** A zeroed store (parameters all 0) of {@code dataType} (FLOAT for training, DOUBLE for gradient checks). */
    public ParameterStore(LlamaConfig config, DataType dataType) {
        if (dataType != DataType.FLOAT && dataType != DataType.DOUBLE) {
            throw new IllegalArgumentException("parameters are FLOAT or DOUBLE, not " + dataType);
        }
        this.config = config;
        this.dataType = dataType;
        this.specs = Collections.unmodifiableList(layout(config));
        long total = specs.get(specs.size() - 1).end();
        try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            this.params = Nd4j.zeros(dataType, total);
            this.grads = Nd4j.zeros(dataType, total);
        }
        layerStart = new long[config.numLayers()];
        layerEnd = new long[config.numLayers()];
        for (ParameterSpec s : specs) {
            byName.put(s.name(), s);
            paramViews.put(s.name(), view(params, s));
            gradViews.put(s.name(), view(grads, s));
        }
        for (int i = 0; i < config.numLayers(); i++) {
            layerStart[i] = spec(layerPrefix(i) + "input_layernorm.weight").offset();
            layerEnd[i] = spec(layerPrefix(i) + "mlp.down_proj.weight").end();
        }
    }

    /** HF name prefix of layer {@code i}'s tensors. */
    public static String layerPrefix(int i) {
        return "model.layers." + i + ".";
    }

    private static List<ParameterSpec> layout(LlamaConfig c) {
        long h = c.hiddenSize();
        long kv = c.kvDim();
        long im = c.intermediateSize();
        List<ParameterSpec> out = new ArrayList<>();
        long[] offset = {0};
        java.util.function.BiConsumer<String, long[]> add = (name, shape) -> {
            long len = 1;
            for (long d : shape) {
                len *= d;
            }
            out.add(new ParameterSpec(name, shape, offset[0], len, !name.endsWith("norm.weight")));
            offset[0] += len;
        };
        add.accept("model.embed_tokens.weight", new long[] {c.vocabSize(), h});
        for (int i = 0; i < c.numLayers(); i++) {
            String p = layerPrefix(i);
            add.accept(p + "input_layernorm.weight", new long[] {h});
            add.accept(p + "self_attn.q_proj.weight", new long[] {h, h});
            add.accept(p + "self_attn.k_proj.weight", new long[] {kv, h});
            add.accept(p + "self_attn.v_proj.weight", new long[] {kv, h});
            add.accept(p + "self_attn.o_proj.weight", new long[] {h, h});
            add.accept(p + "post_attention_layernorm.weight", new long[] {h});
            add.accept(p + "mlp.gate_proj.weight", new long[] {im, h});
            add.accept(p + "mlp.up_proj.weight", new long[] {im, h});
            add.accept(p + "mlp.down_proj.weight", new long[] {h, im});
        }
        add.accept("model.norm.weight", new long[] {h});
        if (!c.tieWordEmbeddings()) {
            add.accept("lm_head.weight", new long[] {c.vocabSize(), h});
        }
        return out;
    }

    private static INDArray view(INDArray flat, ParameterSpec s) {
        return flat.get(NDArrayIndex.interval(s.offset(), s.end())).reshape('c', s.shape());
    }

    /** Normal(0, std) weights from {@code seed}, norm weights 1 (HF's LlamaPreTrainedModel init). */
    public ParameterStore initRandom(long seed, double std) {
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        for (ParameterSpec s : specs) {
            INDArray p = param(s.name());
            if (s.decays()) {
                Nd4j.getExecutioner().exec(new GaussianDistribution(p, 0.0, std), rng);
            } else {
                p.assign(1.0);
            }
        }
        return this;
    }

    public LlamaConfig config() {
        return config;
    }

    public DataType dataType() {
        return dataType;
    }

    public List<ParameterSpec> specs() {
        return specs;
    }

    public ParameterSpec spec(String name) {
        ParameterSpec s = byName.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no parameter named " + name);
        }
        return s;
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    /** The flat parameter buffer (1-D). */
    public INDArray params() {
        return params;
    }

    /** The flat gradient buffer (1-D, same layout as {@link #params()}). */
    public INDArray grads() {
        return grads;
    }

    public INDArray param(String name) {
        spec(name);
        return paramViews.get(name);
    }

    public INDArray grad(String name) {
        spec(name);
        return gradViews.get(name);
    }

    public long numParameters() {
        return params.length();
    }

    public void zeroGrads() {
        grads.assign(0.0);
    }

    /** Flat range {@code [start, end)} of layer {@code i}'s tensors. */
    public long layerStart(int i) {
        return layerStart[i];
    }

    public long layerEnd(int i) {
        return layerEnd[i];
    }

    /** Copies {@code count} values from {@code src} into the flat parameters at {@code offset} (bulk, no INDArray temporaries). */
    public void copyIn(long offset, float[] src, int count) {
        checkRange(offset, count);
        if (dataType == DataType.FLOAT) {
            new FloatPointer(params.data().addressPointer()).position(offset).put(src, 0, count);
        } else {
            double[] d = new double[count];
            for (int i = 0; i < count; i++) {
                d[i] = src[i];
            }
            new DoublePointer(params.data().addressPointer()).position(offset).put(d, 0, count);
        }
    }

    /** Copies {@code count} flat parameter values starting at {@code offset} into {@code dst} (as float). */
    public void copyOut(long offset, float[] dst, int count) {
        checkRange(offset, count);
        if (dataType == DataType.FLOAT) {
            new FloatPointer(params.data().addressPointer()).position(offset).get(dst, 0, count);
        } else {
            double[] d = new double[count];
            new DoublePointer(params.data().addressPointer()).position(offset).get(d, 0, count);
            for (int i = 0; i < count; i++) {
                dst[i] = (float) d[i];
            }
        }
    }

    private void checkRange(long offset, int count) {
        if (offset < 0 || count < 0 || offset + count > params.length()) {
            throw new IndexOutOfBoundsException("range [" + offset + ", " + (offset + count) + ") outside " + params.length());
        }
    }
}
