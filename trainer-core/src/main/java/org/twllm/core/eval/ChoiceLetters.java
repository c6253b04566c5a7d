package org.twllm.core.eval;

import java.text.Normalizer;
import java.util.List;

/** Reads which option a generated answer picks, by the first option letter it contains. */
public final class ChoiceLetters {
    private ChoiceLetters() {
    }

    /**
     * The first character of the NFKC-normalised text that is one of {@code letters}, skipping
     * whitespace, brackets and punctuation before it ("(B) 台中" and "Ｂ" both pick "B"); null when
     * the first other character is not an option letter (the model did not answer with a letter).
     */
    public static String firstLetter(String generated, List<String> letters) {
        String text = Normalizer.normalize(generated, Normalizer.Form.NFKC);
        int i = 0;
        while (i < text.length()) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isWhitespace(cp) || AnswerMetrics.isPunctuation(cp)) {
                continue;
            }
            String c = new String(Character.toChars(cp));
            for (String letter : letters) {
                if (letter.equalsIgnoreCase(c)) {
                    return letter;
                }
            }
            return null;
        }
        return null;
    }
}
