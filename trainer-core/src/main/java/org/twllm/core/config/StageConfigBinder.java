package org.twllm.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.twllm.core.config.StageConfigLoader.FileChecks;
import org.twllm.data.corpus.SourceFiles;
import org.twllm.data.corpus.SourceReader;
import org.twllm.errors.ConfigException;

/**
 * Turns the merged key tree into a {@link StageConfig}: reads every section with type and range
 * checks, applies defaults, checks values against each other and the input files against the
 * disk, and reports unknown keys. Nothing stops at the first problem.
 */
final class StageConfigBinder {
    private static final List<String> ARCHITECTURE_KEYS = List.of("hidden_size", "intermediate_size",
            "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "vocab_size",
            "max_position_embeddings", "rms_norm_eps", "rope_theta", "tie_word_embeddings", "initializer_range");

    private final LocatedTree tree;
    private final Problems problems;
    private final Path workDir;
    private final FileChecks checks;
    private final List<Section> sections = new ArrayList<>();
    /** data.seq_len once read (null if absent or invalid), checked against the model's context. */
    private Integer seqLen;

    StageConfigBinder(LocatedTree tree, Problems problems, Path workDir, FileChecks checks) {
        this.tree = tree;
        this.problems = problems;
        this.workDir = workDir;
        this.checks = checks;
    }

    /** The config, or null when any problem was found (all of them are in the problems). */
    StageConfig bind() {
        Section root = track(new Section("", tree.root, tree, problems));
        Stage stage = root.requiredEnum("stage", Stage.class);
        RunConfig run = run(track(root.section("run")));
        Section tokenizerSection = track(root.section("tokenizer"));
        TokenizerConfig tokenizer = tokenizer(tokenizerSection);
        Integer tokenizerPieces = tokenizerPieces(tokenizerSection, tokenizer);
        Section modelSection = track(root.section("model"));
        ModelConfig model = model(modelSection, tokenizerPieces);
        DataConfig data = data(track(root.section("data")), stage, run);
        DistributedConfig distributed = distributed(track(root.section("distributed")));
        TrainingConfig training = training(track(root.section("training")), distributed, data);
        CheckpointConfig checkpoint = checkpoint(track(root.section("checkpoint")));
        DeviceConfig device = device(track(root.section("device")));
        LoggingConfig logging = logging(track(root.section("logging")));
        if (model != null) {
            checkInitAndContext(modelSection, model, tokenizerPieces, stage);
        }
        reportUnknownKeys();
        if (!problems.isEmpty()) {
            return null;
        }
        return new StageConfig(stage, run, model, tokenizer, data, training, checkpoint, distributed, device, logging);
    }

    private Section track(Section section) {
        sections.add(section);
        return section;
    }

    private RunConfig run(Section s) {
        String name = s.requiredString("name");
        if (name != null && name.isBlank()) {
            s.problem("name", "must not be empty");
            name = null;
        }
        Path outputDir = path(s, "output_dir", s.requiredString("output_dir"));
        Long seed = s.longValue("seed", 42, 0, Long.MAX_VALUE);
        return name == null || outputDir == null || seed == null ? null : new RunConfig(name, outputDir, seed);
    }

    private TokenizerConfig tokenizer(Section s) {
        Path path = path(s, "path", s.requiredString("path"));
        if (path == null) {
            return null;
        }
        if (checks != FileChecks.NONE && !Files.isRegularFile(path)) {
            s.problem("path", "no such file: " + path + " (a SentencePiece .model file)");
        }
        return new TokenizerConfig(path);
    }

    /** The tokenizer's vocabulary size when its file can be read, else null. */
    private Integer tokenizerPieces(Section s, TokenizerConfig tokenizer) {
        if (tokenizer == null || !Files.isRegularFile(tokenizer.path())) {
            return null;
        }
        try {
            return SentencePieceModelFile.pieceCount(tokenizer.path());
        } catch (IOException e) {
            s.problem("path", tokenizer.path() + " is " + e.getMessage());
            return null;
        }
    }

