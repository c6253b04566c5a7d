package org.twllm.core.engine.cpu;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.ParameterLayout;
import org.twllm.core.engine.ParameterSpec;
import org.twllm.core.engine.RandomWeights;

/**
 * All parameters of a Llama model in ONE contiguous flat buffer, with a view per tensor (HF names; the layout
 * is {@link ParameterLayout}). Sharding, checkpointing and communication work on ranges of the flat buffer.
 */
public final class ParameterStore {
    private final LlamaConfig config;
    private final DataType dataType;
    private final INDArray params;
    private final ParameterLayout layout;
    private final Map<String, INDArray> views = new LinkedHashMap<>();

    /** A zeroed store of {@code dataType} (FLOAT for training, DOUBLE for gradient checks). */
    public ParameterStore(LlamaConfig config, DataType dataType) {
        if (dataType != DataType.FLOAT && dataType != DataType.DOUBLE) {
            throw new IllegalArgumentException("parameters are FLOAT or DOUBLE, not " + dataType);
        }
        this.config = config;
        this.dataType = dataType;
        this.layout = new ParameterLayout(config);
        try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            this.params = Nd4j.zeros(dataType, layout.total());
        }
        for (ParameterSpec s : layout.specs()) {
            views.put(s.name(), view(params, s));
        }
    }

    /** The tensor {@code s} of the flat buffer {@code flat} (of this layout), as a view of its shape. */
    static INDArray view(INDArray flat, ParameterSpec s) {
        return flat.get(NDArrayIndex.interval(s.offset(), s.end())).reshape('c', s.shape());
    }

    /** {@link RandomWeights}: normal(0, std) matrices from {@code seed}, norm weights 1. */
    public ParameterStore initRandom(long seed, double std) {
        RandomWeights.fill(layout, seed, std, this::copyIn);
        return this;
    }

    public LlamaConfig config() {
        return config;
    }

    public DataType dataType() {
        return dataType;
    }

    /** Where each tensor lies in the flat buffer. */
    public ParameterLayout layout() {
        return layout;
    }

    public List<ParameterSpec> specs() {
        return layout.specs();
    }

    public ParameterSpec spec(String name) {
        return layout.spec(name);
    }

    /** The flat parameter buffer (1-D). */
    public INDArray params() {
        return params;
    }

    public INDArray param(String name) {
        spec(name);
        return views.get(name);
    }

    public long numParameters() {
        return params.length();
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
