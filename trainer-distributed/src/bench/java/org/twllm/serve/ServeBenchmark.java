package org.twllm.serve;

import org.twllm.ModelFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.io.HfModelDirectory;
import org.twllm.core.engine.LlamaConfig;

/**
 * Serving speed as a client sees it: a random model of the given shape behind a real {@link ChatServer}
 * on loopback, asked over HTTP with streamed chat completions, first one stream alone, then
 * {@code streams} at once (one continuous batch). Prints time to first token (request sent to first
 * text chunk received) and tokens/s per stream and in total. Not a test: scripts/bench/serve.sh runs it.
 *
 * <p>Arguments {@code key=value}: hidden, intermediate, layers, heads, kvHeads (the model; vocab is the
 * fixture tokenizer's 8,000), tokens (max_tokens per request), streams, rounds (of the concurrent test),
 * and {@code dir=PATH} where the model is written (reused when it is there).
 */
public final class ServeBenchmark {
    private static final String QUESTION = "請用三句話介紹臺灣的玉山，包括它的高度、位置和登山路線。";

    private ServeBenchmark() {
    }

    /** One request's figures: seconds to its first text chunk, seconds from there to its end, tokens generated. */
    private record Stream(double firstTokenSeconds, double decodeSeconds, int tokens) {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>(Map.of("hidden", "192", "intermediate", "512", "layers", "4", "heads", "6",
                "kvHeads", "2", "tokens", "64", "streams", "8", "rounds", "2", "dir", "trainer-distributed/target/serve-bench"));
        for (String arg : args) {
            String[] kv = arg.split("=", 2);
            if (kv.length != 2 || !a.containsKey(kv[0])) {
                throw new IllegalArgumentException("expected key=value with key in " + a.keySet() + ", got " + arg);
            }
            a.put(kv[0], kv[1]);
        }
        int tokens = Integer.parseInt(a.get("tokens"));
        int streams = Integer.parseInt(a.get("streams"));
        Path tokenizer = Path.of(System.getProperty("twllm.home", "."), "src-test-fixtures/tokenizer/zh-tw-bpe-8k.model");
        LlamaConfig config = new LlamaConfig(Integer.parseInt(a.get("hidden")), Integer.parseInt(a.get("intermediate")),
                Integer.parseInt(a.get("layers")), Integer.parseInt(a.get("heads")), Integer.parseInt(a.get("kvHeads")), 8000, 1024,
                1e-5, 10000.0, false);
        Path model = Path.of(a.get("dir")).resolve(String.format(Locale.ROOT, "h%d-i%d-l%d-a%d-kv%d", config.hiddenSize(),
                config.intermediateSize(), config.numLayers(), config.numHeads(), config.numKvHeads()));
        if (!Files.isRegularFile(model.resolve(HfModelDirectory.CONFIG))) {
            ModelFiles.saveRandom(config, 1, 0.02, model);
        }
        Files.copy(tokenizer, model.resolve(Checkpoint.TOKENIZER_FILE), StandardCopyOption.REPLACE_EXISTING);
        System.out.printf(Locale.ROOT, "model: %.1fM parameters (hidden %d, intermediate %d, layers %d, heads %d/%d kv, vocab %d); "
                        + "%d new tokens per request, greedy; %d CPUs%n", config.numParameters() / 1e6, config.hiddenSize(),
                config.intermediateSize(), config.numLayers(), config.numHeads(), config.numKvHeads(), config.vocabSize(), tokens,
                Runtime.getRuntime().availableProcessors());

        Path log = Files.createTempFile("serve-bench", ".jsonl");
        try (ChatServer server = ChatServer.start(new ServeSettings(model, null, "taiwan-llm", null, 0, "127.0.0.1", 0, log, null,
                streams, streams, null))) {
            HttpClient client = HttpClient.newHttpClient();
            URI url = server.url().resolve("/v1/chat/completions");
            request(client, url, Math.min(tokens, 8)); // warm-up: JIT, BLAS threads
            Stream one = request(client, url, tokens);
            print("1 stream", List.of(one), one.firstTokenSeconds() + one.decodeSeconds());
            ExecutorService pool = Executors.newFixedThreadPool(streams);
            try {
                for (int round = 0; round < Integer.parseInt(a.get("rounds")); round++) {
                    List<Callable<Stream>> calls = new ArrayList<>();
                    for (int i = 0; i < streams; i++) {
                        calls.add(() -> request(client, url, tokens));
                    }
                    long start = System.nanoTime();
                    List<Stream> results = new ArrayList<>();
                    for (Future<Stream> f : pool.invokeAll(calls)) {
                        results.add(f.get());
                    }
                    print(streams + " streams", results, (System.nanoTime() - start) / 1e9);
                }
            } finally {
                pool.shutdownNow();
            }
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static void print(String label, List<Stream> results, double wallSeconds) {
        double ttft = results.stream().mapToDouble(Stream::firstTokenSeconds).average().orElse(Double.NaN);
        double maxTtft = results.stream().mapToDouble(Stream::firstTokenSeconds).max().orElse(Double.NaN);
        double perStream = results.stream().mapToDouble(s -> s.tokens() / (s.firstTokenSeconds() + s.decodeSeconds())).average()
                .orElse(Double.NaN);
        int total = results.stream().mapToInt(Stream::tokens).sum();
        System.out.printf(Locale.ROOT, "%-10s time to first token %.3f s (max %.3f s); %.1f tokens/s per stream; %.1f tokens/s in total"
                + " (%d tokens in %.2f s)%n", label + ":", ttft, maxTtft, perStream, total / wallSeconds, total, wallSeconds);
    }

    /** One streamed completion, timed from sending the request. */
    private static Stream request(HttpClient client, URI url, int maxTokens) throws IOException, InterruptedException {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + QUESTION + "\"}],\"max_tokens\":" + maxTokens
                + ",\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
        long start = System.nanoTime();
        HttpResponse<java.io.InputStream> response = client.send(HttpRequest.newBuilder(url).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("the server answered " + response.statusCode() + ": " + new String(response.body().readAllBytes(),
                    StandardCharsets.UTF_8));
        }
        long first = 0;
        int generated = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.startsWith("data: {")) {
                    continue;
                }
                JsonNode chunk = HttpResponses.JSON.readTree(line.substring(6));
                JsonNode choice = chunk.path("choices").path(0);
                if (first == 0 && choice.path("delta").path("content").asText("").length() > 0) {
                    first = System.nanoTime();
                }
                if (chunk.path("usage").isObject()) {
                    generated = chunk.get("usage").get("completion_tokens").asInt();
                }
            }
        }
        long end = System.nanoTime();
        if (first == 0) {
            first = end;
        }
        return new Stream((first - start) / 1e9, (end - first) / 1e9, generated);
    }
}
