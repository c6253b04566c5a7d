package org.twllm.data.corpus;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.twllm.data.shard.ShardKind;
import org.twllm.data.tokenizer.SentencePieceTokenizer;
import org.twllm.files.FileTrees;

/**
 * Throughput of {@code data prepare} (read, filter, tokenize, write shards) on a JSONL corpus, with 1 and
 * with N tokenizing threads, against encoding the same texts alone on one thread (the peer measured in
 * the same run). Not a test: run by {@code scripts/bench/data-prepare.sh}.
 * Arguments: MODEL CORPUS_JSONL [THREADS] [RUNS].
 */
public final class PrepareBenchmark {
    private PrepareBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        SentencePieceTokenizer tokenizer = SentencePieceTokenizer.load(Path.of(args[0]));
        Path corpus = Path.of(args[1]);
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int runs = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        ObjectMapper json = new ObjectMapper();
        List<String> texts = new ArrayList<>();
        long bytes = 0;
        for (String line : Files.readAllLines(corpus)) {
            String text = json.readTree(line).get("text").asText();
            texts.add(text);
            bytes += text.getBytes(StandardCharsets.UTF_8).length;
        }
        System.out.printf("corpus: %s, %d documents, %.2f MB of text%n", corpus, texts.size(), bytes / 1e6);

        double encodeOnly = best(runs, () -> {
            long sink = 0;
            for (String t : texts) {
                sink += tokenizer.encode(t).length;
            }
            return sink;
        });
        System.out.printf("encode only, 1 thread:       %.3f s = %6.2f MB/s%n", encodeOnly, bytes / 1e6 / encodeOnly);
        for (int n : new int[] {1, threads}) {
            double seconds = best(runs, () -> {
                Path out = Files.createTempDirectory("twllm-prepare-bench");
                try {
                    PrepareSettings settings = PrepareSettings.builder(ShardKind.CPT)
                            .source(SourceSpec.of(corpus, SourceFormat.JSONL)).threads(n).build();
                    return new CorpusPreparer(tokenizer, settings).prepare(out.resolve("shards")).tokensWritten();
                } finally {
                    FileTrees.deleteRecursively(out);
                }
            });
            System.out.printf("data prepare, %d thread(s):   %.3f s = %6.2f MB/s (%.2fx encode only)%n", n, seconds,
                    bytes / 1e6 / seconds, encodeOnly / seconds);
        }
    }

    private interface Work {
        long run() throws IOException;
    }

    /** Best wall time of {@code runs} runs after one warm-up run. */
    private static double best(int runs, Work work) throws IOException {
        work.run();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            work.run();
            best = Math.min(best, (System.nanoTime() - start) / 1e9);
        }
        return best;
    }
}
