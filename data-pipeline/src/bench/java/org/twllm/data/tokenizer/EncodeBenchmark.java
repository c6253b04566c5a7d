package org.twllm.data.tokenizer;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Encoding throughput of {@link SentencePieceTokenizer} on a text file, measured the way {@code spm_encode
 * --output_format=id} works: each line is one text, the output is one line of space-separated ids per input line.
 * Warms the JIT up first, then times whole passes (encode and format, single thread) and reports the best, in
 * wall time and in this thread's CPU time (the fairer figure on a machine shared with other work).
 * Writes the ids of the last pass to the output file so a script can compare them with spm_encode's.
 *
 * <p>Usage: {@code EncodeBenchmark MODEL INPUT_TXT OUTPUT_IDS [WARMUP_SECONDS] [PASSES]}; run by
 * {@code scripts/bench/tokenizer.sh}.
 */
public final class EncodeBenchmark {
    private EncodeBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: EncodeBenchmark MODEL INPUT_TXT OUTPUT_IDS [WARMUP_SECONDS] [PASSES]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        Path input = Path.of(args[1]);
        Path output = Path.of(args[2]);
        double warmupSeconds = args.length > 3 ? Double.parseDouble(args[3]) : 5;
        int passes = args.length > 4 ? Integer.parseInt(args[4]) : 5;

        long loadStart = System.nanoTime();
        SentencePieceTokenizer tokenizer = SentencePieceTokenizer.load(model);
        double loadMs = (System.nanoTime() - loadStart) / 1e6;
        List<String> lines = Files.readAllLines(input, StandardCharsets.UTF_8);
        long bytes = Files.size(input);

        long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        while (System.nanoTime() < warmupEnd) {
            encodeAll(tokenizer, lines);
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        double best = Double.MAX_VALUE;
        double bestCpu = Double.MAX_VALUE;
        StringBuilder out = null;
        long tokens = 0;
        for (int pass = 0; pass < passes; pass++) {
            long start = System.nanoTime();
            long cpuStart = threads.getCurrentThreadCpuTime();
            out = encodeAll(tokenizer, lines);
            bestCpu = Math.min(bestCpu, (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9);
            best = Math.min(best, (System.nanoTime() - start) / 1e9);
        }
        for (String line : lines) {
            tokens += tokenizer.encode(line).length;
        }
        Files.writeString(output, out, StandardCharsets.UTF_8);
        System.out.printf("twllm: model loaded in %.0f ms; %d lines, %.2f MB, %d tokens; best of %d passes:"
                + " wall %.3f s = %.2f MB/s, cpu %.3f s = %.2f MB/s%n",
                loadMs, lines.size(), bytes / 1e6, tokens, passes, best, bytes / 1e6 / best, bestCpu, bytes / 1e6 / bestCpu);
    }

    private static StringBuilder encodeAll(SentencePieceTokenizer tokenizer, List<String> lines) {
        StringBuilder out = new StringBuilder(lines.size() * 64);
        for (String line : lines) {
            int[] ids = tokenizer.encode(line);
            for (int i = 0; i < ids.length; i++) {
                if (i > 0) {
                    out.append(' ');
                }
                out.append(ids[i]);
            }
            out.append('\n');
        }
        return out;
    }
}
