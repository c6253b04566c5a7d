package org.twllm.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.io.HfModelDirectory;
import org.twllm.core.model.LlamaModel;
import org.twllm.core.model.TokenBatch;
import org.twllm.data.tokenizer.SentencePieceTokenizer;
import org.twllm.data.tokenizer.Tokenizer;
import org.twllm.errors.ConfigException;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code twllm score}: per-token log-probabilities of a token sequence under a HF Llama directory, so the
 * model can be compared with any other implementation; or the perplexity of a JSONL file's texts.
 */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = {"Print log p(token | earlier tokens) for every token after the first, as a JSON array,",
            "or with --perplexity the mean loss and perplexity over a JSONL file's \"text\" fields."})
public final class ScoreCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "A HuggingFace Llama directory (config.json, model.safetensors).")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--ids", paramLabel = "JSON", description = "Token ids as a JSON array, e.g. '[1, 523, 88]'.")
        String ids;

        @Option(names = "--text", paramLabel = "TEXT", description = "Text to encode with --tokenizer (BOS is added).")
        String text;

        @Option(names = "--perplexity", paramLabel = "FILE", description = "A JSONL file whose objects have a \"text\" field (needs --tokenizer).")
        Path perplexity;
    }

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "SentencePiece .model file for --text and --perplexity.")
    Path tokenizerFile;

    @Override
    public Integer call() throws IOException {
        if (input.ids != null) {
            LlamaModel m = Checkpoint.loadModel(model);
            System.out.println(JSON.writeValueAsString(logProbs(m, parseIds(input.ids))));
            return Main.EXIT_OK;
        }
        if (tokenizerFile == null) {
            throw new ConfigException((input.text != null ? "--text" : "--perplexity") + " needs --tokenizer FILE (the model's SentencePiece .model)");
        }
        Tokenizer tokenizer = SentencePieceTokenizer.load(tokenizerFile);
        HfModelDirectory.readConfig(model).requireVocab(tokenizer.vocabSize());
        LlamaModel m = Checkpoint.loadModel(model);
        if (input.text != null) {
            System.out.println(JSON.writeValueAsString(logProbs(m, withBos(tokenizer, input.text))));
        } else {
            System.out.println(JSON.writeValueAsString(perplexity(m, tokenizer, input.perplexity)));
        }
        return Main.EXIT_OK;
    }

    private static int[] withBos(Tokenizer tokenizer, String text) {
        int[] body = tokenizer.encode(text);
        int[] ids = new int[body.length + 1];
        ids[0] = tokenizer.bosId();
        System.arraycopy(body, 0, ids, 1, body.length);
        return ids;
    }

    /** log p(ids[t] | ids[0..t)) for t >= 1. */
    private static float[] logProbs(LlamaModel m, int[] ids) {
        if (ids.length < 2) {
            return new float[0];
        }
        int max = m.config().maxPositionEmbeddings();
        if (ids.length - 1 > max) {
            throw new ConfigException(ids.length + " tokens need " + (ids.length - 1) + " positions but the model's max_position_embeddings is "
                    + max + "; score at most " + (max + 1) + " tokens");
        }
        return m.targetLogProbs(window(ids, 0, ids.length - 1));
    }

    /** Inputs ids[start, start+len), targets ids[start+1, start+len+1). */
    private static TokenBatch window(int[] ids, int start, int len) {
        int[] in = new int[len];
        int[] tg = new int[len];
        System.arraycopy(ids, start, in, 0, len);
        System.arraycopy(ids, start + 1, tg, 0, len);
        return TokenBatch.causal(new int[][] {in}, new int[][] {tg});
    }

    /**
     * Mean next-token loss over every document (BOS + text); documents longer than the context are scored
     * in consecutive windows of max_position_embeddings predictions.
     */
    private static Map<String, Object> perplexity(LlamaModel m, Tokenizer tokenizer, Path file) throws IOException {
        int max = m.config().maxPositionEmbeddings();
        double lossSum = 0;
        long tokens = 0;
        int documents = 0;
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                lines.add(line);
            }
        } catch (NoSuchFileException e) {
            throw new ConfigException("--perplexity file " + file + " does not exist");
        }
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(lines.get(i));
            } catch (IOException e) {
                throw new ConfigException(file + ":" + (i + 1) + ": not a JSON object (" + e.getMessage().split("\n")[0] + ")");
            }
            JsonNode text = node == null ? null : node.get("text");
            if (text == null || !text.isTextual()) {
                throw new ConfigException(file + ":" + (i + 1) + ": needs a string field \"text\"");
            }
            int[] ids = withBos(tokenizer, text.textValue());
            for (int start = 0; start < ids.length - 1; start += max) {
                int len = Math.min(max, ids.length - 1 - start);
                lossSum += m.loss(window(ids, start, len));
                tokens += len;
            }
            documents++;
        }
        if (tokens == 0) {
            throw new ConfigException(file + " holds no text to score");
        }
        double mean = lossSum / tokens;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("file", file.toString());
        out.put("documents", documents);
        out.put("tokens", tokens);
        out.put("mean_loss", mean);
        out.put("perplexity", Math.exp(mean));
        return out;
    }

    private static int[] parseIds(String json) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (IOException e) {
            node = null;
        }
        if (node == null || !node.isArray()) {
            throw new ConfigException("--ids must be a JSON array of token ids, e.g. '[1, 523, 88]'; got " + json);
        }
        int[] ids = new int[node.size()];
        for (int i = 0; i < ids.length; i++) {
            if (!node.get(i).canConvertToInt() || !node.get(i).isIntegralNumber()) {
                throw new ConfigException("--ids entry " + i + " is not an integer token id: " + node.get(i));
            }
            ids[i] = node.get(i).intValue();
        }
        return ids;
    }
}
