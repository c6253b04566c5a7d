package org.twllm.sweep;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.twllm.errors.ConfigException;

/**
 * Reads a sweep YAML file into a {@link SweepSpec}. Paths in it are relative to the working directory
 * (the repository root when run as documented), like the paths in stage configs.
 */
public final class SweepFile {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> TOP_KEYS = Set.of("name", "output_dir", "set", "stages", "grid", "variants", "eval", "slurm");
    private static final Set<String> STAGES = Set.of("cpt", "sft", "feedback-sft");

    private SweepFile() {
    }

    public static SweepSpec read(Path file, Path workDir) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("sweep file " + file + " does not exist: pass --config SWEEP.yaml (see configs/sweeps/)");
        }
        JsonNode root;
        try {
            root = YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new ConfigException("sweep file " + file + " is not valid YAML: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException("sweep file " + file + " must be a YAML mapping with name, stages or variants, grid, ...");
        }
        String where = "sweep file " + file;
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!TOP_KEYS.contains(key)) {
                throw new ConfigException(where + ": unknown key '" + key + "'; the keys are " + new java.util.TreeSet<>(TOP_KEYS));
            }
        }
        String name = text(root, "name", where, fileStem(file));
        Path outputDir = workDir.resolve(text(root, "output_dir", where, "runs/sweeps/" + name)).normalize();
        List<String> commonSets = stringList(root.get("set"), where + ": 'set'");

        Map<String, List<StageSpec>> variants = new LinkedHashMap<>();
        JsonNode variantsNode = root.get("variants");
        JsonNode stagesNode = root.get("stages");
        if (variantsNode != null && stagesNode != null) {
            throw new ConfigException(where + ": give either 'stages' (one chain for every run) or 'variants', not both");
        }
        if (variantsNode != null) {
            if (!variantsNode.isObject() || variantsNode.isEmpty()) {
                throw new ConfigException(where + ": 'variants' must map each variant name to its list of stages");
            }
            variantsNode.fields().forEachRemaining(e ->
                    variants.put(e.getKey(), stages(e.getValue(), where + ": variant '" + e.getKey() + "'", workDir)));
        } else if (stagesNode != null) {
            variants.put("", stages(stagesNode, where + ": 'stages'", workDir));
        } else {
            throw new ConfigException(where + ": no 'stages' and no 'variants': name at least one stage to run");
        }

        Map<String, List<String>> grid = new LinkedHashMap<>();
        JsonNode gridNode = root.get("grid");
        if (gridNode != null) {
            if (!gridNode.isObject()) {
                throw new ConfigException(where + ": 'grid' must map config keys to lists of values");
            }
            gridNode.fields().forEachRemaining(e -> {
                List<String> values = stringList(e.getValue(), where + ": grid key '" + e.getKey() + "'");
                if (values.isEmpty()) {
                    throw new ConfigException(where + ": grid key '" + e.getKey() + "' has no values");
                }
                grid.put(e.getKey(), values);
            });
        }
        return new SweepSpec(name, file.toAbsolutePath(), outputDir, commonSets, List.of(), grid, variants,
                eval(root.get("eval"), where, workDir), slurm(root.get("slurm"), where));
    }

    private static List<StageSpec> stages(JsonNode node, String where, Path workDir) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw new ConfigException(where + " must be a list of stages, each {stage: cpt|sft|feedback-sft, config: FILE, set: [...]}");
        }
        List<StageSpec> out = new ArrayList<>();
        for (JsonNode s : node) {
            String stage = text(s, "stage", where, null);
            if (stage == null || !STAGES.contains(stage)) {
                throw new ConfigException(where + ": stage '" + stage + "' must be one of cpt, sft, feedback-sft");
            }
            String config = text(s, "config", where, null);
            if (config == null) {
                throw new ConfigException(where + ": the " + stage + " stage has no 'config' (a stage config file)");
            }
            Path configPath = workDir.resolve(config).normalize();
            if (!Files.isRegularFile(configPath)) {
                throw new ConfigException(where + ": stage config " + configPath + " does not exist");
            }
            out.add(new StageSpec(stage, configPath, stringList(s.get("set"), where + ": 'set' of the " + stage + " stage")));
        }
        return out;
    }

    private static SweepSpec.EvalSpec eval(JsonNode node, String where, Path workDir) {
        if (node == null || node.isNull()) {
            return null;
        }
        String tasks;
        JsonNode tasksNode = node.get("tasks");
        if (tasksNode != null && tasksNode.isObject()) {
            List<String> items = new ArrayList<>();
            tasksNode.fields().forEachRemaining(e -> items.add(e.getKey() + "=" + workDir.resolve(e.getValue().asText()).normalize()));
            tasks = String.join(",", items);
        } else {
            throw new ConfigException(where + ": 'eval.tasks' must map KIND (or NAME:KIND) to a task file, e.g. {qa: data/drcd.jsonl}");
        }
        String tokenizer = text(node, "tokenizer", where + ": 'eval'", null);
        if (tokenizer == null) {
            throw new ConfigException(where + ": 'eval.tokenizer' is missing (the tokenizer .model the runs trained with)");
        }
        return new SweepSpec.EvalSpec(tasks, workDir.resolve(tokenizer).normalize(),
                text(node, "chat_template", where, null), node.path("max_examples").asInt(0));
    }

    private static SweepSpec.SlurmSpec slurm(JsonNode node, String where) {
        SweepSpec.SlurmSpec d = SweepSpec.SlurmSpec.DEFAULT;
        if (node == null || node.isNull()) {
            return d;
        }
        return new SweepSpec.SlurmSpec(
                text(node, "partition", where, d.partition()),
                text(node, "account", where, d.account()),
                text(node, "time", where, d.time()),
                node.path("nodes").asInt(d.nodes()),
                node.path("tasks_per_node").asInt(d.tasksPerNode()),
                node.path("gpus_per_node").asInt(d.gpusPerNode()),
                node.path("cpus_per_task").asInt(d.cpusPerTask()),
                stringList(node.get("directives"), where + ": 'slurm.directives'"));
    }

    private static String text(JsonNode node, String key, String where, String fallback) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isValueNode()) {
            throw new ConfigException(where + ": '" + key + "' must be a single value");
        }
        return v.asText();
    }

    private static List<String> stringList(JsonNode node, String where) {
        List<String> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isArray()) {
            throw new ConfigException(where + " must be a list");
        }
        for (JsonNode v : node) {
            if (!v.isValueNode()) {
                throw new ConfigException(where + " must hold plain values, found " + v);
            }
            // YAML 5.0e-4 is read as a double; write it back as 0.0005, not Java's 5.0E-4.
            out.add(v.isFloatingPointNumber() ? java.math.BigDecimal.valueOf(v.doubleValue()).stripTrailingZeros().toPlainString() : v.asText());
        }
        return out;
    }

    private static String fileStem(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
