package org.twllm.data.feedback;

/** How a user rated a logged conversation. Only positive ones are trained on. */
public enum Rating {
    POSITIVE,
    NEUTRAL,
    NEGATIVE
}
