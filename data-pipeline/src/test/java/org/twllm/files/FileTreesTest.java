package org.twllm.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.errors.TwllmException;

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

    @Test
    void aTreeThatCannotBeDeletedIsNamed() throws IOException {
        Path locked = Files.createDirectories(dir.resolve("locked/inner"));
        Files.writeString(locked.resolve("f"), "f");
        locked.toFile().setWritable(false);
        try {
            if (Files.isWritable(locked)) {
                return; // running as root: permissions do not stop deletion
            }
            TwllmException e = assertThrows(TwllmException.class, () -> FileTrees.deleteRecursively(dir.resolve("locked")));
            assertTrue(e.getMessage().contains(dir.resolve("locked").toString()) && e.getMessage().contains("by hand"),
                    e.getMessage());
        } finally {
            locked.toFile().setWritable(true);
        }
    }
}
