package org.twllm.dist.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.twllm.core.config.TrainingConfig.Precision;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.plan.TrainingSetup;

/** The memory model's owned partition is the largest range the ring assigns a rank. */
class RingPartitionTest {
    @Test
    void thePlannedPartitionIsTheLargestOwnedRange() {
        for (int layers : new int[] {1, 2, 3, 7}) {
            LlamaConfig shape = new LlamaConfig(64, 96, layers, 4, 2, 101, 64, 1e-5, 1e4, layers % 2 == 0);
            for (int world : new int[] {1, 2, 3, 4, 7, 48}) {
                long[] bounds = RingPartition.split(shape.numParameters(), world, RingPartition.CACHE_LINE_FLOATS);
                long largest = 0;
                for (int r = 0; r < world; r++) {
                    largest = Math.max(largest, bounds[r + 1] - bounds[r]);
                }
                TrainingSetup setup = new TrainingSetup(shape, 1, 16, 1, Precision.FP32, false, 2, world, false, false, 1 << 20, 16 << 20);
                assertEquals(largest, setup.ownedParameters(), layers + " layers on " + world + " ranks");
            }
        }
    }
}
