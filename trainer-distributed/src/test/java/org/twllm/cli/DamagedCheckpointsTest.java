package org.twllm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.core.checkpoint.Checkpoint;

/**
 * Issue 12 §2: a damaged newest checkpoint used to turn auto-resume into a crash loop (the run fell back,
 * retrained, and died saving the damaged step again). Now a damaged checkpoint is set aside as
 * {@code checkpoint-N.damaged} with a warning and the run carries on, its replayed steps equal to the
 * first time; a missing file is damage too; with no usable checkpoint the run stops, keeping its metrics.
 * §5: a damaged checkpoint used as a model (model.init, score, generate) is refused, not loaded silently.
 */
class DamagedCheckpointsTest {
    private static Path config(Path dir) throws Exception {
        return CliRun.tinyCpt(dir, "checkpoint:\n  save_steps: 3\n  save_total_limit: 0\n");
    }

    /** A constant learning rate: the schedule must not change when a resumed run is given more steps. */
    private static CliRun train(Path cfg, int maxSteps) {
        return CliRun.of("train", "--stage", "cpt", "--config", cfg.toString(), "--set", "training.max_steps=" + maxSteps,
                "--set", "training.lr_scheduler_type=constant");
    }

    private static void flipByte(Path file, long at) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x01);
        }
    }

    @Test
    void aDamagedNewestCheckpointIsSetAsideAndTheRunCarriesOnReplayingItsStepsExactly(@TempDir Path dir) throws Exception {
        Path cfg = config(dir);
        Path run = dir.resolve("run");
        assertEquals(Main.EXIT_OK, train(cfg, 6).code());
        double[] first = CliRun.losses(run);
        Path newest = run.resolve(Checkpoint.dirName(6));
        flipByte(newest.resolve("model.safetensors"), Files.size(newest.resolve("model.safetensors")) - 100);

        CliRun resumed = train(cfg, 7);
        assertEquals(Main.EXIT_OK, resumed.code(), resumed.all());
        assertTrue(resumed.err().contains("WARN") && resumed.err().contains("checkpoint-00000006 is damaged (model.safetensors has CRC32C")
                && resumed.err().contains("moved it aside to checkpoint-00000006.damaged"), resumed.all());
        assertTrue(Files.isDirectory(run.resolve("checkpoint-00000006.damaged")));
        Checkpoint.open(newest); // saved again, and it verifies
        double[] after = CliRun.losses(run);
        assertEquals(7, after.length, "steps 1-7, none lost or repeated");
        assertArrayEquals(first, Arrays.copyOf(after, 6), "steps 4-6 replayed with the same losses");
    }

    @Test
    void aMissingFileIsDamageWithTheSameWarning(@TempDir Path dir) throws Exception {
        Path cfg = config(dir);
        Path run = dir.resolve("run");
        assertEquals(Main.EXIT_OK, train(cfg, 6).code());
        Files.delete(run.resolve(Checkpoint.dirName(6)).resolve("trainer_state.json"));

        CliRun resumed = train(cfg, 7);
        assertEquals(Main.EXIT_OK, resumed.code(), resumed.all());
        assertTrue(resumed.err().contains("checkpoint-00000006 is damaged (trainer_state.json is missing)")
                && resumed.err().contains("checkpoint-00000006.damaged"), resumed.all());
        assertEquals(7, CliRun.losses(run).length);
    }

    @Test
    void withNoUsableCheckpointTheRunStopsAndKeepsItsMetrics(@TempDir Path dir) throws Exception {
        Path cfg = config(dir);
        Path run = dir.resolve("run");
        assertEquals(Main.EXIT_OK, train(cfg, 6).code());
        Files.delete(run.resolve(Checkpoint.dirName(3)).resolve("optimizer-0-" + optimizerEnd(run) + ".safetensors"));
        flipByte(run.resolve(Checkpoint.dirName(6)).resolve("trainer_state.json"), 0);

        for (int attempt = 1; attempt <= 2; attempt++) { // and again: never a silent restart from step 0
            CliRun refused = train(cfg, 8);
            assertEquals(Main.EXIT_RUNTIME, refused.code(), refused.all());
            assertTrue(refused.err().contains("error: no usable checkpoint in " + run)
                    && refused.err().contains("checkpoint-00000003.damaged, checkpoint-00000006.damaged")
                    && refused.err().contains("another run.output_dir"), refused.all());
            assertEquals(6, CliRun.losses(run).length, "metrics.jsonl kept whole");
        }
        assertFalse(Files.exists(run.resolve(Checkpoint.dirName(3))));
    }

    @Test
    void aDamagedCheckpointIsRefusedWhereverItIsUsedAsAModel(@TempDir Path dir) throws Exception {
        Path cfg = config(dir);
        Path checkpoint = dir.resolve("run").resolve(Checkpoint.dirName(3));
        assertEquals(Main.EXIT_OK, train(cfg, 3).code());
        String tokenizer = CliRun.FIXTURES.resolve("tokenizer/zh-tw-bpe-8k.model").toString();
        assertEquals(Main.EXIT_OK, CliRun.of("score", "--model", checkpoint.toString(), "--ids", "[1, 5, 9]").code());
        Path weights = checkpoint.resolve("model.safetensors");
        flipByte(weights, Files.size(weights) - 100);

        Path other = Files.createDirectories(dir.resolve("next"));
        Path next = CliRun.tinyCpt(other, "");
        Files.writeString(next, Files.readString(next).replaceFirst("model:\n(  .*\n)+", "model:\n  init: " + checkpoint + "\n"));
        for (CliRun r : new CliRun[] {
            CliRun.of("score", "--model", checkpoint.toString(), "--ids", "[1, 5, 9]"),
            CliRun.of("generate", "--model", checkpoint.toString(), "--tokenizer", tokenizer, "--prompt", "你好"),
            CliRun.of("train", "--stage", "cpt", "--config", next.toString())}) {
            assertEquals(Main.EXIT_RUNTIME, r.code(), r.all());
            assertTrue(r.err().contains("checkpoint " + checkpoint + " is damaged: model.safetensors has CRC32C"), r.all());
        }
    }

    /** The end of the one optimizer range a single-process run saves (its parameter count). */
    private static String optimizerEnd(Path run) throws Exception {
        try (var files = Files.list(run.resolve(Checkpoint.dirName(3)))) {
            String name = files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("optimizer-")).findFirst().orElseThrow();
            return name.substring("optimizer-0-".length(), name.length() - ".safetensors".length());
        }
    }
}
