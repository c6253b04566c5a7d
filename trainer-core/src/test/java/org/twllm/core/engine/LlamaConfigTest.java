package org.twllm.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.twllm.errors.ConfigException;

class LlamaConfigTest {
    @TempDir
    Path tmp;

    static final LlamaConfig LLAMA2_7B = new LlamaConfig(4096, 11008, 32, 32, 32, 32000, 4096, 1e-5, 10000.0, false);
    static final LlamaConfig LLAMA2_70B = new LlamaConfig(8192, 28672, 80, 64, 8, 32000, 4096, 1e-5, 10000.0, false);

    @Test
    void parameterCountsMatchThePublishedModels() {
        // HF's sum(p.numel() for p in LlamaForCausalLM(...).parameters())
        assertEquals(6_738_415_616L, LLAMA2_7B.numParameters());
        assertEquals(68_976_648_192L, LLAMA2_70B.numParameters());
    }

    @Test
    void flopsPerTokenIsPalmsConvention() {
        long embed = 32000L * 4096;
        double expected = 6.0 * (LLAMA2_7B.numParameters() - embed) + 12.0 * 32 * 4096 * 4096;
        assertEquals(expected, LLAMA2_7B.flopsPerToken(4096), 1.0);
    }

    @Test
    void hfConfigJsonRoundTripsAndFillsDefaults() throws IOException {
        Path file = tmp.resolve("config.json");
        LLAMA2_70B.writeHfConfigJson(file);
        assertEquals(LLAMA2_70B, LlamaConfig.fromHfConfigJson(file));
        Files.writeString(file, "{\"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2,"
                + " \"num_attention_heads\": 4, \"vocab_size\": 100}");
        LlamaConfig c = LlamaConfig.fromHfConfigJson(file);
        assertEquals(4, c.numKvHeads());
        assertEquals(10000.0, c.ropeTheta());
        assertFalse(c.tieWordEmbeddings());
    }

    @Test
    void badConfigsNameTheKey() throws IOException {
        Path file = tmp.resolve("config.json");
        Files.writeString(file, "{\"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2,"
                + " \"num_attention_heads\": 4, \"num_key_value_heads\": 3, \"vocab_size\": 100}");
        ConfigException e = assertThrows(ConfigException.class, () -> LlamaConfig.fromHfConfigJson(file));
        assertTrue(e.getMessage().contains("num_key_value_heads: must divide num_attention_heads 4, got 3"), e.getMessage());
        Files.writeString(file, "{\"hidden_size\": 64}");
        e = assertThrows(ConfigException.class, () -> LlamaConfig.fromHfConfigJson(file));
        assertTrue(e.getMessage().contains("missing key 'vocab_size'"), e.getMessage());
        assertThrows(ConfigException.class, () -> LlamaConfig.fromHfConfigJson(tmp.resolve("absent.json")));
    }

    @Test
    void parameterStoreLayoutIsContiguousWithViewsIntoTheFlatBuffers() {
        LlamaConfig c = new LlamaConfig(8, 12, 2, 2, 1, 11, 16, 1e-5, 10000.0, false);
        ParameterStore store = new ParameterStore(c, DataType.FLOAT).initRandom(1, 0.02);
        assertEquals(c.numParameters(), store.numParameters());
        long next = 0;
        for (ParameterSpec s : store.specs()) {
            assertEquals(next, s.offset(), s.name());
            next = s.end();
            assertEquals(!s.name().endsWith("norm.weight"), s.decays(), s.name());
        }
        assertEquals("model.embed_tokens.weight", store.specs().get(0).name());
        assertEquals("lm_head.weight", store.specs().get(store.specs().size() - 1).name());
        assertEquals(1.0, store.param("model.layers.1.post_attention_layernorm.weight").getDouble(3), 0.0);

        ParameterSpec k = store.spec("model.layers.1.self_attn.k_proj.weight");
        store.param(k.name()).putScalar(new long[] {2, 5}, 42.0);
        assertEquals(42.0, store.params().getDouble(k.offset() + 2 * 8 + 5), 0.0, "views write through to the flat buffer");
        store.grad(k.name()).putScalar(new long[] {3, 1}, -7.0);
        assertEquals(-7.0, store.grads().getDouble(k.offset() + 3 * 8 + 1), 0.0);
        store.zeroGrads();
        assertEquals(0.0, store.grads().amaxNumber().doubleValue(), 0.0);
        assertEquals(store.spec("model.layers.1.input_layernorm.weight").offset(), store.layerStart(1));
        assertEquals(store.spec("model.layers.1.mlp.down_proj.weight").end(), store.layerEnd(1));
        double std = store.param("model.layers.0.mlp.up_proj.weight").stdNumber().doubleValue();
        assertTrue(std > 0.015 && std < 0.025, "normal(0, 0.02) init, got std " + std);
    }
}
