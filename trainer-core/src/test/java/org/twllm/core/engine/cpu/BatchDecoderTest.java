package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.twllm.core.engine.KvCache;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.generate.KvCacheDecoder;
import org.twllm.core.generate.TokenSampler;

/**
 * Several sequences in one forward (continuous batching) against each run alone: a batch that mixes a
 * prompt being prefilled, a prompt chunk after a cached part and single decode tokens gives every
 * sequence the logits it gets by itself, and greedy decoding in a batch picks the same tokens.
 */
class BatchDecoderTest {
    private static final LlamaConfig CONFIG = new LlamaConfig(32, 64, 2, 4, 2, 61, 64, 1e-5, 10000.0, false);
    private static final DecoderWeights WEIGHTS = DecoderWeights.of(LlamaModel.random(CONFIG, DataType.FLOAT, 11, 0.3).parameters());

    private static float maxAbsDiff(float[] a, float[] b) {
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
    private static final int[][] PROMPTS = {{1, 17, 5, 42, 9, 33}, {1, 8}, {1, 50, 51, 52, 53, 54, 55, 56, 57, 3}};

    @Test
    void aMixedBatchGivesEachSequenceItsOwnLogits() {
        BatchDecoder decoder = new BatchDecoder(WEIGHTS);
        KvCache[] caches = {decoder.newCache(32), decoder.newCache(32), decoder.newCache(32)};
        // Sequence 2 has its first four tokens cached already; the batch runs the rest of it (a chunk),
        // all of sequence 0's prompt and all of sequence 1's.
        decoder.forwardLast(new KvCache[] {caches[2]}, new int[][] {java.util.Arrays.copyOf(PROMPTS[2], 4)});
        int[][] batch = {PROMPTS[0], PROMPTS[1], java.util.Arrays.copyOfRange(PROMPTS[2], 4, PROMPTS[2].length)};
        float[][] batched = decoder.forwardLast(caches, batch);
        for (int i = 0; i < PROMPTS.length; i++) {
            float[] alone = new KvCacheDecoder(new BatchDecoder(WEIGHTS), 32).forwardLast(PROMPTS[i]);
            assertTrue(maxAbsDiff(alone, batched[i]) < 1e-5f, "sequence " + i);
            assertEquals(PROMPTS[i].length, caches[i].length());
        }
    }

    @Test
    void greedyDecodingInABatchPicksTheTokensOfDecodingAlone() {
        int steps = 10;
        BatchDecoder decoder = new BatchDecoder(WEIGHTS);
        KvCache[] caches = new KvCache[PROMPTS.length];
        for (int i = 0; i < caches.length; i++) {
            caches[i] = decoder.newCache(40);
        }
        float[][] logits = decoder.forwardLast(caches, PROMPTS);
        int[][] batchedTokens = new int[PROMPTS.length][steps];
        for (int s = 0; s < steps; s++) {
            int[][] next = new int[PROMPTS.length][];
            for (int i = 0; i < PROMPTS.length; i++) {
                batchedTokens[i][s] = TokenSampler.argmax(logits[i]);
                next[i] = new int[] {batchedTokens[i][s]};
            }
            logits = decoder.forwardLast(caches, next);
        }
        for (int i = 0; i < PROMPTS.length; i++) {
            KvCacheDecoder alone = new KvCacheDecoder(new BatchDecoder(WEIGHTS), 40);
            float[] l = alone.forwardLast(PROMPTS[i]);
            for (int s = 0; s < steps; s++) {
                int token = TokenSampler.argmax(l);
                assertEquals(token, batchedTokens[i][s], "sequence " + i + " step " + s);
                l = alone.forwardLast(new int[] {token});
            }
        }
    }

    @Test
    void theCacheKnowsWhichPrefixANextSequenceShares() {
        BatchDecoder decoder = new BatchDecoder(WEIGHTS);
        KvCache cache = decoder.newCache(32);
        decoder.forwardLast(new KvCache[] {cache}, new int[][] {PROMPTS[0]});
        assertEquals(4, cache.sharedPrefix(new int[] {1, 17, 5, 42, 60, 60}));
        assertEquals(PROMPTS[0].length - 1, cache.sharedPrefix(PROMPTS[0]), "the last token is always run again");
        assertEquals(0, cache.sharedPrefix(new int[] {2, 17}));
        cache.truncate(2);
        assertEquals(2, cache.sharedPrefix(new int[] {1, 17, 5, 42}));
        assertThrows(IllegalArgumentException.class, () -> decoder.forwardLast(new KvCache[] {cache, cache}, new int[][] {{1}, {2}}));
        assertThrows(IllegalStateException.class, () -> decoder.forwardLast(new KvCache[] {cache}, new int[][] {new int[31]}));
    }
}
