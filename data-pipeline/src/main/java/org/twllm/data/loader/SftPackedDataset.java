package org.twllm.data.loader;

import org.twllm.data.shard.DocumentStore;
import org.twllm.errors.ConfigException;

import java.util.Arrays;

/**
 * SFT samples: each document of the store is one rendered example (ids and loss mask). Examples are
 * packed greedily in document order into rows of {@code seqLen} positions, never split; a row is closed
 * when the next example does not fit. Within a row each example has its own example id (0, 1, ...), its
 * positions restart at 0, and its targets are its own next tokens where the loss mask trains them
 * ({@link Sample#IGNORE} elsewhere); the target of an example's last token is IGNORE, so no target crosses
 * from one example into the next. The rest of a row is padding: input {@code padId}, target IGNORE,
 * positions from 0, and one more example id of its own. With {@code packed == false} every example gets a
 * row of its own (the same layout, one example per row).
 *
 * <p>The plan (which examples go in which row) is computed once in the constructor by one pass over the
 * documents and their masks; {@link #get} and {@link #trainedTokens} are then O(1) lookups (plus reading
 * the row's tokens). A store without a loss mask trains every token of each document.
 */
public final class SftPackedDataset implements SampleDataset {
    private final DocumentStore store;
    private final int seqLen;
    private final int padId;
    private final long[] entryDocument;
    private final int[] entryLength;
    private final int[] rowFirstEntry;
    private final int[] rowTrainedTargets;
    private final PackingStats stats;

    /**
     * @param padId   input id of padding positions (never a target); Llama-2 has no pad token, so the
     *                tokenizer's EOS id is the usual choice
     * @param packed  pack several examples per row (true) or one example per row (false)
     * @param overlong what to do with an example longer than {@code seqLen}
     */
    public SftPackedDataset(DocumentStore store, int seqLen, int padId, boolean packed, OverlongPolicy overlong) {
        if (seqLen < 2) {
            throw new ConfigException("The SFT sequence length must be at least 2, not " + seqLen + ".");
        }
        if (padId < 0) {
            throw new ConfigException("The padding id must be a token id (>= 0), not " + padId + "; use the EOS id when the tokenizer has no pad token.");
        }
        this.store = store;
        this.seqLen = seqLen;
        this.padId = padId;

        long documents = store.numDocuments();
        if (documents > Integer.MAX_VALUE - 8) {
            throw new ConfigException("SFT data with " + documents + " examples is more than one dataset holds; split it.");
        }
        Plan plan = new Plan((int) documents);
        boolean[] mask = new boolean[seqLen];
        long truncated = 0;
        long droppedOverlong = 0;
        long droppedUntrained = 0;
        for (long doc = 0; doc < documents; doc++) {
            long start = store.documentStart(doc);
            long fullLength = store.documentStart(doc + 1) - start;
            int length = (int) Math.min(fullLength, seqLen);
            if (fullLength > seqLen && overlong == OverlongPolicy.DROP) {
                droppedOverlong++;
                continue;
            }
            int trained = trainedTargets(start, length, mask);
            if (trained == 0) {
                droppedUntrained++;
                continue;
            }
            if (fullLength > seqLen) {
                truncated++;
            }
            plan.add(doc, length, trained, packed, seqLen);
        }
        plan.finish();
        entryDocument = Arrays.copyOf(plan.entryDocument, plan.entries);
        entryLength = Arrays.copyOf(plan.entryLength, plan.entries);
        rowFirstEntry = Arrays.copyOf(plan.rowFirstEntry, plan.rows + 1);
        rowTrainedTargets = Arrays.copyOf(plan.rowTrained, plan.rows);
        long trainedTotal = 0;
        for (int trained : rowTrainedTargets) {
            trainedTotal += trained;
        }
        stats = new PackingStats(documents, plan.entries, plan.rows, truncated, droppedOverlong, droppedUntrained,
                plan.tokens, (long) plan.rows * seqLen - plan.tokens, trainedTotal);
    }

