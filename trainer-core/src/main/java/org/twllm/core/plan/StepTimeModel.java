package org.twllm.core.plan;

import org.twllm.core.engine.LlamaConfig;

/**
 * Time of one optimizer step: compute at a fraction of the device's peak plus the communication that does not
 * hide behind it.
 *
 * <p>Compute is the trainer's MFU convention ({@link LlamaConfig#flopsPerToken}) plus, with activation
 * checkpointing, one more forward of the blocks ({@link LlamaConfig#blockForwardFlopsPerToken}). Communication is
 * ring reduce-scatter and all-gather: each rank sends {@code (W-1)/W} of a buffer over the ring's slowest link at
 * the ring's measured efficiency.
 *
 * <p>Overlap: backward finishes the gradient in {@code bucket_size_mb} buckets, evenly over its time, and one
 * communication thread reduce-scatters them in order as they become ready, so the reduction hides behind the rest
 * of backward (and behind the next micro-batch's forward). With partitioned gradients (ZeRO-2) every micro-batch
 * is reduced through {@link GpuEngineMemory#BUCKET_BUFFERS} reusable buffers, and backward waits for a free one
 * when all are in flight; otherwise only the last micro-batch's gradient is reduced, in place. The step is
 * simulated bucket by bucket. The all-gather of the updated weights follows the optimizer step, not overlapped.
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
     * The ring's slowest link.
     *
     * @param linkGbps   its rate in Gbit/s
     * @param efficiency ring bus bandwidth / link bandwidth
     */
    public record Link(double linkGbps, double efficiency) {
        /** Bytes per second the link carries in the ring. */
        double busBytesPerSecond() {
            return linkGbps * 1e9 / 8 * efficiency;
        }
    }

    /**
     * Seconds of one step and how they split.
     *
     * @param computeS       forward, backward and any recomputation of this rank's micro-batches
     * @param reduceScatterS the link's busy time for a step's reduce-scatters
     * @param allGatherS     the all-gather of the updated weights
     * @param exposedS       what communication adds to the step: the all-gather plus the reduce-scatter that did
     *                       not hide behind compute
     * @param mfu            model FLOPs per second over the peak (recomputation not counted)
     */
    public record StepTime(double computeS, double reduceScatterS, double allGatherS, double exposedS, double stepS,
                           double tokensPerS, double mfu) {
    }

    private final double peakFlops;
    private final double mfu;
    private final Link link;

    /**
     * @param peakFlops one device's peak FLOP/s for the run's precision
     * @param mfu       the fraction of the peak the step's FLOPs (recomputation included) run at
     */
    public StepTimeModel(double peakFlops, double mfu, Link link) {
        if (!(peakFlops > 0) || !(mfu > 0 && mfu <= 1)) {
            throw new IllegalArgumentException("peak FLOP/s must be positive and MFU in (0, 1], got " + peakFlops + ", " + mfu);
        }
        this.peakFlops = peakFlops;
        this.mfu = mfu;
        this.link = link;
    }

    /**
     * @param partitioned    gradients are reduce-scattered on every micro-batch into a partition through a few
     *                       bucket buffers (ZeRO-2 as DeepSpeed does it); otherwise once per step, in place
     * @param allGatherBytes bytes of one weight element as gathered (the compute precision's)
     */
    public StepTime step(TrainingSetup s, boolean partitioned, int allGatherBytes) {
        LlamaConfig c = s.shape();
        double rate = peakFlops * mfu;
        double modelFlops = c.flopsPerToken(s.seqLen());
        double recompute = s.checkpointing() ? c.blockForwardFlopsPerToken(s.seqLen()) : 0;
        double forwardS = s.microBatchTokens() * modelFlops / 3 / rate;
        double backwardS = s.microBatchTokens() * (modelFlops * 2 / 3 + recompute) / rate;
        double computeS = (forwardS + backwardS) * s.accumulation();

        int w = s.worldSize();
        double secondsPerByte = w == 1 ? 0 : (w - 1.0) / w / link.busBytesPerSecond();
        long gradientBytes = c.numParameters() * Float.BYTES;
        double reduceScatterS = (partitioned ? s.accumulation() : 1) * gradientBytes * secondsPerByte;
        double allGatherS = (double) c.numParameters() * allGatherBytes * secondsPerByte;
        double endS = w == 1 ? computeS : reducedBy(s, partitioned, forwardS, backwardS, gradientBytes * secondsPerByte);
        double exposedS = endS - computeS + allGatherS;
        double stepS = computeS + exposedS;
        double tokensPerS = s.globalBatch() * (double) s.seqLen() / stepS;
        return new StepTime(computeS, reduceScatterS, allGatherS, exposedS, stepS, tokensPerS, modelFlops * tokensPerS / (peakFlops * w));
    }

    /**
     * When the last reduce-scatter of the step ends: micro-batches run forward then backward; backward makes the
     * buckets ready evenly over its time (waiting, with partitioned gradients, for a free bucket buffer); one thread
     * reduces the ready buckets in order.
     */
    private double reducedBy(TrainingSetup s, boolean partitioned, double forwardS, double backwardS, double reduceAllS) {
        int buckets = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (s.shape().numParameters() * (long) Float.BYTES
                + s.bucketBytes() - 1) / s.bucketBytes()));
        double bucketComputeS = backwardS / buckets;
        double bucketReduceS = reduceAllS / buckets;
        double[] reducedAt = new double[GpuEngineMemory.BUCKET_BUFFERS];
        long launched = 0;
        double clock = 0;
        double linkFree = 0;
        for (int micro = 0; micro < s.accumulation(); micro++) {
            clock += forwardS;
            boolean reduced = partitioned || micro == s.accumulation() - 1;
            for (int b = 0; b < buckets; b++) {
                if (reduced && partitioned && launched >= reducedAt.length) {
                    clock = Math.max(clock, reducedAt[(int) (launched % reducedAt.length)]); // wait for a free buffer
                }
                clock += bucketComputeS;
                if (reduced) {
                    linkFree = Math.max(linkFree, clock) + bucketReduceS;
                    reducedAt[(int) (launched++ % reducedAt.length)] = linkFree;
                }
            }
        }
        return Math.max(clock, linkFree);
    }
}
