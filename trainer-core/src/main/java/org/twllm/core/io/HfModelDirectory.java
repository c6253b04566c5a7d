package org.twllm.core.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.twllm.core.engine.FloatRangeReader;
import org.twllm.core.engine.FloatRangeWriter;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.ParameterLayout;
import org.twllm.core.engine.ParameterSpec;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;
import org.twllm.progress.Progress;

/**
 * A HuggingFace {@code LlamaForCausalLM} directory: {@code config.json} plus {@code model.safetensors}, or
 * shards listed in {@code model.safetensors.index.json}. Loading refuses missing or unexpected tensors and
 * wrong shapes, naming them.
 */
public final class HfModelDirectory {
    public static final String CONFIG = "config.json";
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    /** Elements copied per step between a file and the flat buffer. */
    private static final int CHUNK = 1 << 20;

    private HfModelDirectory() {
    }

    public static LlamaConfig readConfig(Path dir) {
        requireDirectory(dir);
        return LlamaConfig.fromHfConfigJson(dir.resolve(CONFIG));
    }

    /**
     * Reads the weights of the model in {@code dir} (any of F32, F16, BF16) into {@code target}, in {@code layout}'s
     * flat order, after checking that the files hold exactly the tensors the layout has, in its shapes.
     */
    public static void loadWeights(Path dir, ParameterLayout layout, FloatRangeWriter target) {
        requireDirectory(dir);
        Map<String, SafetensorsFile> files = openWeights(dir);
        try {
            checkTensors(dir, layout, files);
            float[] buf = new float[CHUNK];
            for (ParameterSpec s : layout.specs()) {
                SafetensorsFile f = files.get(s.name());
                for (long start = 0; start < s.length(); start += CHUNK) {
                    int n = (int) Math.min(CHUNK, s.length() - start);
                    f.read(s.name(), start, buf, n);
                    target.write(s.offset() + start, buf, n);
                }
            }
        } finally {
            new LinkedHashSet<>(files.values()).forEach(SafetensorsFile::close);
        }
    }

    /** Writes {@code config.json} and {@code model.safetensors} (each atomically) in {@code dtype}. */
    public static void save(LlamaConfig config, FloatRangeReader weights, Path dir, DType dtype) {
        save(config, weights, dir, dtype, Progress.none());
    }

