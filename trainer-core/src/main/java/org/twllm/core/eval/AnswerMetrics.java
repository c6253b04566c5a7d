package org.twllm.core.eval;

import java.text.Normalizer;
import java.util.List;

/**
 * Scores a generated answer against its gold answers (a prediction scores 1 when it matches any gold).
 *
 * <ul>
 *   <li>{@link #exactMatch}: equal after {@link #normalize} (NFKC, no whitespace, no punctuation, lower case).</li>
 *   <li>{@link #prefixExactMatch}: TC-Eval's rule: the gold answer, trimmed, occurs in the trimmed
 *       prediction. Chat models answer "答案是台北市。" for the gold "台北市", which this counts as right.</li>
 * </ul>
 */
public final class AnswerMetrics {
    private AnswerMetrics() {
    }

    /** 1 when the normalised prediction equals some normalised gold answer, else 0. */
    public static double exactMatch(String prediction, List<String> golds) {
        String p = normalize(prediction);
        for (String gold : golds) {
            if (p.equals(normalize(gold))) {
                return 1.0;
            }
        }
        return 0.0;
    }

    /** 1 when some trimmed gold answer occurs in the trimmed, non-empty prediction, else 0 (as TC-Eval scores). */
    public static double prefixExactMatch(String prediction, List<String> golds) {
        String p = prediction.strip();
        if (p.isEmpty()) {
            return 0.0;
        }
        for (String gold : golds) {
            if (p.contains(gold.strip())) {
                return 1.0;
            }
        }
        return 0.0;
    }

    /**
     * The form exact match compares: NFKC (full-width letters and digits become ASCII), lower case,
     * and every whitespace and punctuation character removed ("「台北市」。" becomes "台北市").
     */
    public static String normalize(String text) {
        String nfkc = Normalizer.normalize(text, Normalizer.Form.NFKC);
        StringBuilder out = new StringBuilder(nfkc.length());
        nfkc.codePoints().forEach(cp -> {
            if (!Character.isWhitespace(cp) && !isPunctuation(cp)) {
                out.appendCodePoint(Character.toLowerCase(cp));
            }
        });
        return out.toString();
    }

    static boolean isPunctuation(int codePoint) {
        switch (Character.getType(codePoint)) {
            case Character.CONNECTOR_PUNCTUATION:
            case Character.DASH_PUNCTUATION:
            case Character.START_PUNCTUATION:
            case Character.END_PUNCTUATION:
            case Character.INITIAL_QUOTE_PUNCTUATION:
            case Character.FINAL_QUOTE_PUNCTUATION:
            case Character.OTHER_PUNCTUATION:
                return true;
            default:
                return false;
        }
    }
}
