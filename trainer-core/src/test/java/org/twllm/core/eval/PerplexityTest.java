package org.twllm.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.twllm.core.engine.Engine;
import org.twllm.core.generate.GenerationResult;
import org.twllm.core.generate.KvCacheLanguageModel;
import org.twllm.core.generate.LanguageModel;
import org.twllm.core.generate.SamplingSettings;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.cpu.TestEngines;
import org.twllm.data.tokenizer.CodePointTokenizer;
import org.twllm.errors.ConfigException;

/** Perplexity's windows and scores against hand computations, and on a real model against its own forward pass. */
class PerplexityTest {
    private static final CodePointTokenizer TOKENIZER = CodePointTokenizer.allCodePoints();

    @Test
    void windowsScoreEveryTokenAfterTheFirstOnceEachStartingAtThePreviousWindowsLastToken() {
        assertEquals(List.of(new Perplexity.Window(0, 3, 1), new Perplexity.Window(2, 5, 3), new Perplexity.Window(4, 6, 5)),
                Perplexity.windows(6, 3));
        assertEquals(List.of(new Perplexity.Window(0, 4, 1)), Perplexity.windows(4, 8));
        assertEquals(List.of(new Perplexity.Window(0, 2, 1), new Perplexity.Window(1, 3, 2), new Perplexity.Window(2, 4, 3)),
                Perplexity.windows(4, 2));
        assertEquals(List.of(new Perplexity.Window(0, 5, 1), new Perplexity.Window(4, 6, 5)), Perplexity.windows(6, 5));
    }

    /**
     * A model whose log-probability of token {@code t} at index {@code i} of the window it is given is
     * {@code -(0.01 (i + 1) + 0.001 t)}, so each score says where in which window the token was scored.
     */
    private static final class PositionModel implements LanguageModel {
        private final int context;

        PositionModel(int context) {
            this.context = context;
        }

        @Override
        public double[] logProbs(int[] tokens, int from) {
            if (tokens.length > context || from < 1) {
                throw new AssertionError("window of " + tokens.length + " tokens scored from " + from);
            }
            double[] out = new double[tokens.length - from];
            for (int i = from; i < tokens.length; i++) {
                out[i - from] = -(0.01 * (i + 1) + 0.001 * tokens[i]);
            }
            return out;
        }

        @Override
        public int contextLength() {
            return context;
        }

        @Override
        public GenerationResult generate(int[] prompt, SamplingSettings settings) {
            throw new AssertionError("perplexity never generates");
        }
    }

    @Test
    void aTextIsScoredAsBosTextEosWithEosPredicted() {
        // "ab" is [BOS 1, a 100, b 101, EOS 2]; a context of 3 gives windows [1 100 101] and [101 2].
        LossAccumulator loss = new Perplexity(new PositionModel(3), TOKENIZER).score("ab");
        double a = 0.01 * 2 + 0.001 * 100;   // index 1 of the first window
        double b = 0.01 * 3 + 0.001 * 101;   // index 2 of the first window
        double eos = 0.01 * 2 + 0.001 * 2;   // index 1 of the second window, after b
        assertEquals(3, loss.tokens());
        assertEquals((a + b + eos) / 3, loss.meanLoss(), 1e-12);

        // With room for the whole sequence it is one window: EOS is at index 3.
        LossAccumulator whole = new Perplexity(new PositionModel(16), TOKENIZER).score("ab");
        assertEquals((a + b + 0.01 * 4 + 0.001 * 2) / 3, whole.meanLoss(), 1e-12);

        Perplexity.Scores both = new Perplexity(new PositionModel(3), TOKENIZER).score(List.of("ab", ""));
        assertEquals(List.of(3L, 1L), both.perText().stream().map(LossAccumulator::tokens).toList());
        assertEquals(((a + b + eos) + (0.01 * 2 + 0.001 * 2)) / 4, both.total().meanLoss(), 1e-12);
        assertThrows(ConfigException.class, () -> new Perplexity(new PositionModel(1), TOKENIZER));
    }

    @Test
    void onARealModelWindowsGiveWhatTheModelsForwardPassGivesOnTheSameWindows() {
        LlamaConfig config = new LlamaConfig(16, 32, 1, 2, 1, 200, 32, 1e-5, 10000.0, true);
        Engine model = TestEngines.random(config, 5, 0.2);
        CodePointTokenizer tokenizer = CodePointTokenizer.withVocab(config.vocabSize());
        String text = "abcdefghijklmnopqrstu";   // 21 code points: [BOS] + 21 + [EOS] = 23 tokens
        int[] sequence = new int[23];
        sequence[0] = 1;
        System.arraycopy(tokenizer.encode(text), 0, sequence, 1, 21);
        sequence[22] = 2;
        for (int context : new int[] {32, 8}) {
            double expected = 0;
            for (Perplexity.Window w : Perplexity.windows(sequence.length, context)) {
                float[] lp = TokenLogProbs.of(model, java.util.Arrays.copyOfRange(sequence, w.start(), w.end()));
                for (int i = w.firstScored() - w.start() - 1; i < lp.length; i++) {
                    expected -= lp[i];
                }
            }
            LossAccumulator got = new Perplexity(new KvCacheLanguageModel(model.decoder(), tokenizer, context),
                    tokenizer).score(text);
            assertEquals(22, got.tokens());
            assertEquals(expected / 22, got.meanLoss(), 1e-5, "context " + context);
        }
    }
}