    /**
     * As {@link #save(LlamaConfig, FloatRangeReader, Path, DType)}, adding the weight bytes written to
     * {@code progress}; {@code weights} reads the flat layout of {@code config}.
     */
    public static void save(LlamaConfig config, FloatRangeReader weights, Path dir, DType dtype, Progress progress) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new TwllmException("could not create " + dir + ": " + e.getMessage(), e);
        }
        List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
        for (ParameterSpec s : new ParameterLayout(config).specs()) {
            tensors.add(new SafetensorsWriter.Tensor(s.name(), s.shape(),
                    (start, dst, count) -> weights.read(s.offset() + start, dst, count)));
        }
        SafetensorsWriter.write(dir.resolve(SINGLE_FILE), tensors, dtype, Map.of("format", "pt"), progress);
        config.writeHfConfigJson(dir.resolve(CONFIG), dtype.torchName());
    }

    /** The dtype the weights in {@code dir} are stored as (its first tensor's: twllm writes a model in one dtype). */
    public static DType storedDType(Path dir) {
        requireDirectory(dir);
        Map<String, SafetensorsFile> files = openWeights(dir);
        try {
            return files.values().iterator().next().tensors().values().iterator().next().dtype();
        } finally {
            new LinkedHashSet<>(files.values()).forEach(SafetensorsFile::close);
        }
    }

    /**
     * Writes the model in {@code from} into {@code to} as {@code dtype} ({@code config.json} and {@code model.safetensors}),
     * tensor by tensor (F32 to BF16 rounds to nearest even; BF16 to F32 is exact).
     */
    public static void convert(Path from, Path to, DType dtype, Progress progress) {
        LlamaConfig config = readConfig(from);
        ParameterLayout layout = new ParameterLayout(config);
        Map<String, SafetensorsFile> files = openWeights(from);
        try {
            checkTensors(from, layout, files);
            List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
            for (ParameterSpec s : layout.specs()) {
                SafetensorsFile f = files.get(s.name());
                tensors.add(new SafetensorsWriter.Tensor(s.name(), s.shape(), (start, dst, count) -> f.read(s.name(), start, dst, count)));
            }
            SafetensorsWriter.write(to.resolve(SINGLE_FILE), tensors, dtype, Map.of("format", "pt"), progress);
            config.writeHfConfigJson(to.resolve(CONFIG), dtype.torchName());
        } finally {
            new LinkedHashSet<>(files.values()).forEach(SafetensorsFile::close);
        }
    }

    private static void requireDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ConfigException("model directory " + dir + " does not exist; pass a HuggingFace Llama directory"
                    + " (config.json and model.safetensors)");
        }
    }

    /** Tensor name -> the open file holding it. */
    private static Map<String, SafetensorsFile> openWeights(Path dir) {
        Path single = dir.resolve(SINGLE_FILE);
        Path index = dir.resolve(INDEX);
        Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
        if (Files.isRegularFile(index)) {
            Map<String, String> weightMap = readIndex(index);
            Map<String, SafetensorsFile> byFile = new LinkedHashMap<>();
            try {
                for (Map.Entry<String, String> e : weightMap.entrySet()) {
                    SafetensorsFile f = byFile.computeIfAbsent(e.getValue(), name -> SafetensorsFile.open(dir.resolve(name)));
                    if (!f.tensors().containsKey(e.getKey())) {
                        throw new TwllmException(index + " places " + e.getKey() + " in " + e.getValue()
                                + " but that file does not hold it");
                    }
                    byName.put(e.getKey(), f);
                }
            } catch (RuntimeException e) {
                byFile.values().forEach(SafetensorsFile::close);
                throw e;
            }
            return byName;
        }
        if (Files.isRegularFile(single)) {
            SafetensorsFile f = SafetensorsFile.open(single);
            f.tensors().keySet().forEach(name -> byName.put(name, f));
            return byName;
        }
        throw new ConfigException(dir + " holds neither " + SINGLE_FILE + " nor " + INDEX
                + "; only safetensors weights load (convert pytorch_model.bin with HF's save_pretrained(safe_serialization=True))");
    }

    private static Map<String, String> readIndex(Path index) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(index.toFile());
        } catch (IOException e) {
            throw new TwllmException(index + " is not valid JSON: " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new TwllmException(index + " has no \"weight_map\" object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    /** Missing, unexpected and wrongly shaped tensors, all reported in one ConfigException. */
    private static void checkTensors(Path dir, ParameterLayout layout, Map<String, SafetensorsFile> files) {
        List<String> problems = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (ParameterSpec s : layout.specs()) {
            SafetensorsFile f = files.get(s.name());
            if (f == null) {
                missing.add(s.name());
                continue;
            }
            long[] shape = f.tensors().get(s.name()).shape();
            if (!Arrays.equals(shape, s.shape())) {
                problems.add("tensor " + s.name() + " has shape " + Arrays.toString(shape) + " in " + f.path().getFileName()
                        + " but config.json implies " + Arrays.toString(s.shape()));
            }
        }
        if (!missing.isEmpty()) {
            problems.add(dir + " lacks " + missing.size() + " tensor(s) the config needs: " + summary(missing)
                    + (layout.has("lm_head.weight") ? " (is tie_word_embeddings wrong in config.json?)" : ""));
        }
        Set<String> unexpected = new LinkedHashSet<>(files.keySet());
        layout.specs().forEach(s -> unexpected.remove(s.name()));
        // Older HF checkpoints store the rotary inverse frequencies; they are recomputed from rope_theta.
        unexpected.removeIf(name -> name.endsWith("self_attn.rotary_emb.inv_freq"));
        if (!unexpected.isEmpty()) {
            problems.add(dir + " holds " + unexpected.size() + " tensor(s) a Llama model with this config.json does not have: "
                    + summary(new ArrayList<>(unexpected)));
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    private static String summary(List<String> names) {
        int shown = Math.min(5, names.size());
        return String.join(", ", names.subList(0, shown)) + (names.size() > shown ? ", ... (" + (names.size() - shown) + " more)" : "");
    }
}
