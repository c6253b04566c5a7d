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
    void theFlatLayoutIsContiguousInHfOrderWithNormsUndecayed() {
        LlamaConfig c = new LlamaConfig(8, 12, 2, 2, 1, 11, 16, 1e-5, 10000.0, false);
        ParameterLayout layout = new ParameterLayout(c);
        assertEquals(c.numParameters(), layout.total());
        long next = 0;
        for (ParameterSpec s : layout.specs()) {
            assertEquals(next, s.offset(), s.name());
            next = s.end();
            assertEquals(!s.name().endsWith("norm.weight"), s.decays(), s.name());
        }
        assertEquals("model.embed_tokens.weight", layout.specs().get(0).name());
        assertEquals("lm_head.weight", layout.specs().get(layout.specs().size() - 1).name());
        assertEquals(layout.spec("model.layers.1.input_layernorm.weight").offset(), layout.layerStart(1));
        assertEquals(layout.spec("model.layers.1.mlp.down_proj.weight").end(), layout.layerEnd(1));
    }

    @Test
    void randomWeightsAreNormalMatricesAndUnitNormsFromTheSeedAlone() {
        LlamaConfig c = new LlamaConfig(8, 12, 2, 2, 1, 11, 16, 1e-5, 10000.0, false);
        ParameterLayout layout = new ParameterLayout(c);
        float[] w = new float[(int) layout.total()];
        RandomWeights.fill(layout, 1, 0.02, (offset, src, count) -> System.arraycopy(src, 0, w, (int) offset, count));
        float[] again = new float[w.length];
        RandomWeights.fill(layout, 1, 0.02, (offset, src, count) -> System.arraycopy(src, 0, again, (int) offset, count));
        assertTrue(java.util.Arrays.equals(w, again), "the same seed gives the same weights");
        ParameterSpec norm = layout.spec("model.layers.1.post_attention_layernorm.weight");
        assertEquals(1.0f, w[(int) norm.offset() + 3]);
        ParameterSpec up = layout.spec("model.layers.0.mlp.up_proj.weight");
        double sum = 0;
        double sumSq = 0;
        for (long i = up.offset(); i < up.end(); i++) {
            sum += w[(int) i];
            sumSq += (double) w[(int) i] * w[(int) i];
        }
        double mean = sum / up.length();
        double std = Math.sqrt(sumSq / up.length() - mean * mean);
        assertTrue(std > 0.015 && std < 0.025, "normal(0, 0.02) init, got std " + std);
    }
}
