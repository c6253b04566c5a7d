package org.twllm.core.eval;

/** Token-weighted mean negative log-likelihood over many texts, and its perplexity. */
public final class LossAccumulator {
    private double sumNll;
    private long tokens;

    /** Adds the log-probabilities (natural log) of predicted tokens. */
    public void add(double[] tokenLogProbs) {
        for (double lp : tokenLogProbs) {
            sumNll -= lp;
        }
        tokens += tokenLogProbs.length;
    }

    /** Adds everything another accumulator has seen. */
    public void add(LossAccumulator other) {
        sumNll += other.sumNll;
        tokens += other.tokens;
    }

    public long tokens() {
        return tokens;
    }

    /** Mean negative log-likelihood per token (nats); NaN before any token. */
    public double meanLoss() {
        return tokens == 0 ? Double.NaN : sumNll / tokens;
    }

    /** exp(mean loss). */
    public double perplexity() {
        return Math.exp(meanLoss());
    }
}
