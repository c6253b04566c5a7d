package org.twllm.serve;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.twllm.errors.ConfigException;

/**
 * What {@code twllm serve} was started with.
 *
 * @param tokenizer     the SentencePiece model; null for {@code tokenizer.model} in the model directory
 * @param systemPrompt  system prompt for conversations that bring none; null for the template's own
 * @param contextLength longest sequence (prompt plus reply); 0 for the model's maximum
 * @param apiKey        the Bearer token every API request must carry; null for none (loopback only)
 * @param maxConcurrent sequences generated together (the continuous batch)
 * @param maxQueue      requests waiting for a place in the batch before new ones get 429
 * @param modelName     the name the API serves the model under; null for one made from the directory
 */
public record ServeSettings(Path model, Path tokenizer, String chatTemplate, String systemPrompt, int contextLength,
                            String host, int port, Path feedbackLog, String apiKey, int maxConcurrent, int maxQueue,
                            String modelName) {
    /** Largest request body accepted (a conversation filling any Llama-2 context fits many times over). */
    public static final int MAX_REQUEST_BYTES = 1 << 20;

    public ServeSettings {
        List<String> problems = new ArrayList<>();
        if (port < 0 || port > 65535) {
            problems.add("--port " + port + " is not a port: use 1..65535 (or 0 for any free one)");
        }
        if (maxConcurrent < 1) {
            problems.add("--max-concurrent " + maxConcurrent + " must be at least 1");
        }
        if (maxQueue < 0) {
            problems.add("--max-queue " + maxQueue + " must be 0 or more");
        }
        if (contextLength < 0) {
            problems.add("--context-length " + contextLength + " must be 0 (the model's maximum) or more");
        }
        if (apiKey != null && apiKey.isBlank()) {
            problems.add("the API key is empty: give a non-empty --api-key (or leave it out on 127.0.0.1)");
        }
        if (apiKey == null && !isLoopback(host)) {
            problems.add("--host " + host + " lets other machines connect: also give --api-key KEY (or set TWLLM_API_KEY),"
                    + " which every request must then send as 'Authorization: Bearer KEY'");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    /** Whether {@code host} names this machine's loopback interface only. */
    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new ConfigException("--host " + host + " cannot be resolved: give an address such as 127.0.0.1 or 0.0.0.0");
        }
    }
}
