package org.twllm.core.train;

import java.util.Locale;
import java.util.Map;

import org.twllm.core.config.DeviceConfig;
import org.twllm.core.config.StageConfig;
import org.twllm.core.model.LlamaConfig;
import org.twllm.core.plan.CpuReserve;
import org.twllm.core.plan.DeviceKind;
import org.twllm.core.plan.MemoryBreakdown;
import org.twllm.core.plan.MemoryLimits;
import org.twllm.core.plan.MemoryModel;
import org.twllm.core.plan.TrainingSetup;
import org.twllm.errors.ConfigException;

/**
 * Before any long work, the run's peak memory by {@code twllm plan}'s model against what this process may use
 * (the machine's memory or container limit shared by the ranks on this host, JavaCPP's
 * {@code maxphysicalbytes}); a run that cannot fit is refused with the estimate and the largest micro-batch that
 * fits, instead of dying out of memory hours later.
 */
final class MemoryCheck {
    /** Ranks on this host: torchrun's and {@code twllm train --nproc}'s variable, then Slurm's. */
    static final String[] LOCAL_RANKS_VARIABLES = {"LOCAL_WORLD_SIZE", "SLURM_NTASKS_PER_NODE"};

    private MemoryCheck() {
    }

    /** @throws ConfigException when the estimate exceeds what one process may use */
    static void requireFits(StageConfig config, LlamaConfig shape, MemoryLimits limits, Map<String, String> env) {
        if (config.device().backend() != DeviceConfig.Backend.CPU) {
            return; // a GPU engine checks its device's memory itself
        }
        TrainingSetup setup = TrainingSetup.of(config, shape);
        MemoryModel model = new MemoryModel(DeviceKind.CPU, CpuReserve.MEASURED);
        MemoryBreakdown estimate = model.estimate(setup);
        int processes = processesOnHost(env);
        long capacity = limits.perProcess(processes);
        if (estimate.total() <= capacity) {
            return;
        }
        int fits = model.maxMicroBatch(setup, capacity);
        String advice = fits > 0
                ? "the largest micro-batch that fits is " + fits + ": lower training.per_device_train_batch_size to at most " + fits
                + " (raise gradient_accumulation_steps to keep the global batch)"
                : "not even a micro-batch of one sample fits: lower data.seq_len, use a smaller model or more memory";
        if (!setup.checkpointing() && fits > 0) {
            advice += ", or set training.gradient_checkpointing: true";
        }
        throw new ConfigException(String.format(Locale.ROOT, "this run needs an estimated %s per process (activations %s at a"
                        + " micro-batch of %d x %d tokens), more than the %s it may use (%s); %s",
                MemoryLimits.gib(estimate.total()), MemoryLimits.gib(estimate.activations()), setup.microBatch(), setup.seqLen(),
                MemoryLimits.gib(capacity),
                limits.describe(processes), advice));
    }

    static int processesOnHost(Map<String, String> env) {
        for (String name : LOCAL_RANKS_VARIABLES) {
            String value = env.get(name);
            if (value != null && value.matches("\\d+") && Integer.parseInt(value) > 0) {
                return Integer.parseInt(value);
            }
        }
        return 1;
    }
}
