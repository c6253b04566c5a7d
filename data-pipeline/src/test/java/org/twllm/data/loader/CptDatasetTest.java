package org.twllm.data.loader;

import org.junit.jupiter.api.Test;
import org.twllm.errors.ConfigException;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CptDatasetTest {
    private static final int BOS = 1;
    private static final int EOS = 2;

    @Test
    void samplesAreOverlappingWindowsOfTheDocumentStream() {
        // Stream: [1 10 11 12 2] [1 20 2] [1 30 31 32 33 2] = 14 tokens.
        ArrayDocumentStore store = ArrayDocumentStore.forPretraining(
                List.of(new int[] {10, 11, 12}, new int[] {20}, new int[] {30, 31, 32, 33}), BOS, EOS);
        assertEquals(14, store.numTokens());
        assertEquals(5, store.documentStart(1));
        CptDataset dataset = new CptDataset(store, 4);
        assertEquals(3, dataset.size(), "(14 - 1) / 4 = 3 full samples; the last 1 token is dropped");

        Sample first = dataset.get(0);
        assertArrayEquals(new int[] {BOS, 10, 11, 12}, first.inputs());
        assertArrayEquals(new int[] {10, 11, 12, EOS}, first.targets());
        Sample second = dataset.get(1);
        assertArrayEquals(new int[] {EOS, BOS, 20, EOS}, second.inputs());
        assertArrayEquals(new int[] {BOS, 20, EOS, BOS}, second.targets());
        Sample third = dataset.get(2);
        assertArrayEquals(new int[] {BOS, 30, 31, 32}, third.inputs());
        assertArrayEquals(new int[] {30, 31, 32, 33}, third.targets());
        for (long k = 0; k < dataset.size(); k++) {
            Sample sample = dataset.get(k);
            assertArrayEquals(new int[] {0, 1, 2, 3}, sample.positions());
            assertArrayEquals(new int[4], sample.exampleIds());
            assertEquals(4, sample.trainedTokens());
            assertEquals(4, dataset.trainedTokens(k));
        }
        assertThrows(IndexOutOfBoundsException.class, () -> dataset.get(3));
    }

    @Test
    void anExactFitKeepsTheLastSampleAndOneTokenShortDropsIt() {
        // 9 tokens = 2 * 4 + 1: two samples; 8 tokens: one.
        assertEquals(2, new CptDataset(ArrayDocumentStore.forPretraining(List.of(new int[7]), BOS, EOS), 4).size());
        assertEquals(1, new CptDataset(ArrayDocumentStore.forPretraining(List.of(new int[6]), BOS, EOS), 4).size());
        assertEquals(0, new CptDataset(new ArrayDocumentStore(List.of()), 4).size());
    }

    @Test
    void sftDataIsRefusedForCpt() {
        ArrayDocumentStore sft = new ArrayDocumentStore(List.of(new int[] {1, 5, 2}), List.of(new boolean[] {false, true, true}));
        assertThrows(ConfigException.class, () -> new CptDataset(sft, 2));
    }
}
