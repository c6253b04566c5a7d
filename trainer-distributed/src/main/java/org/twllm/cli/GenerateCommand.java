package org.twllm.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.generate.GenerationResult;
import org.twllm.core.generate.Generator;
import org.twllm.core.generate.ModelSession;
import org.twllm.core.generate.SamplingSettings;
import org.twllm.errors.ConfigException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code twllm generate}: one completion of a prompt, with a KV cache; prints the text and tokens/s. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Generate text after a prompt (plain text, or with --chat as a user message in the chat template).",
            "The text goes to stdout; token counts and tokens/s to stderr."})
public final class GenerateCommand implements Callable<Integer> {
    /** Model, tokenizer and prompt-format flags shared by generate, chat and eval. */
    static final class ModelOptions {
        @Option(names = "--model", required = true, paramLabel = "DIR", description = "A HuggingFace Llama directory (config.json, safetensors), e.g. a run's final/.")
        Path model;

        @Option(names = "--tokenizer", required = true, paramLabel = "FILE", description = "The SentencePiece .model the model was trained with.")
        Path tokenizer;

        @Option(names = "--system-prompt", paramLabel = "TEXT", description = "System prompt for the chat template (default: the template's own).")
        String systemPrompt;

        @Option(names = "--context-length", paramLabel = "N",
                description = "Longest sequence (prompt + generated) to run, 2 to max_position_embeddings; default: the model's max_position_embeddings.")
        Integer contextLength;
    }

    /** Sampling flags shared by generate and chat. */
    static final class SamplingOptions {
        @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "" + SamplingSettings.DEFAULT_MAX_NEW_TOKENS, description = "Stop after N new tokens (default ${DEFAULT-VALUE}).")
        int maxNewTokens;

        @Option(names = "--temperature", paramLabel = "T", defaultValue = "" + SamplingSettings.DEFAULT_TEMPERATURE, description = "0 (default) is greedy; otherwise sample from softmax(logits / T).")
        double temperature;

        @Option(names = "--top-k", paramLabel = "K", defaultValue = "" + SamplingSettings.DEFAULT_TOP_K, description = "Sample among the K most likely tokens (0: all).")
        int topK;

        @Option(names = "--top-p", paramLabel = "P", defaultValue = "" + SamplingSettings.DEFAULT_TOP_P, description = "Sample among the most likely tokens whose probability reaches P (1: all).")
        double topP;

        @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Seed of the sampling (same seed, same text).")
        long seed;

        @Option(names = "--stop", paramLabel = "TEXT", description = "Stop when the text contains TEXT (repeatable).")
        List<String> stops = new ArrayList<>();

        SamplingSettings settings() {
            try {
                return new SamplingSettings(maxNewTokens, temperature, topK, topP, seed, stops);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(e.getMessage());
            }
        }
    }

    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "The prompt.")
    String prompt;

    @Option(names = "--chat", description = "Send the prompt as a user message through the chat template.")
    boolean chat;

    @Option(names = "--chat-template", paramLabel = "NAME", defaultValue = "taiwan-llm",
            description = "Template for --chat: taiwan-llm (default) or llama-2-chat.")
    String chatTemplate;

    @Override
    public Integer call() {
        SamplingSettings settings = sampling.settings();
        ModelSession session = ModelSession.open(modelOptions.model, Checkpoint::loadModel, modelOptions.tokenizer,
                chat ? chatTemplate : null, modelOptions.systemPrompt);
        int context = session.checkedContextLength(modelOptions.contextLength);
        int[] ids = session.format().prompt(prompt);
        // Without --context-length the cache is sized for this prompt and its new tokens only.
        Generator generator = session.generator(modelOptions.contextLength != null ? context
                : Math.min(context, ids.length + settings.maxNewTokens()));
        GenerationResult result = generator.generate(ids, settings, text -> {
            System.out.print(text);
            System.out.flush();
        });
        System.out.println();
        System.err.println(stats(result));
        return Main.EXIT_OK;
    }

    static String stats(GenerationResult r) {
        return String.format(Locale.ROOT, "[generate] prompt %d tokens (%d from cache), %d new tokens, stop: %s; "
                        + "prefill %.3f s, decode %.1f tokens/s, overall %.1f tokens/s",
                r.promptTokens(), r.reusedTokens(), r.tokens().length, r.stopReason().name().toLowerCase(Locale.ROOT),
                r.prefillSeconds(), r.decodeTokensPerSecond(), r.tokensPerSecond());
    }
}
