package org.twllm.core.plan;

import java.util.ArrayList;
import java.util.List;

import org.twllm.errors.ConfigException;

/**
 * The cluster {@code twllm plan} is asked about.
 *
 * @param device   null: {@link DeviceKind#H100_80GB} for {@code device.backend: cuda}, the CPU for {@code cpu}
 * @param mfu      fraction of the peak the step's FLOPs run at; null: the device's default
 * @param linkGbps the slowest ring link in Gbit/s; null: {@link StepTimeModel#DEFAULT_LINK_GBPS} across nodes,
 *                 Aeron IPC's measured rate on one node
 * @param tokens   tokens to train on, for the days figure
 */
public record PlanRequest(DeviceKind device, int nodes, int gpusPerNode, Double mfu, Double linkGbps, double tokens) {
    /** The paper's corpus: 35.1B tokens (Taiwan-LLM, arXiv 2311.17487). */
    public static final double PAPER_TOKENS = 35.1e9;

    public PlanRequest {
        List<String> problems = new ArrayList<>();
        if (nodes < 1) {
            problems.add("--nodes must be at least 1, got " + nodes);
        }
        if (gpusPerNode < 1) {
            problems.add("--gpus-per-node must be at least 1, got " + gpusPerNode);
        }
        if (mfu != null && !(mfu > 0 && mfu <= 1)) {
            problems.add("--mfu must be a fraction in (0, 1], e.g. 0.4, got " + mfu);
        }
        if (linkGbps != null && !(linkGbps > 0)) {
            problems.add("--link-gbps must be positive, got " + linkGbps);
        }
        if (!(tokens > 0)) {
            problems.add("--tokens must be positive, got " + tokens);
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    /** This request on {@code kind}. */
    public PlanRequest withDevice(DeviceKind kind) {
        return new PlanRequest(kind, nodes, gpusPerNode, mfu, linkGbps, tokens);
    }

    public int worldSize() {
        return Math.multiplyExact(nodes, gpusPerNode);
    }

    public double effectiveMfu() {
        return mfu != null ? mfu : device.defaultMfu();
    }

    /** The ring's slowest link: across nodes UDP (the given or default link), on one node Aeron IPC. */
    public StepTimeModel.Link link() {
        if (nodes > 1) {
            return new StepTimeModel.Link(linkGbps != null ? linkGbps : StepTimeModel.DEFAULT_LINK_GBPS,
                    StepTimeModel.UDP_RING_EFFICIENCY);
        }
        return new StepTimeModel.Link(linkGbps != null ? linkGbps : StepTimeModel.IPC_LINK_GBPS, StepTimeModel.IPC_RING_EFFICIENCY);
    }
}
