package org.twllm.cli.data;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

import org.twllm.core.config.ConfigValidation;
import org.twllm.core.config.StageConfig;
import org.twllm.core.config.StageConfigLoader;
import org.twllm.core.train.TrainingDatasets;
import org.twllm.data.chat.ChatTemplates;
import org.twllm.data.corpus.CorpusPreparer;
import org.twllm.data.corpus.PrepareReport;
import org.twllm.data.corpus.PrepareSettings;
import org.twllm.data.corpus.ScriptMode;
import org.twllm.data.corpus.SourceFormat;
import org.twllm.data.corpus.SourceSpec;
import org.twllm.data.shard.ShardKind;
import org.twllm.data.shard.ShardManifest;
import org.twllm.data.tokenizer.SentencePieceTokenizer;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;
import org.twllm.progress.ProgressOutput;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code twllm data prepare}: corpora to tokenized shards, from flags or from a stage config (then exactly
 * as {@code twllm train} prepares them, into the folders it reads). Prints the per-source report; a second
 * run with the same inputs reuses the output.
 */
@Command(name = "prepare", mixinStandardHelpOptions = true,
        description = "Filter and tokenize corpora into shards (see docs/data.md, \"Corpus preparation\").")
public final class DataPrepareCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "STAGE.yaml", description = "Take tokenizer, sources, filters and template from a stage config.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config value (with --config), e.g. data.filters.min_chars=20.")
    List<String> sets = new ArrayList<>();

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "SentencePiece .model file (without --config).")
    Path tokenizerFile;

    @Option(names = "--source", paramLabel = "PATH[:WEIGHT]", description = "A corpus file, folder or quoted glob ('data/*.parquet'), optionally with a mixture weight (repeatable).")
    List<String> sources = new ArrayList<>();

    @Option(names = "--format", defaultValue = "jsonl", description = "What the --source records hold: jsonl, text, chat, sharegpt, feedback, or parquet (jsonl for cpt, chat for sft); .parquet files are read as Parquet in every format but text (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--text-field", defaultValue = "text", description = "JSON field or Parquet column holding the text for jsonl (default: ${DEFAULT-VALUE}).")
    String textField;

    @Option(names = "--messages-field", description = "JSON field or Parquet column holding a dialogue's messages (default: messages or conversations).")
    String messagesField;

    @Option(names = "--kind", description = "cpt or sft (default: sft for chat, sharegpt and feedback formats, else cpt).")
    String kind;

    @Option(names = "--chat-template", defaultValue = "taiwan-llm", description = "Template for dialogues: taiwan-llm, llama-2-chat (default: ${DEFAULT-VALUE}).")
    String chatTemplate;

    @Option(names = "--system-prompt", description = "System prompt for dialogues without one (default: the template's).")
    String systemPrompt;

    @Option(names = "--rating-field", defaultValue = "rating", description = "Feedback rating field (default: ${DEFAULT-VALUE}).")
    String ratingField;

    @Option(names = "--score-threshold", description = "Feedback ratings are scores; keep those at least this.")
    Double scoreThreshold;

    @Option(names = "--filter-script", defaultValue = "keep-traditional", description = "keep-traditional, count-only or off (default: ${DEFAULT-VALUE}).")
    String filterScript;

    @Option(names = "--no-dedup", description = "Keep exact duplicates.")
    boolean noDedup;

    @Option(names = "--min-chars", defaultValue = "0", description = "Drop documents with fewer characters (0: no minimum).")
    int minChars;

    @Option(names = "--max-chars", defaultValue = "0", description = "Drop documents with more characters (0: no maximum).")
    int maxChars;

    @Option(names = "--out", paramLabel = "DIR", description = "Output shard folder (with --config: the config's data.cache_dir/<stage>-<set>).")
    Path out;

    @Option(names = "--skip-invalid", description = "Count and skip malformed records instead of stopping at the first.")
    boolean skipInvalid;

    @Option(names = "--threads", defaultValue = "2", description = "Tokenizing threads; the output is the same for any number (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--max-shard-mb", defaultValue = "512", description = "Size limit of one shard file in MiB (default: ${DEFAULT-VALUE}).")
    long maxShardMb;

    @Override
    public Integer call() {
        if (config != null) {
            return prepareForStage();
        }
        if (!sets.isEmpty()) {
            throw new ConfigException("--set changes a --config file: give --config STAGE.yaml or drop --set");
        }
        if (tokenizerFile == null || sources.isEmpty() || out == null) {
            throw new ConfigException("data prepare needs --tokenizer FILE, at least one --source PATH[:WEIGHT] and --out DIR"
                    + " (or --config STAGE.yaml)");
        }
        PrepareSettings.Builder settings = fromFlags().skipInvalid(skipInvalid).threads(threads).maxShardBytes(maxShardMb << 20);
        SentencePieceTokenizer tokenizer = SentencePieceTokenizer.load(tokenizerFile);
        PrepareReport report = new CorpusPreparer(tokenizer, settings.build(), ProgressOutput.console()).prepare(out);
        spec.commandLine().getOut().print(report.toTable());
        spec.commandLine().getOut().flush();
        return 0;
    }

    /**
     * Prepares a stage's data exactly as {@code twllm train} does (same settings, same folders under
     * {@code data.cache_dir}), so training then reuses it. A {@code model.init} that an earlier stage has
     * not produced yet is no obstacle here.
     */
    private int prepareForStage() {
        if (tokenizerFile != null || !sources.isEmpty() || kind != null || out != null || skipInvalid) {
            throw new ConfigException("--config takes the tokenizer, sources, filters and output folder from the config"
                    + " (as twllm train does): drop --tokenizer, --source, --kind, --out and --skip-invalid, or change the"
                    + " config with --set");
        }
        ConfigValidation validation = StageConfigLoader.validate(config, sets, Path.of("").toAbsolutePath(),
                StageConfigLoader.FileChecks.MISSING_INIT_IS_WARNING);
        if (!validation.ok()) {
            throw new ConfigException(validation.problems());
        }
        StageConfig stage = validation.config();
        Map<Path, FileTime> before = preparedFolders(stage);
        TrainingDatasets.build(stage, SentencePieceTokenizer.load(stage.tokenizer().path()), ProgressOutput.console());
        PrintWriter printed = spec.commandLine().getOut();
        for (Map.Entry<Path, FileTime> folder : preparedFolders(stage).entrySet()) {
            boolean reused = folder.getValue().equals(before.get(folder.getKey()));
            printed.println("== " + folder.getKey().getFileName());
            printed.print(PrepareReport.load(folder.getKey(), reused).toTable());
        }
        printed.flush();
        return 0;
    }

    /** The stage's prepared folders under data.cache_dir ({@code <stage>-<set>}) and their manifests' times. */
    private static Map<Path, FileTime> preparedFolders(StageConfig stage) {
        Map<Path, FileTime> folders = new TreeMap<>();
        Path cache = stage.data().cacheDir();
        if (!Files.isDirectory(cache)) {
            return folders;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(cache, stage.stage().yamlName() + "-*")) {
            for (Path dir : dirs) {
                Path manifest = dir.resolve(ShardManifest.FILE_NAME);
                if (Files.isRegularFile(manifest) && Files.isRegularFile(dir.resolve(PrepareReport.FILE_NAME))) {
                    folders.put(dir, Files.getLastModifiedTime(manifest));
                }
            }
        } catch (IOException e) {
            throw new TwllmException("cannot list the data cache " + cache + ": " + e.getMessage(), e);
        }
        return folders;
    }

    private PrepareSettings.Builder fromFlags() {
        boolean parquet = format.equals("parquet");
        SourceFormat named = parquet ? null : SourceFormat.parse(format);
        ShardKind shardKind = kind != null ? ShardKind.parse(kind) : named != null && named.isDialogue() ? ShardKind.SFT : ShardKind.CPT;
        SourceFormat sourceFormat = named != null ? named : shardKind == ShardKind.SFT ? SourceFormat.CHAT : SourceFormat.JSONL;
        PrepareSettings.Builder b = PrepareSettings.builder(shardKind)
                .scriptMode(ScriptMode.parse(filterScript))
                .dedup(!noDedup)
                .minChars(minChars)
                .maxChars(maxChars);
        for (String s : sources) {
            b.source(SourceSpec.parseFlag(s, sourceFormat, textField, messagesField));
        }
        if (sourceFormat.isDialogue()) {
            b.chatTemplate(ChatTemplates.byName(chatTemplate, systemPrompt, null));
            b.feedbackRule(ratingField, scoreThreshold);
        }
        return b;
    }
}
