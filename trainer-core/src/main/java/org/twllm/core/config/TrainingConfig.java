package org.twllm.core.config;

import java.util.List;

/** Optimisation settings ({@code training:}, HF TrainingArguments names). */
public record TrainingConfig(Values values) implements ConfigSection {
    static final KeyTable<TrainingConfig> KEYS = new KeyTable<>(TrainingConfig::new, TrainingConfig::check);
    private static final ValueType<Double> BETA = ValueTypes.from(0.0, 1.0);

    public static final Key<Integer> MAX_STEPS = KEYS.key("max_steps", ValueTypes.integer(1)).required().resumeSafe()
            .doc("optimizer steps to train for (may be raised on resume)");
    public static final Key<Integer> PER_DEVICE_TRAIN_BATCH_SIZE = KEYS.key("per_device_train_batch_size",
                    ValueTypes.integer(1)).byDefault(1).resumeSafe()
            .doc("samples per micro-batch on one rank");
    public static final Key<Integer> GRADIENT_ACCUMULATION_STEPS = KEYS.key("gradient_accumulation_steps",
                    ValueTypes.integer(1)).byDefault(1, "`1`, or derived from `global_batch_size`").resumeSafe()
            .doc("micro-batches per optimizer step on one rank");
    public static final Key<Long> GLOBAL_BATCH_SIZE = KEYS.key("global_batch_size", ValueTypes.longInteger(1))
            .byDefault(null, "null (= micro x accumulation x world size)")
            .doc("samples per optimizer step over all ranks. With `gradient_accumulation_steps` also given, it must"
                    + " equal micro x accumulation x `distributed.world_size`; without it, the accumulation is derived"
                    + " and the global batch must be divisible by micro x world size");
    public static final Key<Double> LEARNING_RATE = KEYS.key("learning_rate", ValueTypes.positive()).required()
            .doc("peak learning rate (AdamW)");
    public static final Key<LrScheduler> LR_SCHEDULER_TYPE = KEYS.key("lr_scheduler_type",
                    ValueTypes.oneOf(LrScheduler.class)).byDefault(LrScheduler.COSINE)
            .doc("decay after warmup, down to `min_lr`");
    public static final Key<Integer> WARMUP_STEPS = KEYS.key("warmup_steps", ValueTypes.integer(0)).byDefault(0)
            .doc("linear warmup from 0; at most `max_steps`");
    public static final Key<Double> WARMUP_RATIO = KEYS.key("warmup_ratio", ValueTypes.between(0.0, 1.0)).byDefault(0.0)
            .doc("warmup as a share of `max_steps` (ceil, as HF); not together with `warmup_steps`");
    public static final Key<Double> MIN_LR = KEYS.key("min_lr", ValueTypes.atLeast(0.0)).byDefault(0.0)
            .doc("the floor the schedule decays to; at most `learning_rate`");
    public static final Key<Double> MAX_GRAD_NORM = KEYS.key("max_grad_norm", ValueTypes.atLeast(0.0)).byDefault(1.0)
            .doc("clip the global gradient norm to this; 0 = no clipping");
    public static final Key<Double> ADAM_BETA1 = KEYS.key("adam_beta1", BETA).byDefault(0.9)
            .doc("AdamW beta1");
    public static final Key<Double> ADAM_BETA2 = KEYS.key("adam_beta2", BETA).byDefault(0.999)
            .doc("AdamW beta2");
    public static final Key<Double> ADAM_EPSILON = KEYS.key("adam_epsilon", ValueTypes.positive()).byDefault(1e-8)
            .doc("AdamW epsilon");
    public static final Key<Double> WEIGHT_DECAY = KEYS.key("weight_decay", ValueTypes.atLeast(0.0)).byDefault(0.0)
            .doc("decoupled weight decay (0.0, as in the paper)");
    public static final Key<Precision> PRECISION = KEYS.key("precision", ValueTypes.oneOf(Precision.class))
            .byDefault(Precision.FP32)
            .doc("compute precision: `bf16` (the paper's mixed precision) keeps bf16 compute weights on every rank and"
                    + " fp32 master weights and AdamW moments for each rank's partition, computes every product and"
                    + " reduction in fp32 and all-gathers bf16; checkpoints save the fp32 masters, so a bf16 run resumes"
                    + " exactly. `fp16` is refused (it needs loss scaling)");
    public static final Key<Boolean> GRADIENT_CHECKPOINTING = KEYS.key("gradient_checkpointing", ValueTypes.bool())
            .byDefault(false)
            .doc("activation checkpointing: each transformer block keeps only its input through the forward pass and"
                    + " recomputes its forward right before its backward (about one extra forward per step); gradients and"
                    + " losses are bit-identical to `false` (docs/model.md lists what is kept per token)");
    public static final Key<NanPolicy> NAN_POLICY = KEYS.key("nan_policy", ValueTypes.oneOf(NanPolicy.class))
            .byDefault(NanPolicy.STOP)
            .doc("a non-finite loss or gradient: stop the run, or skip that step");
    public static final Key<Integer> EVAL_STEPS = KEYS.key("eval_steps", ValueTypes.integer(0)).byDefault(0).resumeSafe()
            .doc("evaluate on `data.validation_sources` every N steps; 0 = off; needs validation sources");
    public static final Key<Integer> EVAL_MAX_SAMPLES = KEYS.key("eval_max_samples", ValueTypes.integer(1)).byDefault(64)
            .resumeSafe()
            .doc("validation samples per evaluation");
    public static final Key<Integer> LOGGING_STEPS = KEYS.key("logging_steps", ValueTypes.integer(1)).byDefault(1)
            .resumeSafe()
            .doc("console progress line every N steps (`metrics.jsonl` gets every step)");

