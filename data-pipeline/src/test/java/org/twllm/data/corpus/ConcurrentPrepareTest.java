package org.twllm.data.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.data.shard.ShardKind;
import org.twllm.data.shard.ShardSet;
import org.twllm.data.tokenizer.SentencePieceTokenizer;

/**
 * The ranks of one node prepare the same cache folder at the same time: they must take turns, so one
 * writes the shards and the others reuse them, instead of deleting each other's temporary folders.
 */
class ConcurrentPrepareTest {
    @TempDir
    Path tmp;

    /** Child process: prepares the Tang poems into args[0] and prints whether it reused the output. */
    public static void main(String[] args) {
        PrepareReport report = new CorpusPreparer(
                SentencePieceTokenizer.load(CorpusPreparerTest.fixture("tokenizer/zh-tw-bpe-8k.model")),
                PrepareSettings.builder(ShardKind.CPT)
                        .source(SourceSpec.of(CorpusPreparerTest.fixture("corpus/tang-poems.zh-Hant.jsonl"), SourceFormat.JSONL))
                        .build())
                .prepare(Path.of(args[0]));
        System.out.println(report.cached() ? "cached" : "written");
    }

    @Test
    void processesPreparingOneFolderTakeTurns() throws Exception {
        Path out = tmp.resolve("cache");
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<Process> children = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            children.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx512m", "-Dtwllm.fixtures=" + System.getProperty("twllm.fixtures"),
                    "-cp", classpath, ConcurrentPrepareTest.class.getName(), out.toString())
                    .redirectErrorStream(true).start());
        }
        List<String> outcomes = new ArrayList<>();
        for (Process child : children) {
            if (!child.waitFor(120, TimeUnit.SECONDS)) {
                child.destroyForcibly();
                throw new AssertionError("a preparing process did not finish in 120 s");
            }
            String output = new String(child.getInputStream().readAllBytes()).trim();
            assertEquals(0, child.exitValue(), output);
            outcomes.add(output.substring(output.lastIndexOf('\n') + 1));
        }
        outcomes.sort(null);
        assertEquals(List.of("cached", "cached", "written"), outcomes, "exactly one process writes the shards");
        assertEquals(12_000, ShardSet.open(out, true).numDocuments());
        try (var left = Files.list(tmp)) {
            assertEquals(List.of(".cache.lock", "cache"), left.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
