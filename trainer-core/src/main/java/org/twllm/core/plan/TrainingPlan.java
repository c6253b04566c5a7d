package org.twllm.core.plan;

import org.twllm.core.plan.StepTimeModel.StepTime;

/**
 * {@code twllm plan}'s answer for one config on one cluster: memory per rank, whether it fits, the largest
 * micro-batch that does, and the step time. Model outputs, not measurements.
 *
 * @param memory                    the config's run, per rank
 * @param activationsCheckpointed   activations with gradient checkpointing, at the config's micro-batch
 * @param activationsPlain          activations without it
 * @param capacityBytes             what one rank may use
 * @param capacitySource            where {@code capacityBytes} comes from, in words
 * @param maxMicroBatch             the largest micro-batch that fits (0: not even one sample)
 * @param partitionedGradients      the engine keeps a gradient partition and reduces every micro-batch (ZeRO-2);
 *                                  otherwise a full-size buffer reduced once per step
 * @param peakFlops                 one device's peak FLOP/s used for the step time
 * @param peakSource                where {@code peakFlops} comes from
 * @param mfu                       the fraction of the peak the step's FLOPs run at
 */
public record TrainingPlan(PlanRequest request, TrainingSetup setup, MemoryBreakdown memory, long activationsCheckpointed,
                           long activationsPlain, long capacityBytes, String capacitySource, int maxMicroBatch,
                           boolean partitionedGradients, double peakFlops, String peakSource, double mfu,
                           StepTimeModel.Link link, StepTime time) {

    public boolean fits() {
        return memory.total() <= capacityBytes;
    }

    /** Days to train on {@code request.tokens()} tokens at the planned rate. */
    public double days() {
        return request.tokens() / time.tokensPerS() / 86_400;
    }
}
