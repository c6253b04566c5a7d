package org.twllm.core.io;

import org.twllm.core.engine.Bf16;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.ParameterLayout;
import org.twllm.core.engine.ParameterSpec;
import org.twllm.core.engine.RandomWeights;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;

class HfModelDirectoryTest {
    @TempDir
    Path tmp;

    /** A model's shape and its flat weights (the layout's order). */
    record FlatModel(LlamaConfig config, float[] weights) {
        ParameterLayout layout() {
            return new ParameterLayout(config);
        }

        void save(Path dir, DType dtype) {
            HfModelDirectory.save(config, (offset, dst, count) -> System.arraycopy(weights, (int) offset, dst, 0, count), dir, dtype);
        }

        float[] tensor(String name) {
            ParameterSpec s = layout().spec(name);
            return java.util.Arrays.copyOfRange(weights, (int) s.offset(), (int) s.end());
        }

        static FlatModel load(Path dir) {
            LlamaConfig config = HfModelDirectory.readConfig(dir);
            float[] weights = new float[Math.toIntExact(new ParameterLayout(config).total())];
            HfModelDirectory.loadWeights(dir, new ParameterLayout(config),
                    (offset, src, count) -> System.arraycopy(src, 0, weights, (int) offset, count));
            return new FlatModel(config, weights);
        }
    }

    static FlatModel tiny(boolean tied) {
        LlamaConfig config = new LlamaConfig(16, 20, 2, 4, 2, 37, 32, 1e-6, 20000.0, tied);
        float[] weights = new float[Math.toIntExact(new ParameterLayout(config).total())];
        RandomWeights.fill(new ParameterLayout(config), 5, 0.5,
                (offset, src, count) -> System.arraycopy(src, 0, weights, (int) offset, count));
        return new FlatModel(config, weights);
    }

