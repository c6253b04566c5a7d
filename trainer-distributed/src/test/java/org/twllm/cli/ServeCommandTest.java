package org.twllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** twllm serve's usage errors: one sentence each, exit code 2, before anything is loaded or bound. */
class ServeCommandTest {
    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private static void assertUsageError(CliRun result, String expected) {
        String err = result.err();
        assertEquals(Main.EXIT_USAGE, result.code(), err);
        assertTrue(err.startsWith("error: ") && err.contains(expected), err);
        assertFalse(err.contains("Exception"), err);
    }

    @Test
    void badInvocationsAreUsageErrors() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        assertUsageError(run("serve", "--model", model.toString(), "--host", "0.0.0.0", "--api-key", ""), "non-empty --api-key");
        assertUsageError(run("serve", "--model", model.toString(), "--port", "70000"), "--port 70000 is not a port");
        assertUsageError(run("serve", "--model", model.toString(), "--max-concurrent", "0"), "--max-concurrent 0");
        assertUsageError(run("serve", "--model", model.toString()), "holds no tokenizer.model: pass --tokenizer FILE");
        if (System.getenv("TWLLM_API_KEY") == null) {
            assertUsageError(run("serve", "--model", model.toString(), "--host", "0.0.0.0"), "also give --api-key KEY");
        }
    }
}
