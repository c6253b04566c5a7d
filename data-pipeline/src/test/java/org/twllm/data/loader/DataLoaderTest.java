package org.twllm.data.loader;

import org.junit.jupiter.api.Test;
import org.twllm.errors.ConfigException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataLoaderTest {
    private static final long SEED = 1234;

    @Test
    void orderIsTheIdentityWithoutShuffleAndASeededPermutationWithIt() {
        GlobalSampleOrder identity = new GlobalSampleOrder(50, SEED, false);
        for (long p = 0; p < 50; p++) {
            assertEquals(p, identity.sampleAt(3, p));
        }
        GlobalSampleOrder shuffled = new GlobalSampleOrder(50, SEED, true);
        List<Long> epoch0 = epoch(shuffled, 0);
        assertEquals(50, new HashSet<>(epoch0).size(), "a permutation");
        assertNotEquals(epoch(identity, 0), epoch0);
        assertNotEquals(epoch0, epoch(shuffled, 1), "each epoch has its own order");
        assertEquals(epoch0, epoch(new GlobalSampleOrder(50, SEED, true), 0), "same seed and epoch, same order");
        assertNotEquals(epoch0, epoch(new GlobalSampleOrder(50, SEED + 1, true), 0));
        // Epochs far apart and revisited (cache eviction) give the same orders again.
        List<Long> epoch7 = epoch(shuffled, 7);
        epoch(shuffled, 8);
        assertEquals(epoch0, epoch(shuffled, 0));
        assertEquals(epoch7, epoch(new GlobalSampleOrder(50, SEED, true), 7));
    }

    @Test
    void ranksSharesConcatenateToTheOneRankBatchForWorldSizes1To4() {
        IndexDataset dataset = new IndexDataset(37, 3, 0);
        int globalBatch = 24;
        int microBatch = 2;
        DataLoader loader = new DataLoader(dataset, SEED, true, globalBatch, microBatch);
        for (long step = 0; step < 6; step++) {
            List<Sample> single = flatten(loader.microBatches(step, 0, 1));
            assertEquals(globalBatch, single.size());
            for (int world = 2; world <= 4; world++) {
                List<Sample> joined = new ArrayList<>();
                long trained = 0;
                for (int rank = 0; rank < world; rank++) {
                    List<List<Sample>> micro = loader.microBatches(step, rank, world);
                    assertEquals(globalBatch / world / microBatch, micro.size());
                    assertEquals(micro.size(), loader.accumulationSteps(world));
                    for (List<Sample> batch : micro) {
                        assertEquals(microBatch, batch.size());
                        trained += DataLoader.trainedTokens(batch);
                    }
                    joined.addAll(flatten(micro));
                }
                Samples.assertSame(single, joined);
                assertEquals(loader.globalTrainedTokens(step), trained, "the loss denominator every rank computes alone");
            }
        }
    }

    @Test
    void resumingAtAStepGivesWhatUninterruptedIterationGives() {
        IndexDataset dataset = new IndexDataset(23, 2, 0);
        DataLoader uninterrupted = new DataLoader(dataset, SEED, true, 6, 3);
        List<List<Sample>> all = new ArrayList<>();
        for (long step = 0; step < 20; step++) {
            all.add(flatten(uninterrupted.microBatches(step, 1, 2)));
        }
        // A fresh loader (new process after a crash) asked for step 13 directly, then onwards; also out of order.
        DataLoader resumed = new DataLoader(dataset, SEED, true, 6, 3);
        for (long step = 13; step < 20; step++) {
            Samples.assertSame(all.get((int) step), flatten(resumed.microBatches(step, 1, 2)));
        }
        Samples.assertSame(all.get(2), flatten(resumed.microBatches(2, 1, 2)));
        // Resumed on a different world size, the same samples are trained in that step.
        DataLoader otherWorld = new DataLoader(dataset, SEED, true, 6, 3);
        List<Sample> step13 = new ArrayList<>(flatten(otherWorld.microBatches(13, 0, 1)));
        Samples.assertSame(step13.subList(3, 6), all.get(13));
    }

    @Test
    void epochsRollOverAndEachEpochVisitsEverySampleOnce() {
        IndexDataset dataset = new IndexDataset(10, 2, 0);
        DataLoader loader = new DataLoader(dataset, SEED, true, 4, 2);
        List<Integer> stream = new ArrayList<>();
        for (long step = 0; step < 10; step++) {
            for (Sample sample : flatten(loader.microBatches(step, 0, 1))) {
                stream.add(IndexDataset.id(sample));
            }
        }
        // 40 positions = 4 epochs of 10; step 2 straddles epochs 0 and 1.
        for (int epoch = 0; epoch < 4; epoch++) {
            Set<Integer> seen = new HashSet<>(stream.subList(epoch * 10, epoch * 10 + 10));
            assertEquals(10, seen.size(), "epoch " + epoch + " is a permutation");
        }
        assertNotEquals(stream.subList(0, 10), stream.subList(10, 20));
        assertEquals(0, loader.epochOf(2));
        assertEquals(1, loader.epochOf(3));
        DataLoader unshuffled = new DataLoader(dataset, SEED, false, 4, 2);
        List<Integer> step2 = flatten(unshuffled.microBatches(2, 0, 1)).stream().map(IndexDataset::id).toList();
        assertEquals(List.of(8, 9, 0, 1), step2);
    }

    @Test
    void batchSizesThatDoNotSplitOverRanksAreRefused() {
        DataLoader loader = new DataLoader(new IndexDataset(10, 2, 0), SEED, false, 12, 2);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> loader.microBatches(0, 0, 5)).getMessage()
                .contains("does not split over 5 ranks"));
        assertThrows(IllegalArgumentException.class, () -> loader.microBatches(0, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> new DataLoader(new IndexDataset(10, 2, 0), SEED, false, 12, 5)
                .microBatches(0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new DataLoader(new IndexDataset(10, 2, 0), SEED, false, 0, 1));
        assertThrows(ConfigException.class, () -> new DataLoader(new IndexDataset(0, 2, 0), SEED, false, 4, 2));
        assertThrows(IllegalArgumentException.class, () -> loader.microBatches(0, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> loader.microBatches(-1, 0, 1));
    }

    private static List<Long> epoch(GlobalSampleOrder order, long epoch) {
        List<Long> indices = new ArrayList<>();
        for (long p = 0; p < order.size(); p++) {
            indices.add(order.sampleAt(epoch, p));
        }
        return indices;
    }

    private static List<Sample> flatten(List<List<Sample>> microBatches) {
        List<Sample> all = new ArrayList<>();
        microBatches.forEach(all::addAll);
        return all;
    }
}
