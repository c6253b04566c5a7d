package org.twllm.serve;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import org.twllm.core.generate.GenerationResult;
import org.twllm.core.generate.SamplingSettings;
import org.twllm.data.chat.Dialogue;
import org.twllm.data.chat.Message;
import org.twllm.data.chat.Role;

/**
 * {@code POST /v1/chat/completions}: checks the request against the model's limits, queues it with the
 * batcher, and answers with one {@code chat.completion} or, with {@code "stream": true}, server-sent
 * events of {@code chat.completion.chunk} objects ending with {@code data: [DONE]}. While it waits it
 * writes a heartbeat (an SSE comment, or a space before the JSON body once a second has passed), so a
 * client that disconnected is noticed and its generation cancelled even before the next token.
 */
final class CompletionsEndpoint {
    /** How long a response may go without a write while its generation runs. */
    static final long HEARTBEAT_MILLIS = 1000;

    private final ServedModel model;
    private final ContinuousBatcher batcher;
    private final ServedReplies replies;

    CompletionsEndpoint(ServedModel model, ContinuousBatcher batcher, ServedReplies replies) {
        this.model = model;
        this.batcher = batcher;
        this.replies = replies;
    }

    void handle(HttpExchange exchange) throws IOException {
        ChatRequest request = ChatRequest.parse(RequestGuard.readJson(exchange));
        if (request.model() != null && !request.model().equals(model.name)) {
            throw ApiException.notFound("model", "model_not_found", "the model '" + request.model() + "' is not served here;"
                    + " this server serves '" + model.name + "' (see GET /v1/models)");
        }
        List<Message> conversation = model.withSystemPrompt(request.messages());
        int[] prompt = model.prompt(conversation);
        int room = model.contextLength - prompt.length;
        if (room < 1) {
            throw ApiException.invalid("messages", "context_length_exceeded", "the conversation is " + prompt.length
                    + " tokens, but the model's context holds " + model.contextLength + " with the reply: shorten it or start a new chat");
        }
        int maxTokens = request.maxTokens() == null ? room : request.maxTokens();
        if (maxTokens > room) {
            throw ApiException.invalid("max_tokens", "context_length_exceeded", "max_tokens " + maxTokens + " does not fit: the prompt takes "
                    + prompt.length + " of the context's " + model.contextLength + " tokens, leaving " + room);
        }
        long seed = request.seed() != null ? request.seed() : ThreadLocalRandom.current().nextLong();
        SamplingSettings settings = new SamplingSettings(maxTokens, request.temperature(), request.topK(), request.topP(), seed,
                request.stop());
        GenerationJob job = batcher.submit(prompt, settings);
        String conversationId = request.conversationId() != null ? request.conversationId() : Ids.conversation();
        String id = Ids.completion();
        CompletionJson json = new CompletionJson(id, System.currentTimeMillis() / 1000, model.name, conversationId,
                request.includeUsage());
        try {
            GenerationResult result = request.stream() ? stream(exchange, job, json) : respond(exchange, job, json);
            if (result != null && !result.text().isBlank()) {
                List<Message> rated = new ArrayList<>(conversation);
                rated.add(new Message(Role.ASSISTANT, result.text()));
                replies.remember(id, new ServedReplies.Reply(conversationId, new Dialogue(rated)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            // A client gone, a failed write or a stopping server: the batcher drops the job (a no-op once finished).
            job.cancel();
        }
    }

    /** Server-sent events; the result, or null when the client left or generation failed. */
    private static GenerationResult stream(HttpExchange exchange, GenerationJob job, CompletionJson json)
            throws IOException, InterruptedException {
        ResponseStream out = new ResponseStream(exchange);
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        try {
            out.commit("text/event-stream; charset=utf-8");
            out.write(event(json.roleChunk()));
            while (true) {
                GenerationJob.Event event = job.next(out.millisToHeartbeat(HEARTBEAT_MILLIS));
                if (event == null) {
                    out.write(": keep-alive\n\n");
                } else if (event instanceof GenerationJob.Text text) {
                    out.write(event(json.textChunk(text.piece())));
                } else if (event instanceof GenerationJob.Finished finished) {
                    out.write(event(json.finishChunk(finished.result())));
                    ObjectNode usage = json.usageChunk(finished.result());
                    if (usage != null) {
                        out.write(event(usage));
                    }
                    out.write("data: [DONE]\n\n");
                    return finished.result();
                } else {
                    out.write(event(HttpResponses.errorBody(ApiException.internal(((GenerationJob.Failed) event).message()))));
                    return null;
                }
            }
        } catch (IOException clientGone) {
            return null;
        }
    }

    /** One chat.completion body; the result, or null when the client left or generation failed. */
    private static GenerationResult respond(HttpExchange exchange, GenerationJob job, CompletionJson json)
            throws IOException, InterruptedException {
        ResponseStream out = new ResponseStream(exchange);
        try {
            while (true) {
                GenerationJob.Event event = job.next(out.millisToHeartbeat(HEARTBEAT_MILLIS));
                if (event instanceof GenerationJob.Finished finished) {
                    String body = HttpResponses.toJson(json.completion(finished.result()));
                    if (out.committed()) {
                        out.write(body);
                    } else {
                        HttpResponses.send(exchange, 200, HttpResponses.JSON_TYPE, body.getBytes(StandardCharsets.UTF_8));
                    }
                    return finished.result();
                }
                if (event instanceof GenerationJob.Failed failed) {
                    ApiException error = ApiException.internal(failed.message());
                    if (out.committed()) {
                        out.write(HttpResponses.toJson(HttpResponses.errorBody(error)));
                    } else {
                        HttpResponses.error(exchange, error);
                    }
                    return null;
                }
                if (out.millisToHeartbeat(HEARTBEAT_MILLIS) == 0) {
                    // Leading whitespace is valid JSON: it keeps the connection tested while the reply is written.
                    if (!out.committed()) {
                        out.commit(HttpResponses.JSON_TYPE);
                    }
                    out.write(" ");
                }
            }
        } catch (IOException clientGone) {
            return null;
        }
    }

    private static String event(ObjectNode data) {
        return "data: " + HttpResponses.toJson(data) + "\n\n";
    }
}