    private ModelConfig model(Section s, Integer tokenizerPieces) {
        String init = s.requiredString("init");
        if (init == null) {
            ARCHITECTURE_KEYS.forEach(s::has);
            return null;
        }
        if (!init.equals("random")) {
            for (String key : ARCHITECTURE_KEYS) {
                if (s.has(key)) {
                    s.problem(key, "not allowed when model.init is a path; the model's config.json decides");
                }
            }
            Path initPath = path(s, "init", init);
            return initPath == null ? null : new ModelConfig(initPath, null);
        }
        Integer hidden = s.requiredInt("hidden_size", 1);
        Integer intermediate = s.requiredInt("intermediate_size", 1);
        Integer layers = s.requiredInt("num_hidden_layers", 1);
        Integer heads = s.requiredInt("num_attention_heads", 1);
        Integer kvHeads = s.has("num_key_value_heads") ? s.optionalInt("num_key_value_heads", 1) : heads;
        Integer vocab = s.has("vocab_size") ? s.optionalInt("vocab_size", 1) : tokenizerPieces;
        if (!s.has("vocab_size") && tokenizerPieces == null && checks == FileChecks.NONE) {
            // Otherwise the tokenizer's own problem was reported already.
            s.problem("vocab_size", "required here: the tokenizer file is not available to supply it");
        }
        Integer maxPositions = s.requiredInt("max_position_embeddings", 1);
        Double eps = s.positive("rms_norm_eps", 1e-5);
        Double ropeTheta = s.positive("rope_theta", 10000.0);
        Boolean tie = s.bool("tie_word_embeddings", false);
        Double initRange = s.positive("initializer_range", 0.02);
        if (hidden != null && heads != null) {
            if (hidden % heads != 0) {
                s.problem("num_attention_heads", "hidden_size " + hidden + " is not divisible by num_attention_heads " + heads);
                hidden = null;
            } else if ((hidden / heads) % 2 != 0) {
                s.problem("num_attention_heads", "head dimension hidden_size / num_attention_heads = " + hidden / heads
                        + " must be even for rotary embeddings");
                hidden = null;
            }
        }
        if (heads != null && kvHeads != null && heads % kvHeads != 0) {
            s.problem("num_key_value_heads", "must divide num_attention_heads " + heads + ", got " + kvHeads);
            kvHeads = null;
        }
        if (vocab != null && tokenizerPieces != null && vocab < tokenizerPieces) {
            s.problem("vocab_size", vocab + " is smaller than the tokenizer's vocabulary (" + tokenizerPieces + " pieces)");
            vocab = null;
        }
        if (hidden == null || intermediate == null || layers == null || heads == null || kvHeads == null
                || vocab == null || maxPositions == null || eps == null || ropeTheta == null || tie == null
                || initRange == null) {
            return null;
        }
        return new ModelConfig(null, new ModelArchitecture(hidden, intermediate, layers, heads, kvHeads, vocab,
                maxPositions, eps, ropeTheta, tie, initRange));
    }

    private DataConfig data(Section s, Stage stage, RunConfig run) {
        seqLen = s.requiredInt("seq_len", 1);
        Boolean shuffle = s.bool("shuffle", true);
        List<SourceConfig> sources = sources(s, "sources", stage);
        if (sources != null && sources.isEmpty() && !s.has("sources")) {
            s.reportMissing("sources");
            sources = null;
        } else if (sources != null && sources.isEmpty()) {
            s.problem("sources", "needs at least one source");
            sources = null;
        }
        List<SourceConfig> validation = sources(s, "validation_sources", stage);
        DataConfig.ChatTemplate template = s.enumValue("chat_template", DataConfig.ChatTemplate.class,
                DataConfig.ChatTemplate.TAIWAN_LLM);
        String systemPrompt = s.string("system_prompt", null);
        CustomTemplateConfig custom = customTemplate(s, template);
        DataConfig.Overlong overlong = s.enumValue("overlong", DataConfig.Overlong.class, DataConfig.Overlong.DROP);
        FilterConfig filters = filters(track(s.section("filters")), stage);
        FeedbackConfig feedback = feedback(track(s.section("feedback")), stage, sources);
        Path cacheDir = s.has("cache_dir") ? path(s, "cache_dir", s.string("cache_dir", null))
                : run == null ? null : run.outputDir().resolve("data");
        if (seqLen == null || shuffle == null || sources == null || validation == null || template == null
                || (template == DataConfig.ChatTemplate.CUSTOM && custom == null) || overlong == null
                || filters == null || feedback == null || cacheDir == null) {
            return null;
        }
        return new DataConfig(seqLen, shuffle, sources, validation, template, systemPrompt, custom, overlong,
                filters, feedback, cacheDir);
    }

