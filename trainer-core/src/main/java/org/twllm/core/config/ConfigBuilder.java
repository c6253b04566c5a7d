package org.twllm.core.config;

import java.nio.file.Path;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.twllm.core.config.StageConfigLoader.FileChecks;

/**
 * Builds one config section in code, key by key, for tests and for defaults. The given values go
 * through the same binding as a config file's (types, ranges, defaults, the section's own rules);
 * rules across sections are not checked, and a derived key must be set.
 *
 * @param <S> the section class
 */
public final class ConfigBuilder<S extends ConfigSection> {
    private final KeyTable<S> table;
    private final ObjectNode given = JsonNodeFactory.instance.objectNode();

    ConfigBuilder(KeyTable<S> table) {
        this.table = table;
    }

    public <T> ConfigBuilder<S> set(Key<T> key, T value) {
        if (key.table() != table) {
            throw new IllegalArgumentException(key.name() + " is a key of another config section");
        }
        given.set(key.name(), value == null ? NullNode.getInstance() : key.type().write(value, ConfigWriter.EVERY_KEY));
        return this;
    }

    /** The section; throws IllegalArgumentException listing every problem of the values given. */
    public S build() {
        Problems problems = new Problems();
        LocatedTree tree = new LocatedTree(given, LocatedTree.newOrigins(), Origin.inFile("(built in code)", 1, 1));
        Section section = new Section(new StageConfigBinder(tree, problems, Path.of(""), FileChecks.NONE), table, given);
        S built = table.bind(section);
        for (Key<?> key : table.keys()) {
            if (key.absent() == Key.Absent.DERIVED && section.values().has(key) && section.value(key) == null) {
                section.problem(key, "is derived from other sections in a config file; set it");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems.problems()));
        }
        return built;
    }
}
