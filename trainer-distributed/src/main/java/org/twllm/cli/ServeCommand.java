package org.twllm.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.twllm.serve.ChatServer;
import org.twllm.serve.ServeSettings;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code twllm serve}: the chat page and an OpenAI-compatible API over a model, writing ratings to a feedback log. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a model: a chat page with 👍/👎 ratings and an OpenAI-compatible API (/v1/chat/completions, /v1/models).",
            "Each rating is appended to the feedback log in the format 'twllm train --stage feedback-sft' reads.",
            "Stops on Ctrl+C (SIGINT) or SIGTERM."})
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "A HuggingFace Llama directory (config.json, safetensors), e.g. a run's final/.")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "The SentencePiece .model the model was trained with (default: DIR/tokenizer.model).")
    Path tokenizer;

    @Option(names = "--chat-template", paramLabel = "NAME", defaultValue = "taiwan-llm",
            description = "taiwan-llm (default) or llama-2-chat: the template the model was fine-tuned with.")
    String chatTemplate;

    @Option(names = "--system-prompt", paramLabel = "TEXT", description = "System prompt for conversations that bring none (default: the template's own).")
    String systemPrompt;

    @Option(names = "--context-length", paramLabel = "N", defaultValue = "0",
            description = "Longest sequence (prompt + reply); default: the model's max_position_embeddings.")
    int contextLength;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "Address to listen on (default ${DEFAULT-VALUE}); any other than loopback needs --api-key.")
    String host;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8000", description = "Port (default ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--feedback-log", paramLabel = "FILE", defaultValue = "feedback.jsonl",
            description = "Where ratings are appended, one JSON line each (default ${DEFAULT-VALUE}).")
    Path feedbackLog;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:TWLLM_API_KEY}",
            description = "Require 'Authorization: Bearer KEY' on the API (default: $TWLLM_API_KEY, else none).")
    String apiKey;

    @Option(names = "--max-concurrent", paramLabel = "N", defaultValue = "8",
            description = "Requests generated together in one continuous batch (default ${DEFAULT-VALUE}).")
    int maxConcurrent;

    @Option(names = "--max-queue", paramLabel = "N", defaultValue = "32",
            description = "Requests that may wait for the batch; more get 429 with Retry-After (default ${DEFAULT-VALUE}).")
    int maxQueue;

    @Option(names = "--model-name", paramLabel = "NAME",
            description = "Name the API serves the model under (default: the directory's name, or its run's for a final/ model).")
    String modelName;

    @Override
    public Integer call() throws InterruptedException {
        ServeSettings settings = new ServeSettings(model, tokenizer, chatTemplate, systemPrompt, contextLength, host, port,
                feedbackLog, apiKey, maxConcurrent, maxQueue, modelName);
        ChatServer server = ChatServer.start(settings);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "twllm-serve-stop"));
        System.out.println("twllm serve: " + server.modelName() + " (context " + server.contextLength() + " tokens) at " + server.url());
        System.out.println("  chat page: " + server.url() + "   API: " + server.url() + "v1   ratings: " + server.feedbackLog());
        if (server.setAsideFeedbackLine() != null) {
            System.out.println("  an unfinished last line of the feedback log (a crash while writing it) was moved to " + server.setAsideFeedbackLine());
        }
        System.out.flush();
        new CountDownLatch(1).await();
        return Main.EXIT_OK;
    }
}