    public TrainingConfig {
        KEYS.requireOwn(values);
    }

    /** A training section built key by key (tests). */
    public static ConfigBuilder<TrainingConfig> builder() {
        return KEYS.builder();
    }

    /** Samples per optimizer step over all ranks: micro-batch x accumulation x world size. */
    public long globalBatchSize(int worldSize) {
        return (long) perDeviceTrainBatchSize() * gradientAccumulationSteps() * worldSize;
    }

    /** Warmup in steps: warmup_steps, or ceil(warmup_ratio x max_steps) when a ratio was given (as HF). */
    public int effectiveWarmupSteps() {
        return warmupSteps() > 0 ? warmupSteps() : (int) Math.ceil(warmupRatio() * maxSteps());
    }

    public int maxSteps() {
        return values.get(MAX_STEPS);
    }

    public int perDeviceTrainBatchSize() {
        return values.get(PER_DEVICE_TRAIN_BATCH_SIZE);
    }

    public int gradientAccumulationSteps() {
        return values.get(GRADIENT_ACCUMULATION_STEPS);
    }

    public double learningRate() {
        return values.get(LEARNING_RATE);
    }

    public LrScheduler lrSchedulerType() {
        return values.get(LR_SCHEDULER_TYPE);
    }

    public int warmupSteps() {
        return values.get(WARMUP_STEPS);
    }

    public double warmupRatio() {
        return values.get(WARMUP_RATIO);
    }

    public double minLr() {
        return values.get(MIN_LR);
    }

    public double maxGradNorm() {
        return values.get(MAX_GRAD_NORM);
    }

    public double adamBeta1() {
        return values.get(ADAM_BETA1);
    }

    public double adamBeta2() {
        return values.get(ADAM_BETA2);
    }

    public double adamEpsilon() {
        return values.get(ADAM_EPSILON);
    }

    public double weightDecay() {
        return values.get(WEIGHT_DECAY);
    }

    public Precision precision() {
        return values.get(PRECISION);
    }

    public boolean gradientCheckpointing() {
        return values.get(GRADIENT_CHECKPOINTING);
    }

