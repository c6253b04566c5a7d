package org.twllm.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.cli.Main;

/** An acknowledged rating survives {@code kill -9} of the server: twllm serve in a child JVM, killed right after the 200. */
class ServeKillTest {
    private static final Pattern URL = Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+/)");

    @TempDir
    Path dir;

    @Test
    void anAcknowledgedRatingIsInTheLogAfterKill9() throws Exception {
        Path model = TestModels.scripted(dir.resolve("model"), TestModels.TOKENIZER.encode("好的。"));
        Path log = dir.resolve("feedback.jsonl");
        Path out = dir.resolve("serve.log");
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseSerialGC", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-cp", classPath,
                Main.class.getName(), "serve", "--model", model.toString(), "--port", "0", "--feedback-log", log.toString(),
                "--max-concurrent", "1"));
        Process server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            URI base = awaitUrl(server, out);
            String[] served = RatingsTest.chat(base, null, "[{\"role\":\"user\",\"content\":\"可以幫我嗎？\"}]");
            assertEquals(200, RatingsTest.rate(base, served[1], served[0], "up", "謝謝").statusCode());
            server.destroyForcibly(); // SIGKILL: no shutdown hook, no close
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
            assertEquals(137, server.exitValue(), "killed by signal 9");
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            assertEquals(1, lines.size());
            JsonNode record = TestHttp.json(lines.get(0));
            assertEquals(served[0], record.get("message_id").asText());
            assertEquals("up", record.get("rating").asText());
            assertEquals("好的。", record.get("messages").get(1).get("content").asText());
        } finally {
            server.destroyForcibly();
        }
    }

    private static URI awaitUrl(Process server, Path out) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            String text = Files.exists(out) ? Files.readString(out, StandardCharsets.UTF_8) : "";
            Matcher m = URL.matcher(text);
            if (m.find()) {
                return URI.create(m.group(1));
            }
            if (!server.isAlive()) {
                throw new AssertionError("twllm serve exited with " + server.exitValue() + ":\n" + text);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("twllm serve did not print its address:\n" + Files.readString(out, StandardCharsets.UTF_8));
    }
}
