package org.twllm.core.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

/**
 * The keys of one config map, in the order its section class declares them (the order they are read,
 * written and documented), with the section's rules (checks across keys, derived values) and how its
 * values become the section object.
 *
 * @param <S> the section class
 */
final class KeyTable<S extends ConfigSection> {
    /** Checks across a section's keys and fills in derived values, after every key was read. */
    interface Rules {
        Rules NONE = s -> { };

        void check(Section s);
    }

    private final Function<Values, S> make;
    private final Rules rules;
    private final List<Key<?>> keys = new ArrayList<>();

    KeyTable(Function<Values, S> make) {
        this(make, Rules.NONE);
    }

    KeyTable(Function<Values, S> make, Rules rules) {
        this.make = make;
        this.rules = rules;
    }

    /** Starts declaring a key of this table. */
    <T> Key.Builder<T> key(String name, ValueType<T> type) {
        return new Key.Builder<>(this, name, type);
    }

    void add(Key<?> key) {
        if (names().contains(key.name())) {
            throw new IllegalStateException("key " + key.name() + " is declared twice");
        }
        keys.add(key);
    }

    List<Key<?>> keys() {
        return Collections.unmodifiableList(keys);
    }

    List<String> names() {
        return keys.stream().map(Key::name).toList();
    }

    /** Reads every key of {@code s}, applies the rules and makes the section (problems go to the binder). */
    S bind(Section s) {
        s.readAll();
        rules.check(s);
        return make.apply(s.values());
    }

    /** For section constructors: values bound against another table are a programming error. */
    void requireOwn(Values values) {
        if (values.table() != this) {
            throw new IllegalArgumentException("values of another config section");
        }
    }

    /** Builds a section in code, key by key (tests, defaults). */
    ConfigBuilder<S> builder() {
        return new ConfigBuilder<>(this);
    }
}
