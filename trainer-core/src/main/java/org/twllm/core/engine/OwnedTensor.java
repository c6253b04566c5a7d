package org.twllm.core.engine;

/** The fp32 state an engine keeps for its owned partition of the flat layout, which checkpoints save. */
public enum OwnedTensor {
    /** The master weights (in fp32 runs the compute weights' owned range itself). */
    MASTER,
    /** AdamW's first moments. */
    EXP_AVG,
    /** AdamW's second moments. */
    EXP_AVG_SQ
}