    private List<SourceConfig> sources(Section data, String key, Stage stage) {
        List<Section> elements = data.sectionList(key);
        if (elements == null) {
            return null;
        }
        List<SourceConfig> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        boolean failed = false;
        for (Section s : elements) {
            track(s);
            Path path = path(s, "path", s.requiredString("path"));
            String name = s.string("name", path == null ? null : stem(path));
            Double weight = s.positive("weight", 1.0);
            SourceConfig.Format format = s.enumValue("format", SourceConfig.Format.class, SourceConfig.Format.AUTO);
            String textField = s.string("text_field", "text");
            String messagesField = s.string("messages_field", null);
            if (name != null && !names.add(name)) {
                s.problem("name", "two sources are named '" + name + "'; give each a distinct name");
                name = null;
            }
            if (format != null && stage != null && !formatFitsStage(format, stage)) {
                s.problem("format", "format " + format.yamlName() + " does not fit the " + stage.yamlName()
                        + " stage (" + formatsFor(stage) + ")");
                format = null;
            }
            if (path != null && format != null) {
                checkSourceFile(s, path, format);
            }
            if (path == null || name == null || weight == null || format == null || textField == null) {
                failed = true;
            } else {
                out.add(new SourceConfig(name, path, weight, format, textField, messagesField));
            }
        }
        return failed ? null : out;
    }

    private static boolean formatFitsStage(SourceConfig.Format format, Stage stage) {
        return switch (format) {
            case AUTO, PARQUET, SHARDS -> true;
            case JSONL, TEXT -> stage == Stage.CPT;
            case CHAT, SHAREGPT -> stage != Stage.CPT;
            case FEEDBACK -> stage == Stage.FEEDBACK_SFT;
        };
    }

    private static String formatsFor(Stage stage) {
        return switch (stage) {
            case CPT -> "cpt reads auto, jsonl, text, parquet or shards";
            case SFT -> "sft reads auto, chat, sharegpt, parquet or shards";
            case FEEDBACK_SFT -> "feedback-sft reads auto, feedback, chat, sharegpt, parquet or shards";
        };
    }

    private void checkSourceFile(Section s, Path path, SourceConfig.Format format) {
        if (checks == FileChecks.NONE) {
            return;
        }
        if (format == SourceConfig.Format.SHARDS) {
            if (!Files.isDirectory(path)) {
                s.problem("path", Files.exists(path) ? path + " is not a directory; format shards reads a shard directory"
                        : "no such shard directory: " + path);
            }
            return;
        }
        if (!SourceFiles.isGlob(path.toString()) && !Files.exists(path)) {
            s.problem("path", "no such file: " + path);
            return;
        }
        try {
            for (Path file : SourceFiles.of(path)) {
                if (format == SourceConfig.Format.PARQUET && !SourceReader.isParquet(file)) {
                    s.problem("path", file + " is not a .parquet file; format parquet reads Parquet files (or use format auto)");
                    return;
                }
            }
        } catch (ConfigException e) {
            s.problem("path", e.getMessage());
        }
    }

