package org.twllm.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.errors.TwllmException;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void writesAndReplacesWholeFilesLeavingNoTemporarySiblings() throws IOException {
        Path file = dir.resolve("a/b/report.json");
        AtomicFiles.write(file, "first");
        assertEquals("first", Files.readString(file));
        AtomicFiles.write(file, "second, longer than the first");
        assertEquals("second, longer than the first", Files.readString(file));
        assertEquals(List.of(file), list(file.getParent()));
    }

    @Test
    void aFailingWriteKeepsTheOldContentAndCleansUp() throws IOException {
        Path file = dir.resolve("state.json");
        AtomicFiles.write(file, "old");
        TwllmException e = assertThrows(TwllmException.class, () -> AtomicFiles.write(file, channel -> {
            channel.write(java.nio.ByteBuffer.wrap("half".getBytes(StandardCharsets.UTF_8)));
            throw new IOException("disk full");
        }));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("disk full"), e.getMessage());
        assertEquals("old", Files.readString(file));
        assertEquals(List.of(file), list(dir));
    }

    @Test
    void concurrentWritersOfOneFileNeverMixTheirContent() throws IOException {
        Path file = dir.resolve("report.md");
        byte[][] contents = IntStream.range(0, 8).mapToObj(i -> String.valueOf((char) ('a' + i)).repeat(100_000)
                .getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
        IntStream.range(0, 64).parallel().forEach(i -> AtomicFiles.write(file, contents[i % contents.length]));
        byte[] last = Files.readAllBytes(file);
        assertTrue(Stream.of(contents).anyMatch(c -> java.util.Arrays.equals(c, last)), "the file holds one writer's whole content");
        assertEquals(List.of(file), list(dir));
    }

    @Test
    void aDirectoryAppearsWholeAndNeverOverAnExistingOne() throws IOException {
        Path temp = Files.createDirectories(dir.resolve(".tmp-out"));
        Files.writeString(temp.resolve("x.bin"), "x");
        Path readOnly = Files.writeString(temp.resolve("tokenizer.model"), "t");
        readOnly.toFile().setWritable(false); // fsync opens files for reading, so this one is fine
        Path target = dir.resolve("out");
        AtomicFiles.commitDirectory(temp, target);
        assertEquals("x", Files.readString(target.resolve("x.bin")));
        assertFalse(Files.exists(temp));

        Path again = Files.createDirectories(dir.resolve(".tmp-again"));
        TwllmException e = assertThrows(TwllmException.class, () -> AtomicFiles.commitDirectory(again, target));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        assertTrue(Files.isDirectory(again));
    }

    @Test
    void temporarySiblingsAreUniqueAndRecognised() {
        Path target = dir.resolve("shard-00000.bin");
        Path one = AtomicFiles.tempSibling(target);
        assertFalse(one.equals(AtomicFiles.tempSibling(target)));
        assertEquals(dir, one.getParent());
        assertTrue(AtomicFiles.isTemporary(one));
        assertFalse(AtomicFiles.isTemporary(target));
    }

    /**
     * A child JVM rewrites one file as fast as it can and reports each write it finished; SIGKILL at an
     * arbitrary moment leaves the file holding a complete content, at least as new as the last one reported.
     */
    @Test
    void aWriteAcknowledgedBeforeSigkillSurvivesWhole() throws Exception {
        Path file = dir.resolve("counter.txt");
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-cp", classpath, AtomicWriteChild.class.getName(), file.toString()).redirectErrorStream(true).start();
        long acknowledged = -1;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null && acknowledged < 40; line = out.readLine()) {
                acknowledged = Long.parseLong(line.strip());
            }
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        assertTrue(acknowledged >= 40, "the child should have acknowledged writes");
        byte[] content = Files.readAllBytes(file);
        long written = AtomicWriteChild.check(content);
        assertTrue(written >= acknowledged, "the file holds write " + written + ", older than acknowledged " + acknowledged);
        assertArrayEquals(AtomicWriteChild.content(written), content);
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return new ArrayList<>(files.toList());
        }
    }
}
