package org.twllm.data.shard;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.twllm.files.FileTrees;

/**
 * Streaming read of a shard set larger than the JVM heap: writes {@code TOKENS} random uint16 tokens in
 * documents of 1-2,000 tokens, then reads the whole stream in 4,096-token windows through
 * {@link ShardSet#readTokens}, printing tokens/s (against copying the same count from an in-heap array,
 * the peer) and the heap in use before and after (it stays flat: the data is memory-mapped, not loaded).
 * Not a test: run by {@code scripts/bench/data-prepare.sh}. Arguments: [TOKENS] [DIR].
 */
public final class ShardReadBenchmark {
    private ShardReadBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        long tokens = args.length > 0 ? Long.parseLong(args[0]) : 300_000_000L;
        Path dir = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("twllm-shard-bench");
        Path shards = dir.resolve("shards");
        try {
            long start = System.nanoTime();
            java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
            try (ShardWriter w = ShardWriter.create(shards, ShardKind.CPT, "bench", 32000)) {
                int[] doc = new int[2000];
                for (long written = 0; written < tokens; ) {
                    int len = (int) Math.min(1 + rnd.nextInt(2000), tokens - written);
                    for (int i = 0; i < len; i++) {
                        doc[i] = rnd.nextInt(32000);
                    }
                    w.append(java.util.Arrays.copyOf(doc, len));
                    written += len;
                }
                w.finish();
            }
            double writeSeconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("wrote %d tokens (%.0f MB) in %.1f s = %.1f M tokens/s%n", tokens, 2 * tokens / 1e6, writeSeconds,
                    tokens / 1e6 / writeSeconds);

            Runtime rt = Runtime.getRuntime();
            System.gc();
            long heapBefore = rt.totalMemory() - rt.freeMemory();
            ShardSet set = ShardSet.open(shards, false); // verification is timed on its own below
            int[] window = new int[4096];
            long sum = 0;
            start = System.nanoTime();
            for (long pos = 0; pos < set.numTokens(); pos += window.length) {
                int n = (int) Math.min(window.length, set.numTokens() - pos);
                set.readTokens(pos, window, 0, n);
                sum += window[0];
            }
            double readSeconds = (System.nanoTime() - start) / 1e9;
            System.gc();
            long heapAfter = rt.totalMemory() - rt.freeMemory();

            int[] heapArray = new int[1 << 24];
            start = System.nanoTime();
            for (long pos = 0; pos < tokens; pos += window.length) {
                System.arraycopy(heapArray, (int) (pos & ((1 << 24) - 1) & ~4095), window, 0, window.length);
                sum += window[0];
            }
            double copySeconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("read  %d tokens in %.2f s = %.0f M tokens/s (in-heap array copy: %.0f M tokens/s, %.2fx)%n",
                    set.numTokens(), readSeconds, tokens / 1e6 / readSeconds, tokens / 1e6 / copySeconds, copySeconds / readSeconds);
            System.out.printf("heap in use: %.1f MB before, %.1f MB after reading %.0f MB of shards (max heap %.0f MB) [%d]%n",
                    heapBefore / 1e6, heapAfter / 1e6, 2 * tokens / 1e6, rt.maxMemory() / 1e6, sum & 1);
            start = System.nanoTime();
            set.verify();
            double verifySeconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("verify (CRC32C of every byte): %.2f s = %.0f MB/s%n", verifySeconds, 2 * tokens / 1e6 / verifySeconds);
        } finally {
            if (args.length < 2) {
                FileTrees.deleteRecursively(dir);
            }
        }
    }
}