    /** max |a - b| / (|b| + 1e-4) over all elements. */
    private static double worstRelative(float[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]) / (Math.abs(b[i]) + 1e-4));
        }
        return worst;
    }

    @Test
    void f32RoundTripIsExact() {
        for (boolean tied : new boolean[] {false, true}) {
            FlatModel model = tiny(tied);
            Path dir = tmp.resolve("f32-" + tied);
            model.save(dir, DType.F32);
            FlatModel back = FlatModel.load(dir);
            assertEquals(model.config(), back.config());
            assertTrue(java.util.Arrays.equals(model.weights(), back.weights()));
            assertEquals(tied, !back.layout().has("lm_head.weight"));
        }
    }

    @Test
    void bf16AndF16RoundTripWithinTheirPrecision() {
        FlatModel model = tiny(false);
        // relative rounding error: 2^-9 for bf16 (8 mantissa bits), 2^-11 for f16 (weights here are far from f16's range limits)
        double[][] cases = {{DType.BF16.ordinal(), 1.0 / 256}, {DType.F16.ordinal(), 1.0 / 1024}};
        for (double[] c : cases) {
            DType dtype = DType.values()[(int) c[0]];
            Path dir = tmp.resolve(dtype.name());
            model.save(dir, dtype);
            double worst = worstRelative(FlatModel.load(dir).weights(), model.weights());
            assertTrue(worst < c[1], dtype + " worst relative error " + worst);
            assertTrue(worst > 0, dtype + " actually rounds");
        }
    }

    @Test
    void halfPrecisionConversionsRoundToNearestEven() {
        assertEquals(1.0f, DType.f16ToFloat(DType.floatToF16(1.0f)));
        assertEquals(65504f, DType.f16ToFloat(DType.floatToF16(65504f)));
        assertEquals(Float.POSITIVE_INFINITY, DType.f16ToFloat(DType.floatToF16(70000f)));
        assertEquals(0x1p-24f, DType.f16ToFloat(DType.floatToF16(0x1p-24f)), "smallest subnormal");
        assertEquals((short) 0x3C00, DType.floatToF16(1.0f + 0x1p-11f), "a tie rounds to the even neighbour");
        assertEquals((short) 0x3C02, DType.floatToF16(1.0f + 3 * 0x1p-11f));
        assertEquals((short) 0x3F80, Bf16.fromFloat(1.0f));
        assertEquals((short) 0x3F80, Bf16.fromFloat(Float.intBitsToFloat(0x3F808000)), "tie to even");
        assertEquals((short) 0x3F82, Bf16.fromFloat(Float.intBitsToFloat(0x3F818000)), "tie to even, upwards");
        assertTrue(Float.isNaN(Bf16.toFloat(Bf16.fromFloat(Float.NaN))));
        assertEquals(-2.5f, Bf16.toFloat(Bf16.fromFloat(-2.5f)));
    }

    @Test
    void shardedDirectoryLoadsLikeTheSingleFile() throws IOException {
        FlatModel model = tiny(false);
        ParameterLayout layout = model.layout();
        Path dir = tmp.resolve("sharded");
        Files.createDirectories(dir);
        model.config().writeHfConfigJson(dir.resolve("config.json"));
        List<SafetensorsWriter.Tensor> first = new ArrayList<>();
        List<SafetensorsWriter.Tensor> second = new ArrayList<>();
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (ParameterSpec s : layout.specs()) {
            boolean early = s.offset() < layout.total() / 2;
            (early ? first : second).add(new SafetensorsWriter.Tensor(s.name(), s.shape(),
                    (start, dst, n) -> System.arraycopy(model.weights(), (int) (s.offset() + start), dst, 0, n)));
            weightMap.put(s.name(), early ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
        }
        SafetensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"), first, DType.F32, Map.of());
        SafetensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"), second, DType.BF16, Map.of());
        new ObjectMapper().writeValue(dir.resolve(HfModelDirectory.INDEX).toFile(),
                Map.of("metadata", Map.of("total_size", 0), "weight_map", weightMap));
        FlatModel back = FlatModel.load(dir);
        String lastOfFirst = first.get(first.size() - 1).name();
        assertTrue(java.util.Arrays.equals(back.tensor(lastOfFirst), model.tensor(lastOfFirst)), "the F32 shard is exact");
        float[] head = model.tensor("lm_head.weight");
        float[] headBack = back.tensor("lm_head.weight");
        for (int i = 0; i < head.length; i++) {
            assertEquals(head[i], headBack[i], 0.02, "the BF16 shard is close: lm_head element " + i);
        }
    }

    @Test
    void missingUnexpectedAndMisshapedTensorsAreNamed() throws IOException {
        FlatModel model = tiny(false);
        Path dir = tmp.resolve("bad");
        model.save(dir, DType.F32);
        // A config that says tied: lm_head.weight becomes unexpected; a wider vocab makes the embedding misshaped.
        LlamaConfig c = model.config();
        new LlamaConfig(c.hiddenSize(), c.intermediateSize(), c.numLayers(), c.numHeads(), c.numKvHeads(), 40,
                c.maxPositionEmbeddings(), c.rmsNormEps(), c.ropeTheta(), true).writeHfConfigJson(dir.resolve("config.json"));
        ConfigException e = assertThrows(ConfigException.class, () -> FlatModel.load(dir));
        assertTrue(e.getMessage().contains("model.embed_tokens.weight has shape [37, 16]"), e.getMessage());
        assertTrue(e.getMessage().contains("lm_head.weight"), e.getMessage());

        // Three layers in the config, two in the file: layer 2's tensors are missing.
        new LlamaConfig(c.hiddenSize(), c.intermediateSize(), 3, c.numHeads(), c.numKvHeads(), c.vocabSize(),
                c.maxPositionEmbeddings(), c.rmsNormEps(), c.ropeTheta(), false).writeHfConfigJson(dir.resolve("config.json"));
        e = assertThrows(ConfigException.class, () -> FlatModel.load(dir));
        assertTrue(e.getMessage().contains("lacks 9 tensor(s)") && e.getMessage().contains("model.layers.2.input_layernorm.weight"),
                e.getMessage());

        ConfigException vocab = assertThrows(ConfigException.class, () -> c.requireVocab(32000));
        c.requireVocab(c.vocabSize() - 5); // a padded vocabulary: more rows than pieces
        assertTrue(vocab.getMessage().contains("32000") && vocab.getMessage().contains("37"));
        assertThrows(ConfigException.class, () -> FlatModel.load(tmp.resolve("nowhere")));
    }

    @Test
    void corruptFilesAreRefusedWithTheReason() throws IOException {
        FlatModel model = tiny(false);
        Path dir = tmp.resolve("corrupt");
        model.save(dir, DType.F32);
        Path file = dir.resolve(HfModelDirectory.SINGLE_FILE);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 10));
        TwllmException e = assertThrows(TwllmException.class, () -> FlatModel.load(dir));
        assertTrue(e.getMessage().contains("outside the data section"), e.getMessage());

        byte[] huge = bytes.clone();
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        Files.write(file, huge);
        e = assertThrows(TwllmException.class, () -> FlatModel.load(dir));
        assertTrue(e.getMessage().contains("header length"), e.getMessage());
    }
}
