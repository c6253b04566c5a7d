package org.twllm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 §1: training verifies every shard body before using it. A damaged cached shard is rebuilt from
 * its sources with a warning naming it, so the run trains on the clean tokens; a damaged shard directory
 * given as a source is refused with exit 1 naming the file.
 */
class CorruptShardsTest {
    /** The reproduction: 128 token ids past the header overwritten in the cached shard. */
    private static Path damageShard(Path shardDir) throws IOException {
        Path shard;
        try (var files = Files.list(shardDir)) {
            shard = files.filter(p -> p.getFileName().toString().endsWith("-00000.bin")).findFirst().orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
            f.seek(64 + 40);
            for (int i = 0; i < 128; i++) {
                f.writeShort(0x0500);
            }
        }
        return shard;
    }

    @Test
    void aDamagedCachedShardIsRebuiltWithAWarningAndTheRunTrainsOnCleanTokens(@TempDir Path dir) throws Exception {
        Path cfg = CliRun.tinyCpt(dir, "");
        CliRun clean = CliRun.of("train", "--stage", "cpt", "--config", cfg.toString(), "--set", "training.max_steps=1",
                "--set", "run.output_dir=" + dir.resolve("clean"));
        assertEquals(Main.EXIT_OK, clean.code(), clean.all());
        Path shard = damageShard(dir.resolve("cache/cpt-train"));

        CliRun again = CliRun.of("train", "--stage", "cpt", "--config", cfg.toString(), "--set", "training.max_steps=1",
                "--set", "run.output_dir=" + dir.resolve("again"));
        assertEquals(Main.EXIT_OK, again.code(), again.all());
        assertTrue(again.err().contains("WARN") && again.err().contains("cached shard " + shard)
                && again.err().contains("checksum") && again.err().contains("rebuilding"), again.all());
        assertArrayEquals(CliRun.losses(dir.resolve("clean")), CliRun.losses(dir.resolve("again")),
                "the step-1 loss is the clean data's");
    }

    @Test
    void aDamagedShardDirectoryGivenAsASourceIsRefusedNamingTheFile(@TempDir Path dir) throws Exception {
        Path cfg = CliRun.tinyCpt(dir, "");
        CliRun prepared = CliRun.of("data", "prepare", "--config", cfg.toString());
        assertEquals(Main.EXIT_OK, prepared.code(), prepared.all());
        Path shards = dir.resolve("cache/cpt-train");
        Path shard = damageShard(shards);
        Path fromShards = CliRun.tinyCpt(dir, "");
        Files.writeString(fromShards, Files.readString(fromShards).replaceFirst("    - path: .*\n",
                "    - path: " + shards + "\n      format: shards\n"));

        CliRun refused = CliRun.of("train", "--stage", "cpt", "--config", fromShards.toString(), "--set", "training.max_steps=1");
        assertEquals(Main.EXIT_RUNTIME, refused.code(), refused.all());
        assertTrue(refused.err().contains("shard " + shard + " is unusable") && refused.err().contains("checksum"), refused.all());
        assertFalse(refused.err().contains("Exception") || refused.err().contains("\tat "), refused.all());
        assertFalse(Files.exists(dir.resolve("run/metrics.jsonl")), "nothing was trained");
    }
}
