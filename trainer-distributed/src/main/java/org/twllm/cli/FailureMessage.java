package org.twllm.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The one sentence {@code twllm} prints for a failure that is neither a config error nor one of twllm's
 * own runtime errors: the messages along the cause chain without exception class names, a full disk
 * named as such, and running out of memory (heap or ND4J's off-heap buffers, anywhere in the chain)
 * turned into what to lower for the command that ran.
 */
final class FailureMessage {
    private static final String NO_SPACE = "No space left on device";

    private FailureMessage() {
    }

    /** The sentence for an unexpected failure (not a ConfigException or TwllmException). */
    static String unexpected(Throwable failure) {
        String text = messages(failure);
        return text.isEmpty() ? "an internal error occurred with no message" : text;
    }

    /**
     * What to append to {@code sentence}, printed for {@code failure}, when its causes say the disk is full
     * (the sentence then names the device error and what to do); empty otherwise.
     */
    static String diskFullAdvice(String sentence, Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains(NO_SPACE)) {
                return (sentence.contains(NO_SPACE) ? "" : " (" + NO_SPACE + ")")
                        + "; free space on that file system, or write to another one";
            }
        }
        return "";
    }

    /**
     * The sentence for running out of memory, or null when {@code failure} is not that: an
     * {@link OutOfMemoryError} anywhere in the cause chain, or JavaCPP's allocation refusals that ND4J
     * wraps ("Physical memory usage is too high", "Cannot allocate").
     *
     * @param command the subcommand that ran ("train", "generate", ...), or null
     */
    static String outOfMemory(Throwable failure, String command) {
        Throwable oom = null;
        for (Throwable t = failure; t != null && oom == null; t = t.getCause()) {
            String m = t.getMessage() == null ? "" : t.getMessage();
            if (t instanceof OutOfMemoryError || m.contains("Physical memory usage is too high") || m.startsWith("Cannot allocate")) {
                oom = t;
            }
        }
        if (oom == null) {
            return null;
        }
        String detail = oom.getMessage() == null ? "" : oom.getMessage();
        boolean heap = detail.contains("Java heap space") || detail.contains("GC overhead") || detail.contains("array size");
        String what = heap
                ? String.format(Locale.ROOT, "out of Java heap memory (at most %.1f GiB)", Runtime.getRuntime().maxMemory() / 1073741824.0)
                : "out of off-heap memory for ND4J's buffers (" + detail + ")";
        String raise = heap
                ? "raise the heap with TWLLM_JAVA_OPTS=-Xmx..."
                : "raise the limits with TWLLM_MAX_PHYSICAL_BYTES and TWLLM_MAX_OFFHEAP_BYTES (now "
                        + System.getProperty("org.bytedeco.javacpp.maxphysicalbytes", "the default") + " and "
                        + System.getProperty("org.bytedeco.javacpp.maxbytes", "the default") + ") if the machine has the memory";
        return what + "; " + lower(command) + ", or " + raise;
    }

    private static String lower(String command) {
        if (command == null) {
            return "use a smaller model or batch";
        }
        return switch (command) {
            case "train", "sweep" -> "lower training.per_device_train_batch_size (raise gradient_accumulation_steps to keep"
                    + " the global batch) or data.seq_len, or use a smaller model";
            case "generate", "chat", "eval", "score" -> "lower --context-length or use a smaller model";
            case "serve" -> "lower --max-concurrent or --context-length, or use a smaller model";
            case "prepare", "data" -> "lower --threads";
            default -> "use a smaller model or batch";
        };
    }

    /** The distinct messages along the cause chain, outermost first, leaving out Java's "Class: message" wrappers. */
    private static String messages(Throwable failure) {
        List<String> parts = new ArrayList<>();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m == null || m.isBlank() || (t.getCause() != null && m.equals(t.getCause().toString()))) {
                continue;
            }
            if (parts.stream().noneMatch(p -> p.contains(m))) {
                parts.add(m.strip());
            }
        }
        return String.join(": ", parts);
    }
}
