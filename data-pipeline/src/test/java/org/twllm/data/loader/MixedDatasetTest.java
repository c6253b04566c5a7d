package org.twllm.data.loader;

import org.junit.jupiter.api.Test;
import org.twllm.errors.ConfigException;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MixedDatasetTest {
    @Test
    void interleavesAtTheRatioAndShowsEverySampleOfBoth() {
        IndexDataset feedback = new IndexDataset(5, 4, 1000);
        IndexDataset sft = new IndexDataset(30, 4, 0);
        MixedDataset mixed = new MixedDataset(feedback, sft, 0.25);
        // Feedback needs 5 / 0.25 = 20 samples, SFT 30 / 0.75 = 40: one epoch is 40, feedback repeated.
        assertEquals(40, mixed.size());
        int fromFeedback = 0;
        Set<Integer> seen = new HashSet<>();
        for (long i = 0; i < mixed.size(); i++) {
            boolean isFeedback = IndexDataset.id(mixed.get(i)) >= 1000;
            assertEquals(isFeedback, mixed.fromFirst(i));
            assertEquals(i % 4 == 3, isFeedback, "one feedback sample in every 4, evenly spread");
            fromFeedback += isFeedback ? 1 : 0;
            seen.add(IndexDataset.id(mixed.get(i)));
            assertEquals(mixed.get(i).trainedTokens(), mixed.trainedTokens(i));
            if ((i + 1) % 8 == 0) {
                assertEquals((i + 1) / 4, fromFeedback, "every prefix holds floor(i * 0.25) feedback samples");
            }
        }
        assertEquals(10, fromFeedback);
        assertEquals(35, seen.size(), "all 5 feedback and 30 SFT samples appear");
        // Feedback samples cycle: positions 3, 7, ... read feedback 0, 1, 2, 3, 4, 0, ...
        assertEquals(1000, IndexDataset.id(mixed.get(3)));
        assertEquals(1000, IndexDataset.id(mixed.get(23)));
    }

    @Test
    void whenTheFirstDatasetIsLargerTheSecondIsRepeated() {
        MixedDataset mixed = new MixedDataset(new IndexDataset(9, 2, 1000), new IndexDataset(2, 2, 0), 0.6);
        assertEquals(15, mixed.size(), "9 / 0.6 = 15 beats 2 / 0.4 = 5");
        long first = 0;
        for (long i = 0; i < mixed.size(); i++) {
            first += mixed.fromFirst(i) ? 1 : 0;
        }
        assertEquals(9, first);
    }

    @Test
    void badMixesAreRefused() {
        IndexDataset a = new IndexDataset(3, 4, 0);
        assertThrows(ConfigException.class, () -> new MixedDataset(a, new IndexDataset(3, 8, 0), 0.5));
        assertThrows(ConfigException.class, () -> new MixedDataset(a, a, 0.0));
        assertThrows(ConfigException.class, () -> new MixedDataset(a, a, 1.0));
        assertThrows(ConfigException.class, () -> new MixedDataset(a, new IndexDataset(0, 4, 0), 0.5));
        assertTrue(assertThrows(ConfigException.class, () -> new MixedDataset(a, a, Double.NaN)).getMessage().contains("between 0 and 1"));
    }
}
