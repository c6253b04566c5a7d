package org.twllm.data.chat;

import java.util.Objects;

/** One message of a dialogue. */
public record Message(Role role, String content) {
    public Message {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }
}
