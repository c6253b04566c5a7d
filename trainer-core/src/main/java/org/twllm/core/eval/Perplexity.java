package org.twllm.core.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.twllm.core.generate.LanguageModel;
import org.twllm.data.tokenizer.Tokenizer;
import org.twllm.errors.ConfigException;

/**
 * Perplexity of texts: the one implementation behind {@code twllm eval}'s perplexity tasks and
 * {@code twllm score --perplexity} (docs/evaluation.md).
 *
 * <p>A text is scored as cPT trains on it, {@code [BOS] ids [EOS]}: every token after BOS is predicted,
 * EOS included. A sequence longer than the model's context of C tokens is cut into windows of C tokens,
 * each beginning at the last token of the one before: HuggingFace's strided evaluation with stride
 * C - 1, the largest stride that scores every token exactly once (what lm-evaluation-harness's rolling
 * log-likelihood does too). Each token is conditioned on the tokens before it in its window, so a window's
 * first scored token has one token of context and its last has C - 1.
 */
public final class Perplexity {
    private final LanguageModel model;
    private final Tokenizer tokenizer;

    public Perplexity(LanguageModel model, Tokenizer tokenizer) {
        if (model.contextLength() < 2) {
            throw new ConfigException("perplexity needs a context of at least 2 tokens, got " + model.contextLength()
                    + "; raise --context-length");
        }
        this.model = model;
        this.tokenizer = tokenizer;
    }

    /** Each text's loss, in order, and their token-weighted total. */
    public record Scores(List<LossAccumulator> perText, LossAccumulator total) {
    }

    public Scores score(List<String> texts) {
        List<LossAccumulator> perText = new ArrayList<>(texts.size());
        LossAccumulator total = new LossAccumulator();
        for (String text : texts) {
            LossAccumulator one = score(text);
            perText.add(one);
            total.add(one);
        }
        return new Scores(perText, total);
    }

    /** The loss of one text over its {@code [BOS] ids [EOS]} sequence. */
    public LossAccumulator score(String text) {
        int[] ids = tokenizer.encode(text);
        int[] sequence = new int[ids.length + 2];
        sequence[0] = tokenizer.bosId();
        System.arraycopy(ids, 0, sequence, 1, ids.length);
        sequence[ids.length + 1] = tokenizer.eosId();
        LossAccumulator loss = new LossAccumulator();
        for (Window w : windows(sequence.length, model.contextLength())) {
            loss.add(model.logProbs(Arrays.copyOfRange(sequence, w.start(), w.end()), w.firstScored() - w.start()));
        }
        return loss;
    }

    /** Tokens {@code [start, end)} of the sequence go through the model; those in {@code [firstScored, end)} are scored. */
    record Window(int start, int end, int firstScored) {
    }

    /** The windows over a sequence of {@code length} tokens for a context of {@code context} tokens (see the class). */
    static List<Window> windows(int length, int context) {
        List<Window> windows = new ArrayList<>();
        for (int start = 0, scoredUpTo = 1; scoredUpTo < length; start = scoredUpTo - 1) {
            int end = Math.min(start + context, length);
            windows.add(new Window(start, end, scoredUpTo));
            scoredUpTo = end;
        }
        return windows;
    }
}
