package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.ParameterSpec;

class ParameterStoreTest {
    @Test
    void tensorViewsWriteThroughToTheFlatBuffers() {
        LlamaConfig c = new LlamaConfig(8, 12, 2, 2, 1, 11, 16, 1e-5, 10000.0, false);
        ParameterStore store = new ParameterStore(c, DataType.FLOAT).initRandom(1, 0.02);
        assertEquals(c.numParameters(), store.numParameters());
        assertEquals(1.0, store.param("model.layers.1.post_attention_layernorm.weight").getDouble(3), 0.0);

        ParameterSpec k = store.spec("model.layers.1.self_attn.k_proj.weight");
        store.param(k.name()).putScalar(new long[] {2, 5}, 42.0);
        assertEquals(42.0, store.params().getDouble(k.offset() + 2 * 8 + 5), 0.0, "views write through to the flat buffer");
        float[] copied = new float[1];
        store.copyOut(k.offset() + 2 * 8 + 5, copied, 1);
        assertEquals(42.0f, copied[0]);

        FullGradients grads = new FullGradients(store.layout(), DataType.FLOAT);
        TestParameters.grad(grads, k).putScalar(new long[] {3, 1}, -7.0);
        assertEquals(-7.0, grads.flat().getDouble(k.offset() + 3 * 8 + 1), 0.0);
        grads.zero();
        assertEquals(0.0, grads.flat().amaxNumber().doubleValue(), 0.0);
    }
}
