package org.twllm.dist.collective;

import org.twllm.errors.TwllmException;

/**
 * A collective that cannot finish: a neighbour died, hung or closed its stream after its own failure.
 * The message names this rank, the rank at fault and the collective, e.g.
 * {@code "rank 2: no data from rank 1 for 30 s in reduce-scatter (bucket 3); rank 1 may have died or hung"}.
 */
public final class CollectiveFailure extends TwllmException {
    private static final long serialVersionUID = 1L;

    public CollectiveFailure(String message) {
        super(message);
    }

    public CollectiveFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
