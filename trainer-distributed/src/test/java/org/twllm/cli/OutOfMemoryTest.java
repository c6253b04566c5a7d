package org.twllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.errors.TwllmException;

/**
 * Issue 12 §4: a run the memory estimate says cannot fit is refused before any work (exit 2, with the largest
 * micro-batch that fits); running out of memory anyway, heap or off-heap, anywhere, is one sentence saying what to
 * lower, exit 1, and no stack trace without --verbose.
 */
class OutOfMemoryTest {
    private static String report(Throwable failure, String command, boolean verbose, int expectedCode) {
        StringWriter text = new StringWriter();
        assertEquals(expectedCode, Main.report(failure, new PrintWriter(text), verbose, command));
        return text.toString();
    }

    @Test
    void theIssuesReproductionIsRefusedBeforeAnyWork(@TempDir Path dir) throws Exception {
        // The issue's reproduction: the shipped tiny cPT config with a micro-batch of 7000, which grows past 15 GB.
        CliRun r = CliRun.inChildJvm(List.of(), List.of("-Xmx512m"), 180,
                "train", "--stage", "cpt", "--config", "configs/tiny/cpt.yaml", "--set", "run.output_dir=" + dir.resolve("run"),
                "--set", "data.cache_dir=" + dir.resolve("cache"), "--set", "training.per_device_train_batch_size=7000",
                "--set", "device.peak_flops=1e11");
        assertEquals(Main.EXIT_USAGE, r.code(), r.all());
        List<String> errors = r.err().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), r.all());
        assertTrue(errors.get(0).contains("needs an estimated") && errors.get(0).contains("largest micro-batch that fits is")
                && errors.get(0).contains("training.per_device_train_batch_size"), r.all());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), r.all());
        assertFalse(Files.exists(dir.resolve("cache")), "refused before the corpus was tokenized");
    }

    @Test
    void aHeapLimitBelowWhatTrainingNeedsIsRefused(@TempDir Path dir) throws Exception {
        // JavaCPP's resident-memory limit given, as scripts/twllm does (by default it is a few times -Xmx)
        CliRun r = CliRun.inChildJvm(List.of(), List.of("-Xmx16m", "-Dorg.bytedeco.javacpp.maxphysicalbytes=16g"), 180,
                "train", "--stage", "cpt", "--config", "configs/tiny/cpt.yaml", "--set", "run.output_dir=" + dir.resolve("run"),
                "--set", "device.peak_flops=1e11");
        assertEquals(Main.EXIT_USAGE, r.code(), r.all());
        assertTrue(r.err().contains("the Java heap limit of 16 MiB is below") && r.err().contains("-Xmx"), r.all());
    }

    @Test
    void runningOutOfMemoryPastTheEstimateEndsInOneSentence(@TempDir Path dir) throws Exception {
        // A heap touched up front takes the resident memory past JavaCPP's 1 GB limit, though the model's estimate of
        // this small run fits it: ND4J's first allocation is refused.
        CliRun r = CliRun.inChildJvm(List.of(), List.of("-Xms1100m", "-Xmx1200m", "-XX:+AlwaysPreTouch",
                        "-Dorg.bytedeco.javacpp.maxphysicalbytes=1g"), 180,
                "train", "--stage", "cpt", "--config", "configs/tiny/cpt.yaml", "--set", "run.output_dir=" + dir.resolve("run"),
                "--set", "data.cache_dir=" + dir.resolve("cache"), "--set", "training.warmup_steps=0",
                "--set", "training.max_steps=1", "--set", "device.peak_flops=1e11");
        assertEquals(Main.EXIT_RUNTIME, r.code(), r.all());
        List<String> errors = r.err().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), r.all());
        assertTrue(errors.get(0).contains("out of off-heap memory") && errors.get(0).contains("per_device_train_batch_size")
                && errors.get(0).contains("TWLLM_MAX_OFFHEAP_BYTES"), r.all());
        assertFalse(r.err().contains("\tat ") || r.err().contains("OutOfMemoryError"), r.all());
    }

    @Test
    void heapAndOffHeapAnywhereInTheCauseChainSayWhatToLower() {
        String heap = report(new OutOfMemoryError("Java heap space"), "train", false, Main.EXIT_RUNTIME);
        assertTrue(heap.startsWith("error: out of Java heap memory") && heap.contains("per_device_train_batch_size")
                && heap.contains("TWLLM_JAVA_OPTS=-Xmx"), heap);
        // ND4J wraps JavaCPP's refusal; the communication thread wraps whatever its task threw.
        Throwable wrapped = new TwllmException("communication thread failed: x", new RuntimeException("allocation failed",
                new OutOfMemoryError("Physical memory usage is too high: physicalBytes (17G) > maxPhysicalBytes (16G)")));
        String offHeap = report(wrapped, "generate", false, Main.EXIT_RUNTIME);
        assertTrue(offHeap.startsWith("error: out of off-heap memory") && offHeap.contains("Physical memory usage is too high")
                && offHeap.contains("--context-length"), offHeap);
        for (String text : List.of(heap, offHeap)) {
            assertEquals(1, text.lines().count(), text);
            assertFalse(text.contains("OutOfMemoryError") || text.contains("Exception"), text);
        }
        assertTrue(report(new OutOfMemoryError("Java heap space"), "train", true, Main.EXIT_RUNTIME).contains("\tat "),
                "--verbose prints the stack trace");
    }

    @Test
    void anUnexpectedFailureShowsItsMessagesWithoutClassNames() {
        String text = report(new UncheckedIOException(new IOException("No space left on device")), "train", false,
                Main.EXIT_RUNTIME);
        assertEquals("error: No space left on device; free space on that file system, or write to another one"
                + " (an unexpected failure: run with --verbose for the stack trace)", text.strip());
        String npe = report(new NullPointerException(), null, false, Main.EXIT_RUNTIME);
        assertTrue(npe.startsWith("error: an internal error occurred with no message"), npe);
        assertFalse(npe.contains("NullPointerException"), npe);
    }
}
