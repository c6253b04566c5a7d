package org.twllm.cli;

import java.io.PrintWriter;

import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Entry point of {@code twllm}. Maps failures to exit codes: 2 for usage and config errors,
 * 1 for runtime failures, each reported as one clear sentence (the stack trace only with --verbose).
 */
public final class Main {
    public static final int EXIT_OK = 0;
    public static final int EXIT_RUNTIME = 1;
    public static final int EXIT_USAGE = 2;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit code; tests call this instead of {@link #main}. */
    public static int run(String... args) {
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        if (verbose) {
            ((Logger) LoggerFactory.getLogger("org.twllm")).setLevel(Level.DEBUG);
        }
        CommandLine cli = new CommandLine(new TwllmCommand());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> report(ex, commandLine.getErr(), verbose));
        cli.setParameterExceptionHandler((ex, args2) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("error: " + ex.getMessage());
            err.println("Run '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
            return EXIT_USAGE;
        });
        return cli.execute(args);
    }

    static int report(Exception ex, PrintWriter err, boolean verbose) {
        Throwable cause = ex;
        int code;
        if (cause instanceof ConfigException) {
            err.println("error: " + cause.getMessage());
            code = EXIT_USAGE;
        } else if (cause instanceof TwllmException) {
            err.println("error: " + cause.getMessage());
            code = EXIT_RUNTIME;
        } else {
            err.println("error: " + cause.getClass().getSimpleName() + ": " + cause.getMessage()
                    + (verbose ? "" : " (run with --verbose for the stack trace)"));
            code = EXIT_RUNTIME;
        }
        if (verbose) {
            ex.printStackTrace(err);
        }
        err.flush();
        return code;
    }
}
