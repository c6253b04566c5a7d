package org.twllm.dist;

import java.nio.file.Path;
import java.util.List;

import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.checkpoint.HfInferenceFiles;
import org.twllm.core.config.StageConfig;
import org.twllm.core.config.StageConfigLoader;
import org.twllm.core.engine.AdamWSettings;
import org.twllm.core.engine.Engine;
import org.twllm.core.engine.EngineSettings;
import org.twllm.core.engine.Engines;
import org.twllm.core.engine.GradientSink;
import org.twllm.core.engine.HostBuffer;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.Precision;
import org.twllm.core.engine.RandomWeights;
import org.twllm.core.train.DataParallel;
import org.twllm.core.train.TrainingCheckpoints;
import org.twllm.core.train.TrainingProgress;
import org.twllm.data.tokenizer.SentencePieceTokenizer;
import org.twllm.dist.collective.CollectiveFailure;
import org.twllm.dist.launch.DataParallelFactory;
import org.twllm.progress.ProgressOutput;

/**
 * One rank of {@link SlowSaveTest}: the real checkpoint save of the trainer over a real Aeron ring, with
 * rank 0's save made slower than the collective timeout (rank 0 arrives {@link #DELAY_MS} late at the save's
 * last barrier, as when writing a large model), then the same delay before a plain barrier. Arguments: the
 * stage config. Prints SAVED, then PLAIN-BARRIER-FAILED with the message (rank 1) or PLAIN-BARRIER-PASSED.
 */
public final class SlowSaveWorker {
    static final long DELAY_MS = 4_000;

    private SlowSaveWorker() {
    }

    public static void main(String[] args) throws Exception {
        StageConfig config = StageConfigLoader.load(Path.of(args[0]), List.of(), Path.of("").toAbsolutePath());
        LlamaConfig shape = config.model().architecture();
        long n = shape.numParameters();
        try (DataParallel dp = DataParallelFactory.dataParallel(config, System.getenv()).apply(n);
             Engine model = Engines.cpu().create(shape, new EngineSettings(Precision.FP32, dp.ownedStart(), dp.ownedEnd(), false,
                     1 << 18, new AdamWSettings(0.9, 0.95, 1e-8, 0), false, 1, config.data().seqLen()))) {
            RandomWeights.fill(model.layout(), 1, 0.02, model::writeWeights);
            HfInferenceFiles hfFiles = HfInferenceFiles.of(SentencePieceTokenizer.load(config.tokenizer().path()), null,
                    shape.maxPositionEmbeddings());
            new TrainingCheckpoints(config, model, new SlowRankZero(dp), config.tokenizer().path(), hfFiles,
                    ProgressOutput.none())
                    .save(new TrainingProgress(1, 0, 0, 0, 0));
            if (dp.rank() == 0) {
                Checkpoint.open(config.run().outputDir().resolve(Checkpoint.dirName(1)));
            }
            System.out.println("SAVED");
            // The fault the issue describes: the same delay before a barrier bounded by the collective timeout.
            if (dp.rank() == 0) {
                Thread.sleep(DELAY_MS);
            }
            try {
                dp.barrier();
                System.out.println("PLAIN-BARRIER-PASSED");
            } catch (CollectiveFailure e) {
                System.out.println("PLAIN-BARRIER-FAILED " + e.getMessage());
            }
        }
    }

    /** Rank 0 reaches the save's last barrier {@link #DELAY_MS} late, as if writing its model took that long. */
    private static final class SlowRankZero implements DataParallel {
        private final DataParallel dp;
        private int barriers;

        SlowRankZero(DataParallel dp) {
            this.dp = dp;
        }

        private void delayTheThird() {
            if (dp.rank() == 0 && ++barriers == 3) {
                try {
                    Thread.sleep(DELAY_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void barrier() {
            delayTheThird();
            dp.barrier();
        }

        @Override
        public void barrier(long timeoutNs, String what) {
            delayTheThird();
            dp.barrier(timeoutNs, what);
        }

        @Override
        public int rank() {
            return dp.rank();
        }

        @Override
        public int worldSize() {
            return dp.worldSize();
        }

        @Override
        public long ownedStart() {
            return dp.ownedStart();
        }

        @Override
        public long ownedEnd() {
            return dp.ownedEnd();
        }

        @Override
        public void allReduceSum(double[] values) {
            dp.allReduceSum(values);
        }

        @Override
        public GradientSink gradientSink(HostBuffer partition) {
            return dp.gradientSink(partition);
        }

        @Override
        public void allGather(HostBuffer weights) {
            dp.allGather(weights);
        }

        @Override
        public void close() {
            // the worker closes the real one
        }
    }
}