    /** Trained targets of an example's first {@code length} tokens: mask[t] for t >= 1 (token 0 is never a target). */
    private int trainedTargets(long start, int length, boolean[] mask) {
        if (!store.hasLossMask()) {
            return length - 1;
        }
        store.readLossMask(start, mask, 0, length);
        int trained = 0;
        for (int t = 1; t < length; t++) {
            if (mask[t]) {
                trained++;
            }
        }
        return trained;
    }

    public PackingStats stats() {
        return stats;
    }

    @Override
    public long size() {
        return rowTrainedTargets.length;
    }

    @Override
    public int seqLen() {
        return seqLen;
    }

    @Override
    public long trainedTokens(long index) {
        SampleDataset.checkIndex(index, rowTrainedTargets.length);
        return rowTrainedTargets[(int) index];
    }

    /** Number of examples packed into row {@code index}. */
    public int examplesInRow(long index) {
        SampleDataset.checkIndex(index, rowTrainedTargets.length);
        return rowFirstEntry[(int) index + 1] - rowFirstEntry[(int) index];
    }

    @Override
    public Sample get(long index) {
        SampleDataset.checkIndex(index, rowTrainedTargets.length);
        int[] inputs = new int[seqLen];
        int[] targets = new int[seqLen];
        int[] positions = new int[seqLen];
        int[] exampleIds = new int[seqLen];
        boolean[] mask = new boolean[seqLen];
        int fill = 0;
        int first = rowFirstEntry[(int) index];
        int last = rowFirstEntry[(int) index + 1];
        for (int entry = first; entry < last; entry++) {
            int length = entryLength[entry];
            long start = store.documentStart(entryDocument[entry]);
            store.readTokens(start, inputs, fill, length);
            if (store.hasLossMask()) {
                store.readLossMask(start, mask, fill, length);
            } else {
                Arrays.fill(mask, fill, fill + length, true);
            }
            int exampleId = entry - first;
            int end = fill + length;
            for (int t = fill; t < end; t++) {
                targets[t] = t + 1 < end && mask[t + 1] ? inputs[t + 1] : Sample.IGNORE;
                positions[t] = t - fill;
                exampleIds[t] = exampleId;
            }
            fill = end;
        }
        int paddingId = last - first;
        for (int t = fill; t < seqLen; t++) {
            inputs[t] = padId;
            targets[t] = Sample.IGNORE;
            positions[t] = t - fill;
            exampleIds[t] = paddingId;
        }
        return new Sample(inputs, targets, positions, exampleIds);
    }

    /** The greedy packing plan being built: entries (examples placed) and rows (ranges of entries). */
    private static final class Plan {
        long[] entryDocument;
        int[] entryLength;
        int[] rowFirstEntry = new int[16];
        int[] rowTrained = new int[16];
        int entries;
        int rows;
        long tokens;
        private int rowFill;
        private boolean rowOpen;

        Plan(int capacity) {
            entryDocument = new long[Math.max(capacity, 1)];
            entryLength = new int[Math.max(capacity, 1)];
        }

        void add(long document, int length, int trained, boolean packed, int seqLen) {
            if (!rowOpen || !packed || rowFill + length > seqLen) {
                openRow();
            }
            entryDocument[entries] = document;
            entryLength[entries] = length;
            entries++;
            rowFill += length;
            rowTrained[rows - 1] += trained;
            tokens += length;
        }

        private void openRow() {
            if (rows + 1 >= rowFirstEntry.length) {
                rowFirstEntry = Arrays.copyOf(rowFirstEntry, rowFirstEntry.length * 2);
                rowTrained = Arrays.copyOf(rowTrained, rowTrained.length * 2);
            }
            rowFirstEntry[rows] = entries;
            rows++;
            rowFill = 0;
            rowOpen = true;
        }

        void finish() {
            rowFirstEntry[rows] = entries;
        }
    }
}
