package org.twllm.data.corpus;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;
import java.util.stream.Stream;

import org.twllm.errors.ConfigException;

/**
 * The files a source path stands for, in a fixed order so the stream of documents is deterministic: a
 * file itself; a folder's non-hidden regular files by name; or a glob ({@code corpora/tw-*.jsonl.gz},
 * {@code hf/data/**}{@code /*.parquet}) matched against paths below the glob's fixed leading folders, its
 * non-hidden regular files (none inside hidden folders) sorted by path. A folder with no files or a glob matching none is a config error.
 */
public final class SourceFiles {
    private SourceFiles() {
    }

    /** Whether {@code path} is a glob pattern (holds {@code * ? [ {}) rather than a file or folder name. */
    public static boolean isGlob(String path) {
        return path.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
    }

    public static List<Path> of(Path path) {
        if (isGlob(path.toString()) && !Files.exists(path)) {
            return glob(path);
        }
        if (Files.isRegularFile(path)) {
            return List.of(path);
        }
        if (Files.isDirectory(path)) {
            try (Stream<Path> list = Files.list(path)) {
                List<Path> files = list.filter(SourceFiles::isVisibleFile).sorted().toList();
                if (files.isEmpty()) {
                    throw new ConfigException("source directory " + path + " holds no files: point the source at a corpus file,"
                            + " folder or glob");
                }
                return files;
            } catch (IOException e) {
                throw new ConfigException("cannot list source directory " + path + ": " + e.getMessage());
            }
        }
        throw new ConfigException("source " + path + " does not exist: check the source's path");
    }

    private static List<Path> glob(Path pattern) {
        Path base = pattern.isAbsolute() ? pattern.getRoot() : Path.of("");
        int fixed = 0;
        while (fixed < pattern.getNameCount() - 1 && !isGlob(pattern.getName(fixed).toString())) {
            base = base.resolve(pattern.getName(fixed));
            fixed++;
        }
        Path relative = pattern.subpath(fixed, pattern.getNameCount());
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + relative);
        int depth = relative.toString().contains("**") ? Integer.MAX_VALUE : relative.getNameCount();
        List<Path> files = List.of();
        if (Files.isDirectory(base)) {
            Path root = base;
            try (Stream<Path> walk = Files.walk(root, depth, FileVisitOption.FOLLOW_LINKS)) {
                files = walk.filter(p -> !p.equals(root) && matcher.matches(root.relativize(p)))
                        .filter(p -> isVisibleFile(p) && !hasHiddenFolder(root.relativize(p))).sorted().toList();
            } catch (IOException e) {
                throw new ConfigException("cannot list the files of glob " + pattern + ": " + e.getMessage());
            }
        }
        if (files.isEmpty()) {
            throw new ConfigException("glob " + pattern + " matches no files: check the pattern (relative patterns are"
                    + " taken from the config file's folder, or the current folder for --source)");
        }
        return files;
    }

    private static boolean hasHiddenFolder(Path relative) {
        for (Path name : relative) {
            if (name.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static boolean isVisibleFile(Path p) {
        return Files.isRegularFile(p) && !p.getFileName().toString().startsWith(".");
    }
}
