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
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        // A thread other than main that runs out of memory (ND4J's, the communication thread's) ends the process
        // with the same one sentence; other failures of such threads are reported without a stack trace.
        Thread.setDefaultUncaughtExceptionHandler((thread, failure) -> {
            PrintWriter err = new PrintWriter(System.err, true);
            int code = report(failure, err, verbose, null);
            if (FailureMessage.outOfMemory(failure, null) != null) {
                Runtime.getRuntime().halt(code);
            }
        });
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit code; tests call this instead of {@link #main}. */
    public static int run(String... args) {
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        if (verbose) {
            ((Logger) LoggerFactory.getLogger("org.twllm")).setLevel(Level.DEBUG);
        }
        CommandLine cli = new CommandLine(new TwllmCommand());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) ->
                report(ex, commandLine.getErr(), verbose, commandLine.getCommandName()));
        cli.setParameterExceptionHandler((ex, args2) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("error: " + ex.getMessage());
            err.println("Run '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
            return EXIT_USAGE;
        });
        try {
            return cli.execute(args);
        } catch (Error e) {
            // picocli hands only Exceptions to the handler; an OutOfMemoryError (or a missing native library) ends here.
            return report(e, cli.getErr(), verbose, commandName(cli));
        }
    }

    /**
     * Prints one sentence for {@code failure} (the stack trace too with {@code verbose}) and returns the exit
     * code: 2 for config errors, 1 for everything else. Never prints an exception class name.
     *
     * @param command the subcommand that ran, for the advice on running out of memory (may be null)
     */
    static int report(Throwable failure, PrintWriter err, boolean verbose, String command) {
        Throwable cause = failure instanceof CommandLine.ExecutionException && failure.getCause() != null
                ? failure.getCause() : failure;
        String outOfMemory = FailureMessage.outOfMemory(cause, command);
        int code;
        if (outOfMemory != null) {
            err.println("error: " + outOfMemory);
            code = EXIT_RUNTIME;
        } else if (cause instanceof ConfigException) {
            err.println("error: " + cause.getMessage());
            code = EXIT_USAGE;
        } else if (cause instanceof TwllmException) {
            err.println("error: " + cause.getMessage() + FailureMessage.diskFullAdvice(cause.getMessage(), cause));
            code = EXIT_RUNTIME;
        } else {
            String sentence = FailureMessage.unexpected(cause);
            err.println("error: " + sentence + FailureMessage.diskFullAdvice(sentence, cause)
                    + (verbose ? "" : " (an unexpected failure: run with --verbose for the stack trace)"));
            code = EXIT_RUNTIME;
        }
        if (verbose) {
            cause.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    /** The innermost subcommand that was parsed ("train", "prepare", ...), or null. */
    private static String commandName(CommandLine cli) {
        CommandLine.ParseResult parsed = cli.getParseResult();
        String name = null;
        while (parsed != null && parsed.subcommand() != null) {
            parsed = parsed.subcommand();
            name = parsed.commandSpec().name();
        }
        return name;
    }
}
