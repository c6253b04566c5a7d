package org.twllm.core.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The bound values of one config map: an entry for each key that applies (its value, which may be
 * null), in table order. Immutable; equal when the entries are.
 */
public final class Values {
    private final KeyTable<?> table;
    private final Map<Key<?>, Object> entries;

    Values(KeyTable<?> table, Map<Key<?>, Object> entries) {
        this.table = table;
        this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    /** The value of {@code key}, null when it is null or does not apply. */
    @SuppressWarnings("unchecked")
    public <T> T get(Key<T> key) {
        if (key.table() != table) {
            throw new IllegalArgumentException(key.name() + " is a key of another config section");
        }
        return (T) entries.get(key);
    }

    /** Whether {@code key} applies here (it is written out, possibly as null). */
    boolean has(Key<?> key) {
        return entries.containsKey(key);
    }

    KeyTable<?> table() {
        return table;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Values v && v.table == table && v.entries.equals(entries);
    }

    @Override
    public int hashCode() {
        return entries.hashCode();
    }

    @Override
    public String toString() {
        return entries.entrySet().stream().map(e -> e.getKey().name() + "=" + e.getValue())
                .collect(Collectors.joining(", ", "{", "}"));
    }
}
