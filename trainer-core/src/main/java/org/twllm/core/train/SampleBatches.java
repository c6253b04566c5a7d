package org.twllm.core.train;

import java.util.List;

import org.twllm.core.engine.TokenBatch;
import org.twllm.data.loader.Sample;

/** Data-pipeline samples as the model's batches: the one place the loop's two vocabularies meet. */
final class SampleBatches {
    private SampleBatches() {
    }

    /** Stacks samples of equal length into one batch (an ignored target stays ignored). */
    static TokenBatch of(List<Sample> samples) {
        int b = samples.size();
        int t = samples.get(0).length();
        int[] inputs = new int[b * t];
        int[] targets = new int[b * t];
        int[] positions = new int[b * t];
        int[] exampleIds = new int[b * t];
        for (int i = 0; i < b; i++) {
            Sample s = samples.get(i);
            if (s.length() != t) {
                throw new IllegalArgumentException("samples differ in length: " + t + " and " + s.length());
            }
            System.arraycopy(s.inputs(), 0, inputs, i * t, t);
            for (int j = 0; j < t; j++) {
                int target = s.targets()[j];
                targets[i * t + j] = target == Sample.IGNORE ? TokenBatch.IGNORE : target;
            }
            System.arraycopy(s.positions(), 0, positions, i * t, t);
            System.arraycopy(s.exampleIds(), 0, exampleIds, i * t, t);
        }
        return new TokenBatch(b, t, inputs, targets, positions, exampleIds);
    }
}