    private CustomTemplateConfig customTemplate(Section data, DataConfig.ChatTemplate template) {
        boolean present = data.has("custom_template");
        Section s = track(data.section("custom_template"));
        if (template != DataConfig.ChatTemplate.CUSTOM) {
            List.of("system_format", "user_format", "assistant_format").forEach(s::has);
            if (present && template != null) {
                data.problem("custom_template", "only used when data.chat_template is custom (it is "
                        + template.yamlName() + ")");
            }
            return null;
        }
        boolean systemGiven = s.has("system_format");
        String system = systemGiven ? templateString(s, "system_format", s.string("system_format", null)) : null;
        String user = templateString(s, "user_format", s.requiredString("user_format"));
        String assistant = templateString(s, "assistant_format", s.requiredString("assistant_format"));
        return (systemGiven && system == null) || user == null || assistant == null ? null
                : new CustomTemplateConfig(system, user, assistant);
    }

    private static String templateString(Section s, String key, String value) {
        if (value != null && !value.contains("{content}")) {
            s.problem(key, "must contain {content} where the turn's text goes");
            return null;
        }
        return value;
    }

    private FilterConfig filters(Section s, Stage stage) {
        FilterConfig.Script script = s.enumValue("script", FilterConfig.Script.class,
                stage == Stage.CPT ? FilterConfig.Script.KEEP_TRADITIONAL : FilterConfig.Script.OFF);
        Boolean dedup = s.bool("dedup", true);
        Integer minChars = s.intValue("min_chars", 0, 0);
        Integer maxChars = s.intValue("max_chars", 0, 0);
        if (minChars != null && maxChars != null && maxChars > 0 && maxChars < minChars) {
            s.problem("max_chars", "is " + maxChars + ", less than min_chars " + minChars + " (0 means no limit)");
            maxChars = null;
        }
        return script == null || dedup == null || minChars == null || maxChars == null ? null
                : new FilterConfig(script, dedup, minChars, maxChars);
    }

    private FeedbackConfig feedback(Section s, Stage stage, List<SourceConfig> sources) {
        String ratingField = s.string("rating_field", "rating");
        Double threshold = s.decimal("positive_threshold", 1.0, -Double.MAX_VALUE, Double.MAX_VALUE);
        Double mix = s.decimal("sft_mix_ratio", 0.0, 0.0, 1.0);
        if (mix != null && mix > 0 && stage != null) {
            if (stage != Stage.FEEDBACK_SFT) {
                s.problem("sft_mix_ratio", "only used by the feedback-sft stage");
                mix = null;
            } else if (sources != null && sources.stream().allMatch(src -> src.format() == SourceConfig.Format.FEEDBACK)) {
                s.problem("sft_mix_ratio", "needs a non-feedback source (format chat or sharegpt) to mix in");
                mix = null;
            }
        }
        return ratingField == null || threshold == null || mix == null ? null
                : new FeedbackConfig(ratingField, threshold, mix);
    }

