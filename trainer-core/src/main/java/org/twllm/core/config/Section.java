package org.twllm.core.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One map of the config tree while it is bound against its {@link KeyTable}: reads each key with its
 * type, range and default, holds the values read so far (the section's rules and later sections read
 * them; null after a problem), and reports problems located at the key's file, line and column.
 * Nothing stops at a problem, so that every problem is found in one pass.
 */
final class Section {
    final String path;
    private final ObjectNode node;
    private final KeyTable<?> table;
    private final StageConfigBinder binder;
    private final Section parent;
    /** False under a map that itself had the wrong type: its keys are not missing, it is. */
    private final boolean reportsMissing;
    private final Map<Key<?>, Object> values = new LinkedHashMap<>();
    private final Map<Key<?>, Section> children = new HashMap<>();

    /** The top-level map. */
    Section(StageConfigBinder binder, KeyTable<?> table, ObjectNode node) {
        this(binder, null, "", table, node, true);
    }

    private Section(StageConfigBinder binder, Section parent, String path, KeyTable<?> table, ObjectNode node,
                    boolean reportsMissing) {
        this.binder = binder;
        this.parent = parent;
        this.path = path;
        this.table = table;
        this.node = node;
        this.reportsMissing = reportsMissing;
        binder.track(this);
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

    /** A number for messages: {@code 1} rather than {@code 1.0}. */
    static String format(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
    }

    StageConfigBinder binder() {
        return binder;
    }

    KeyTable<?> table() {
        return table;
    }

    /** The enclosing map; null for the top level. */
    Section parent() {
        return parent;
    }

    Section root() {
        return parent == null ? this : parent.root();
    }

    /** The bound map under {@code key}, or null when it was not bound (it does not apply here). */
    Section child(Key<?> key) {
        return children.get(key);
    }

    String keyPath(String key) {
        return LocatedTree.child(path, key);
    }

    void problem(Key<?> key, String message) {
        problem(key.name(), message);
    }

    void problem(String key, String message) {
        binder.problems().add(binder.tree().originOf(keyPath(key)), keyPath(key), message);
    }

    void warning(Key<?> key, String message) {
        binder.problems().warn(binder.tree().originOf(keyPath(key.name())), keyPath(key.name()), message);
    }

    /** Whether the config gives {@code key} a value (null means "use the default"). */
    boolean has(Key<?> key) {
        return given(key) != null;
    }

    /** The value as written, or null when absent or null. */
    JsonNode given(Key<?> key) {
        JsonNode v = node.get(key.name());
        return v == null || v.isNull() ? null : v;
    }

    /** The value read (or set) so far: null when absent without default, after a problem, or not read. */
    @SuppressWarnings("unchecked")
    <T> T value(Key<T> key) {
        return (T) values.get(key);
    }

    /** Sets a derived value (the section's rules). */
    <T> void set(Key<T> key, T value) {
        values.put(key, value);
    }

    Values values() {
        return new Values(table, values);
    }

    List<String> presentKeys() {
        List<String> keys = new ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    /** Reads every key of the table, in table order. */
    void readAll() {
        table.keys().forEach(this::read);
    }

    private <T> void read(Key<T> key) {
        Key.Condition condition = key.condition();
        if (condition != null) {
            Boolean applies = condition.holds().apply(this);
            if (!Boolean.TRUE.equals(applies)) {
                if (Boolean.FALSE.equals(applies) && has(key)) {
                    problem(key, condition.whyNot().apply(this));
                }
                return;
            }
        }
        JsonNode given = given(key);
        T value;
        if (given == null && !key.type().readsAbsent()) {
            if (key.absent() == Key.Absent.REQUIRED) {
                reportMissing(key);
            }
            value = key.defaultValue();
        } else {
            value = key.type().read(given, this, key);
        }
        values.put(key, value);
    }

    /** Reports a missing required key at the map that should hold it. */
    void reportMissing(Key<?> key) {
        if (reportsMissing) {
            binder.problems().add(binder.tree().originOf(path), keyPath(key.name()), "required key is missing");
        }
    }

    /** The map under {@code key} ({@code value} null: absent, bound from defaults). */
    Section openChild(Key<?> key, JsonNode value, KeyTable<?> childTable) {
        Section child;
        if (value == null) {
            child = new Section(binder, this, keyPath(key.name()), childTable, binder.tree().root.objectNode(), reportsMissing);
        } else if (!value.isObject()) {
            problem(key, "expected a map of keys, got " + describe(value));
            child = new Section(binder, this, keyPath(key.name()), childTable, binder.tree().root.objectNode(), false);
        } else {
            child = new Section(binder, this, keyPath(key.name()), childTable, (ObjectNode) value, reportsMissing);
        }
        children.put(key, child);
        return child;
    }

    /** The maps of the list under {@code key}; elements that are not maps are reported and left out; null when not a list. */
    List<Section> openElements(Key<?> key, JsonNode value, KeyTable<?> elementTable) {
        if (!value.isArray()) {
            problem(key, "expected a list, got " + describe(value));
            return null;
        }
        List<Section> out = new ArrayList<>();
        for (int i = 0; i < value.size(); i++) {
            String elementPath = keyPath(key.name()) + "." + i;
            JsonNode element = value.get(i);
            if (!element.isObject()) {
                binder.problems().add(binder.tree().originOf(elementPath), elementPath,
                        "expected a map of keys, got " + describe(element));
                continue;
            }
            out.add(new Section(binder, this, elementPath, elementTable, (ObjectNode) element, reportsMissing));
        }
        return out;
    }
}
