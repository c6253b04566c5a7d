package org.twllm.core.train;

import java.util.ArrayList;
import java.util.List;

import org.twllm.core.engine.Engine;
import org.twllm.core.engine.TokenBatch;
import org.twllm.data.loader.Sample;
import org.twllm.data.loader.SampleDataset;

/**
 * Mean loss per trained token over the first {@code maxSamples} samples of a held-out dataset, each
 * rank scoring its contiguous share and the sums added across ranks (so the figure does not depend on
 * the world size beyond float summation order).
 */
public final class ValidationLoss {
    private final SampleDataset dataset;
    private final long samples;
    private final int microBatchSize;

    public ValidationLoss(SampleDataset dataset, long maxSamples, int microBatchSize) {
        this.dataset = dataset;
        this.samples = maxSamples > 0 ? Math.min(maxSamples, dataset.size()) : dataset.size();
        this.microBatchSize = microBatchSize;
    }

    public double measure(Engine model, DataParallel dp) {
        long perRank = (samples + dp.worldSize() - 1) / dp.worldSize();
        long from = Math.min(samples, dp.rank() * perRank);
        long to = Math.min(samples, from + perRank);
        double lossSum = 0;
        long tokens = 0;
        for (long start = from; start < to; start += microBatchSize) {
            List<Sample> batch = new ArrayList<>(microBatchSize);
            for (long i = start; i < Math.min(to, start + microBatchSize); i++) {
                batch.add(dataset.get(i));
            }
            TokenBatch tokenBatch = SampleBatches.of(batch);
            lossSum += model.loss(tokenBatch);
            tokens += tokenBatch.trainedTokens();
        }
        double[] sums = {tokens, lossSum};
        dp.allReduceSum(sums);
        return sums[0] == 0 ? Double.NaN : sums[1] / sums[0];
    }
}
