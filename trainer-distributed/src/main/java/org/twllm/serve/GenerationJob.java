package org.twllm.serve;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.twllm.core.generate.GenerationResult;
import org.twllm.core.generate.SamplingSettings;

/**
 * One request's generation: what the {@link ContinuousBatcher} is asked to run, and the channel through
 * which it hands the request's HTTP thread the reply's text as it grows, then the end. The HTTP thread
 * cancels the job when its client is gone; the batcher then drops it at its next step.
 */
final class GenerationJob {
    /** What the batcher reports. */
    sealed interface Event permits Text, Finished, Failed {
    }

    /** More of the reply's text. */
    record Text(String piece) implements Event {
    }

    /** The reply is complete (every {@link Text} came before). */
    record Finished(GenerationResult result) implements Event {
    }

    /** Generation failed; nothing more follows. */
    record Failed(String message) implements Event {
    }

    final int[] prompt;
    final SamplingSettings settings;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Consumer<GenerationJob> onCancel;
    private volatile boolean cancelled;

    GenerationJob(int[] prompt, SamplingSettings settings, Consumer<GenerationJob> onCancel) {
        this.prompt = prompt;
        this.settings = settings;
        this.onCancel = onCancel;
    }

    /** The next event, or null when none came within {@code timeoutMillis}. */
    Event next(long timeoutMillis) throws InterruptedException {
        return events.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** Stops the generation (the client went away); idempotent. */
    void cancel() {
        if (!cancelled) {
            cancelled = true;
            onCancel.accept(this);
        }
    }

    boolean isCancelled() {
        return cancelled;
    }

    void emit(Event event) {
        events.add(event);
    }
}
