package org.twllm.core.config;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Typed, checked access to one map of the config tree. Each getter records its key as valid,
 * reports a wrong type, out-of-range value or missing required key, and returns null on a problem
 * (callers go on, so that every problem is found in one pass). Keys never asked for are reported
 * as unknown by {@link StageConfigBinder}, with the nearest valid key suggested.
 */
final class Section {
    final String path;
    private final ObjectNode node;
    private final LocatedTree tree;
    private final Problems problems;
    private final Set<String> known = new LinkedHashSet<>();
    /** False for a stand-in after the map itself had the wrong type: its keys are not missing, it is. */
    private final boolean reportsMissing;

    Section(String path, ObjectNode node, LocatedTree tree, Problems problems) {
        this(path, node, tree, problems, true);
    }

    private Section(String path, ObjectNode node, LocatedTree tree, Problems problems, boolean reportsMissing) {
        this.path = path;
        this.node = node;
        this.tree = tree;
        this.problems = problems;
        this.reportsMissing = reportsMissing;
    }

    /** A short description of a value for messages: {@code "abc"}, {@code 12}, {@code a map}. */
    static String describe(JsonNode value) {
        if (value == null || value.isNull()) {
            return "null";
        }
        if (value.isObject()) {
            return "a map";
        }
        if (value.isArray()) {
            return "a list";
        }
        return value.isTextual() ? "\"" + value.asText() + "\"" : value.asText();
    }

    String keyPath(String key) {
        return LocatedTree.child(path, key);
    }

    Origin origin(String key) {
        return tree.originOf(keyPath(key));
    }

    void problem(String key, String message) {
        problems.add(origin(key), keyPath(key), message);
    }

    void warning(String key, String message) {
        problems.warn(origin(key), keyPath(key), message);
    }

