package org.twllm.data.chat;

import java.util.List;
import java.util.Optional;

/**
 * A training conversation: an optional system message first, then user and assistant turns strictly
 * alternating, starting with a user turn and ending with an assistant turn (the last turn is what a
 * model learns to answer). The constructor checks this shape and says what is wrong.
 */
public record Dialogue(List<Message> messages) {
    public Dialogue {
        messages = List.copyOf(messages);
        String problem = shapeProblem(messages);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** The system message's content, if the dialogue has one. */
    public Optional<String> system() {
        return messages.get(0).role() == Role.SYSTEM ? Optional.of(messages.get(0).content()) : Optional.empty();
    }

    /** The user and assistant messages, in order (the system message left out). */
    public List<Message> turns() {
        return system().isPresent() ? messages.subList(1, messages.size()) : messages;
    }

    private static String shapeProblem(List<Message> messages) {
        if (messages.isEmpty()) {
            return "the dialogue has no messages";
        }
        int first = messages.get(0).role() == Role.SYSTEM ? 1 : 0;
        if (first == messages.size()) {
            return "the dialogue has only a system message; it needs at least one user and one assistant message";
        }
        for (int i = first; i < messages.size(); i++) {
            Message message = messages.get(i);
            Role expected = (i - first) % 2 == 0 ? Role.USER : Role.ASSISTANT;
            if (message.role() == Role.SYSTEM) {
                return "message " + (i + 1) + " is a system message; only the first message may be one";
            }
            if (message.role() != expected) {
                return "message " + (i + 1) + " is from " + name(message.role()) + " but " + name(expected)
                        + " was expected; turns must alternate user, assistant, user, ...";
            }
            if (message.content().isBlank()) {
                return "message " + (i + 1) + " (" + name(message.role()) + ") is empty";
            }
        }
        if (messages.get(messages.size() - 1).role() != Role.ASSISTANT) {
            return "the dialogue ends with a user message; it must end with an assistant message to have something to train on";
        }
        return null;
    }

    private static String name(Role role) {
        return role.name().toLowerCase(java.util.Locale.ROOT);
    }
}
