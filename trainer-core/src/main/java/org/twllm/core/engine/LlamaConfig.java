package org.twllm.core.engine;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;
import org.twllm.files.AtomicFiles;

/**
 * The shape of a Llama-2 model, with HuggingFace {@code config.json} key names on disk: the one
 * description of an architecture, used by the model, the KV-cache decoder and a stage config's
 * {@code model:} keys (which bind straight to it), with the one parameter count.
 * Grouped-query attention when {@code numKvHeads < numHeads} (Llama-2 70B style).
 */
public record LlamaConfig(
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int vocabSize,
        int maxPositionEmbeddings,
        double rmsNormEps,
        double ropeTheta,
        boolean tieWordEmbeddings) {

    public LlamaConfig {
        List<String> problems = new ArrayList<>();
        positive(problems, "hidden_size", hiddenSize);
        positive(problems, "intermediate_size", intermediateSize);
        positive(problems, "num_hidden_layers", numLayers);
        positive(problems, "num_attention_heads", numHeads);
        positive(problems, "num_key_value_heads", numKvHeads);
        positive(problems, "vocab_size", vocabSize);
        positive(problems, "max_position_embeddings", maxPositionEmbeddings);
        if (problems.isEmpty()) {
            shapeProblems(hiddenSize, numHeads, numKvHeads).forEach(p -> problems.add(p.key() + ": " + p.message()));
        }
        if (!(rmsNormEps > 0)) {
            problems.add("rms_norm_eps must be > 0, got " + rmsNormEps);
        }
        if (!(ropeTheta > 0)) {
            problems.add("rope_theta must be > 0, got " + ropeTheta);
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems.stream().map(p -> "model config: " + p).toList());
        }
    }

    /**
     * A rule of the shape that does not hold.
     *
     * @param key     the HF key it is reported at
     * @param message what is wrong, as a sentence about that key
     */
    public record ShapeProblem(String key, String message) {
    }

    /**
     * The rules that tie the attention sizes together (positive sizes given): the heads divide the width
     * into an even head dimension (rotary embeddings), and the key/value heads divide the query heads.
     * The one place they are written; a stage config reports them at its model keys.
     */
    public static List<ShapeProblem> shapeProblems(int hiddenSize, int numHeads, int numKvHeads) {
        List<ShapeProblem> out = new ArrayList<>();
        if (hiddenSize % numHeads != 0) {
            out.add(new ShapeProblem("num_attention_heads", "hidden_size " + hiddenSize
                    + " is not divisible by num_attention_heads " + numHeads));
        } else if ((hiddenSize / numHeads) % 2 != 0) {
            out.add(new ShapeProblem("num_attention_heads", "head dimension hidden_size / num_attention_heads = "
                    + hiddenSize / numHeads + " must be even for rotary embeddings"));
        }
        if (numHeads % numKvHeads != 0) {
            out.add(new ShapeProblem("num_key_value_heads", "must divide num_attention_heads " + numHeads
                    + ", got " + numKvHeads));
        }
        return out;
    }

    private static void positive(List<String> problems, String key, int value) {
        if (value <= 0) {
            problems.add(key + " must be a positive integer, got " + value);
        }
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }

    /** Number of query heads sharing one key/value head. */
    public int groupSize() {
        return numHeads / numKvHeads;
    }

    public int kvDim() {
        return numKvHeads * headDim();
    }

    /** Parameters of one transformer block. */
    public long parametersPerLayer() {
        long h = hiddenSize;
        long attention = h * h /* q */ + 2L * h * kvDim() /* k, v */ + h * h /* o */;
        long mlp = 3L * h * intermediateSize;
        return attention + mlp + 2 * h /* two norms */;
    }

    public long numParameters() {
        long embed = (long) vocabSize * hiddenSize;
        return embed + numLayers * parametersPerLayer() + hiddenSize + (tieWordEmbeddings ? 0 : embed);
    }

    /**
     * Training FLOPs per token at sequence length {@code seqLen}, PaLM's convention (Chowdhery et al. 2022,
     * appendix B): {@code 6 N + 12 L H T}. N counts the parameters that take part in matrix products:
     * all of them except the input embedding table, which is a lookup (when embeddings are tied the table
     * is also the LM head and is counted once). {@code 12 L H T} is the attention score and value products,
     * forward and backward, without discounting the causal mask.
     */
    public double flopsPerToken(int seqLen) {
        long matmulParams = numParameters() - (tieWordEmbeddings ? 0 : (long) vocabSize * hiddenSize);
        return 6.0 * matmulParams + 12.0 * numLayers * hiddenSize * (double) seqLen;
    }

    /**
     * FLOPs per token of one more forward pass of the blocks, in the same convention (a forward is a third of
     * {@link #flopsPerToken}): {@code 2 N_blocks + 4 L H T}. Activation checkpointing runs it in backward; MFU does
     * not count it.
     */
    public double blockForwardFlopsPerToken(int seqLen) {
        return 2.0 * numLayers * parametersPerLayer() + 4.0 * numLayers * hiddenSize * (double) seqLen;
    }

    /**
     * Fails with a message naming both sizes when a tokenizer does not fit this model: the model needs an
     * embedding row for every piece. More rows are fine, as in HF models whose vocabulary is padded (to a
     * multiple of 64, say); the extra rows are never an input and train only as unused logits.
     */
    public void requireVocab(int tokenizerVocab) {
        if (vocabSize < tokenizerVocab) {
            throw new ConfigException("the model's vocab_size is " + vocabSize + ", smaller than the tokenizer's "
                    + tokenizerVocab + " pieces; use the tokenizer the model was trained with, or a model whose"
                    + " vocab_size is at least " + tokenizerVocab);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Reads an HF {@code config.json}; absent optional keys take Llama-2's defaults. */
    public static LlamaConfig fromHfConfigJson(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new ConfigException(file + " does not exist; a model directory needs a HuggingFace config.json");
        } catch (IOException e) {
            throw new ConfigException(file + " is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(file + " must hold a JSON object");
        }
        List<String> missing = new ArrayList<>();
        for (String key : List.of("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "vocab_size")) {
            if (!root.hasNonNull(key)) {
                missing.add(file + ": missing key '" + key + "'");
            }
        }
        if (!missing.isEmpty()) {
            throw new ConfigException(missing);
        }
        try {
            int heads = intKey(root, "num_attention_heads", 0);
            return new LlamaConfig(
                    intKey(root, "hidden_size", 0),
                    intKey(root, "intermediate_size", 0),
                    intKey(root, "num_hidden_layers", 0),
                    heads,
                    intKey(root, "num_key_value_heads", heads),
                    intKey(root, "vocab_size", 0),
                    intKey(root, "max_position_embeddings", 4096),
                    doubleKey(root, "rms_norm_eps", 1e-5),
                    doubleKey(root, "rope_theta", 10000.0),
                    root.path("tie_word_embeddings").asBoolean(false));
        } catch (ConfigException e) {
            throw new ConfigException(e.problems().stream().map(p -> file + ": " + p).toList());
        }
    }

    private static int intKey(JsonNode root, String key, int fallback) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.canConvertToInt() || !n.isIntegralNumber()) {
            throw new ConfigException("key '" + key + "' must be an integer, got " + n);
        }
        return n.intValue();
    }

    private static double doubleKey(JsonNode root, String key, double fallback) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw new ConfigException("key '" + key + "' must be a number, got " + n);
        }
        return n.doubleValue();
    }

    /** The HF {@code config.json} of this model (a LlamaForCausalLM) with weights stored as {@code torchDtype} ("float32", "bfloat16", ...). */
    public Map<String, Object> toHfConfig(String torchDtype) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of("LlamaForCausalLM"));
        m.put("model_type", "llama");
        m.put("hidden_size", hiddenSize);
        m.put("intermediate_size", intermediateSize);
        m.put("num_hidden_layers", numLayers);
        m.put("num_attention_heads", numHeads);
        m.put("num_key_value_heads", numKvHeads);
        m.put("vocab_size", vocabSize);
        m.put("max_position_embeddings", maxPositionEmbeddings);
        m.put("rms_norm_eps", rmsNormEps);
        m.put("rope_theta", ropeTheta);
        m.put("tie_word_embeddings", tieWordEmbeddings);
        m.put("hidden_act", "silu");
        m.put("bos_token_id", 1);
        m.put("eos_token_id", 2);
        m.put("initializer_range", 0.02);
        m.put("torch_dtype", torchDtype);
        return m;
    }

    /** Writes {@code config.json} atomically, for fp32 weights. */
    public void writeHfConfigJson(Path file) {
        writeHfConfigJson(file, "float32");
    }

    /** Writes {@code config.json} atomically, for weights stored as {@code torchDtype}. */
    public void writeHfConfigJson(Path file, String torchDtype) {
        try {
            AtomicFiles.write(file, JSON.writeValueAsBytes(toHfConfig(torchDtype)));
        } catch (IOException e) {
            throw new TwllmException("could not write " + file + ": " + e.getMessage(), e);
        }
    }
}
