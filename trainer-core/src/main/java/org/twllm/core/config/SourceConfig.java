package org.twllm.core.config;

import java.nio.file.Path;

/**
 * One data source of the mixture.
 *
 * @param name      label in reports and shard names (default: the file name without extension)
 * @param path      absolute path of the file (or shard directory for {@code shards})
 * @param weight    relative sampling weight in the mixture, &gt; 0
 * @param format    how to read it; {@code AUTO} decides by the stage and the file's content
 * @param textField the JSON field holding the text for {@code jsonl}
 */
public record SourceConfig(String name, Path path, double weight, Format format, String textField) {

    public enum Format {
        AUTO, JSONL, TEXT, CHAT, SHAREGPT, FEEDBACK, SHARDS;

        public String yamlName() {
            return YamlEnum.name(this);
        }
    }
}
