package org.twllm.core.config;

import java.io.UncheckedIOException;
import java.util.function.Predicate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * Turns bound sections back into the YAML key tree, in table order: every key that applies, defaults
 * included (but a null one declared {@link Key.Builder#writtenOnlyWhenSet}). One writer keeps every key ({@code config show}, the recorded config); the other leaves
 * out the resume-safe keys (the fingerprint).
 */
final class ConfigWriter {
    static final ConfigWriter EVERY_KEY = new ConfigWriter(key -> true);
    static final ConfigWriter WITHOUT_RESUME_SAFE = new ConfigWriter(key -> !key.resumeSafe());

    private static final ObjectMapper YAML = YAMLMapper.builder(YAMLFactory.builder()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .build())
            .build();
    private static final ObjectMapper CANONICAL_JSON = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private final Predicate<Key<?>> keep;

    private ConfigWriter(Predicate<Key<?>> keep) {
        this.keep = keep;
    }

    static String toYaml(StageConfig config) {
        try {
            return YAML.writeValueAsString(EVERY_KEY.tree(config));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The config without its resume-safe keys as JSON with sorted keys, so that key order does not matter. */
    static String fingerprintJson(StageConfig config) {
        try {
            Object plain = CANONICAL_JSON.treeToValue(WITHOUT_RESUME_SAFE.tree(config), Object.class);
            return CANONICAL_JSON.writeValueAsString(plain);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    ObjectNode tree(ConfigSection section) {
        Values values = section.values();
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        for (Key<?> key : values.table().keys()) {
            if (writes(key, values)) {
                node.set(key.name(), write(key, values));
            }
        }
        return node;
    }

    private boolean writes(Key<?> key, Values values) {
        return values.has(key) && keep.test(key) && (values.get(key) != null || !key.writtenOnlyWhenSet());
    }

    private <T> JsonNode write(Key<T> key, Values values) {
        T value = values.get(key);
        return value == null ? NullNode.getInstance() : key.type().write(value, this);
    }
}
