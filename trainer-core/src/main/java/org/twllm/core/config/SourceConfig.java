package org.twllm.core.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.twllm.core.config.StageConfigLoader.FileChecks;
import org.twllm.data.corpus.SourceFiles;
import org.twllm.data.corpus.SourceReader;
import org.twllm.errors.ConfigException;

/** One data source of the mixture (an element of {@code data.sources} or {@code data.validation_sources}). */
public record SourceConfig(Values values) implements ConfigSection {
    static final KeyTable<SourceConfig> KEYS = new KeyTable<>(SourceConfig::new, SourceConfig::check);

    /** Absolute after binding. */
    public static final Key<Path> PATH = KEYS.key("path", ValueTypes.path()).required()
            .doc("a corpus or dialogue file, a folder of them, or a glob (`data/*.parquet`, `corpora/**/*.jsonl.zst`;"
                    + " relative to the config file's folder); `.gz`, `.zst` and `.parquet` files are read by their suffix"
                    + " (`docs/data.md`, \"Corpus preparation\"); for `shards`, a shard directory");
    public static final Key<String> NAME = KEYS.key("name", ValueTypes.text()).derived("the file name without its last extension")
            .doc("label in reports and shard names; unique within the list");
    public static final Key<Double> WEIGHT = KEYS.key("weight", ValueTypes.positive()).byDefault(1.0)
            .doc("relative sampling weight in the mixture");
    public static final Key<Format> FORMAT = KEYS.key("format", ValueTypes.oneOf(Format.class)).byDefault(Format.AUTO)
            .doc("what the records hold; `auto` decides from the stage (cpt: `text` for `.txt` names, else `jsonl`; sft:"
                    + " `chat`; feedback-sft: `feedback`), `parquet` the same for `.parquet` files only. cpt takes `auto`,"
                    + " `jsonl`, `text`, `parquet`, `shards`; sft takes `auto`, `chat`, `sharegpt`, `parquet`, `shards`;"
                    + " feedback-sft also `feedback`");
    public static final Key<String> TEXT_FIELD = KEYS.key("text_field", ValueTypes.text()).byDefault("text")
            .doc("the JSON field or Parquet column holding the document text (`jsonl`)");
    public static final Key<String> MESSAGES_FIELD = KEYS.key("messages_field", ValueTypes.text())
            .byDefault(null, "`messages`, else `conversations`").writtenOnlyWhenSet()
            .doc("the JSON field or Parquet column holding a dialogue's list of messages (role/content or ShareGPT"
                    + " from/value); written to the resolved config only when set");

    public SourceConfig {
        KEYS.requireOwn(values);
    }

    public Path path() {
        return values.get(PATH);
    }

    public String name() {
        return values.get(NAME);
    }

    public double weight() {
        return values.get(WEIGHT);
    }

    public Format format() {
        return values.get(FORMAT);
    }

    public String textField() {
        return values.get(TEXT_FIELD);
    }

    /** Null: a dialogue's messages are under {@code messages} or {@code conversations}. */
    public String messagesField() {
        return values.get(MESSAGES_FIELD);
    }

    private static void check(Section s) {
        Path path = s.value(PATH);
        if (!s.has(NAME) && path != null) {
            s.set(NAME, stem(path));
        }
        Format format = s.value(FORMAT);
        Stage stage = s.root().value(StageConfig.STAGE);
        if (format != null && stage != null && !format.fits(stage)) {
            s.problem(FORMAT, "format " + format.yamlName() + " does not fit the " + stage.yamlName() + " stage ("
                    + stage.yamlName() + " reads " + ValueTypes.either(Arrays.stream(Format.values())
                            .filter(f -> f.fits(stage)).map(Format::yamlName).toList()) + ")");
        } else if (path != null && format != null && s.binder().checks() != FileChecks.NONE) {
            checkFile(s, path, format);
        }
    }

    private static void checkFile(Section s, Path path, Format format) {
        if (format == Format.SHARDS) {
            if (!Files.isDirectory(path)) {
                s.problem(PATH, Files.exists(path) ? path + " is not a directory; format shards reads a shard directory"
                        : "no such shard directory: " + path);
            }
            return;
        }
        if (!SourceFiles.isGlob(path.toString()) && !Files.exists(path)) {
            s.problem(PATH, "no such file: " + path);
            return;
        }
        try {
            for (Path file : SourceFiles.of(path)) {
                if (format == Format.PARQUET && !SourceReader.isParquet(file)) {
                    s.problem(PATH, file + " is not a .parquet file; format parquet reads Parquet files (or use format auto)");
                    return;
                }
            }
        } catch (ConfigException e) {
            s.problem(PATH, e.getMessage());
        }
    }

    private static String stem(Path path) {
        String name = path.getFileName() == null ? path.toString() : path.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    public enum Format implements YamlEnum {
        AUTO, JSONL, TEXT, CHAT, SHAREGPT, FEEDBACK, PARQUET, SHARDS;

        /** Whether the {@code stage} reads sources of this format. */
        boolean fits(Stage stage) {
            return switch (this) {
                case AUTO, PARQUET, SHARDS -> true;
                case JSONL, TEXT -> stage == Stage.CPT;
                case CHAT, SHAREGPT -> stage != Stage.CPT;
                case FEEDBACK -> stage == Stage.FEEDBACK_SFT;
            };
        }
    }
}
