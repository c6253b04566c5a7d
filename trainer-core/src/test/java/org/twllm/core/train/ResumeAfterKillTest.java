package org.twllm.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.core.checkpoint.CheckpointDirectory;
import org.twllm.core.config.StageConfigLoader;

/**
 * A run killed with SIGKILL after its first checkpoint, resumed in this JVM, repeats the uninterrupted losses exactly. It
 * trains in bf16, the paper's precision, so the resume also restores the fp32 master weights the checkpoint keeps
 * beside its bf16 model (fp32 resumes are covered by TrainingRunTest and DistributedTrainingTest).
 */
class ResumeAfterKillTest {

    @Test
    void aRunKilledAfterACheckpointResumesToTheUninterruptedLosses(@TempDir Path dir) throws Exception {
        Path corpus = TinyStages.corpusSlice(dir, 150);
        Path cache = dir.resolve("cache");
        Path whole = dir.resolve("whole");
        TrainingRun.run(TinyStages.load(dir, "whole", bf16(TinyStages.cpt(whole, cache, corpus, 8, 2))), ResumeRequest.never(),
                SingleRank::new, null);
        List<Double> expected = TinyStages.losses(whole);

        Path killed = dir.resolve("killed");
        Path config = dir.resolve("killed.yaml");
        Files.writeString(config, bf16(TinyStages.cpt(killed, cache, corpus, 8, 2)));
        Process child = startChild(config, dir.resolve("child.log"));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
            while (!Files.isDirectory(killed.resolve("checkpoint-00000002")) && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(child.isAlive(), "the child should still be training when killed; log:\n"
                    + Files.readString(dir.resolve("child.log")));
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        assertFalse(Files.exists(killed.resolve("final")), "the killed run must not have finished");
        List<Path> left = new CheckpointDirectory(killed).complete();
        assertFalse(left.isEmpty());

        TrainingRun.run(StageConfigLoader.load(config, List.of(), dir), ResumeRequest.auto(), SingleRank::new, null);
        assertEquals(expected, TinyStages.losses(killed), "per-step losses after resuming from " + left.get(left.size() - 1).getFileName());
    }

    private static String bf16(String yaml) {
        return yaml.replace("training:\n", "training:\n  precision: bf16\n");
    }

    private static Process startChild(Path config, Path log) throws Exception {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "--add-modules", "jdk.incubator.vector", // the softmax path of this JVM, so the bits match
                "-Xmx1g",
                "-Dtwllm.fixtures=" + TinyStages.FIXTURES,
                "-cp", classpath,
                KilledRunChild.class.getName(),
                config.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
