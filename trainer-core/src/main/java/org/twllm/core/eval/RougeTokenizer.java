package org.twllm.core.eval;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits text into ROUGE tokens the way Chinese ROUGE implementations do: every CJK character
 * (Han, kana, Hangul, CJK symbols that are letters) is one token; runs of Latin letters and digits
 * form one lower-cased word; whitespace and punctuation separate tokens and are dropped.
 * Text is NFKC-normalised first, so full-width "ＡＢＣ１２" reads as the word "abc12".
 */
public final class RougeTokenizer {
    private RougeTokenizer() {
    }

    public static List<String> tokenize(String text) {
        String nfkc = Normalizer.normalize(text, Normalizer.Form.NFKC);
        List<String> tokens = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        int i = 0;
        while (i < nfkc.length()) {
            int cp = nfkc.codePointAt(i);
            i += Character.charCount(cp);
            if (isCjk(cp)) {
                flush(word, tokens);
                tokens.add(new String(Character.toChars(cp)));
            } else if (Character.isLetterOrDigit(cp)) {
                word.appendCodePoint(Character.toLowerCase(cp));
            } else {
                flush(word, tokens);
            }
        }
        flush(word, tokens);
        return tokens;
    }

    private static void flush(StringBuilder word, List<String> tokens) {
        if (word.length() > 0) {
            tokens.add(word.toString());
            word.setLength(0);
        }
    }

    static boolean isCjk(int cp) {
        Character.UnicodeScript script = Character.UnicodeScript.of(cp);
        return script == Character.UnicodeScript.HAN
                || script == Character.UnicodeScript.HIRAGANA
                || script == Character.UnicodeScript.KATAKANA
                || script == Character.UnicodeScript.HANGUL
                || script == Character.UnicodeScript.BOPOMOFO;
    }
}
