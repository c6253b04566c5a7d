package org.twllm.core.config;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * How a key's value is read from the YAML tree (with its type and range checks), written back, and
 * described in the reference docs. {@link ValueTypes} makes them.
 *
 * @param <T> the value's Java type
 */
interface ValueType<T> {

    /**
     * The value of {@code node}, or null after reporting a problem at {@code key} of {@code s}.
     * {@code node} is present and not null, unless {@link #readsAbsent()}.
     */
    T read(JsonNode node, Section s, Key<T> key);

    /** The value as a YAML node ({@code writer} writes nested sections). */
    JsonNode write(T value, ConfigWriter writer);

    /** The type column of the reference docs, e.g. {@code int >= 1}. */
    String describe();

    /** A default as the reference docs show it: {@code `42`} (the value as written), or {@code null}. */
    default String show(T value) {
        return value == null ? "null" : "`" + write(value, ConfigWriter.EVERY_KEY).asText() + "`";
    }

    /** True for maps, which are bound (from their defaults) also when absent. */
    default boolean readsAbsent() {
        return false;
    }
}
