package org.twllm.core.config;

/**
 * Optimisation settings (HF TrainingArguments names).
 *
 * @param maxSteps                  optimizer steps to train for
 * @param perDeviceTrainBatchSize   samples per micro-batch on one rank
 * @param gradientAccumulationSteps micro-batches per optimizer step on one rank (derived from
 *                                  global_batch_size when only that was given)
 * @param learningRate              peak learning rate
 * @param lrSchedulerType           decay after warmup
 * @param warmupSteps               linear warmup steps (0 when warmupRatio is used)
 * @param warmupRatio               warmup as a fraction of maxSteps (0 when warmupSteps is used)
 * @param minLr                     floor the schedule decays to
 * @param maxGradNorm               global gradient-norm clip, 0 = off
 * @param adamBeta1                 AdamW beta1
 * @param adamBeta2                 AdamW beta2
 * @param adamEpsilon               AdamW epsilon
 * @param weightDecay               decoupled weight decay (0.0, as in the paper)
 * @param precision                 compute precision; master weights and optimizer state stay fp32
 * @param gradientCheckpointing     recompute activations in backward to save memory
 * @param nanPolicy                 on a non-finite loss or gradient: stop the run, or skip the step
 * @param evalSteps                 evaluate on validation sources every N steps, 0 = off
 * @param evalMaxSamples            validation samples per evaluation
 * @param loggingSteps              metrics line every N steps
 */
public record TrainingConfig(
        int maxSteps,
        int perDeviceTrainBatchSize,
        int gradientAccumulationSteps,
        double learningRate,
        LrScheduler lrSchedulerType,
        int warmupSteps,
        double warmupRatio,
        double minLr,
        double maxGradNorm,
        double adamBeta1,
        double adamBeta2,
        double adamEpsilon,
        double weightDecay,
        Precision precision,
        boolean gradientCheckpointing,
        NanPolicy nanPolicy,
        int evalSteps,
        int evalMaxSamples,
        int loggingSteps) {

    /** Samples per optimizer step over all ranks: micro-batch x accumulation x world size. */
    public long globalBatchSize(int worldSize) {
        return (long) perDeviceTrainBatchSize * gradientAccumulationSteps * worldSize;
    }

    /** Warmup in steps: warmup_steps, or ceil(warmup_ratio x max_steps) when a ratio was given (as HF). */
    public int effectiveWarmupSteps() {
        return warmupSteps > 0 ? warmupSteps : (int) Math.ceil(warmupRatio * maxSteps);
    }

    public enum LrScheduler {
        COSINE, LINEAR, CONSTANT;

        public String yamlName() {
            return YamlEnum.name(this);
        }
    }

    public enum Precision {
        FP32, BF16, FP16;

        public String yamlName() {
            return YamlEnum.name(this);
        }
    }

    public enum NanPolicy {
        STOP, SKIP;

        public String yamlName() {
            return YamlEnum.name(this);
        }
    }
}
