package org.twllm.serve;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A real headless Chromium driven over the Chrome DevTools Protocol with the JDK's WebSocket client (no
 * driver library): start it, open a page, evaluate JavaScript, type and click with real input events.
 * Debian's {@code chromium} package provides the browser ({@code .ci/run} installs it).
 */
final class HeadlessChromium implements AutoCloseable {
    private static final List<String> BINARIES = List.of("chromium", "chromium-browser", "google-chrome");

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger nextId = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    /** Events the page raised that a test must not see: uncaught exceptions and JavaScript dialogs. */
    final List<String> problems = Collections.synchronizedList(new ArrayList<>());

    private HeadlessChromium(Process process, Path profile, WebSocket socket) {
        this.process = process;
        this.profile = profile;
        this.socket = socket;
    }

    /** Starts Chromium with an empty profile (the machine has no network: no updates, sync or QUIC). */
    static HeadlessChromium start(Path profile) throws Exception {
        String binary = findBinary();
        Files.createDirectories(profile);
        Process process = new ProcessBuilder(binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--user-data-dir=" + profile, "--remote-debugging-port=0", "about:blank")
                .redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log").toFile()).start();
        try {
            int port = awaitDevToolsPort(process, profile);
            HttpClient http = HttpClient.newHttpClient();
            String pageSocket = null;
            for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); pageSocket == null && System.nanoTime() < deadline; ) {
                HttpResponse<String> list = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
                        HttpResponse.BodyHandlers.ofString());
                for (JsonNode target : TestHttp.json(list.body())) {
                    if ("page".equals(target.path("type").asText())) {
                        pageSocket = target.get("webSocketDebuggerUrl").asText();
                    }
                }
                if (pageSocket == null) {
                    Thread.sleep(100);
                }
            }
            if (pageSocket == null) {
                throw new IllegalStateException("Chromium opened no page");
            }
            Listener listener = new Listener();
            WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(pageSocket), listener).get(30, TimeUnit.SECONDS);
            HeadlessChromium browser = new HeadlessChromium(process, profile, socket);
            listener.browser = browser;
            browser.call("Runtime.enable", null);
            browser.call("Page.enable", null);
            return browser;
        } catch (Exception e) {
            process.destroyForcibly();
            throw e;
        }
    }

    private static String findBinary() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(java.io.File.pathSeparator)) {
            for (String name : BINARIES) {
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
        }
        throw new IllegalStateException("no Chromium found on PATH: install it with 'apt-get install -y chromium chromium-driver'"
                + " (.ci/run does)");
    }

    private static int awaitDevToolsPort(Process process, Path profile) throws Exception {
        Path file = profile.resolve("DevToolsActivePort");
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); System.nanoTime() < deadline; ) {
            if (Files.exists(file)) {
                List<String> lines = Files.readAllLines(file);
                if (!lines.isEmpty() && !lines.get(0).isBlank()) {
                    return Integer.parseInt(lines.get(0).strip());
                }
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("Chromium exited: " + Files.readString(profile.resolve("chromium.log")));
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("Chromium did not open its DevTools port");
    }

    /** Sends a DevTools command and returns its result. */
    JsonNode call(String method, ObjectNode params) throws Exception {
        int id = nextId.incrementAndGet();
        ObjectNode message = TestHttp.JSON.createObjectNode();
        message.put("id", id);
        message.put("method", method);
        if (params != null) {
            message.set("params", params);
        }
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        socket.sendText(message.toString(), true).get(10, TimeUnit.SECONDS);
        JsonNode reply = answer.get(30, TimeUnit.SECONDS);
        if (reply.has("error")) {
            throw new IllegalStateException(method + " failed: " + reply.get("error"));
        }
        return reply.get("result");
    }

    static ObjectNode params() {
        return TestHttp.JSON.createObjectNode();
    }

    void navigate(URI url) throws Exception {
        call("Page.navigate", params().put("url", url.toString()));
    }

    /** The value of a JavaScript expression (awaited when it is a promise), as JSON. */
    JsonNode evaluate(String expression) throws Exception {
        JsonNode result = call("Runtime.evaluate", params().put("expression", expression).put("returnByValue", true).put("awaitPromise", true));
        if (result.has("exceptionDetails")) {
            throw new IllegalStateException("JavaScript failed: " + result.get("exceptionDetails"));
        }
        return result.get("result").path("value");
    }

    /** Waits until {@code expression} is truthy (one that throws, on a page still loading, counts as false). */
    void waitFor(String expression, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String test = "(() => { try { return Boolean(" + expression + "); } catch (e) { return false; } })()";
        while (!evaluate(test).asBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + expression);
            }
            Thread.sleep(50);
        }
    }

    /** Types text as an input method would insert it (how CJK text arrives). */
    void insertText(String text) throws Exception {
        call("Input.insertText", params().put("text", text));
    }

    /** Presses and releases Enter, with Shift held or not. */
    void pressEnter(boolean shift) throws Exception {
        for (String type : List.of("keyDown", "keyUp")) {
            ObjectNode p = params().put("type", type).put("key", "Enter").put("code", "Enter").put("windowsVirtualKeyCode", 13)
                    .put("modifiers", shift ? 8 : 0);
            if (type.equals("keyDown")) {
                p.put("text", "\r");
            }
            call("Input.dispatchKeyEvent", p);
        }
    }

    /** Clicks the middle of the first element matching {@code selector} with the mouse. */
    void click(String selector) throws Exception {
        JsonNode box = evaluate("(() => { const r = document.querySelector(" + TestHttp.JSON.writeValueAsString(selector)
                + ").getBoundingClientRect(); return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()");
        for (String type : List.of("mousePressed", "mouseReleased")) {
            call("Input.dispatchMouseEvent", params().put("type", type).put("x", box.get("x").asDouble()).put("y", box.get("y").asDouble())
                    .put("button", "left").put("clickCount", 1));
        }
    }

    @Override
    public void close() {
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // the process goes anyway
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Collects a message's text frames, answers pending calls and records page problems. */
    private static final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();
        volatile HeadlessChromium browser;

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                JsonNode message = TestHttp.json(text.toString());
                text.setLength(0);
                HeadlessChromium b = browser;
                if (message.has("id") && b != null) {
                    CompletableFuture<JsonNode> answer = b.pending.remove(message.get("id").asInt());
                    if (answer != null) {
                        answer.complete(message);
                    }
                } else if (b != null) {
                    String method = message.path("method").asText();
                    if (method.equals("Runtime.exceptionThrown") || method.equals("Page.javascriptDialogOpening")) {
                        b.problems.add(message.toString());
                    }
                }
            }
            webSocket.request(1);
            return null;
        }
    }
}
