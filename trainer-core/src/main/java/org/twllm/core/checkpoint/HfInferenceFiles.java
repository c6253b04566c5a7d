package org.twllm.core.checkpoint;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.twllm.core.generate.SamplingSettings;
import org.twllm.data.chat.ChatTemplate;
import org.twllm.data.tokenizer.Tokenizer;
import org.twllm.files.AtomicFiles;

/**
 * What HF tools read beside {@code config.json}, the weights and {@code tokenizer.model} to tokenize, chat
 * and generate with a model directory, so that {@code AutoTokenizer} and {@code generate} work unchanged:
 * <ul>
 *   <li>{@code tokenizer_config.json}: {@code LlamaTokenizer} (legacy SentencePiece behaviour, which the SFT
 *       loader's tokenization matches), its BOS/EOS/UNK pieces as special tokens, BOS added to plain text, and
 *       for SFT stages the {@code chat_template} (Jinja) of the run's template, which renders the prompt text
 *       SFT trained on (see {@link ChatTemplate#hfChatTemplate});</li>
 *   <li>{@code generation_config.json}: BOS/EOS ids and {@code twllm generate}'s defaults (greedy, 256 new
 *       tokens). Llama-2 has no pad token; EOS stands in, as in the SFT loader.</li>
 * </ul>
 */
public final class HfInferenceFiles {
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    public static final String GENERATION_CONFIG = "generation_config.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String tokenizerConfig;
    private final String generationConfig;

    private HfInferenceFiles(String tokenizerConfig, String generationConfig) {
        this.tokenizerConfig = tokenizerConfig;
        this.generationConfig = generationConfig;
    }

    /**
     * @param chatTemplate   the SFT stage's template, or null for a model not tuned to chat (cPT)
     * @param modelMaxLength the model's max_position_embeddings
     */
    public static HfInferenceFiles of(Tokenizer tokenizer, ChatTemplate chatTemplate, int modelMaxLength) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("tokenizer_class", "LlamaTokenizer");
        Map<String, Object> added = new LinkedHashMap<>();
        special(t, added, "unk_token", tokenizer, tokenizer.unkId());
        special(t, added, "bos_token", tokenizer, tokenizer.bosId());
        special(t, added, "eos_token", tokenizer, tokenizer.eosId());
        t.put("pad_token", null);
        t.put("add_bos_token", tokenizer.bosId() >= 0);
        t.put("add_eos_token", false);
        t.put("legacy", true);
        t.put("clean_up_tokenization_spaces", false);
        t.put("model_max_length", modelMaxLength);
        t.put("added_tokens_decoder", added);
        if (chatTemplate != null) {
            t.put("chat_template", chatTemplate.hfChatTemplate());
        }

        SamplingSettings defaults = SamplingSettings.defaults();
        Map<String, Object> g = new LinkedHashMap<>();
        if (tokenizer.bosId() >= 0) {
            g.put("bos_token_id", tokenizer.bosId());
        }
        g.put("eos_token_id", tokenizer.eosId());
        g.put("pad_token_id", tokenizer.eosId());
        g.put("do_sample", !defaults.isGreedy());
        if (!defaults.isGreedy()) {
            g.put("temperature", defaults.temperature());
            g.put("top_k", defaults.topK());
            g.put("top_p", defaults.topP());
        }
        g.put("max_new_tokens", defaults.maxNewTokens());
        try {
            return new HfInferenceFiles(JSON.writeValueAsString(t) + "\n", JSON.writeValueAsString(g) + "\n");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public String tokenizerConfig() {
        return tokenizerConfig;
    }

    public String generationConfig() {
        return generationConfig;
    }

    /** Writes both files into {@code dir}, each atomically. */
    public void writeTo(Path dir) {
        AtomicFiles.write(dir.resolve(TOKENIZER_CONFIG), tokenizerConfig);
        AtomicFiles.write(dir.resolve(GENERATION_CONFIG), generationConfig);
    }

    /** A special token as HF declares it: by piece, never split, never normalized, no stripping of neighbours. */
    private static void special(Map<String, Object> config, Map<String, Object> added, String key, Tokenizer tokenizer, int id) {
        if (id < 0) {
            return;
        }
        String piece = tokenizer.piece(id);
        config.put(key, piece);
        Map<String, Object> token = new LinkedHashMap<>();
        token.put("content", piece);
        token.put("lstrip", false);
        token.put("normalized", false);
        token.put("rstrip", false);
        token.put("single_word", false);
        token.put("special", true);
        added.put(Integer.toString(id), token);
    }
}
