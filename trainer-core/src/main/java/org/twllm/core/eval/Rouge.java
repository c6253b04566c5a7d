package org.twllm.core.eval;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** ROUGE-N between a candidate and one reference, over {@link RougeTokenizer} tokens. */
public final class Rouge {
    private Rouge() {
    }

    /** Precision, recall and F1 of n-gram overlap; all 0 when either side has no n-gram. */
    public record Score(double precision, double recall, double f1) {
    }

    public static Score rouge2(String candidate, String reference) {
        return rougeN(2, candidate, reference);
    }

    /**
     * Overlap counts each n-gram min(count in candidate, count in reference) times (clipped counts);
     * precision divides by the candidate's n-grams, recall by the reference's.
     */
    public static Score rougeN(int n, String candidate, String reference) {
        Map<List<String>, Integer> cand = ngrams(RougeTokenizer.tokenize(candidate), n);
        Map<List<String>, Integer> ref = ngrams(RougeTokenizer.tokenize(reference), n);
        int candTotal = total(cand);
        int refTotal = total(ref);
        if (candTotal == 0 || refTotal == 0) {
            return new Score(0, 0, 0);
        }
        int overlap = 0;
        for (Map.Entry<List<String>, Integer> e : cand.entrySet()) {
            overlap += Math.min(e.getValue(), ref.getOrDefault(e.getKey(), 0));
        }
        double precision = (double) overlap / candTotal;
        double recall = (double) overlap / refTotal;
        double f1 = overlap == 0 ? 0 : 2 * precision * recall / (precision + recall);
        return new Score(precision, recall, f1);
    }

    private static Map<List<String>, Integer> ngrams(List<String> tokens, int n) {
        Map<List<String>, Integer> counts = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) {
            counts.merge(List.copyOf(tokens.subList(i, i + n)), 1, Integer::sum);
        }
        return counts;
    }

    private static int total(Map<List<String>, Integer> counts) {
        int sum = 0;
        for (int c : counts.values()) {
            sum += c;
        }
        return sum;
    }
}
