package org.twllm.data.loader;

import org.junit.jupiter.api.Test;
import org.twllm.data.chat.ChatTemplate;
import org.twllm.data.chat.ChatTemplates;
import org.twllm.data.chat.Dialogue;
import org.twllm.data.chat.DialogueParser;
import org.twllm.data.chat.TestTokenizers;
import org.twllm.data.chat.TokenizedExample;
import org.twllm.data.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SftPackedDatasetTest {
    private static final int PAD = 2;
    private static final int I = Sample.IGNORE;

    /** Example with ids 1, base+1, ... and a mask training the given positions. */
    private static TokenizedExample example(int base, int length, int... trained) {
        int[] ids = new int[length];
        boolean[] mask = new boolean[length];
        ids[0] = 1;
        for (int t = 1; t < length; t++) {
            ids[t] = base + t;
        }
        for (int t : trained) {
            mask[t] = true;
        }
        return new TokenizedExample(ids, mask);
    }

    @Test
    void packsGreedilyWithRestartingPositionsAndSeparateExampleIds() {
        List<TokenizedExample> examples = List.of(
                example(10, 4, 2, 3),      // 1 11 12 13, trains 12 13
                example(20, 3, 2),         // 1 21 22, trains 22
                example(30, 5, 3, 4),      // does not fit in the first row's 3 remaining positions
                example(40, 2, 1));
        SftPackedDataset dataset = new SftPackedDataset(ArrayDocumentStore.ofExamples(examples), 10, PAD, true, OverlongPolicy.TRUNCATE);
        assertEquals(2, dataset.size());
        assertEquals(2, dataset.examplesInRow(0));
        assertEquals(2, dataset.examplesInRow(1));

        Sample row0 = dataset.get(0);
        assertArrayEquals(new int[] {1, 11, 12, 13, 1, 21, 22, PAD, PAD, PAD}, row0.inputs());
        assertArrayEquals(new int[] {I, 12, 13, I, I, 22, I, I, I, I}, row0.targets());
        assertArrayEquals(new int[] {0, 1, 2, 3, 0, 1, 2, 0, 1, 2}, row0.positions());
        assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1, 1, 2, 2, 2}, row0.exampleIds());

        Sample row1 = dataset.get(1);
        assertArrayEquals(new int[] {1, 31, 32, 33, 34, 1, 41, PAD, PAD, PAD}, row1.inputs());
        assertArrayEquals(new int[] {I, I, 33, 34, I, 41, I, I, I, I}, row1.targets());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 0, 1, 0, 1, 2}, row1.positions());
        assertArrayEquals(new int[] {0, 0, 0, 0, 0, 1, 1, 2, 2, 2}, row1.exampleIds());

        assertEquals(3, dataset.trainedTokens(0));
        assertEquals(3, dataset.trainedTokens(1));
        PackingStats stats = dataset.stats();
        assertEquals(new PackingStats(4, 4, 2, 0, 0, 0, 14, 6, 6), stats);
        assertEquals(0.7, stats.fill(), 1e-12);
    }

    @Test
    void overlongExamplesAreTruncatedOrDroppedAndCounted() {
        List<TokenizedExample> examples = List.of(
                example(10, 3, 1, 2),
                example(20, 8, 5, 6, 7),   // over-long for 6: truncated keeps 1 21 22 23 24 25, trains 25
                example(30, 9, 7, 8),      // over-long, trained part lies past position 5: dropped when truncated
                example(40, 4, 3));
        ArrayDocumentStore store = ArrayDocumentStore.ofExamples(examples);

        SftPackedDataset truncating = new SftPackedDataset(store, 6, PAD, true, OverlongPolicy.TRUNCATE);
        assertEquals(new PackingStats(4, 3, 3, 1, 0, 1, 13, 5, 4), truncating.stats());
        Sample truncated = truncating.get(1);
        assertArrayEquals(new int[] {1, 21, 22, 23, 24, 25}, truncated.inputs());
        assertArrayEquals(new int[] {I, I, I, I, 25, I}, truncated.targets());

        SftPackedDataset dropping = new SftPackedDataset(store, 6, PAD, true, OverlongPolicy.DROP);
        assertEquals(new PackingStats(4, 2, 2, 0, 2, 0, 7, 5, 3), dropping.stats());
        assertArrayEquals(new int[] {1, 11, 12, PAD, PAD, PAD}, dropping.get(0).inputs());
        assertArrayEquals(new int[] {1, 41, 42, 43, PAD, PAD}, dropping.get(1).inputs());
    }

    @Test
    void unpackedModePutsOneExamplePerRow() {
        List<TokenizedExample> examples = List.of(example(10, 3, 2), example(20, 2, 1), example(30, 4, 3));
        SftPackedDataset dataset = new SftPackedDataset(ArrayDocumentStore.ofExamples(examples), 8, PAD, false, OverlongPolicy.DROP);
        assertEquals(3, dataset.size());
        for (long row = 0; row < 3; row++) {
            assertEquals(1, dataset.examplesInRow(row));
        }
        Sample second = dataset.get(1);
        assertArrayEquals(new int[] {1, 21, PAD, PAD, PAD, PAD, PAD, PAD}, second.inputs());
        assertArrayEquals(new int[] {21, I, I, I, I, I, I, I}, second.targets());
        assertArrayEquals(new int[] {0, 0, 1, 1, 1, 1, 1, 1}, second.exampleIds());
        assertArrayEquals(new int[] {0, 1, 0, 1, 2, 3, 4, 5}, second.positions());
    }

    @Test
    void documentsWithoutALossMaskTrainEveryTargetInsideEachDocument() {
        // Packed pre-training with per-document attention: a store without a mask packs whole documents.
        ArrayDocumentStore store = new ArrayDocumentStore(List.of(new int[] {1, 5, 6, 2}, new int[] {1, 7, 2}));
        SftPackedDataset dataset = new SftPackedDataset(store, 8, PAD, true, OverlongPolicy.DROP);
        assertEquals(1, dataset.size());
        Sample row = dataset.get(0);
        assertArrayEquals(new int[] {1, 5, 6, 2, 1, 7, 2, PAD}, row.inputs());
        assertArrayEquals(new int[] {5, 6, 2, I, 7, 2, I, I}, row.targets());
        assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1, 1, 2}, row.exampleIds());
        assertEquals(5, dataset.trainedTokens(0));
    }

    @Test
    void packedRowsOfRenderedDialoguesHoldEachExampleIntactAndNothingCrossesExamples() {
        Tokenizer tokenizer = TestTokenizers.zhTw();
        ChatTemplate template = ChatTemplates.byName("taiwan-llm", null, null);
        List<TokenizedExample> examples = new ArrayList<>();
        for (Dialogue dialogue : DialogueParser.readJsonl(TestTokenizers.fixture("dialogues/zh-tw-dialogues.jsonl"))) {
            examples.add(template.render(dialogue, tokenizer));
        }
        int seqLen = 512;
        SftPackedDataset dataset = new SftPackedDataset(ArrayDocumentStore.ofExamples(examples), seqLen,
                tokenizer.eosId(), true, OverlongPolicy.DROP);
        PackingStats stats = dataset.stats();
        assertTrue(stats.packedExamples() > dataset.size(), "several examples share rows");

        // Walk the rows in order: each example segment must be the next kept example, verbatim.
        int next = 0;
        long trainedTotal = 0;
        for (long row = 0; row < dataset.size(); row++) {
            Sample sample = dataset.get(row);
            assertEquals(dataset.trainedTokens(row), sample.trainedTokens());
            trainedTotal += sample.trainedTokens();
            int t = 0;
            for (int local = 0; local < dataset.examplesInRow(row); local++) {
                while (examples.get(next).length() > seqLen) {
                    next++;
                }
                TokenizedExample example = examples.get(next++);
                for (int k = 0; k < example.length(); k++, t++) {
                    assertEquals(local, sample.exampleIds()[t]);
                    assertEquals(k, sample.positions()[t]);
                    assertEquals(example.ids()[k], sample.inputs()[t]);
                    boolean trained = k + 1 < example.length() && example.lossMask()[k + 1];
                    assertEquals(trained ? example.ids()[k + 1] : I, sample.targets()[t]);
                }
            }
            int paddingId = dataset.examplesInRow(row);
            for (; t < seqLen; t++) {
                assertEquals(I, sample.targets()[t]);
                assertEquals(paddingId, sample.exampleIds()[t]);
            }
        }
        long expectedTrained = 0;
        for (TokenizedExample example : examples) {
            if (example.length() <= seqLen) {
                assertFalse(example.lossMask()[0]);
                expectedTrained += example.trainedTokens();
            }
        }
        assertEquals(expectedTrained, trainedTotal);
        assertEquals(expectedTrained, stats.trainedTargets());
    }
}
