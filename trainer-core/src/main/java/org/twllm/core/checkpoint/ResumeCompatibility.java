package org.twllm.core.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import org.twllm.core.config.StageConfig;
import org.twllm.errors.ConfigException;

/**
 * Decides whether a run may resume from a checkpoint saved under another config. Changes that do not
 * alter what is trained, or that only extend or re-slice it, are safe (see {@link StageConfig#RESUME_SAFE_KEYS}); any other
 * change would silently mix two different runs, so it is refused with the list of changed keys.
 */
public final class ResumeCompatibility {
    private static final ObjectMapper YAML = new YAMLMapper();

    private ResumeCompatibility() {
    }

    /** Throws a {@link ConfigException} listing every unsafe change between the checkpoint's config and {@code current}. */
    public static void check(Checkpoint checkpoint, StageConfig current) {
        Path saved = checkpoint.configFile();
        String savedYaml;
        try {
            savedYaml = Files.readString(saved);
        } catch (IOException e) {
            throw new ConfigException("cannot read " + saved + " to compare configs: " + e.getMessage());
        }
        List<String> changes = unsafeChanges(savedYaml, current.toYaml());
        if (!changes.isEmpty()) {
            throw new ConfigException("cannot resume from " + checkpoint.dir() + ": the config changed in ways that alter"
                    + " training (" + String.join("; ", changes) + "). Restore these values, or start a new run"
                    + " with --resume never and a new run.output_dir (resume-safe keys: " + String.join(", ", StageConfig.RESUME_SAFE_KEYS) + ")");
        }
    }

    /** Each unsafe difference as {@code key: old -> new}, in key order. */
    static List<String> unsafeChanges(String savedYaml, String currentYaml) {
        Map<String, String> before = flatten(savedYaml);
        Map<String, String> after = flatten(currentYaml);
        Set<String> keys = new TreeSet<>(before.keySet());
        keys.addAll(after.keySet());
        List<String> changes = new ArrayList<>();
        for (String key : keys) {
            if (isSafe(key)) {
                continue;
            }
            String a = before.get(key);
            String b = after.get(key);
            if (!Objects.equals(a, b)) {
                changes.add(key + ": " + (a == null ? "(absent)" : a) + " -> " + (b == null ? "(absent)" : b));
            }
        }
        return changes;
    }

    static boolean isSafe(String key) {
        for (String s : StageConfig.RESUME_SAFE_KEYS) {
            if (s.endsWith(".") ? key.startsWith(s) : key.equals(s)) {
                return true;
            }
        }
        return false;
    }

    private static Map<String, String> flatten(String yaml) {
        Map<String, String> out = new TreeMap<>();
        try {
            flatten("", YAML.readTree(yaml), out);
        } catch (IOException e) {
            throw new ConfigException("cannot parse a saved stage config: " + e.getMessage());
        }
        return out;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                flatten(prefix + "[" + i + "]", node.get(i), out);
            }
        } else {
            out.put(prefix, node.isNull() ? "null" : node.asText());
        }
    }
}
