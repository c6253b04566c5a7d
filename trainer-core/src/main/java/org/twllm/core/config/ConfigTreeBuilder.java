package org.twllm.core.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Builds the merged key tree of a config: the chain of {@code base:} files (each resolved relative
 * to the file naming it, maps deep-merged, lists replaced), then the {@code --set} overrides in order.
 */
final class ConfigTreeBuilder {
    static final String BASE_KEY = "base";

    private final Path workDir;
    private final Problems problems;

    ConfigTreeBuilder(Path workDir, Problems problems) {
        this.workDir = workDir;
        this.problems = problems;
    }

    /** The merged tree, or null when a file could not be read (the reason is in the problems). */
    LocatedTree build(Path file, List<String> setOverrides) {
        Path absolute = workDir.resolve(file).toAbsolutePath().normalize();
        if (!Files.isRegularFile(absolute)) {
            problems.add(Origin.inFile(display(absolute), 1, 1), null,
                    "config file not found (resolved to " + absolute + ")");
            return null;
        }
        LocatedTree tree = withBases(absolute, new ArrayList<>());
        if (tree == null) {
            return null;
        }
        for (String set : setOverrides) {
            applySet(tree, set);
        }
        return tree;
    }

    /** A path as shown in messages: relative to the working directory when inside it. */
    String display(Path absolute) {
        return absolute.startsWith(workDir) ? workDir.relativize(absolute).toString() : absolute.toString();
    }

    private LocatedTree withBases(Path file, List<Path> chain) {
        chain.add(file);
        LocatedTree tree = YamlFileReader.read(file, display(file), problems);
        if (tree == null) {
            return null;
        }
        JsonNode baseNode = tree.root.remove(BASE_KEY);
        if (baseNode == null || baseNode.isNull()) {
            return tree;
        }
        Origin baseOrigin = tree.originOf(BASE_KEY);
        if (!baseNode.isTextual()) {
            problems.add(baseOrigin, BASE_KEY, "expected a file path (relative to this file), got " + Section.describe(baseNode));
            return tree;
        }
        Path basePath = file.getParent().resolve(baseNode.asText()).normalize();
        if (chain.contains(basePath)) {
            String cycle = chain.subList(chain.indexOf(basePath), chain.size()).stream()
                    .map(this::display).collect(Collectors.joining(" -> "));
            problems.add(baseOrigin, BASE_KEY, "base files form a cycle: " + cycle + " -> " + display(basePath));
            return null;
        }
        if (!Files.isRegularFile(basePath)) {
            problems.add(baseOrigin, BASE_KEY, "base file " + baseNode.asText() + " not found (resolved to " + basePath + ")");
            return null;
        }
        LocatedTree base = withBases(basePath, chain);
        if (base == null) {
            return null;
        }
        base.mergeFrom(tree);
        return base.withRootOrigin(tree.originOf(""));
    }

    /** Applies {@code key.path=value}; list elements are addressed by index ({@code data.sources.0.weight}). */
    private void applySet(LocatedTree tree, String set) {
        int eq = set.indexOf('=');
        Origin origin = Origin.fromSet(set, null);
        if (eq <= 0) {
            problems.add(origin, null, "expected key.path=value");
            return;
        }
        String keyPath = set.substring(0, eq).trim();
        origin = Origin.fromSet(set, keyPath);
        if (keyPath.equals(BASE_KEY) || keyPath.startsWith(".") || keyPath.endsWith(".") || keyPath.contains("..")) {
            problems.add(origin, null, keyPath.equals(BASE_KEY)
                    ? "base cannot be overridden with --set; edit the file"
                    : "not a valid key path (keys joined by '.', list elements by index)");
            return;
        }
        JsonNode value = YamlFileReader.parseValue(set.substring(eq + 1));
        if (value == null) {
            problems.add(origin, null, "the value is not valid YAML; quote it");
            return;
        }
        String[] keys = keyPath.split("\\.");
        JsonNode node = tree.root;
        String path = "";
        for (int i = 0; i < keys.length - 1; i++) {
            String key = keys[i];
            JsonNode next = childOf(node, key, path, origin);
            if ((next == null || next.isNull()) && node instanceof ObjectNode map) {
                next = map.putObject(key);
            }
            if (next == null) {
                return;
            }
            if (!next.isContainerNode()) {
                problems.add(origin, null, LocatedTree.child(path, key) + " is " + Section.describe(next) + ", not a map or list");
                return;
            }
            node = next;
            path = LocatedTree.child(path, key);
        }
        String last = keys[keys.length - 1];
        if (node instanceof ObjectNode map) {
            map.set(last, value);
        } else {
            ArrayNode list = (ArrayNode) node;
            int index = index(last, list, path, origin);
            if (index < 0) {
                return;
            }
            list.set(index, value);
        }
        tree.replaced(keyPath, origin);
    }

    /** The child {@code key} of a map or list; null when absent (maps) or after reporting a bad index. */
    private JsonNode childOf(JsonNode node, String key, String path, Origin origin) {
        if (node instanceof ObjectNode map) {
            return map.get(key);
        }
        int index = index(key, (ArrayNode) node, path, origin);
        return index < 0 ? null : node.get(index);
    }

    private int index(String key, ArrayNode list, String path, Origin origin) {
        int index;
        try {
            index = Integer.parseInt(key);
        } catch (NumberFormatException e) {
            index = -1;
        }
        if (index < 0 || index >= list.size()) {
            problems.add(origin, null, path + " is a list of " + list.size() + " element" + (list.size() == 1 ? "" : "s")
                    + "; address an element by its index 0.." + (list.size() - 1) + ", not '" + key + "'");
            return -1;
        }
        return index;
    }
}
