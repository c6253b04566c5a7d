package org.twllm.core.plan;

import org.twllm.core.model.LlamaConfig;

/**
 * Time of one optimizer step: compute at a fraction of the device's peak plus the communication that does not
 * hide behind it. Compute is the trainer's MFU convention ({@link LlamaConfig#flopsPerToken}) plus, with
 * activation checkpointing, one more forward of the blocks ({@link LlamaConfig#blockForwardFlopsPerToken}).
 * Communication is ring reduce-scatter and all-gather: each rank sends {@code (W-1)/W} of the buffer over its
 * slowest link at the ring's measured efficiency. Gradient buckets are reduced while backward goes on, so a
 * reduce-scatter costs only what exceeds its micro-batch's backward, plus the last bucket (nothing is left to
 * overlap it); the all-gather of the updated weights follows the optimizer step and is not overlapped.
 */
public final class StepTimeModel {
    /** Ring bus bandwidth / raw point-to-point bandwidth over UDP, 4 ranks (docs/performance.md, idle VM). */
    public static final double UDP_RING_EFFICIENCY = 0.33;
    /** The same over Aeron IPC, one host. */
    public static final double IPC_RING_EFFICIENCY = 0.20;
    /** A raw Aeron IPC stream on the development VM: 5.39 GB/s (docs/performance.md), in Gbit/s. */
    public static final double IPC_LINK_GBPS = 43.1;
    /** The default inter-node link when {@code --link-gbps} is not given: a 100 Gbit/s NIC. */
    public static final double DEFAULT_LINK_GBPS = 100;

    /**
     * @param peakFlops one device's peak FLOP/s for the run's precision
     * @param mfu       the fraction of the peak the step's FLOPs run at (recomputation included)
     * @param linkGbps  the slowest ring link in Gbit/s
     * @param efficiency ring bus bandwidth / link bandwidth
     */
    public record Link(double linkGbps, double efficiency) {
        /** Bytes per second each rank's ring link carries. */
        double busBytesPerSecond() {
            return linkGbps * 1e9 / 8 * efficiency;
        }
    }

    /**
     * Seconds of one step and how they split.
     *
     * @param computeS         forward, backward and any recomputation of this rank's micro-batches
     * @param reduceScatterS   the whole reduce-scatter volume of a step over the link
     * @param allGatherS       the all-gather of the updated weights
     * @param exposedS         the communication that adds to the step: all-gather plus what reduce-scatter does
     *                         not hide behind backward
     */
    public record StepTime(double computeS, double reduceScatterS, double allGatherS, double exposedS, double stepS,
                           double tokensPerS, double mfu) {
    }

    private final double peakFlops;
    private final double mfu;
    private final Link link;

    public StepTimeModel(double peakFlops, double mfu, Link link) {
        if (!(peakFlops > 0) || !(mfu > 0 && mfu <= 1)) {
            throw new IllegalArgumentException("peak FLOP/s must be positive and MFU in (0, 1], got " + peakFlops + ", " + mfu);
        }
        this.peakFlops = peakFlops;
        this.mfu = mfu;
        this.link = link;
    }

    /**
     * @param partitioned     gradients are reduce-scattered on every micro-batch into a partition (ZeRO-2 as
     *                        DeepSpeed does it); otherwise once per step, after the last micro-batch
     * @param allGatherBytes  bytes of one weight element as gathered (the compute precision's)
     */
    public StepTime step(TrainingSetup s, boolean partitioned, int allGatherBytes) {
        LlamaConfig c = s.shape();
        double rate = peakFlops * mfu;
        double modelFlops = c.flopsPerToken(s.seqLen());
        double recompute = s.checkpointing() ? c.blockForwardFlopsPerToken(s.seqLen()) : 0;
        double microTokens = s.microBatchTokens();
        double microComputeS = microTokens * (modelFlops + recompute) / rate;
        double microBackwardS = microTokens * (modelFlops * 2 / 3 + recompute) / rate;
        double computeS = microComputeS * s.accumulation();

        int w = s.worldSize();
        double share = w == 1 ? 0 : (w - 1.0) / w / link.busBytesPerSecond();
        long gradientBytes = c.numParameters() * Float.BYTES;
        double oneReduceScatterS = gradientBytes * share;
        double lastBucketS = Math.min(s.bucketBytes(), gradientBytes) * share;
        double exposedPerReduce = Math.max(0, oneReduceScatterS - microBackwardS) + lastBucketS;
        int reductions = partitioned ? s.accumulation() : 1;
        double reduceScatterS = reductions * oneReduceScatterS;
        double allGatherS = (double) c.numParameters() * allGatherBytes * share;
        double exposedS = w == 1 ? 0 : reductions * exposedPerReduce + allGatherS;
        double stepS = computeS + exposedS;
        double tokensPerS = s.globalBatch() * (double) s.seqLen() / stepS;
        double achievedMfu = modelFlops * tokensPerS / (peakFlops * w);
        return new StepTime(computeS, reduceScatterS, allGatherS, exposedS, stepS, tokensPerS, achievedMfu);
    }
}
