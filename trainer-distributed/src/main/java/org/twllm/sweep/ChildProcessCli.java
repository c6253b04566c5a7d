package org.twllm.sweep;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.twllm.errors.TwllmException;

/**
 * Runs each {@code twllm} subcommand in a child JVM with this JVM's class path and flags, so a sweep's
 * runs do not share a heap or native memory. The child's output goes to this process's console.
 */
public final class ChildProcessCli implements SweepRunner.Cli {
    private final String mainClass;

    public ChildProcessCli(String mainClass) {
        this.mainClass = mainClass;
    }

    @Override
    public int run(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(args);
        try {
            Process process = new ProcessBuilder(command).inheritIO().start();
            return process.waitFor();
        } catch (IOException e) {
            throw new TwllmException("cannot start a child JVM for twllm " + args.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TwllmException("interrupted while twllm " + args.get(0) + " ran in a child process", e);
        }
    }
}
