package org.twllm.cli.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.twllm.core.config.CustomTemplateConfig;
import org.twllm.core.config.DataConfig;
import org.twllm.core.config.SourceConfig;
import org.twllm.core.config.Stage;
import org.twllm.core.config.StageConfig;
import org.twllm.data.chat.ChatTemplate;
import org.twllm.data.chat.ChatTemplates;
import org.twllm.data.corpus.PrepareSettings;
import org.twllm.data.corpus.ScriptMode;
import org.twllm.data.corpus.SourceFormat;
import org.twllm.data.corpus.SourceReader;
import org.twllm.data.corpus.SourceSpec;
import org.twllm.data.shard.ShardKind;
import org.twllm.errors.ConfigException;

/**
 * The {@code data prepare} settings a stage config implies: its sources (all but {@code shards} ones,
 * which are already prepared), filters, chat template and feedback rule. Shards do not depend on
 * {@code seq_len}: packing and truncation happen when samples are drawn, so changing them reuses the shards.
 */
public final class StagePrepareSettings {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StagePrepareSettings() {
    }

    /** Settings for the config's training sources. */
    public static PrepareSettings.Builder of(StageConfig config) {
        DataConfig data = config.data();
        ShardKind kind = config.stage() == Stage.CPT ? ShardKind.CPT : ShardKind.SFT;
        PrepareSettings.Builder b = PrepareSettings.builder(kind)
                .scriptMode(ScriptMode.parse(data.filters().script().yamlName()))
                .dedup(data.filters().dedup())
                .minChars(data.filters().minChars())
                .maxChars(data.filters().maxChars())
                .extraInput("stage", config.stage().yamlName());
        int prepared = 0;
        for (SourceConfig s : data.sources()) {
            if (s.format() == SourceConfig.Format.SHARDS) {
                continue;
            }
            SourceFormat format = format(s, config.stage(), data);
            b.source(new SourceSpec(s.path(), SourceSpec.safeName(s.name()), format, s.textField(), s.weight()));
            prepared++;
        }
        if (prepared == 0) {
            throw new ConfigException("every source of the config is already in shards: nothing to prepare");
        }
        if (kind == ShardKind.SFT) {
            b.chatTemplate(template(data));
            b.feedbackRule(data.feedback().ratingField(), data.feedback().positiveThreshold());
        }
        return b;
    }

    /** The chat template the config names. */
    public static ChatTemplate template(DataConfig data) {
        Map<String, String> formats = null;
        CustomTemplateConfig custom = data.customTemplate();
        if (custom != null) {
            formats = new LinkedHashMap<>();
            putIfSet(formats, "system_format", custom.systemFormat());
            putIfSet(formats, "user_format", custom.userFormat());
            putIfSet(formats, "assistant_format", custom.assistantFormat());
        }
        return ChatTemplates.byName(data.chatTemplate().yamlName(), data.systemPrompt(), formats);
    }

    private static void putIfSet(Map<String, String> map, String key, String value) {
        if (value != null) {
            map.put(key, value);
        }
    }

    /**
     * A source's format; {@code auto} means: cpt reads JSON Lines files ({@code .jsonl}, {@code .json},
     * gzipped or not) as jsonl and other files as text; sft reads chat; feedback-sft reads feedback when
     * the first record has the rating field, else chat.
     */
    static SourceFormat format(SourceConfig s, Stage stage, DataConfig data) {
        if (s.format() != SourceConfig.Format.AUTO) {
            return SourceFormat.parse(s.format().yamlName());
        }
        return switch (stage) {
            case CPT -> {
                String name = s.path().getFileName().toString().toLowerCase(Locale.ROOT).replaceAll("\\.gz$", "");
                yield name.endsWith(".jsonl") || name.endsWith(".json") ? SourceFormat.JSONL : SourceFormat.TEXT;
            }
            case SFT -> SourceFormat.CHAT;
            case FEEDBACK_SFT -> firstRecordHas(s.path(), data.feedback().ratingField()) ? SourceFormat.FEEDBACK : SourceFormat.CHAT;
        };
    }

    private static boolean firstRecordHas(Path path, String field) {
        Path file = SourceReader.filesOf(path).get(0);
        try (InputStream raw = Files.newInputStream(file);
                InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                if (!line.isBlank()) {
                    JsonNode record = JSON.readTree(line);
                    return record != null && record.has(field);
                }
            }
            return false;
        } catch (IOException e) {
            throw new ConfigException("cannot read source " + file + " to tell its format: " + e.getMessage()
                    + "; set its format (chat or feedback) in the config");
        }
    }
}
