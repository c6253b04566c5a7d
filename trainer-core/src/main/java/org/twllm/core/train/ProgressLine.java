package org.twllm.core.train;

import java.util.Locale;

import org.twllm.progress.Progress;

/** The console line of one step: {@code step 12/300 | loss 6.123 | lr 3.0e-04 | gnorm 1.23 | 5.1k tok/s | mfu 12.3% | eta 1m20s}. */
public final class ProgressLine {
    private ProgressLine() {
    }

    public static String format(StepMetrics m, long maxSteps, double etaSeconds) {
        StringBuilder sb = new StringBuilder(120);
        sb.append(String.format(Locale.ROOT, "step %d/%d | loss %.4f | lr %.1e | gnorm %.3g | %s tok/s | mfu %.1f%% | eta %s",
                m.step(), maxSteps, m.loss(), m.lr(), m.gradNorm(), compact(m.tokensPerS()), 100 * m.mfu(),
                Progress.duration(etaSeconds)));
        if (m.hasValLoss()) {
            sb.append(String.format(Locale.ROOT, " | val_loss %.4f", m.valLoss()));
        }
        if (m.skippedSteps() > 0) {
            sb.append(" | skipped ").append(m.skippedSteps());
        }
        return sb.toString();
    }

    /** 950, 5.1k, 12.3M. */
    static String compact(double value) {
        if (value >= 1e6) {
            return String.format(Locale.ROOT, "%.1fM", value / 1e6);
        }
        if (value >= 1e3) {
            return String.format(Locale.ROOT, "%.1fk", value / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", value);
    }
}
