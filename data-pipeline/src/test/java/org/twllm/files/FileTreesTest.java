package org.twllm.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTreesTest {
    @TempDir
    Path dir;

    @Test
    void deletesATreeButNothingALinkInItPointsTo() throws IOException {
        Path outside = Files.createDirectories(dir.resolve("keep"));
        Files.writeString(outside.resolve("precious.txt"), "p");
        Path root = Files.createDirectories(dir.resolve("tree/a/b"));
        Files.writeString(root.resolve("f.bin"), "f");
        Files.writeString(dir.resolve("tree/top.txt"), "t");
        Files.createSymbolicLink(dir.resolve("tree/a/link"), outside);

        FileTrees.deleteRecursively(dir.resolve("tree"));
        assertFalse(Files.exists(dir.resolve("tree")));
        assertEquals("p", Files.readString(outside.resolve("precious.txt")));

        FileTrees.deleteRecursively(dir.resolve("tree")); // nothing there: nothing to do
        Path file = Files.writeString(dir.resolve("single.txt"), "s");
        FileTrees.deleteRecursively(file);
        assertFalse(Files.exists(file));
    }
}
