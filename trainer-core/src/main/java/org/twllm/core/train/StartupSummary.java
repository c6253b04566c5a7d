package org.twllm.core.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.config.StageConfig;
import org.twllm.core.engine.LlamaConfig;

/**
 * The block {@code twllm train} opens with: what is trained, how much per step, on how many ranks, where
 * everything goes. The ETA follows once the first steps are timed ({@link EtaNotice}).
 *
 * @param memoryPlan the memory estimate's lines ({@link MemoryCheck#summary()}, {@code twllm plan}'s model), shown
 *                   under "memory"; empty where none is made (a GPU backend)
 */
public record StartupSummary(StageConfig config, LlamaConfig shape, long parameters, long trainingSamples,
                             int worldSize, Checkpoint resumedFrom, double peakFlops, List<String> memoryPlan) {

    public StartupSummary {
        memoryPlan = List.copyOf(memoryPlan);
    }

    public List<String> lines() {
        Path out = config.run().outputDir();
        long maxSteps = config.training().maxSteps();
        long globalBatch = config.globalBatchSize();
        int seqLen = config.data().seqLen();
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "twllm train: %s, %s stage, %s", config.run().name(), config.stage().yamlName(),
                resumedFrom == null ? "steps 1-" + maxSteps + " (fresh start)"
                        : "steps " + (resumedFrom.step() + 1) + "-" + maxSteps + " (resuming after step " + resumedFrom.step()
                        + " from " + resumedFrom.dir() + ")"));
        lines.add(row("model", String.format(Locale.ROOT, "%,d parameters (%d layers, hidden %d, %d heads / %d kv heads, vocab %,d)",
                parameters, shape.numLayers(), shape.hiddenSize(), shape.numHeads(), shape.numKvHeads(), shape.vocabSize())));
        lines.add(row("batch", String.format(Locale.ROOT, "%,d tokens per step = %d samples x %d tokens (micro-batch %d x"
                        + " accumulation %d x world size %d)", globalBatch * seqLen, globalBatch, seqLen,
                config.training().perDeviceTrainBatchSize(), config.training().gradientAccumulationSteps(), worldSize)));
        lines.add(row("data", String.format(Locale.ROOT, "%,d training samples, %.2f epochs in %d steps", trainingSamples,
                (double) maxSteps * globalBatch / trainingSamples, maxSteps)));
        for (int i = 0; i < memoryPlan.size(); i++) {
            lines.add(row(i == 0 ? "memory" : "", memoryPlan.get(i)));
        }
        lines.add(row("device", String.format(Locale.ROOT, "peak %.1f GFLOP/s per rank (%s), for MFU", peakFlops / 1e9,
                config.device().peakFlops() != null ? "device.peak_flops" : "measured")));
        lines.add(row("metrics", out.resolve(MetricsLog.FILE_NAME).toString()));
        lines.add(row("tensorboard", out.resolve(TensorBoardLog.DIR) + "  (tensorboard --logdir " + out.resolve(TensorBoardLog.DIR) + ")"));
        int every = config.checkpoint().saveSteps();
        int keep = config.checkpoint().saveTotalLimit();
        lines.add(row("checkpoints", out.resolve(Checkpoint.PREFIX + "NNNNNNNN") + ", "
                + (every > 0 ? "every " + every + " steps and after the last" : "after the last step")
                + (keep > 0 ? ", keeping the newest " + keep : ", keeping all")));
        lines.add(row("final model", out.resolve(TrainingRun.FINAL_DIR).toString()));
        return lines;
    }

    private static String row(String label, String text) {
        return String.format(Locale.ROOT, "  %-12s %s", label, text);
    }
}
