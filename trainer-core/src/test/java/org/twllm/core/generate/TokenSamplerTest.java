package org.twllm.core.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class TokenSamplerTest {
    // Probabilities at temperature 1: softmax(log [0.5, 0.2, 0.2, 0.1]).
    private static final float[] LOGITS = {(float) Math.log(0.2), (float) Math.log(0.5), (float) Math.log(0.1), (float) Math.log(0.2)};

    @Test
    void greedyTakesTheArgmax() {
        assertEquals(1, new TokenSampler(SamplingSettings.greedy(4)).next(LOGITS));
    }

    @Test
    void drawsFallIntoCumulativeIntervalsOfTheSortedDistribution() {
        // Sorted: id1 0.5, id0 0.2, id3 0.2 (tie broken by id), id2 0.1.
        assertEquals(1, TokenSampler.sample(LOGITS, 1, 0, 1, 0.49));
        assertEquals(0, TokenSampler.sample(LOGITS, 1, 0, 1, 0.51));
        assertEquals(3, TokenSampler.sample(LOGITS, 1, 0, 1, 0.71));
        assertEquals(2, TokenSampler.sample(LOGITS, 1, 0, 1, 0.95));
    }

    @Test
    void topKAndTopPRenormaliseTheKeptTokens() {
        // top-k 2 keeps 0.5 and 0.2: id1 with u < 5/7.
        assertEquals(1, TokenSampler.sample(LOGITS, 1, 2, 1, 0.70));
        assertEquals(0, TokenSampler.sample(LOGITS, 1, 2, 1, 0.72));
        // top-p 0.6: 0.5 < 0.6, 0.7 >= 0.6 keeps id1, id0; top-p 0.5 keeps id1 only.
        assertEquals(0, TokenSampler.sample(LOGITS, 1, 0, 0.6, 0.99));
        assertEquals(1, TokenSampler.sample(LOGITS, 1, 0, 0.5, 0.99));
        // Low temperature sharpens towards the argmax: 0.5^10 dominates.
        assertEquals(1, TokenSampler.sample(LOGITS, 0.1, 0, 1, 0.99));
    }

    @Test
    void sameSeedSameDraws() {
        SamplingSettings s = new SamplingSettings(8, 1.0, 0, 1.0, 42, List.of());
        TokenSampler a = new TokenSampler(s);
        TokenSampler b = new TokenSampler(s);
        StringBuilder da = new StringBuilder();
        StringBuilder db = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            da.append(a.next(LOGITS));
            db.append(b.next(LOGITS));
        }
        assertEquals(da.toString(), db.toString());
        TokenSampler c = new TokenSampler(new SamplingSettings(8, 1.0, 0, 1.0, 43, List.of()));
        StringBuilder dc = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            dc.append(c.next(LOGITS));
        }
        assertNotEquals(da.toString(), dc.toString());
    }
}
