package org.twllm.serve;

import java.util.LinkedHashMap;
import java.util.Map;

import org.twllm.data.chat.Dialogue;

/**
 * The replies this server generated, by message id, each with the conversation up to and including it:
 * what a rating stores. Bounded: the oldest are forgotten past {@link #CAPACITY} (a rating of one of
 * those is refused with a message saying so).
 */
final class ServedReplies {
    static final int CAPACITY = 10_000;

    /** A served reply: its conversation's id and the conversation ending with the reply. */
    record Reply(String conversationId, Dialogue conversation) {
    }

    private final Map<String, Reply> byMessageId = new LinkedHashMap<>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Reply> eldest) {
            return size() > CAPACITY;
        }
    };

    synchronized void remember(String messageId, Reply reply) {
        byMessageId.put(messageId, reply);
    }

    /** The reply with {@code messageId}, or null. */
    synchronized Reply find(String messageId) {
        return byMessageId.get(messageId);
    }
}