    private TrainingConfig training(Section s, DistributedConfig distributed, DataConfig data) {
        Integer maxSteps = s.requiredInt("max_steps", 1);
        Integer micro = s.intValue("per_device_train_batch_size", 1, 1);
        boolean accumulationGiven = s.has("gradient_accumulation_steps");
        Integer accumulation = s.optionalInt("gradient_accumulation_steps", 1);
        boolean globalGiven = s.has("global_batch_size");
        Integer global = s.optionalInt("global_batch_size", 1);
        Double lr = s.requiredPositive("learning_rate");
        TrainingConfig.LrScheduler scheduler = s.enumValue("lr_scheduler_type", TrainingConfig.LrScheduler.class,
                TrainingConfig.LrScheduler.COSINE);
        Integer warmupSteps = s.intValue("warmup_steps", 0, 0);
        Double warmupRatio = s.decimal("warmup_ratio", 0.0, 0.0, 1.0);
        Double minLr = s.decimal("min_lr", 0.0, 0.0, Double.MAX_VALUE);
        Double maxGradNorm = s.decimal("max_grad_norm", 1.0, 0.0, Double.MAX_VALUE);
        Double beta1 = beta(s, "adam_beta1", 0.9);
        Double beta2 = beta(s, "adam_beta2", 0.999);
        Double epsilon = s.positive("adam_epsilon", 1e-8);
        Double weightDecay = s.decimal("weight_decay", 0.0, 0.0, Double.MAX_VALUE);
        TrainingConfig.Precision precision = s.enumValue("precision", TrainingConfig.Precision.class,
                TrainingConfig.Precision.FP32);
        Boolean checkpointing = s.bool("gradient_checkpointing", false);
        TrainingConfig.NanPolicy nanPolicy = s.enumValue("nan_policy", TrainingConfig.NanPolicy.class,
                TrainingConfig.NanPolicy.STOP);
        Integer evalSteps = s.intValue("eval_steps", 0, 0);
        Integer evalMaxSamples = s.intValue("eval_max_samples", 64, 1);
        Integer loggingSteps = s.intValue("logging_steps", 1, 1);

        if (warmupSteps != null && warmupRatio != null && warmupSteps > 0 && warmupRatio > 0) {
            s.problem("warmup_ratio", "set warmup_steps or warmup_ratio, not both");
            warmupRatio = null;
        }
        if (warmupSteps != null && maxSteps != null && warmupSteps > maxSteps) {
            s.problem("warmup_steps", warmupSteps + " is more than max_steps " + maxSteps);
            warmupSteps = null;
        }
        if (minLr != null && lr != null && minLr > lr) {
            s.problem("min_lr", Section.format(minLr) + " is more than learning_rate " + Section.format(lr));
            minLr = null;
        }
        if (evalSteps != null && evalSteps > 0 && data != null && data.validationSources().isEmpty()) {
            s.problem("eval_steps", "evaluation every " + evalSteps + " steps needs data.validation_sources");
            evalSteps = null;
        }
        accumulation = resolveAccumulation(s, micro, accumulationGiven, accumulation, globalGiven, global, distributed);

        if (maxSteps == null || micro == null || accumulation == null || lr == null || scheduler == null
                || warmupSteps == null || warmupRatio == null || minLr == null || maxGradNorm == null
                || beta1 == null || beta2 == null || epsilon == null || weightDecay == null || precision == null
                || checkpointing == null || nanPolicy == null || evalSteps == null || evalMaxSamples == null
                || loggingSteps == null) {
            return null;
        }
        return new TrainingConfig(maxSteps, micro, accumulation, lr, scheduler, warmupSteps, warmupRatio, minLr,
                maxGradNorm, beta1, beta2, epsilon, weightDecay, precision, checkpointing, nanPolicy, evalSteps,
                evalMaxSamples, loggingSteps);
    }

    /**
     * gradient_accumulation_steps: as given; else derived from global_batch_size; else 1.
     * When both are given they must agree. Null after a problem (reported here or already).
     */
    private static Integer resolveAccumulation(Section s, Integer micro, boolean accumulationGiven, Integer accumulation,
            boolean globalGiven, Integer global, DistributedConfig distributed) {
        if (!globalGiven) {
            return accumulationGiven ? accumulation : Integer.valueOf(1);
        }
        if (global == null || micro == null || distributed == null || (accumulationGiven && accumulation == null)) {
            return null;
        }
        long perStep = (long) micro * distributed.worldSize();
        String factors = "per_device_train_batch_size " + micro + " x distributed.world_size " + distributed.worldSize();
        if (accumulationGiven) {
            if (perStep * accumulation != global) {
                s.problem("global_batch_size", global + " does not equal " + factors.replace(" x ", " x gradient_accumulation_steps "
                        + accumulation + " x ") + " = " + perStep * accumulation + "; drop one of them");
                return null;
            }
            return accumulation;
        }
        if (global % perStep != 0) {
            s.problem("global_batch_size", global + " is not divisible by " + factors + " = " + perStep);
            return null;
        }
        return (int) (global / perStep);
    }

    private static Double beta(Section s, String key, double fallback) {
        Double value = s.decimal(key, fallback, 0.0, 1.0);
        if (value != null && value >= 1.0) {
            s.problem(key, "must be less than 1, got " + Section.format(value));
            return null;
        }
        return value;
    }

