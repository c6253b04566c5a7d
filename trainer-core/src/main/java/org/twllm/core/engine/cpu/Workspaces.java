package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ND4J workspaces the model computes in. Every array of one forward/backward lives in a workspace:
 * after the first call has learned the size, later calls of the same shape reuse the same memory, so
 * native memory (RSS) stays flat across steps. Nested scopes free per-layer and per-chunk temporaries
 * as soon as that layer or chunk is done.
 *
 * <p>A workspace learns its size from its first cycle, and a later, larger cycle spills into separate
 * allocations that the C allocator keeps resident after they are freed. So each workspace serves one kind
 * of cycle: training and forward-only passes, a block's backward and a block's unkept forward, use their own
 * (attention's tile workspace, a few tile-sized arrays, serves forward and backward pairs alike).
 */
final class Workspaces {
    /** Activations saved for backward and the residual gradient: live for one forward+backward call. */
    static final String STEP = "twllm-model-step";
    /** What a forward-only call (loss, log-probabilities, logits) keeps between blocks. */
    static final String FORWARD = "twllm-model-forward";
    /** One block's backward, with its recomputed forward under gradient checkpointing. */
    static final String BLOCK = "twllm-model-block";
    /** One block's forward whose activations are not kept (checkpointed training, forward-only calls). */
    static final String BLOCK_FORWARD = "twllm-model-block-forward";
    /** One chunk of the vocabulary-sized logits. */
    static final String CHUNK = "twllm-model-loss-chunk";
    /** The softmax denominators of one query tile of attention's forward. */
    static final String ATTENTION_ROW = "twllm-model-attention-row";
    /** Temporaries of one attention run (a query tile against a run of key tiles): bounded by the run budget, not by T. */
    static final String ATTENTION_TILE = "twllm-model-attention-tile";

    private static final WorkspaceConfiguration CONFIG = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .overallocationLimit(0.05)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();

    private Workspaces() {
    }

    static MemoryWorkspace open(String id) {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, id);
    }

    static MemoryWorkspace outside() {
        return Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
    }
}
