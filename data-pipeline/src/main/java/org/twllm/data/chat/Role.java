package org.twllm.data.chat;

/** Who speaks a message. A dialogue is an optional system message, then user and assistant turns alternating. */
public enum Role {
    SYSTEM,
    USER,
    ASSISTANT
}
