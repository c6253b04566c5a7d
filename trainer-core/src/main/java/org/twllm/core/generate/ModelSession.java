package org.twllm.core.generate;

import java.nio.file.Path;
import java.util.function.Function;

import org.twllm.core.io.HfModelDirectory;
import org.twllm.core.engine.Engine;
import org.twllm.data.chat.ChatTemplates;
import org.twllm.data.tokenizer.SentencePieceTokenizer;
import org.twllm.data.tokenizer.Tokenizer;
import org.twllm.errors.ConfigException;

/**
 * A model directory, its tokenizer and a prompt format, loaded and checked against each other: what
 * {@code twllm generate}, {@code chat} and {@code eval} start from.
 */
public record ModelSession(Engine model, Tokenizer tokenizer, PromptFormat format) {

    /**
     * @param loadModel    reads the weights of {@code modelDir}: {@code Checkpoint::loadModel}, which verifies a twllm
     *                     checkpoint first (passed in because checkpoints sit above this package)
     * @param chatTemplate a template name ({@code taiwan-llm}, {@code llama-2-chat}) or null for plain-text prompts
     * @param systemPrompt the system prompt for the template (null: the template's default)
     */
    public static ModelSession open(Path modelDir, Function<Path, Engine> loadModel, Path tokenizerFile, String chatTemplate,
                                    String systemPrompt) {
        Tokenizer tokenizer = SentencePieceTokenizer.load(tokenizerFile);
        // Check the vocabularies agree before reading gigabytes of weights.
        HfModelDirectory.readConfig(modelDir).requireVocab(tokenizer.vocabSize());
        Engine model = loadModel.apply(modelDir);
        PromptFormat format = chatTemplate == null
                ? new PlainPromptFormat(tokenizer)
                : new ChatPromptFormat(ChatTemplates.byName(chatTemplate, systemPrompt, null), tokenizer);
        return new ModelSession(model, tokenizer, format);
    }

    /**
     * The context length a user asked for ({@code --context-length}), checked against the model: null gives
     * the model's {@code max_position_embeddings}; a value below 2 (a prompt token and one more) or above the
     * model's maximum is refused.
     */
    public int checkedContextLength(Integer requested) {
        int max = model.config().maxPositionEmbeddings();
        if (requested == null) {
            return max;
        }
        if (requested < 2 || requested > max) {
            throw new ConfigException("--context-length " + requested + " is " + (requested < 2 ? "too short" : "longer than"
                    + " the model's max_position_embeddings " + max) + ": give a length from 2 to " + max
                    + ", or leave it out to use " + max);
        }
        return requested;
    }

    /** The longest sequence to run: {@code requested} if positive, else the model's maximum; never beyond it. */
    public int contextLength(int requested) {
        int max = model.config().maxPositionEmbeddings();
        return requested > 0 ? Math.min(requested, max) : max;
    }

    public LanguageModel languageModel(int contextLength) {
        return new KvCacheLanguageModel(model.decoder(), tokenizer, contextLength(contextLength));
    }

    public Generator generator(int contextLength) {
        return new Generator(model.decoder(), tokenizer, contextLength(contextLength));
    }
}
