package org.twllm.core.train;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.twllm.core.config.DeviceConfig;
import org.twllm.core.config.StageConfig;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.plan.CpuEngineMemory;
import org.twllm.core.plan.CpuReserve;
import org.twllm.core.plan.DeviceKind;
import org.twllm.core.plan.MemoryBreakdown;
import org.twllm.core.plan.MemoryLimits;
import org.twllm.core.plan.MemoryModel;
import org.twllm.core.plan.PlanReport;
import org.twllm.core.plan.TrainingSetup;
import org.twllm.errors.ConfigException;

/**
 * A run's peak memory by {@code twllm plan}'s model against what this process may use (the machine's memory or
 * container limit shared by the ranks on this host, JavaCPP's {@code maxphysicalbytes}), before any long work:
 * a run that cannot fit is refused with the estimate and the largest micro-batch that fits, instead of dying out
 * of memory hours later. Only the CPU engine is checked here; a GPU engine checks its device's memory itself.
 *
 * @param estimate      the run's bytes per process; null for a GPU backend
 * @param capacity      what one process may use
 * @param maxMicroBatch the largest micro-batch that fits (0: not even one sample)
 * @param heapNeeded    the Java heap the run needs at least
 * @param maxHeap       the Java heap's limit
 */
record MemoryCheck(TrainingSetup setup, MemoryBreakdown estimate, long capacity, String capacitySource, int maxMicroBatch,
                   long heapNeeded, long maxHeap) {
    /** Ranks on this host: torchrun's and {@code twllm train --nproc}'s variable, then Slurm's. */
    static final List<String> LOCAL_RANKS_VARIABLES = List.of("LOCAL_WORLD_SIZE", "SLURM_NTASKS_PER_NODE");

    static MemoryCheck of(StageConfig config, LlamaConfig shape, MemoryLimits limits, Map<String, String> env) {
        TrainingSetup setup = TrainingSetup.of(config, shape);
        if (config.device().backend() != DeviceConfig.Backend.CPU) {
            return new MemoryCheck(setup, null, 0, "", 0, 0, 0);
        }
        MemoryModel model = new MemoryModel(DeviceKind.CPU, CpuReserve.MEASURED);
        int processes = processesOnHost(env);
        long capacity = limits.perProcess(processes);
        return new MemoryCheck(setup, model.estimate(setup), capacity, limits.describe(processes), model.maxMicroBatch(setup, capacity),
                CpuEngineMemory.heapBytes(setup), limits.maxHeapBytes());
    }

    /** @throws ConfigException when the estimate exceeds what one process may use */
    void requireFits() {
        if (estimate == null) {
            return;
        }
        if (heapNeeded > maxHeap) {
            throw new ConfigException("the Java heap limit of " + PlanReport.size(maxHeap) + " is below the " + PlanReport.size(heapNeeded)
                    + " this run needs at least; raise -Xmx (TWLLM_JAVA_OPTS=-Xmx1g, say)");
        }
        if (estimate.total() <= capacity) {
            return;
        }
        String advice = maxMicroBatch > 0
                ? "the largest micro-batch that fits is " + maxMicroBatch + ": lower training.per_device_train_batch_size to at most "
                + maxMicroBatch + " (raise gradient_accumulation_steps to keep the global batch)"
                : "not even a micro-batch of one sample fits: lower data.seq_len, use a smaller model or more memory";
        if (!setup.checkpointing() && maxMicroBatch > 0) {
            advice += ", or set training.gradient_checkpointing: true";
        }
        throw new ConfigException(String.format(Locale.ROOT, "this run needs an estimated %s per process (activations %s at a"
                        + " micro-batch of %d x %d tokens), more than the %s it may use (%s); %s",
                PlanReport.size(estimate.total()), PlanReport.size(estimate.activations()), setup.microBatch(), setup.seqLen(),
                PlanReport.size(capacity), capacitySource, advice));
    }

    /** The start-up summary's memory lines; none for a GPU backend. */
    List<String> summary() {
        return estimate == null ? List.of() : PlanReport.summary(estimate, capacity, capacitySource, maxMicroBatch);
    }

    static int processesOnHost(Map<String, String> env) {
        for (String name : LOCAL_RANKS_VARIABLES) {
            String value = env.get(name);
            if (value != null && value.matches("\\d{1,6}") && Integer.parseInt(value) > 0) {
                return Integer.parseInt(value);
            }
        }
        return 1;
    }
}
