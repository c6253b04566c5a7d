package org.twllm.core.train;

import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

import org.twllm.progress.Progress;

/**
 * The start-up summary's last line, printed once the first steps of a session are timed: the time per step
 * (the first step, which warms up the JIT and the BLAS, is left out) and when the run will end.
 */
final class EtaNotice {
    /** Steps timed after the warm-up step before the estimate is given. */
    static final int TIMED_STEPS = 3;
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm", Locale.ROOT);

    private final long maxSteps;
    private long warmStep = -1;
    private long warmNanos;
    private boolean done;

    EtaNotice(long maxSteps) {
        this.maxSteps = maxSteps;
    }

    /**
     * Called after each step with the clock at its end; returns the ETA line once, after the warm-up step
     * and {@link #TIMED_STEPS} more, or null (also when the run ends before that).
     */
    String afterStep(long step, long nowNanos) {
        if (done) {
            return null;
        }
        if (warmStep < 0) {
            warmStep = step;
            warmNanos = nowNanos;
            return null;
        }
        long timed = step - warmStep;
        if (timed < TIMED_STEPS) {
            return null;
        }
        done = true;
        long remaining = maxSteps - step;
        if (remaining <= 0) {
            return null;
        }
        double perStep = (nowNanos - warmNanos) / 1e9 / timed;
        double eta = perStep * remaining;
        return String.format(Locale.ROOT, "  %-12s %s for the remaining %d steps at %.3g s/step (steps %d-%d timed), done around %s",
                "eta", Progress.duration(eta), remaining, perStep, warmStep + 1, step,
                LocalTime.now().plusSeconds(Math.round(eta)).format(CLOCK));
    }
}
