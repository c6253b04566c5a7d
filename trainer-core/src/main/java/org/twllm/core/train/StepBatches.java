package org.twllm.core.train;

import java.util.List;

import org.twllm.data.loader.Sample;

/** This rank's micro-batches of one global batch (its contiguous share of the global sample order). */
@FunctionalInterface
public interface StepBatches {
    /** The micro-batches of global batch {@code index} (0-based: optimizer step {@code index + 1}) for this rank. */
    List<List<Sample>> microBatches(long index);
}
