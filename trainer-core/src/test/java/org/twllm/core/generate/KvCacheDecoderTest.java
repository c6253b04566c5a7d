package org.twllm.core.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.twllm.core.engine.Decoder;
import org.twllm.core.engine.Engine;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.TokenBatch;
import org.twllm.core.engine.cpu.TestEngines;
import org.twllm.data.tokenizer.CodePointTokenizer;

/**
 * The KV-cache decoder against the model itself: every step's logits must equal those of
 * the CPU model's full forward pass ({@link TestEngines#logits}) re-run on the whole sequence, and generation must pick the same tokens.
 */
class KvCacheDecoderTest {
    /** GQA (4 query heads, 2 kv heads), 2 layers, untied head; weights large enough that logits are well spread. */
    private static final LlamaConfig CONFIG = new LlamaConfig(32, 64, 2, 4, 2, 61, 64, 1e-5, 10000.0, false);
    private static final Engine MODEL = TestEngines.random(CONFIG, 7, 0.3);
    private static final int[] PROMPT = {1, 17, 5, 42, 9, 33};

    /** Logits of the last position of {@code seq}, by a full forward of the model over the whole sequence. */
    private static float[] fullLastLogits(int[] seq) {
        int[] targets = new int[seq.length];
        Arrays.fill(targets, TokenBatch.IGNORE);
        return TestEngines.logits(MODEL, TokenBatch.causal(new int[][] {seq}, new int[][] {targets}))[seq.length - 1];
    }

    static float maxAbsDiff(float[] a, float[] b) {
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    @Test
    void promptLogitsEqualTheModelsAtEveryPosition() {
        KvCacheDecoder decoder = new KvCacheDecoder(MODEL.decoder(), 32);
        float[][] cached = decoder.forward(PROMPT, true);
        int[] targets = new int[PROMPT.length];
        Arrays.fill(targets, TokenBatch.IGNORE);
        float[][] full = TestEngines.logits(MODEL, TokenBatch.causal(new int[][] {PROMPT}, new int[][] {targets}));
        for (int t = 0; t < PROMPT.length; t++) {
            assertTrue(maxAbsDiff(cached[t], full[t]) < 1e-4f, "position " + t);
        }
        assertEquals(PROMPT.length, decoder.length());
    }

    @Test
    void cachedGenerationEqualsFullRecomputationTokenByToken() {
        for (SamplingSettings settings : List.of(SamplingSettings.greedy(12),
                new SamplingSettings(12, 0.9, 20, 0.95, 123, List.of()))) {
            KvCacheDecoder decoder = new KvCacheDecoder(MODEL.decoder(), 64);
            TokenSampler cachedSampler = new TokenSampler(settings);
            TokenSampler fullSampler = new TokenSampler(settings);
            int[] seq = PROMPT.clone();
            float[] logits = decoder.forwardLast(PROMPT);
            float worst = 0;
            for (int step = 0; step < settings.maxNewTokens(); step++) {
                float[] reference = fullLastLogits(seq);
                worst = Math.max(worst, maxAbsDiff(logits, reference));
                int token = cachedSampler.next(logits);
                assertEquals(fullSampler.next(reference), token, "step " + step);
                seq = Arrays.copyOf(seq, seq.length + 1);
                seq[seq.length - 1] = token;
                logits = decoder.forwardLast(new int[] {token});
            }
            assertTrue(worst < 1e-4f, "max logit difference " + worst);
        }
    }

    @Test
    void generatorReusesTheCachedPrefixOfTheNextPrompt() {
        Decoder weights = MODEL.decoder();
        CodePointTokenizer tokenizer = CodePointTokenizer.withVocab(CONFIG.vocabSize());
        Generator chat = new Generator(weights, tokenizer, 64);
        GenerationResult first = chat.generate(PROMPT, SamplingSettings.greedy(5));
        int[] followUp = concat(PROMPT, first.tokens(), new int[] {3, 4});
        GenerationResult second = chat.generate(followUp, SamplingSettings.greedy(5));
        // Everything but the last generated token (never run through the model) came from the cache.
        assertEquals(PROMPT.length + first.tokens().length - 1, second.reusedTokens());
        GenerationResult fresh = new Generator(weights, tokenizer, 64).generate(followUp, SamplingSettings.greedy(5));
        assertArrayEquals(fresh.tokens(), second.tokens());
        assertEquals(0, fresh.reusedTokens());
    }

    @Test
    void aPaddedVocabularysExtraRowsAreNeverGenerated() {
        Decoder weights = MODEL.decoder();
        int pieces = 40; // the model has 61 rows: 21 of padding
        int[] unmasked = new Generator(weights, CodePointTokenizer.withVocab(CONFIG.vocabSize()), 64)
                .generate(PROMPT, SamplingSettings.greedy(30)).tokens();
        assertTrue(Arrays.stream(unmasked).anyMatch(t -> t >= pieces), "the padded rows win somewhere unmasked");
        for (SamplingSettings s : List.of(SamplingSettings.greedy(30), new SamplingSettings(30, 1.5, 0, 1.0, 3, List.of()))) {
            int[] masked = new Generator(weights, CodePointTokenizer.withVocab(pieces), 64).generate(PROMPT, s).tokens();
            assertTrue(Arrays.stream(masked).allMatch(t -> t < pieces), Arrays.toString(masked));
        }
    }

    @Test
    void stopsAtMaxTokensAndWhenTheContextIsFull() {
        Generator g = new Generator(MODEL.decoder(), CodePointTokenizer.withVocab(CONFIG.vocabSize()), 10);
        GenerationResult r = g.generate(PROMPT, SamplingSettings.greedy(50));
        assertEquals(GenerationResult.StopReason.CONTEXT_FULL, r.stopReason());
        assertEquals(10 - PROMPT.length + 1, r.tokens().length);
        GenerationResult two = new Generator(MODEL.decoder(), CodePointTokenizer.withVocab(CONFIG.vocabSize()), 64)
                .generate(PROMPT, SamplingSettings.greedy(2));
        assertEquals(GenerationResult.StopReason.MAX_NEW_TOKENS, two.stopReason());
        assertEquals(2, two.tokens().length);
    }

    private static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
