package org.twllm.data.loader;

import org.junit.jupiter.api.Test;
import org.twllm.errors.ConfigException;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MixedDatasetTest {
    @Test
    void everyFirstSampleOnceAndALargerSecondDatasetSubsampledEvenly() {
        IndexDataset feedback = new IndexDataset(5, 4, 1000);
        IndexDataset sft = new IndexDataset(30, 4, 0);
        MixedDataset mixed = new MixedDataset(feedback, sft, 0.25);
        assertEquals(20, mixed.size(), "5 feedback samples at a quarter of the mix");
        List<Integer> fromFeedback = new ArrayList<>();
        List<Integer> fromSft = new ArrayList<>();
        for (long i = 0; i < mixed.size(); i++) {
            int id = IndexDataset.id(mixed.get(i));
            boolean isFeedback = id >= 1000;
            assertEquals(isFeedback, mixed.fromFirst(i));
            assertEquals(i % 4 == 3, isFeedback, "one feedback sample in every 4, evenly spread");
            (isFeedback ? fromFeedback : fromSft).add(id);
            assertEquals(mixed.get(i).trainedTokens(), mixed.trainedTokens(i));
        }
        assertEquals(List.of(1000, 1001, 1002, 1003, 1004), fromFeedback);
        List<Integer> everyOther = new ArrayList<>();
        for (int j = 0; j < 15; j++) {
            everyOther.add(2 * j);
        }
        assertEquals(everyOther, fromSft, "15 slots spread over all 30 SFT samples");
    }

    @Test
    void aSmallerSecondDatasetIsRepeated() {
        MixedDataset mixed = new MixedDataset(new IndexDataset(9, 2, 1000), new IndexDataset(2, 2, 0), 0.6);
        assertEquals(15, mixed.size(), "ceil(9 / 0.6)");
        List<Integer> second = new ArrayList<>();
        long first = 0;
        for (long i = 0; i < mixed.size(); i++) {
            if (mixed.fromFirst(i)) {
                first++;
            } else {
                second.add(IndexDataset.id(mixed.get(i)));
            }
        }
        assertEquals(9, first);
        assertEquals(List.of(0, 1, 0, 1, 0, 1), second);
    }

    @Test
    void fractionsThatAreNotRoundStillGiveExactCounts() {
        MixedDataset mixed = new MixedDataset(new IndexDataset(7, 2, 1000), new IndexDataset(100, 2, 0), 1.0 / 3);
        long first = 0;
        for (long i = 0; i < mixed.size(); i++) {
            first += mixed.fromFirst(i) ? 1 : 0;
            assertTrue(first <= 7);
        }
        assertEquals(7, first);
        assertEquals(22, mixed.size(), "f is 333333e-6, and ceil(7 / 0.333333) = ceil(21.00002)");
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
