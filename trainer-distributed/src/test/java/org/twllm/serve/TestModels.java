package org.twllm.serve;

import org.twllm.ModelFiles;
import org.twllm.core.engine.ParameterLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.generate.ChatPromptFormat;
import org.twllm.core.io.DType;
import org.twllm.core.io.HfModelDirectory;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.cpu.LlamaModel;
import org.twllm.core.engine.cpu.ParameterStore;
import org.twllm.data.chat.ChatTemplates;
import org.twllm.data.tokenizer.SentencePieceTokenizer;
import org.twllm.data.tokenizer.Tokenizer;

/** Model directories for the server's tests, each with the fixture tokenizer beside the weights. */
final class TestModels {
    static final Path FIXTURES = Path.of(System.getProperty("twllm.fixtures"));
    static final Path TOKENIZER_FILE = FIXTURES.resolve("tokenizer/zh-tw-bpe-8k.model");
    static final Tokenizer TOKENIZER = SentencePieceTokenizer.load(TOKENIZER_FILE);

    private TestModels() {
    }

    /** A small random model (hidden 32, one layer, GQA, context 512). */
    static Path random(Path dir) {
        LlamaConfig config = new LlamaConfig(32, 64, 1, 4, 2, TOKENIZER.vocabSize(), 512, 1e-5, 10000.0, false);
        return withTokenizer(ModelFiles.saveRandom(config, 3, 0.2, dir));
    }

    /**
     * A model that answers every Taiwan-LLM chat prompt with exactly {@code reply}'s ids, then EOS, at any
     * temperature up to 2: a one-layer model whose attention and MLP write nothing, so each next token
     * depends on the current one only; the embedding puts each token of the chain (the prompt's last
     * token, then the reply's) on its own axis, and the head maps that axis to the token that follows.
     * The chain's tokens must be distinct (byte-fallback pieces can stand in for repeated text).
     */
    static Path scripted(Path dir, int[] reply) {
        return scripted(dir, reply, false, 512);
    }

    /**
     * As {@link #scripted(Path, int[])}; with {@code loop} the reply starts over instead of ending (EOS
     * never comes: generation runs until max_tokens), in a context of {@code context} positions.
     */
    static Path scripted(Path dir, int[] reply, boolean loop, int context) {
        int hidden = 64;
        LlamaConfig config = new LlamaConfig(hidden, 64, 1, 4, 2, TOKENIZER.vocabSize(), context, 1e-5, 10000.0, false);
        LlamaModel model = LlamaModel.random(config, DataType.FLOAT, 1, 0.0);
        ParameterStore p = model.parameters();
        p.params().assign(0);
        for (String norm : List.of(ParameterLayout.layerPrefix(0) + "input_layernorm.weight",
                ParameterLayout.layerPrefix(0) + "post_attention_layernorm.weight", "model.norm.weight")) {
            p.param(norm).assign(1);
        }
        int[] chain = new int[reply.length + 1];
        chain[0] = lastPromptToken();
        System.arraycopy(reply, 0, chain, 1, reply.length);
        if (chain.length > hidden) {
            throw new IllegalArgumentException("a scripted reply has at most " + (hidden - 1) + " tokens");
        }
        INDArray embed = p.param("model.embed_tokens.weight");
        INDArray head = p.param("lm_head.weight");
        Map<Integer, Integer> axis = new HashMap<>();
        for (int i = 0; i < chain.length; i++) {
            if (axis.put(chain[i], i) != null) {
                throw new IllegalArgumentException("token " + chain[i] + " appears twice in the chain; use byte pieces for repeats");
            }
            embed.putScalar(new long[] {chain[i], i}, 1.0);
            int next = i + 1 < chain.length ? chain[i + 1] : loop ? chain[1] : TOKENIZER.eosId();
            head.putScalar(new long[] {next, i}, 100.0);
        }
        return save(model, dir);
    }

    /** The last id of every Taiwan-LLM prompt (the end of "ASSISTANT:"), after which the reply starts. */
    static int lastPromptToken() {
        int[] prompt = new ChatPromptFormat(ChatTemplates.byName("taiwan-llm", null, null), TOKENIZER).prompt("你好");
        return prompt[prompt.length - 1];
    }

    /** The ids of {@code text} written with byte-fallback pieces, one per UTF-8 byte. */
    static int[] bytePieces(String text) {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            String piece = String.format("<0x%02X>", bytes[i] & 0xFF);
            ids[i] = pieceId(piece);
        }
        return ids;
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int pieceId(String piece) {
        for (int id = 0; id < TOKENIZER.vocabSize(); id++) {
            if (TOKENIZER.piece(id).equals(piece)) {
                return id;
            }
        }
        throw new IllegalArgumentException("the tokenizer has no piece " + piece);
    }

    private static Path save(LlamaModel model, Path dir) {
        HfModelDirectory.save(model.config(), model.parameters()::copyOut, dir, DType.F32);
        return withTokenizer(dir);
    }

    private static Path withTokenizer(Path dir) {
        try {
            Files.copy(TOKENIZER_FILE, dir.resolve(Checkpoint.TOKENIZER_FILE));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** Settings for a test server on a free loopback port. */
    static ServeSettings settings(Path model, Path log, String apiKey, int maxConcurrent, int maxQueue) {
        return new ServeSettings(model, null, "taiwan-llm", null, 0, "127.0.0.1", 0, log, apiKey, maxConcurrent, maxQueue, null);
    }
}
