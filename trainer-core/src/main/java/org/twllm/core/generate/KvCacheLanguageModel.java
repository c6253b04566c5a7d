package org.twllm.core.generate;

import org.twllm.core.engine.Decoder;

import org.twllm.data.tokenizer.Tokenizer;

/** {@link LanguageModel} over a model's {@link Decoder}: generation through {@link Generator}, scoring in one forward pass. */
public final class KvCacheLanguageModel implements LanguageModel {
    private final Generator generator;
    private final KvCacheDecoder scorer;

    public KvCacheLanguageModel(Decoder decoder, Tokenizer tokenizer, int contextLength) {
        this.generator = new Generator(decoder, tokenizer, contextLength);
        this.scorer = new KvCacheDecoder(decoder, generator.contextLength());
    }

    @Override
    public GenerationResult generate(int[] prompt, SamplingSettings settings) {
        return generator.generate(prompt, settings);
    }

    @Override
    public double[] logProbs(int[] tokens, int from) {
        if (from < 1 || from >= tokens.length) {
            throw new IllegalArgumentException("scored positions must start in 1..length-1, got " + from);
        }
        if (tokens.length > scorer.capacity()) {
            throw new IllegalArgumentException("sequence of " + tokens.length + " tokens exceeds the context " + scorer.capacity());
        }
        scorer.reset();
        float[][] logits = scorer.forward(java.util.Arrays.copyOf(tokens, tokens.length - 1), true);
        double[] out = new double[tokens.length - from];
        for (int i = from; i < tokens.length; i++) {
            out[i - from] = logSoftmaxAt(logits[i - 1], tokens[i]);
        }
        return out;
    }

    @Override
    public int contextLength() {
        return generator.contextLength();
    }

    static double logSoftmaxAt(float[] logits, int index) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        return logits[index] - max - Math.log(sum);
    }
}
