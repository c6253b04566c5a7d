package org.twllm.core.train;

import java.io.IOException;
import java.nio.file.Path;

import org.twllm.core.tensorboard.EventFileWriter;
import org.twllm.errors.TwllmException;

/**
 * The run's TensorBoard event files under {@code <output_dir>/tensorboard/}, so that
 * {@code tensorboard --logdir runs/} shows every run and sweep variant. Each step's scalars are tagged
 * {@code <run.name>/loss}, {@code /lr}, {@code /grad_norm}, {@code /tokens_per_s}, {@code /mfu},
 * {@code /skipped_steps} and, when measured, {@code /val_loss}; the resolved config goes in as text
 * ({@code <run.name>/config}) at the first step of each session. Every step is flushed as it is written.
 *
 * <p>Each session (a fresh start or a resume) writes a new file that begins with {@code SessionLog START}
 * at its first step: TensorBoard then drops what earlier files hold from that step on (steps a crash left
 * after the checkpoint), so the view has each step once, as with {@code metrics.jsonl}.
 */
public final class TensorBoardLog implements StepLog, AutoCloseable {
    public static final String DIR = "tensorboard";

    private final EventFileWriter events;
    private final String loss;
    private final String lr;
    private final String gradNorm;
    private final String tokensPerS;
    private final String mfu;
    private final String skippedSteps;
    private final String valLoss;

    private TensorBoardLog(EventFileWriter events, String prefix) {
        this.events = events;
        this.loss = prefix + "/loss";
        this.lr = prefix + "/lr";
        this.gradNorm = prefix + "/grad_norm";
        this.tokensPerS = prefix + "/tokens_per_s";
        this.mfu = prefix + "/mfu";
        this.skippedSteps = prefix + "/skipped_steps";
        this.valLoss = prefix + "/val_loss";
    }

    /**
     * Opens a new event file in {@code outputDir/tensorboard} for a session continuing after
     * {@code resumedStep} steps (0 for a fresh run) and records the resolved config.
     */
    public static TensorBoardLog open(Path outputDir, String runName, long resumedStep, String configYaml) {
        Path dir = outputDir.resolve(DIR);
        EventFileWriter events;
        try {
            events = EventFileWriter.create(dir);
        } catch (IOException e) {
            throw new TwllmException("cannot create a TensorBoard event file in " + dir + ": " + e.getMessage(), e);
        }
        long firstStep = resumedStep + 1;
        events.sessionStart(firstStep);
        events.text(firstStep, runName + "/config", "```yaml\n" + configYaml.stripTrailing() + "\n```");
        events.flush();
        return new TensorBoardLog(events, runName);
    }

    @Override
    public void append(StepMetrics m) {
        events.scalar(loss, m.loss());
        events.scalar(lr, m.lr());
        events.scalar(gradNorm, m.gradNorm());
        events.scalar(tokensPerS, m.tokensPerS());
        events.scalar(mfu, m.mfu());
        events.scalar(skippedSteps, m.skippedSteps());
        if (m.hasValLoss()) {
            events.scalar(valLoss, m.valLoss());
        }
        events.writeSummary(m.step());
        events.flush();
    }

    @Override
    public void close() {
        events.close();
    }
}
