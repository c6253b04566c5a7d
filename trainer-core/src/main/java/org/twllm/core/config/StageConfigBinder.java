package org.twllm.core.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.twllm.core.config.StageConfigLoader.FileChecks;

/**
 * Turns the merged key tree into a {@link StageConfig} by binding it against the key tables
 * ({@link StageConfig#KEYS} and the tables under it), then reports keys no table declares, with the
 * nearest valid key suggested. Holds what the sections' rules share: where problems go, the working
 * directory, how strictly input files are checked, and the tokenizer's vocabulary once read.
 */
final class StageConfigBinder {
    private final LocatedTree tree;
    private final Problems problems;
    private final Path workDir;
    private final FileChecks checks;
    private final List<Section> sections = new ArrayList<>();
    private Integer tokenizerPieces;

    StageConfigBinder(LocatedTree tree, Problems problems, Path workDir, FileChecks checks) {
        this.tree = tree;
        this.problems = problems;
        this.workDir = workDir;
        this.checks = checks;
    }

    /** The config, or null when any problem was found (all of them are in the problems). */
    StageConfig bind() {
        StageConfig config = StageConfig.KEYS.bind(new Section(this, StageConfig.KEYS, tree.root));
        reportUnknownKeys();
        return problems.isEmpty() ? config : null;
    }

    LocatedTree tree() {
        return tree;
    }

    Problems problems() {
        return problems;
    }

    Path workDir() {
        return workDir;
    }

    FileChecks checks() {
        return checks;
    }

    /** The tokenizer's number of pieces, once {@code tokenizer.path} was read; null when it could not be. */
    Integer tokenizerPieces() {
        return tokenizerPieces;
    }

    void tokenizerPieces(int pieces) {
        tokenizerPieces = pieces;
    }

    void track(Section section) {
        sections.add(section);
    }

    private void reportUnknownKeys() {
        for (Section section : sections) {
            List<String> known = section.table().names();
            for (String key : section.presentKeys()) {
                if (!known.contains(key)) {
                    section.problem(key, "unknown key; " + suggestion(section, key));
                }
            }
        }
    }

    private static String suggestion(Section section, String key) {
        List<String> known = section.table().names();
        String near = KeySuggestions.nearest(key, known);
        if (near != null) {
            return "did you mean " + section.keyPath(near) + "?";
        }
        for (ConfigSchema.Entry other : ConfigSchema.entries()) {
            if (other.table() != section.table() && !other.listElement() && other.table().names().contains(key)) {
                return "did you mean " + LocatedTree.child(other.path(), key) + "?";
            }
        }
        return "valid keys" + (section.path.isEmpty() ? "" : " in " + section.path) + " are " + String.join(", ", known);
    }
}
