package org.twllm.data.loader;

import org.twllm.data.shard.DocumentStore;
import org.twllm.errors.ConfigException;

/**
 * cPT samples over the document stream (documents {@code [BOS] + ids + [EOS]} end to end, in corpus order):
 * sample k reads the {@code L + 1} tokens {@code stream[k*L .. k*L+L]}; inputs are the first L, targets the
 * last L. Samples overlap by one token so every stream token but the first is a target exactly once. A
 * final incomplete sample is dropped. Positions are {@code 0..L-1} and there is one example id, so
 * attention is plain causal across the document boundaries inside a sample (as Llama-2 pre-training did).
 */
public final class CptDataset implements SampleDataset {
    private final DocumentStore store;
    private final int seqLen;
    private final long size;

    public CptDataset(DocumentStore store, int seqLen) {
        if (seqLen < 1) {
            throw new ConfigException("The sequence length must be at least 1, not " + seqLen + ".");
        }
        if (store.hasLossMask()) {
            throw new ConfigException("The cPT stage was given SFT data (shards with a loss mask); use cPT shards or the sft stage.");
        }
        this.store = store;
        this.seqLen = seqLen;
        this.size = store.numTokens() < 1 ? 0 : (store.numTokens() - 1) / seqLen;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int seqLen() {
        return seqLen;
    }

    @Override
    public Sample get(long index) {
        SampleDataset.checkIndex(index, size);
        int[] window = new int[seqLen + 1];
        store.readTokens(index * seqLen, window, 0, seqLen + 1);
        int[] inputs = new int[seqLen];
        int[] targets = new int[seqLen];
        int[] positions = new int[seqLen];
        System.arraycopy(window, 0, inputs, 0, seqLen);
        System.arraycopy(window, 1, targets, 0, seqLen);
        for (int t = 0; t < seqLen; t++) {
            positions[t] = t;
        }
        return new Sample(inputs, targets, positions, new int[seqLen]);
    }

    @Override
    public long trainedTokens(long index) {
        return seqLen;
    }
}