    private CheckpointConfig checkpoint(Section s) {
        Integer saveSteps = s.intValue("save_steps", 0, 0);
        Integer limit = s.intValue("save_total_limit", 3, 0);
        CheckpointConfig.Resume resume = s.enumValue("resume", CheckpointConfig.Resume.class, CheckpointConfig.Resume.AUTO);
        return saveSteps == null || limit == null || resume == null ? null : new CheckpointConfig(saveSteps, limit, resume);
    }

    private DistributedConfig distributed(Section s) {
        Integer worldSize = s.intValue("world_size", 1, 1);
        Integer zeroStage = s.intValue("zero_stage", 2, 0);
        if (zeroStage != null && zeroStage != 0 && zeroStage != 2) {
            s.problem("zero_stage", "expected 0 (plain data parallel) or 2 (sharded optimizer state and gradients), got "
                    + zeroStage);
            zeroStage = null;
        }
        Integer bucket = s.intValue("bucket_size_mb", 25, 1);
        TransportConfig transport = transport(track(s.section("transport")), worldSize);
        return worldSize == null || zeroStage == null || bucket == null || transport == null ? null
                : new DistributedConfig(worldSize, zeroStage, bucket, transport);
    }

    private TransportConfig transport(Section s, Integer worldSize) {
        TransportConfig.MediaDriver driver = s.enumValue("media_driver", TransportConfig.MediaDriver.class,
                TransportConfig.MediaDriver.EMBEDDED);
        Path aeronDir = s.has("aeron_dir") ? path(s, "aeron_dir", s.string("aeron_dir", null)) : null;
        boolean aeronDirOk = !s.has("aeron_dir") || aeronDir != null;
        TransportConfig.Channel channel = s.enumValue("channel", TransportConfig.Channel.class, TransportConfig.Channel.AUTO);
        Integer portBase = s.intValue("port_base", 40123, 1024, 65535);
        if (portBase != null && worldSize != null && portBase + worldSize - 1 > 65535) {
            s.problem("port_base", "ports " + portBase + ".." + (portBase + worldSize - 1) + " for world_size " + worldSize
                    + " go past 65535");
            portBase = null;
        }
        Integer mtu = s.intValue("mtu", 65504, 32, 65504);
        if (mtu != null && mtu % 32 != 0) {
            s.problem("mtu", "must be a multiple of 32 (Aeron's frame alignment), got " + mtu);
            mtu = null;
        }
        Integer termLength = s.intValue("term_length_mb", 16, 1, 1024);
        if (termLength != null && Integer.bitCount(termLength) != 1) {
            s.problem("term_length_mb", "must be a power of two (Aeron's term buffers), got " + termLength);
            termLength = null;
        }
        Integer socketBuffer = s.intValue("socket_buffer_kb", 2048, 1);
        Long liveness = s.longValue("liveness_timeout_ms", 2000, 1, Long.MAX_VALUE);
        Integer collectiveTimeout = s.intValue("collective_timeout_s", 30, 1);
        return driver == null || !aeronDirOk || channel == null || portBase == null || mtu == null || termLength == null
                || socketBuffer == null || liveness == null || collectiveTimeout == null ? null
                : new TransportConfig(driver, aeronDir, channel, portBase, mtu, termLength, socketBuffer, liveness,
                        collectiveTimeout);
    }

    private DeviceConfig device(Section s) {
        DeviceConfig.Backend backend = s.enumValue("backend", DeviceConfig.Backend.class, DeviceConfig.Backend.CPU);
        Double peak = s.optionalPositive("peak_flops");
        return backend == null || (s.has("peak_flops") && peak == null) ? null : new DeviceConfig(backend, peak);
    }

    private LoggingConfig logging(Section s) {
        LoggingConfig.Level level = s.enumValue("level", LoggingConfig.Level.class, LoggingConfig.Level.INFO);
        Boolean console = s.bool("console", true);
        return level == null || console == null ? null : new LoggingConfig(level, console);
    }

