package org.twllm.data.loader;

/** A dataset whose sample i has every input equal to {@code offset + i}: shows which samples a batch holds. */
final class IndexDataset implements SampleDataset {
    private final long size;
    private final int seqLen;
    private final int offset;

    IndexDataset(long size, int seqLen, int offset) {
        this.size = size;
        this.seqLen = seqLen;
        this.offset = offset;
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
        int[] inputs = new int[seqLen];
        int[] targets = new int[seqLen];
        java.util.Arrays.fill(inputs, offset + (int) index);
        java.util.Arrays.fill(targets, Sample.IGNORE);
        // Sample i trains (i % seqLen) + 1 targets, so trained-token counts differ between samples.
        for (int t = 0; t <= index % seqLen; t++) {
            targets[t] = 7;
        }
        return new Sample(inputs, targets, new int[seqLen], new int[seqLen]);
    }

    static int id(Sample sample) {
        return sample.inputs()[0];
    }
}
