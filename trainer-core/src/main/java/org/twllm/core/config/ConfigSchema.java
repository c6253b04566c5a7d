package org.twllm.core.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The tree of key tables under {@link StageConfig#KEYS}: every map of a stage config with its path,
 * in table order. Unknown-key suggestions, the resume-safe key list and the reference docs walk it.
 */
final class ConfigSchema {
    /**
     * @param path        dotted path of the map ({@code ""} for the top level); for a list, the list's path
     * @param listElement whether the table describes each element of a list
     */
    record Entry(String path, KeyTable<?> table, boolean listElement) {
    }

    private ConfigSchema() {
    }

    static List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        walk("", StageConfig.KEYS, false, out);
        return out;
    }

    private static void walk(String path, KeyTable<?> table, boolean listElement, List<Entry> out) {
        out.add(new Entry(path, table, listElement));
        for (Key<?> key : table.keys()) {
            String child = LocatedTree.child(path, key.name());
            if (key.type() instanceof ValueTypes.Nested<?> nested) {
                walk(child, nested.table(), false, out);
            } else if (key.type() instanceof ValueTypes.SectionList<?> list) {
                walk(child, list.table(), true, out);
            }
        }
    }

    /**
     * The keys a resumed run may change, as dotted paths; a map that is safe as a whole ends in '.'
     * ({@code checkpoint.}). Keys inside list elements cannot be resume-safe: the fingerprint and the
     * resume check address elements differently.
     */
    static List<String> resumeSafeKeys() {
        List<String> out = new ArrayList<>();
        for (Entry entry : entries()) {
            for (Key<?> key : entry.table().keys()) {
                if (!key.resumeSafe()) {
                    continue;
                }
                if (entry.listElement()) {
                    throw new IllegalStateException(entry.path() + "." + key.name() + ": list elements cannot be resume-safe");
                }
                boolean map = key.type() instanceof ValueTypes.Nested<?>;
                out.add(LocatedTree.child(entry.path(), key.name()) + (map ? "." : ""));
            }
        }
        return List.copyOf(out);
    }
}