    /** Whether the key is present with a non-null value (null means "use the default"). */
    boolean has(String key) {
        known.add(key);
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    Set<String> knownKeys() {
        return known;
    }

    List<String> presentKeys() {
        List<String> keys = new ArrayList<>();
        Iterator<String> names = node.fieldNames();
        names.forEachRemaining(keys::add);
        return keys;
    }

    /** The value of a required key, or null after reporting that it is missing. */
    private JsonNode required(String key) {
        if (!has(key)) {
            reportMissing(key);
            return null;
        }
        return node.get(key);
    }

    /** Reports a missing required key at the map that should hold it. */
    void reportMissing(String key) {
        known.add(key);
        if (reportsMissing) {
            problems.add(tree.originOf(path), keyPath(key), "required key is missing");
        }
    }

    /** The value of an optional key, or null when absent or null. */
    private JsonNode optional(String key) {
        return has(key) ? node.get(key) : null;
    }

    Section section(String key) {
        JsonNode v = optional(key);
        if (v == null) {
            return new Section(keyPath(key), tree.root.objectNode(), tree, problems);
        }
        if (!v.isObject()) {
            problem(key, "expected a map of keys, got " + describe(v));
            return new Section(keyPath(key), tree.root.objectNode(), tree, problems, false);
        }
        return new Section(keyPath(key), (ObjectNode) v, tree, problems);
    }

    /** Sections of a list of maps; an absent key gives an empty list, null after a problem. */
    List<Section> sectionList(String key) {
        JsonNode v = optional(key);
        List<Section> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (!v.isArray()) {
            problem(key, "expected a list, got " + describe(v));
            return null;
        }
        for (int i = 0; i < v.size(); i++) {
            String elementPath = keyPath(key) + "." + i;
            JsonNode element = v.get(i);
            if (!element.isObject()) {
                problems.add(tree.originOf(elementPath), elementPath, "expected a map of keys, got " + describe(element));
                continue;
            }
            out.add(new Section(elementPath, (ObjectNode) element, tree, problems));
        }
        return out;
    }

    String requiredString(String key) {
        return string(required(key), key);
    }

    String string(String key, String fallback) {
        JsonNode v = optional(key);
        return v == null ? fallback : string(v, key);
    }

    private String string(JsonNode v, String key) {
        if (v == null) {
            return null;
        }
        if (!v.isValueNode()) {
            problem(key, "expected a string, got " + describe(v));
            return null;
        }
        return v.asText();
    }

    Long requiredLong(String key, long min) {
        return integer(required(key), key, min, Long.MAX_VALUE);
    }

    Long longValue(String key, long fallback, long min, long max) {
        JsonNode v = optional(key);
        return v == null ? Long.valueOf(fallback) : integer(v, key, min, max);
    }

    Integer requiredInt(String key, int min) {
        Long v = integer(required(key), key, min, Integer.MAX_VALUE);
        return v == null ? null : v.intValue();
    }

    Integer intValue(String key, int fallback, int min) {
        return intValue(key, fallback, min, Integer.MAX_VALUE);
    }

    Integer intValue(String key, int fallback, int min, int max) {
        JsonNode v = optional(key);
        if (v == null) {
            return fallback;
        }
        Long value = integer(v, key, min, max);
        return value == null ? null : value.intValue();
    }

    /** An optional integer with no default: null when absent (check {@link #has} to tell apart from a problem). */
    Integer optionalInt(String key, int min) {
        JsonNode v = optional(key);
        if (v == null) {
            return null;
        }
        Long value = integer(v, key, min, Integer.MAX_VALUE);
        return value == null ? null : value.intValue();
    }

    private Long integer(JsonNode v, String key, long min, long max) {
        if (v == null) {
            return null;
        }
        Double number = number(v);
        if (number == null || number != Math.rint(number) || Math.abs(number) > 9.0e18) {
            problem(key, "expected an integer, got " + describe(v));
            return null;
        }
        long value = v.isIntegralNumber() ? v.asLong() : number.longValue();
        if (value < min) {
            problem(key, "must be at least " + min + ", got " + value);
            return null;
        }
        if (value > max) {
            problem(key, "must be at most " + max + ", got " + value);
            return null;
        }
        return value;
    }

    Double requiredPositive(String key) {
        return decimal(required(key), key, 0.0, true, Double.MAX_VALUE);
    }

    Double positive(String key, double fallback) {
        JsonNode v = optional(key);
        return v == null ? Double.valueOf(fallback) : decimal(v, key, 0.0, true, Double.MAX_VALUE);
    }

    /** An optional number &gt; 0 with no default: null when absent or after a problem. */
    Double optionalPositive(String key) {
        JsonNode v = optional(key);
        return v == null ? null : decimal(v, key, 0.0, true, Double.MAX_VALUE);
    }

    /** A number in [min, max]. */
    Double decimal(String key, double fallback, double min, double max) {
        JsonNode v = optional(key);
        return v == null ? Double.valueOf(fallback) : decimal(v, key, min, false, max);
    }

    private Double decimal(JsonNode v, String key, double min, boolean exclusiveMin, double max) {
        if (v == null) {
            return null;
        }
        Double value = number(v);
        if (value == null || value.isNaN() || value.isInfinite()) {
            problem(key, "expected a number, got " + describe(v));
            return null;
        }
        if (exclusiveMin ? value <= min : value < min) {
            problem(key, (exclusiveMin ? "must be greater than " : "must be at least ") + format(min) + ", got " + format(value));
            return null;
        }
        if (value > max) {
            problem(key, "must be at most " + format(max) + ", got " + format(value));
            return null;
        }
        return value;
    }

    Boolean bool(String key, boolean fallback) {
        JsonNode v = optional(key);
        if (v == null) {
            return fallback;
        }
        if (!v.isBoolean()) {
            problem(key, "expected true or false, got " + describe(v));
            return null;
        }
        return v.asBoolean();
    }

    <E extends Enum<E>> E enumValue(String key, Class<E> type, E fallback) {
        JsonNode v = optional(key);
        return v == null ? fallback : enumOf(v, key, type);
    }

    <E extends Enum<E>> E requiredEnum(String key, Class<E> type) {
        return enumOf(required(key), key, type);
    }

    private <E extends Enum<E>> E enumOf(JsonNode v, String key, Class<E> type) {
        if (v == null) {
            return null;
        }
        E value = v.isValueNode() ? YamlEnum.parse(type, v.asText()) : null;
        if (value == null) {
            String allowed = java.util.Arrays.stream(type.getEnumConstants()).map(YamlEnum::name)
                    .collect(Collectors.joining(", "));
            problem(key, "expected one of " + allowed + ", got " + describe(v));
        }
        return value;
    }

    /** A number node, or a string spelling a number (YAML 1.1 reads 1e-5 as a string). */
    private static Double number(JsonNode v) {
        if (v.isNumber()) {
            return v.asDouble();
        }
        if (v.isTextual()) {
            try {
                return Double.parseDouble(v.asText().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    static String format(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
    }
}
