package org.twllm.serve;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twllm.data.feedback.FeedbackLog;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;

/**
 * {@code twllm serve}: the chat page, an OpenAI-compatible chat API and ratings that become Feedback-SFT
 * data, on the JDK's HTTP server.
 *
 * <pre>
 * GET  /                      the chat page (zh-TW)
 * GET  /health                status and load
 * GET  /v1/models             the served model
 * POST /v1/chat/completions   OpenAI chat completions, streamed as server-sent events with "stream": true
 * POST /v1/feedback           a rating of a served reply, appended to the feedback log
 * </pre>
 *
 * Requests are handled on a bounded pool of threads (enough for every running and queued generation
 * plus a few quick requests); generation itself runs on the {@link ContinuousBatcher}'s one thread.
 */
public final class ChatServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChatServer.class);
    /** Threads beyond those that generations hold, for /health, /v1/models, ratings and the page. */
    private static final int QUICK_REQUEST_THREADS = 4;
    /** Connections that may wait for a free thread; past these a connection is closed unanswered. */
    private static final int PENDING_CONNECTIONS = 64;

    private final ServedModel model;
    private final FeedbackLog log;
    private final ContinuousBatcher batcher;
    private final ThreadPoolExecutor executor;
    private final HttpServer http;
    private final RequestGuard guard;
    private final ChatPage page = ChatPage.load();
    private final CompletionsEndpoint completions;
    private final FeedbackEndpoint feedback;
    private final long started = System.currentTimeMillis() / 1000;
    private final int maxConcurrent;
    private final int maxQueue;

    private ChatServer(ServeSettings settings, ServedModel model, FeedbackLog log) throws IOException {
        this.model = model;
        this.log = log;
        this.maxConcurrent = settings.maxConcurrent();
        this.maxQueue = settings.maxQueue();
        this.guard = new RequestGuard(settings.apiKey());
        this.batcher = ContinuousBatcher.start(model.decoder, model.tokenizer, model.contextLength, maxConcurrent, maxQueue);
        ServedReplies replies = new ServedReplies();
        this.completions = new CompletionsEndpoint(model, batcher, replies);
        this.feedback = new FeedbackEndpoint(model, replies, log);
        int threads = maxConcurrent + maxQueue + QUICK_REQUEST_THREADS;
        AtomicInteger count = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(PENDING_CONNECTIONS), r -> {
            Thread t = new Thread(r, "twllm-http-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        executor.allowCoreThreadTimeOut(true);
        try {
            this.http = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), PENDING_CONNECTIONS);
        } catch (IOException e) {
            batcher.close();
            executor.shutdownNow();
            throw e;
        }
        http.setExecutor(executor);
        http.createContext("/", this::handle);
        http.start();
    }

    /** Loads the model, opens the feedback log and starts answering. */
    public static ChatServer start(ServeSettings settings) {
        ServedModel model = ServedModel.open(settings);
        FeedbackLog log = FeedbackLog.open(settings.feedbackLog());
        try {
            return new ChatServer(settings, model, log);
        } catch (BindException e) {
            log.close();
            throw new ConfigException("cannot listen on " + settings.host() + ":" + settings.port() + " (" + e.getMessage()
                    + "): the port is in use or not allowed; choose another --port");
        } catch (IOException | RuntimeException e) {
            log.close();
            throw new TwllmException("cannot start the server on " + settings.host() + ":" + settings.port() + ": " + e.getMessage(), e);
        }
    }

    /** The address the server answers on (the port chosen when started with port 0). */
    public URI url() {
        InetSocketAddress address = http.getAddress();
        String host = address.getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort() + "/");
    }

    public String modelName() {
        return model.name;
    }

    public int contextLength() {
        return model.contextLength;
    }

    public Path feedbackLog() {
        return log.file();
    }

    /** Where an unfinished last line of the feedback log was moved at start, or null. */
    public Path setAsideFeedbackLine() {
        return log.setAside();
    }

    @Override
    public void close() {
        http.stop(0);
        batcher.close();
        executor.shutdownNow();
        log.close();
    }

    private void handle(HttpExchange exchange) {
        try {
            exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            exchange.getResponseHeaders().set("Referrer-Policy", "no-referrer");
            route(exchange);
        } catch (ApiException e) {
            sendError(exchange, e);
        } catch (ConfigException e) {
            sendError(exchange, ApiException.invalid(null, e.getMessage()));
        } catch (TwllmException e) {
            LOG.error("request {} failed", exchange.getRequestURI().getPath(), e);
            sendError(exchange, ApiException.internal(e.getMessage()));
        } catch (IOException e) {
            LOG.debug("client of {} went away", exchange.getRequestURI().getPath(), e);
        } catch (RuntimeException e) {
            LOG.error("request {} failed", exchange.getRequestURI().getPath(), e);
            sendError(exchange, ApiException.internal("the server failed on this request; its log has the details"));
        } finally {
            exchange.close();
        }
    }

    private void route(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        if (path.equals("/")) {
            requireMethod(exchange, "GET");
            guard.check(exchange, false);
            page.send(exchange);
            return;
        }
        guard.check(exchange, true);
        switch (path) {
            case "/health" -> {
                requireMethod(exchange, "GET");
                HttpResponses.json(exchange, 200, health());
            }
            case "/v1/models" -> {
                requireMethod(exchange, "GET");
                HttpResponses.json(exchange, 200, models());
            }
            case "/v1/chat/completions" -> {
                requireMethod(exchange, "POST");
                completions.handle(exchange);
            }
            case "/v1/feedback" -> {
                requireMethod(exchange, "POST");
                feedback.handle(exchange);
            }
            default -> throw ApiException.notFound(null, "unknown_url", "no endpoint " + method + " " + path
                    + ": the API has /v1/chat/completions, /v1/models, /v1/feedback and /health");
        }
    }

    private static void requireMethod(HttpExchange exchange, String method) {
        if (!exchange.getRequestMethod().equals(method)) {
            throw ApiException.methodNotAllowed(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), method);
        }
    }

    private ObjectNode health() {
        ContinuousBatcher.Stats stats = batcher.stats();
        ObjectNode root = HttpResponses.JSON.createObjectNode();
        root.put("status", "ok");
        root.put("model", model.name);
        root.put("context_length", model.contextLength);
        root.put("running", stats.running());
        root.put("queued", stats.queued());
        root.put("max_concurrent", maxConcurrent);
        root.put("max_queue", maxQueue);
        root.put("completed", stats.completed());
        root.put("cancelled", stats.cancelled());
        root.put("rejected", stats.rejected());
        return root;
    }

    private ObjectNode models() {
        ObjectNode root = HttpResponses.JSON.createObjectNode();
        root.put("object", "list");
        ObjectNode entry = root.putArray("data").addObject();
        entry.put("id", model.name);
        entry.put("object", "model");
        entry.put("created", started);
        entry.put("owned_by", "twllm");
        entry.put("max_model_len", model.contextLength);
        return root;
    }

    private static void sendError(HttpExchange exchange, ApiException e) {
        try {
            HttpResponses.error(exchange, e);
        } catch (IOException | RuntimeException alreadySent) {
            LOG.debug("could not send the error for {} ({})", exchange.getRequestURI().getPath(), e.getMessage());
        }
    }
}
