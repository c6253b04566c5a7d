package org.twllm.core.engine;

/**
 * The all-gather of updated weights: {@code weights} holds the whole flat layout in the compute element type,
 * this rank's owned range freshly updated; afterwards every rank's range is every rank's.
 */
@FunctionalInterface
public interface WeightGather {
    void allGather(HostBuffer weights);
}
