package org.twllm.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.eval.EvalExamples;
import org.twllm.core.eval.LossAccumulator;
import org.twllm.core.eval.Perplexity;
import org.twllm.core.eval.TaskFileReader;
import org.twllm.core.eval.TokenLogProbs;
import org.twllm.core.generate.ModelSession;
import org.twllm.errors.ConfigException;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code twllm score}: per-token log-probabilities of a token sequence under a HF Llama directory, so the
 * model can be compared with any other implementation ({@link TokenLogProbs}); or the perplexity of a
 * JSONL file's texts ({@link Perplexity}, as {@code twllm eval} computes it).
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

        @Option(names = "--perplexity", paramLabel = "FILE",
                description = "A JSONL file whose objects have a \"text\" field (needs --tokenizer); scored as 'twllm eval' does.")
        Path perplexity;
    }

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "SentencePiece .model file for --text and --perplexity.")
    Path tokenizerFile;

    @Override
    public Integer call() throws IOException {
        if (input.ids != null) {
            print(TokenLogProbs.of(Checkpoint.loadModel(model), parseIds(input.ids)));
            return Main.EXIT_OK;
        }
        if (tokenizerFile == null) {
            throw new ConfigException((input.text != null ? "--text" : "--perplexity") + " needs --tokenizer FILE (the model's SentencePiece .model)");
        }
        ModelSession session = ModelSession.open(model, Checkpoint::loadModel, tokenizerFile, null, null);
        if (input.text != null) {
            print(TokenLogProbs.ofText(session.model(), session.tokenizer(), input.text));
            return Main.EXIT_OK;
        }
        List<EvalExamples.Text> texts = TaskFileReader.readText(input.perplexity);
        LossAccumulator total = new Perplexity(session.languageModel(0), session.tokenizer())
                .score(texts.stream().map(EvalExamples.Text::text).toList()).total();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("file", input.perplexity.toString());
        out.put("documents", texts.size());
        out.put("tokens", total.tokens());
        out.put("mean_loss", total.meanLoss());
        out.put("perplexity", total.perplexity());
        print(out);
        return Main.EXIT_OK;
    }

    private static void print(Object value) throws IOException {
        System.out.println(JSON.writeValueAsString(value));
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
