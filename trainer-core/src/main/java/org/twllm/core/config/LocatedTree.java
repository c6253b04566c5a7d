package org.twllm.core.config;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A YAML key tree plus the origin of every key (by dotted path; list elements by index,
 * e.g. {@code data.sources.0.weight}), kept through {@code base:} merges and {@code --set}.
 */
final class LocatedTree {
    final ObjectNode root;
    private final Map<String, Origin> origins;
    private final Origin rootOrigin;

    LocatedTree(ObjectNode root, Map<String, Origin> origins, Origin rootOrigin) {
        this.root = root;
        this.origins = origins;
        this.rootOrigin = rootOrigin;
    }

    /** The same tree, with problems about missing top-level keys reported at {@code rootOrigin}. */
    LocatedTree withRootOrigin(Origin newRootOrigin) {
        return new LocatedTree(root, origins, newRootOrigin);
    }

    static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** The origin of {@code path}, or of its nearest ancestor that has one, or the file's start. */
    Origin originOf(String path) {
        String p = path;
        while (!p.isEmpty()) {
            Origin o = origins.get(p);
            if (o != null) {
                return o;
            }
            int dot = p.lastIndexOf('.');
            p = dot < 0 ? "" : p.substring(0, dot);
        }
        return rootOrigin;
    }

    /** Records that the value at {@code path} (and everything under it) now comes from {@code origin}. */
    void replaced(String path, Origin origin) {
        forgetUnder(path);
        origins.put(path, origin);
    }

    /**
     * Deep-merges {@code over} into this tree (this is the base): maps merge key by key,
     * anything else (scalars, lists) replaces the base value.
     */
    void mergeFrom(LocatedTree over) {
        merge(root, over.root, "", over);
    }

    private void merge(ObjectNode target, ObjectNode source, String path, LocatedTree over) {
        Iterator<Map.Entry<String, JsonNode>> fields = source.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String childPath = child(path, field.getKey());
            JsonNode existing = target.get(field.getKey());
            if (existing instanceof ObjectNode existingMap && field.getValue() instanceof ObjectNode sourceMap) {
                origins.put(childPath, over.originOf(childPath));
                merge(existingMap, sourceMap, childPath, over);
            } else {
                forgetUnder(childPath);
                target.set(field.getKey(), field.getValue().deepCopy());
                over.origins.forEach((p, o) -> {
                    if (p.equals(childPath) || p.startsWith(childPath + ".")) {
                        origins.put(p, o);
                    }
                });
            }
        }
    }

    private void forgetUnder(String path) {
        origins.keySet().removeIf(p -> p.equals(path) || p.startsWith(path + "."));
    }

    static Map<String, Origin> newOrigins() {
        return new HashMap<>();
    }
}
