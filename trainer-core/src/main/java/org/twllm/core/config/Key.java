package org.twllm.core.config;

import java.util.function.Function;

/**
 * One config key, declared once: its YAML name, its value type (which carries the range or the allowed
 * names), its default, the line the reference docs show, whether a resumed run may change it, and
 * when it applies. Binding, validation messages, {@code config show}, the fingerprint, the resume
 * check and the key tables of docs/configuration.md are all driven by it.
 *
 * <p>Declared as a constant of its section class through {@link KeyTable#key}; {@link Builder#doc}
 * ends the declaration and appends the key to the table, so the table lists the keys in the order the
 * class declares them.
 *
 * @param <T> the value's Java type
 */
public final class Key<T> {
    /** What a key is when the config does not give it. */
    enum Absent {
        /** A problem: the key has no default. */
        REQUIRED,
        /** The declared default (possibly null). */
        DEFAULT,
        /** Computed by the section's rules from other keys (null until they do). */
        DERIVED
    }

    /**
     * When a key applies. Where it does not, giving it is a problem and it is neither bound nor written.
     *
     * @param holds  TRUE: the key applies; FALSE: it must not be given; null: cannot tell yet (the key it
     *               depends on has a problem of its own), so nothing is reported
     * @param whyNot the problem reported when the key is given where it does not apply
     */
    record Condition(Function<Section, Boolean> holds, Function<Section, String> whyNot) {
    }

    private final KeyTable<?> table;
    private final String name;
    private final ValueType<T> type;
    private final Absent absent;
    private final T defaultValue;
    private final String shownDefault;
    private final Condition condition;
    private final boolean resumeSafe;
    private final boolean writtenOnlyWhenSet;
    private final String doc;

    private Key(Builder<T> b, String doc) {
        this.table = b.table;
        this.name = b.name;
        this.type = b.type;
        this.absent = b.absent;
        this.defaultValue = b.defaultValue;
        this.shownDefault = b.shownDefault != null ? b.shownDefault : b.type.show(b.defaultValue);
        this.condition = b.condition;
        this.resumeSafe = b.resumeSafe;
        this.writtenOnlyWhenSet = b.writtenOnlyWhenSet;
        this.doc = doc;
    }

    /** The YAML name. */
    public String name() {
        return name;
    }

    KeyTable<?> table() {
        return table;
    }

    ValueType<T> type() {
        return type;
    }

    Absent absent() {
        return absent;
    }

    T defaultValue() {
        return defaultValue;
    }

    /** The default as the reference docs state it. */
    String shownDefault() {
        return shownDefault;
    }

    /** Null when the key always applies. */
    Condition condition() {
        return condition;
    }

    /** Whether a resumed run may change it (for a map: everything under it). */
    boolean resumeSafe() {
        return resumeSafe;
    }

    /** Whether a null value is left out of the written config (see {@link Builder#writtenOnlyWhenSet}). */
    boolean writtenOnlyWhenSet() {
        return writtenOnlyWhenSet;
    }

    /** The meaning column of the reference docs. */
    String doc() {
        return doc;
    }

    @Override
    public String toString() {
        return name;
    }

    /** A key being declared; {@link #doc} ends the declaration. */
    static final class Builder<T> {
        private final KeyTable<?> table;
        private final String name;
        private final ValueType<T> type;
        private Absent absent = Absent.DEFAULT;
        private T defaultValue;
        private String shownDefault;
        private Condition condition;
        private boolean resumeSafe;
        private boolean writtenOnlyWhenSet;

        Builder(KeyTable<?> table, String name, ValueType<T> type) {
            this.table = table;
            this.name = name;
            this.type = type;
        }

        Builder<T> required() {
            absent = Absent.REQUIRED;
            shownDefault = "**required**";
            return this;
        }

        /** The value when not given. Without this (and without required/derived) the default is null. */
        Builder<T> byDefault(T value) {
            defaultValue = value;
            return this;
        }

        /** A default the docs describe in words (it also depends on other keys, or needs a note). */
        Builder<T> byDefault(T value, String shown) {
            defaultValue = value;
            shownDefault = shown;
            return this;
        }

        /** The section's rules compute the value when it is not given; {@code shown} says how, for the docs. */
        Builder<T> derived(String shown) {
            absent = Absent.DERIVED;
            shownDefault = shown;
            return this;
        }

        Builder<T> onlyWhen(Condition applies) {
            condition = applies;
            return this;
        }

        Builder<T> resumeSafe() {
            resumeSafe = true;
            return this;
        }

        /**
         * Leaves the key out of the written config while its value is null: for a key added after runs
         * recorded their config, so that those configs still resume (the comparison sees no new key) and
         * keep their fingerprint.
         */
        Builder<T> writtenOnlyWhenSet() {
            writtenOnlyWhenSet = true;
            return this;
        }

        /** Ends the declaration with the meaning line of the docs and adds the key to its table. */
        Key<T> doc(String meaning) {
            Key<T> key = new Key<>(this, meaning);
            table.add(key);
            return key;
        }
    }
}
