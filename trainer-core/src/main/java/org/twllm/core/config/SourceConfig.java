package org.twllm.core.config;

import java.nio.file.Path;

/**
 * One data source of the mixture.
 *
 * @param name      label in reports and shard names (default: the file name without extension)
 * @param path          absolute path of the file, folder or glob (or shard directory for {@code shards})
 * @param weight        relative sampling weight in the mixture, &gt; 0
 * @param format        how to read it; {@code AUTO} decides by the stage and the file's content;
 *                      {@code PARQUET} reads {@code .parquet} files by the stage as {@code AUTO} does
 * @param textField     the JSON field or Parquet column holding the text for {@code jsonl}
 * @param messagesField the field or column holding a dialogue's messages; null: {@code messages} or {@code conversations}
 */
public record SourceConfig(String name, Path path, double weight, Format format, String textField, String messagesField) {

    public SourceConfig(String name, Path path, double weight, Format format, String textField) {
        this(name, path, weight, format, textField, null);
    }

    public enum Format {
        AUTO, JSONL, TEXT, CHAT, SHAREGPT, FEEDBACK, PARQUET, SHARDS;

        public String yamlName() {
            return YamlEnum.name(this);
        }
    }
}