    /** The init directory (when a path), and data.seq_len against the model's context. */
    private void checkInitAndContext(Section s, ModelConfig model, Integer tokenizerPieces, Stage stage) {
        int maxPositions;
        String from;
        if (model.isRandomInit()) {
            maxPositions = model.architecture().maxPositionEmbeddings();
            from = "model.max_position_embeddings";
        } else {
            InitModelInfo info = initModel(s, model.init(), tokenizerPieces, stage);
            if (info == null) {
                return;
            }
            maxPositions = info.maxPositionEmbeddings();
            from = "from " + model.init().resolve("config.json");
        }
        if (seqLen != null && seqLen > maxPositions) {
            problems.add(tree.originOf("data.seq_len"), "data.seq_len", seqLen
                    + " is more than the model's max_position_embeddings " + maxPositions + " (" + from + ")");
        }
    }

    /** Reads the init directory's config.json; null when it is missing (reported per the file checks). */
    private InitModelInfo initModel(Section s, Path init, Integer tokenizerPieces, Stage stage) {
        String written = s.string("init", init.toString());
        if (!Files.exists(init)) {
            String hint = stage == Stage.SFT ? "run the cpt stage first"
                    : stage == Stage.FEEDBACK_SFT ? "run the sft stage first"
                    : "put the HF Llama base model there first";
            if (checks == FileChecks.ALL) {
                s.problem("init", "no such directory: " + init + "; " + hint
                        + ", or point model.init at an HF Llama directory");
            } else if (checks == FileChecks.MISSING_INIT_IS_WARNING) {
                s.warning("init", written + " does not exist yet; " + hint);
            }
            return null;
        }
        Path configJson = init.resolve("config.json");
        if (!Files.isDirectory(init) || !Files.isRegularFile(configJson)) {
            s.problem("init", init + " has no config.json; expected an HF Llama directory or a twllm checkpoint");
            return null;
        }
        InitModelInfo info;
        try {
            info = InitModelInfo.read(configJson);
        } catch (IOException e) {
            s.problem("init", configJson + " cannot be used: " + e.getMessage());
            return null;
        }
        if (tokenizerPieces != null && info.vocabSize() < tokenizerPieces) {
            s.problem("init", "the model's vocab_size " + info.vocabSize() + " (" + configJson
                    + ") is smaller than the tokenizer's vocabulary (" + tokenizerPieces + " pieces)");
        }
        return info;
    }

    private void reportUnknownKeys() {
        for (Section section : sections) {
            for (String key : section.presentKeys()) {
                if (section.knownKeys().contains(key)) {
                    continue;
                }
                section.problem(key, "unknown key; " + suggestion(section, key));
            }
        }
    }

    private String suggestion(Section section, String key) {
        String near = KeySuggestions.nearest(key, section.knownKeys());
        if (near != null) {
            return "did you mean " + section.keyPath(near) + "?";
        }
        for (Section other : sections) {
            if (other != section && other.knownKeys().contains(key) && !other.path.matches(".*\\.\\d+")) {
                return "did you mean " + other.keyPath(key) + "?";
            }
        }
        return "valid keys" + (section.path.isEmpty() ? "" : " in " + section.path) + " are "
                + String.join(", ", section.knownKeys());
    }

    /** Resolves a path as written in the config against the working directory (~ is the home directory). */
    private Path path(Section s, String key, String written) {
        if (written == null) {
            return null;
        }
        if (written.isBlank()) {
            s.problem(key, "must not be empty");
            return null;
        }
        String expanded = written.equals("~") || written.startsWith("~/")
                ? System.getProperty("user.home") + written.substring(1) : written;
        try {
            return workDir.resolve(expanded).toAbsolutePath().normalize();
        } catch (java.nio.file.InvalidPathException e) {
            s.problem(key, "not a valid path: " + e.getMessage());
            return null;
        }
    }

    private static String stem(Path path) {
        String name = path.getFileName() == null ? path.toString() : path.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
