package org.twllm.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.twllm.core.generate.GenerationResult;

/**
 * The JSON of one completion in OpenAI's shapes: a whole {@code chat.completion}, or the
 * {@code chat.completion.chunk} objects of a stream (a first chunk with the role, one per piece of text,
 * a last one with the finish reason, and with {@code stream_options.include_usage} a usage chunk whose
 * {@code choices} are empty). Every object also carries {@code conversation_id}, which the chat page
 * sends back with the next turn and with ratings.
 */
final class CompletionJson {
    private final String id;
    private final long created;
    private final String model;
    private final String conversationId;
    private final boolean includeUsage;

    CompletionJson(String id, long created, String model, String conversationId, boolean includeUsage) {
        this.id = id;
        this.created = created;
        this.model = model;
        this.conversationId = conversationId;
        this.includeUsage = includeUsage;
    }

    /** OpenAI's finish_reason: "stop" at EOS or a stop sequence, "length" when max_tokens or the context ran out. */
    static String finishReason(GenerationResult.StopReason reason) {
        return reason == GenerationResult.StopReason.EOS || reason == GenerationResult.StopReason.STOP_SEQUENCE ? "stop" : "length";
    }

    ObjectNode completion(GenerationResult result) {
        ObjectNode root = header("chat.completion");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", result.text());
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(result.stopReason()));
        root.set("usage", usage(result));
        return root;
    }

    ObjectNode roleChunk() {
        ObjectNode root = chunk();
        choice(root).putObject("delta").put("role", "assistant").put("content", "");
        return root;
    }

    ObjectNode textChunk(String piece) {
        ObjectNode root = chunk();
        choice(root).putObject("delta").put("content", piece);
        return root;
    }

    ObjectNode finishChunk(GenerationResult result) {
        ObjectNode root = chunk();
        ObjectNode choice = choice(root);
        choice.putObject("delta");
        choice.put("finish_reason", finishReason(result.stopReason()));
        return root;
    }

    /** The usage chunk, or null when the request did not ask for one. */
    ObjectNode usageChunk(GenerationResult result) {
        if (!includeUsage) {
            return null;
        }
        ObjectNode root = header("chat.completion.chunk");
        root.putArray("choices");
        root.set("usage", usage(result));
        return root;
    }

    private ObjectNode chunk() {
        ObjectNode root = header("chat.completion.chunk");
        root.putArray("choices");
        if (includeUsage) {
            root.putNull("usage");
        }
        return root;
    }

    /** The chunk's only choice, with index, null logprobs and (until the last chunk) a null finish_reason. */
    private static ObjectNode choice(ObjectNode chunk) {
        ObjectNode choice = ((ArrayNode) chunk.get("choices")).addObject();
        choice.put("index", 0);
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return choice;
    }

    private ObjectNode header(String object) {
        ObjectNode root = HttpResponses.JSON.createObjectNode();
        root.put("id", id);
        root.put("object", object);
        root.put("created", created);
        root.put("model", model);
        root.put("conversation_id", conversationId);
        return root;
    }

    private static ObjectNode usage(GenerationResult result) {
        ObjectNode usage = HttpResponses.JSON.createObjectNode();
        usage.put("prompt_tokens", result.promptTokens());
        usage.put("completion_tokens", result.tokens().length);
        usage.put("total_tokens", result.promptTokens() + result.tokens().length);
        return usage;
    }
}
