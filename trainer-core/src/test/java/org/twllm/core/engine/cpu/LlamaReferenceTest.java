package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.TokenBatch;
import org.twllm.core.io.HfModelDirectory;

/**
 * Forward logits and log-probabilities against an independent PyTorch implementation
 * (src-test-fixtures/reference/make_llama_reference.py), loaded through {@link HfModelDirectory}.
 */
class LlamaReferenceTest {
    static Path referenceDir() {
        return Path.of(System.getProperty("twllm.fixtures"), "reference");
    }

    /** The CPU model of an HF model directory, computing in {@code dataType}. */
    static LlamaModel load(Path dir, DataType dataType) {
        LlamaConfig config = HfModelDirectory.readConfig(dir);
        ParameterStore store = new ParameterStore(config, dataType);
        HfModelDirectory.loadWeights(dir, store.layout(), store::copyIn);
        return new LlamaModel(store);
    }

    @Test
    void fp32LogitsAgreeWithPyTorchTo1e5() throws Exception {
        check(load(referenceDir().resolve("llama-tiny"), DataType.FLOAT), 1e-5);
    }

    @Test
    void fp64LogitsAgreeWithPyTorchTo1e9() throws Exception {
        check(load(referenceDir().resolve("llama-tiny"), DataType.DOUBLE), 1e-9);
    }

    private static void check(LlamaModel model, double tolerance) throws Exception {
        JsonNode expected = new ObjectMapper().readTree(referenceDir().resolve("llama-tiny-expected.json").toFile());
        int vocab = model.config().vocabSize();
        for (JsonNode c : expected.get("cases")) {
            TokenBatch batch = new TokenBatch(1, c.get("inputs").size(), ints(c.get("inputs")), ints(c.get("targets")),
                    ints(c.get("positions")), ints(c.get("example_ids")));
            INDArray logits = model.logits(batch);
            JsonNode want = c.get("logits");
            for (int i = 0; i < want.size(); i++) {
                assertEquals(want.get(i).asDouble(), logits.getDouble(i / vocab, i % vocab), tolerance,
                        c.get("name").asText() + " logit " + i);
            }
            float[] logProbs = model.targetLogProbs(batch);
            JsonNode wantLp = c.get("target_log_probs");
            for (int t = 0; t < wantLp.size(); t++) {
                if (wantLp.get(t).isNull()) {
                    assertEquals(Float.NaN, logProbs[t], c.get("name").asText() + " ignored position " + t);
                } else {
                    assertEquals(wantLp.get(t).asDouble(), logProbs[t], Math.max(tolerance, 1e-6),
                            c.get("name").asText() + " log-prob " + t);
                }
            }
        }
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }
}
