package org.twllm.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.twllm.core.engine.Engines;
import org.twllm.core.plan.DeviceKind;
import org.twllm.core.plan.PlanReport;
import org.twllm.core.plan.PlanRequest;
import org.twllm.core.plan.Planner;
import org.twllm.core.plan.TrainingPlan;
import org.twllm.core.train.TrainingRun;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code twllm plan}: memory per rank, the largest micro-batch that fits, and the step time of a config on a cluster. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Estimate memory per GPU (or per CPU process), whether it fits, the largest micro-batch that fits,",
            "the step time, tokens/s and days for a stage config on a cluster. Needs only the model's shape:",
            "no weights, tokenizer or corpus. Model figures, not measurements (docs/performance.md)."})
public final class PlanCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The stage config (YAML).")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key (repeatable), as for train.")
    List<String> sets = new ArrayList<>();

    @Option(names = "--nodes", required = true, paramLabel = "N", description = "Nodes.")
    int nodes;

    @Option(names = "--gpus-per-node", required = true, paramLabel = "G", description = "GPUs per node (processes per node with --gpu cpu).")
    int gpusPerNode;

    @Option(names = "--gpu", paramLabel = "KIND",
            description = "h100-80gb, h200-141gb, a100-80gb or cpu. Default: h100-80gb for device.backend cuda, cpu for cpu.")
    String gpu;

    @Option(names = "--mfu", paramLabel = "X", description = "Fraction of the peak the step's FLOPs run at. Default: the device's (see docs/performance.md).")
    Double mfu;

    @Option(names = "--link-gbps", paramLabel = "B",
            description = "The slowest ring link, Gbit/s. Default: 100 across nodes; Aeron IPC's measured rate on one node.")
    Double linkGbps;

    @Option(names = "--tokens", paramLabel = "T", description = "Tokens to train on, for the days figure. Default: 35.1e9 (the paper's corpus).")
    double tokens = PlanRequest.PAPER_TOKENS;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @Override
    public Integer call() {
        DeviceKind device = gpu == null ? null : DeviceKind.named(gpu);
        PlanRequest request = new PlanRequest(device, nodes, gpusPerNode, mfu, linkGbps, tokens);
        TrainingPlan plan = Planner.plan(config, sets, Path.of("").toAbsolutePath(), request,
                () -> Engines.cpu().measurePeakFlops(TrainingRun.PEAK_PROBE_SECONDS));
        if (json) {
            System.out.println(PlanReport.json(plan));
        } else {
            PlanReport.lines(plan).forEach(System.out::println);
        }
        return Main.EXIT_OK;
    }
}
