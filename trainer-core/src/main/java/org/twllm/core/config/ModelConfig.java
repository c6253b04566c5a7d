package org.twllm.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.twllm.core.config.StageConfigLoader.FileChecks;
import org.twllm.core.engine.LlamaConfig;

/**
 * Where the weights come from ({@code model:}): an HF Llama directory, or random weights of the shape
 * the architecture keys give (HF {@code config.json} names), which bind straight to a {@link LlamaConfig}.
 */
public record ModelConfig(Values values) implements ConfigSection {
    static final KeyTable<ModelConfig> KEYS = new KeyTable<>(ModelConfig::new, ModelConfig::check);

    /** Empty for random initialisation, else the absolute directory. */
    public static final Key<Optional<Path>> INIT = KEYS.key("init", ValueTypes.pathOr("random")).required()
            .doc("`random`: new weights of the shape below, normal(0, `initializer_range`). A path: an HF Llama"
                    + " directory (`config.json` + safetensors), e.g. a downloaded `Llama-2-7b-hf`, a previous stage's"
                    + " `<output_dir>/final`, or a twllm checkpoint directory (which holds the model in HF layout)."
                    + " The keys below only go with `random`");
    /** The architecture keys apply with {@code init: random}; a directory's own config.json decides otherwise. */
    private static final Key.Condition RANDOM_INIT = new Key.Condition(
            s -> s.value(INIT) == null ? null : s.value(INIT).isEmpty(),
            s -> "not allowed when model.init is a path; the model's config.json decides");

    public static final Key<Integer> HIDDEN_SIZE = KEYS.key("hidden_size", ValueTypes.integer(1)).required()
            .onlyWhen(RANDOM_INIT)
            .doc("model width; divisible by `num_attention_heads`, with an even head dimension (rotary embeddings)");
    public static final Key<Integer> INTERMEDIATE_SIZE = KEYS.key("intermediate_size", ValueTypes.integer(1)).required()
            .onlyWhen(RANDOM_INIT)
            .doc("SwiGLU MLP width");
    public static final Key<Integer> NUM_HIDDEN_LAYERS = KEYS.key("num_hidden_layers", ValueTypes.integer(1)).required()
            .onlyWhen(RANDOM_INIT)
            .doc("decoder layers");
    public static final Key<Integer> NUM_ATTENTION_HEADS = KEYS.key("num_attention_heads", ValueTypes.integer(1)).required()
            .onlyWhen(RANDOM_INIT)
            .doc("query heads");
    public static final Key<Integer> NUM_KEY_VALUE_HEADS = KEYS.key("num_key_value_heads", ValueTypes.integer(1))
            .derived("`num_attention_heads`").onlyWhen(RANDOM_INIT)
            .doc("key/value heads (grouped-query attention when fewer); must divide `num_attention_heads`");
    public static final Key<Integer> VOCAB_SIZE = KEYS.key("vocab_size", ValueTypes.integer(1))
            .derived("the tokenizer's number of pieces").onlyWhen(RANDOM_INIT)
            .doc("embedding rows; at least the tokenizer's pieces (more is a padded vocabulary, as HF models often have:"
                    + " the extra rows are never an input and train only as unused logits; generation never picks them);"
                    + " fewer is refused naming both sizes");
    public static final Key<Integer> MAX_POSITION_EMBEDDINGS = KEYS.key("max_position_embeddings", ValueTypes.integer(1))
            .required().onlyWhen(RANDOM_INIT)
            .doc("longest sequence the model takes; `data.seq_len` must not exceed it");
    public static final Key<Double> RMS_NORM_EPS = KEYS.key("rms_norm_eps", ValueTypes.positive()).byDefault(1e-5)
            .onlyWhen(RANDOM_INIT)
            .doc("RMSNorm epsilon");
    public static final Key<Double> ROPE_THETA = KEYS.key("rope_theta", ValueTypes.positive()).byDefault(10000.0)
            .onlyWhen(RANDOM_INIT)
            .doc("rotary embedding base");
    public static final Key<Boolean> TIE_WORD_EMBEDDINGS = KEYS.key("tie_word_embeddings", ValueTypes.bool()).byDefault(false)
            .onlyWhen(RANDOM_INIT)
            .doc("share the embedding matrix with `lm_head` (Llama-2 does not)");
    public static final Key<Double> INITIALIZER_RANGE = KEYS.key("initializer_range", ValueTypes.positive()).byDefault(0.02)
            .onlyWhen(RANDOM_INIT)
            .doc("standard deviation of the random initial weights");

    public ModelConfig {
        KEYS.requireOwn(values);
    }

    /** The HF Llama directory (or twllm checkpoint) to load; null for random initialisation. */
    public Path init() {
        return values.get(INIT).orElse(null);
    }

    public boolean isRandomInit() {
        return init() == null;
    }

