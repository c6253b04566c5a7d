package org.twllm.core.model;

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
 * buffer of the same layout, with a view per tensor (HF names; the layout is {@link ParameterLayout}).
 * Sharding, clipping, checkpointing and communication work on ranges of the flat buffers.
 */
public final class ParameterStore {
    private final LlamaConfig config;
    private final DataType dataType;
    private final INDArray params;
    private final INDArray grads;
    private final ParameterLayout layout;
    private final Map<String, INDArray> paramViews = new LinkedHashMap<>();
    private final Map<String, INDArray> gradViews = new LinkedHashMap<>();

    /** A zeroed store (parameters all 0) of {@code dataType} (FLOAT for training, DOUBLE for gradient checks). */
    public ParameterStore(LlamaConfig config, DataType dataType) {
        if (dataType != DataType.FLOAT && dataType != DataType.DOUBLE) {
            throw new IllegalArgumentException("parameters are FLOAT or DOUBLE, not " + dataType);
        }
        this.config = config;
        this.dataType = dataType;
        this.layout = new ParameterLayout(config);
        long total = layout.total();
        try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            this.params = Nd4j.zeros(dataType, total);
            this.grads = Nd4j.zeros(dataType, total);
        }
        for (ParameterSpec s : layout.specs()) {
            paramViews.put(s.name(), view(params, s));
            gradViews.put(s.name(), view(grads, s));
        }
    }

    /** HF name prefix of layer {@code i}'s tensors. */
    public static String layerPrefix(int i) {
        return ParameterLayout.layerPrefix(i);
    }

    private static INDArray view(INDArray flat, ParameterSpec s) {
        return flat.get(NDArrayIndex.interval(s.offset(), s.end())).reshape('c', s.shape());
    }

    /** Normal(0, std) weights from {@code seed}, norm weights 1 (HF's LlamaPreTrainedModel init). */
    public ParameterStore initRandom(long seed, double std) {
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        for (ParameterSpec s : layout.specs()) {
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

    /** Where each tensor lies in the flat buffers. */
    public ParameterLayout layout() {
        return layout;
    }

    public List<ParameterSpec> specs() {
        return layout.specs();
    }

    public ParameterSpec spec(String name) {
        return layout.spec(name);
    }

    public boolean has(String name) {
        return layout.has(name);
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
        return layout.layerStart(i);
    }

    public long layerEnd(int i) {
        return layout.layerEnd(i);
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
