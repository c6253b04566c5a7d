package org.twllm.core.train;

/** Where the figures of each finished optimizer step go (on rank 0): metrics.jsonl, TensorBoard. */
@FunctionalInterface
public interface StepLog {
    void append(StepMetrics m);
}
