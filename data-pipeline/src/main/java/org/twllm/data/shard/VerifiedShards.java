package org.twllm.data.shard;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.twllm.errors.TwllmException;

/**
 * The shard files this process has verified (checksum and token ids), so each body is read once per
 * process however often its directory is opened. A file is known by its path, inode, size and modification
 * time, and the checksum its manifest records: a file rewritten or replaced since is verified again.
 */
final class VerifiedShards {
    private static final Set<Identity> VERIFIED = ConcurrentHashMap.newKeySet();

    private VerifiedShards() {
    }

    record Identity(Path file, Object inode, long size, FileTime modified, String checksum) {
    }

    /** The identity of {@code file} as it is now (taken before verifying, so a later change is never masked). */
    static Identity of(Path file, String checksum) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Identity(file.toAbsolutePath().normalize(), a.fileKey(), a.size(), a.lastModifiedTime(), checksum);
        } catch (NoSuchFileException e) {
            throw MappedShard.corrupt(file, "it is missing");
        } catch (IOException e) {
            throw new TwllmException("cannot read shard " + file + ": " + e.getMessage(), e);
        }
    }

    static boolean contains(Identity identity) {
        return VERIFIED.contains(identity);
    }

    static void add(Identity identity) {
        VERIFIED.add(identity);
    }
}
