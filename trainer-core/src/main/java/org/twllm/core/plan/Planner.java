package org.twllm.core.plan;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;

import org.twllm.core.config.ConfigValidation;
import org.twllm.core.config.DeviceConfig;
import org.twllm.core.config.StageConfig;
import org.twllm.core.config.StageConfigLoader;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.errors.ConfigException;

/**
 * Plans a config on a cluster ({@code twllm plan}) from the model's shape alone: the config is validated without
 * requiring its input files (no weights, tokenizer or corpus need to be there), and the shape comes from the
 * random-init keys or {@code model.init}'s {@code config.json}.
 */
public final class Planner {
    private Planner() {
    }

    /**
     * The plan of {@code file} with {@code setOverrides} for {@code request}.
     *
     * @param cpuPeakProbe measures this machine's FLOP/s, for a CPU plan whose config gives no device.peak_flops
     */
    public static TrainingPlan plan(Path file, List<String> setOverrides, Path workDir, PlanRequest request,
                                    DoubleSupplier cpuPeakProbe) {
        // on the planned cluster, as train would resolve the batch there (--nproc sets the world size the same way)
        List<String> sets = new ArrayList<>(setOverrides);
        sets.add("distributed.world_size=" + request.worldSize());
        ConfigValidation validation = StageConfigLoader.validate(file, sets, workDir, StageConfigLoader.FileChecks.NONE);
        if (!validation.ok()) {
            throw new ConfigException(validation.problems());
        }
        StageConfig config = validation.config();
        DeviceKind device = request.device() != null ? request.device()
                : config.device().backend() == DeviceConfig.Backend.CUDA ? DeviceKind.H100_80GB : DeviceKind.CPU;
        PlanRequest resolved = request.withDevice(device);
        double peak;
        String peakSource;
        if (!device.isCpu()) {
            peak = device.peakFlops(config.training().precision());
            peakSource = device.cliName() + " datasheet, dense " + config.training().precision().yamlName();
        } else if (config.device().peakFlops() != null) {
            peak = config.device().peakFlops();
            peakSource = "device.peak_flops";
        } else {
            peak = cpuPeakProbe.getAsDouble();
            peakSource = "measured by a GEMM probe";
        }
        long capacity;
        String capacitySource;
        if (device.isCpu()) {
            MemoryLimits limits = MemoryLimits.ofThisProcess();
            capacity = limits.perProcess(resolved.gpusPerNode());
            capacitySource = limits.describe(resolved.gpusPerNode());
        } else {
            capacity = device.memoryBytes();
            capacitySource = "one " + device.cliName();
        }
        return plan(config, shapeOf(config), resolved, peak, peakSource, capacity, capacitySource);
    }

    /** The plan of a loaded config (whose world size is the request's) with known shape, peak and capacity. */
    private static TrainingPlan plan(StageConfig config, LlamaConfig shape, PlanRequest request, double peakFlops,
                                    String peakSource, long capacityBytes, String capacitySource) {
        DeviceKind device = request.device();
        TrainingSetup setup = TrainingSetup.of(config, shape);
        if (setup.worldSize() != request.worldSize()) {
            throw new IllegalArgumentException("the config's world size " + setup.worldSize() + " is not the request's "
                    + request.worldSize());
        }
        MemoryModel memory = new MemoryModel(device, CpuReserve.MEASURED);
        MemoryBreakdown breakdown = memory.estimate(setup);
        long checkpointed = memory.estimate(setup.withCheckpointing(true)).activations();
        long plain = memory.estimate(setup.withCheckpointing(false)).activations();
        int maxMicro = memory.maxMicroBatch(setup, capacityBytes);
        boolean partitioned = memory.partitionedGradients(setup);
        StepTimeModel.Link link = request.link();
        StepTimeModel.StepTime time = new StepTimeModel(peakFlops, request.effectiveMfu(), link)
                .step(setup, partitioned, device.computeBytes(setup.precision()));
        return new TrainingPlan(request, setup, breakdown, checkpointed, plain, capacityBytes, capacitySource, maxMicro,
                partitioned, peakFlops, peakSource, request.effectiveMfu(), link, time);
    }

    /**
     * The model's shape: the random-init keys, or {@code model.init}'s {@code config.json}, read without
     * loading any weights.
     */
    public static LlamaConfig shapeOf(StageConfig config) {
        if (config.model().isRandomInit()) {
            return config.model().architecture();
        }
        Path json = config.model().init().resolve("config.json");
        if (!Files.isRegularFile(json)) {
            throw new ConfigException("model.init: " + json + " does not exist, and the model's shape comes from it; put the"
                    + " model's HF config.json there, or plan a random init with --set model.init=random and the model.* shape keys");
        }
        return LlamaConfig.fromHfConfigJson(json);
    }
}