    public NanPolicy nanPolicy() {
        return values.get(NAN_POLICY);
    }

    public int evalSteps() {
        return values.get(EVAL_STEPS);
    }

    public int evalMaxSamples() {
        return values.get(EVAL_MAX_SAMPLES);
    }

    public int loggingSteps() {
        return values.get(LOGGING_STEPS);
    }

    private static void check(Section s) {
        Integer maxSteps = s.value(MAX_STEPS);
        Integer warmupSteps = s.value(WARMUP_STEPS);
        Double warmupRatio = s.value(WARMUP_RATIO);
        if (warmupSteps != null && warmupRatio != null && warmupSteps > 0 && warmupRatio > 0) {
            s.problem(WARMUP_RATIO, "set warmup_steps or warmup_ratio, not both");
        }
        if (warmupSteps != null && maxSteps != null && warmupSteps > maxSteps) {
            s.problem(WARMUP_STEPS, warmupSteps + " is more than max_steps " + maxSteps);
        }
        Double lr = s.value(LEARNING_RATE);
        Double minLr = s.value(MIN_LR);
        if (minLr != null && lr != null && minLr > lr) {
            s.problem(MIN_LR, Section.format(minLr) + " is more than learning_rate " + Section.format(lr));
        }
        Integer evalSteps = s.value(EVAL_STEPS);
        Section data = s.root().child(StageConfig.DATA);
        List<SourceConfig> validation = data == null ? null : data.value(DataConfig.VALIDATION_SOURCES);
        if (evalSteps != null && evalSteps > 0 && validation != null && validation.isEmpty()) {
            s.problem(EVAL_STEPS, "evaluation every " + evalSteps + " steps needs data.validation_sources");
        }
        Section distributed = s.root().child(StageConfig.DISTRIBUTED);
        resolveBatch(s, distributed == null ? null : distributed.value(DistributedConfig.WORLD_SIZE));
    }

    /**
     * The one rule for batch sizes: global batch = micro-batch x accumulation x world size, so that every
     * rank's share of a global batch is whole micro-batches. gradient_accumulation_steps is as given, else
     * derived from global_batch_size, else 1; when both are given they must agree. Sets the global batch.
     */
    private static void resolveBatch(Section s, Integer worldSize) {
        Integer micro = s.value(PER_DEVICE_TRAIN_BATCH_SIZE);
        Integer accumulation = s.value(GRADIENT_ACCUMULATION_STEPS);
        Long global = s.value(GLOBAL_BATCH_SIZE);
        if (micro == null || accumulation == null || worldSize == null || (s.has(GLOBAL_BATCH_SIZE) && global == null)) {
            return;
        }
        long perStep = (long) micro * worldSize;
        if (s.has(GLOBAL_BATCH_SIZE)) {
            String factors = "per_device_train_batch_size " + micro + " x distributed.world_size " + worldSize;
            if (s.has(GRADIENT_ACCUMULATION_STEPS) && perStep * accumulation != global) {
                s.problem(GLOBAL_BATCH_SIZE, global + " does not equal " + factors.replace(" x ", " x gradient_accumulation_steps "
                        + accumulation + " x ") + " = " + perStep * accumulation + "; drop one of them");
                return;
            }
            if (global % perStep != 0) {
                s.problem(GLOBAL_BATCH_SIZE, global + " is not divisible by " + factors + " = " + perStep);
                return;
            }
            accumulation = (int) (global / perStep);
            s.set(GRADIENT_ACCUMULATION_STEPS, accumulation);
        }
        s.set(GLOBAL_BATCH_SIZE, perStep * accumulation);
    }

    public enum LrScheduler implements YamlEnum {
        COSINE, LINEAR, CONSTANT
    }

    public enum Precision implements YamlEnum {
        FP32, BF16, FP16
    }

    public enum NanPolicy implements YamlEnum {
        STOP, SKIP
    }
}