    /** The shape of a randomly initialised model; null when {@link #init()} is a path (its config.json decides). */
    public LlamaConfig architecture() {
        if (!isRandomInit()) {
            return null;
        }
        return new LlamaConfig(values.get(HIDDEN_SIZE), values.get(INTERMEDIATE_SIZE), values.get(NUM_HIDDEN_LAYERS),
                values.get(NUM_ATTENTION_HEADS), values.get(NUM_KEY_VALUE_HEADS), values.get(VOCAB_SIZE),
                values.get(MAX_POSITION_EMBEDDINGS), values.get(RMS_NORM_EPS), values.get(ROPE_THETA),
                values.get(TIE_WORD_EMBEDDINGS));
    }

    /** Standard deviation of random initial weights; only with random initialisation. */
    public double initializerRange() {
        return values.get(INITIALIZER_RANGE);
    }

    /** Fills in the derived sizes, then the shape rules of {@link LlamaConfig} and the tokenizer's vocabulary. */
    private static void check(Section s) {
        if (!Boolean.TRUE.equals(RANDOM_INIT.holds().apply(s))) {
            return;
        }
        if (!s.has(NUM_KEY_VALUE_HEADS)) {
            s.set(NUM_KEY_VALUE_HEADS, s.value(NUM_ATTENTION_HEADS));
        }
        Integer pieces = s.binder().tokenizerPieces();
        if (!s.has(VOCAB_SIZE)) {
            s.set(VOCAB_SIZE, pieces);
            if (pieces == null && s.binder().checks() == FileChecks.NONE) {
                // Otherwise the tokenizer's own problem was reported already.
                s.problem(VOCAB_SIZE, "required here: the tokenizer file is not available to supply it");
            }
        }
        Integer hidden = s.value(HIDDEN_SIZE);
        Integer heads = s.value(NUM_ATTENTION_HEADS);
        Integer kvHeads = s.value(NUM_KEY_VALUE_HEADS);
        if (hidden != null && heads != null && kvHeads != null) {
            for (LlamaConfig.ShapeProblem p : LlamaConfig.shapeProblems(hidden, heads, kvHeads)) {
                s.problem(p.key(), p.message());
            }
        }
        Integer vocab = s.value(VOCAB_SIZE);
        if (vocab != null && pieces != null && vocab < pieces) {
            s.problem(VOCAB_SIZE, vocab + " is smaller than the tokenizer's vocabulary (" + pieces + " pieces)");
        }
    }

    /**
     * After every section is read: the init directory, when a path, and data.seq_len against the
     * model's context (the init directory's config.json or model.max_position_embeddings).
     */
    static void checkInitAndContext(Section root) {
        Section model = root.child(StageConfig.MODEL);
        Optional<Path> init = model.value(INIT);
        if (init == null) {
            return;
        }
        Integer maxPositions;
        String from;
        if (init.isEmpty()) {
            maxPositions = model.value(MAX_POSITION_EMBEDDINGS);
            from = "model.max_position_embeddings";
        } else {
            InitModelInfo info = initModel(model, init.get(), root.value(StageConfig.STAGE));
            maxPositions = info == null ? null : info.maxPositionEmbeddings();
            from = "from " + init.get().resolve("config.json");
        }
        Section data = root.child(StageConfig.DATA);
        Integer seqLen = data.value(DataConfig.SEQ_LEN);
        if (seqLen != null && maxPositions != null && seqLen > maxPositions) {
            data.problem(DataConfig.SEQ_LEN, seqLen + " is more than the model's max_position_embeddings " + maxPositions
                    + " (" + from + ")");
        }
    }

    /** Reads the init directory's config.json; null when it is missing (reported per the file checks) or unusable. */
    private static InitModelInfo initModel(Section s, Path init, Stage stage) {
        if (!Files.exists(init)) {
            String hint = stage == Stage.SFT ? "run the cpt stage first"
                    : stage == Stage.FEEDBACK_SFT ? "run the sft stage first"
                    : "put the HF Llama base model there first";
            if (s.binder().checks() == FileChecks.ALL) {
                s.problem(INIT, "no such directory: " + init + "; " + hint + ", or point model.init at an HF Llama directory");
            } else if (s.binder().checks() == FileChecks.MISSING_INIT_IS_WARNING) {
                s.warning(INIT, s.given(INIT).asText() + " does not exist yet; " + hint);
            }
            return null;
        }
        Path configJson = init.resolve("config.json");
        if (!Files.isDirectory(init) || !Files.isRegularFile(configJson)) {
            s.problem(INIT, init + " has no config.json; expected an HF Llama directory or a twllm checkpoint");
            return null;
        }
        InitModelInfo info;
        try {
            info = InitModelInfo.read(configJson);
        } catch (IOException e) {
            s.problem(INIT, configJson + " cannot be used: " + e.getMessage());
            return null;
        }
        Integer pieces = s.binder().tokenizerPieces();
        if (pieces != null && info.vocabSize() < pieces) {
            s.problem(INIT, "the model's vocab_size " + info.vocabSize() + " (" + configJson
                    + ") is smaller than the tokenizer's vocabulary (" + pieces + " pieces)");
        }
        return info;
    }
}
