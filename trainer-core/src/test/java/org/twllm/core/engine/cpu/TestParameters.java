package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.twllm.core.engine.LlamaConfig;

/**
 * The parameters of a model of {@code config} (what the layers read) together with a full gradient buffer (what
 * their backward writes into), so a single layer can be checked with chosen weights.
 */
final class TestParameters {
    final ParameterStore store;
    final FullGradients grads;

    TestParameters(LlamaConfig config, DataType dataType) {
        store = new ParameterStore(config, dataType);
        grads = new FullGradients(store.layout(), dataType);
    }

    /** Sets the tensor {@code name} to {@code values} and returns the store's (live) view of it. */
    INDArray set(String name, INDArray values) {
        return store.param(name).assign(values);
    }

    /** The gradient of tensor {@code name} (a view of the gradient buffer). */
    INDArray grad(String name) {
        return grad(grads, store.spec(name));
    }

    /** The gradient of tensor {@code s} in {@code grads}. */
    static INDArray grad(FullGradients grads, org.twllm.core.engine.ParameterSpec s) {
        return ParameterStore.view(grads.flat(), s);
    }
}
