package org.twllm.data.corpus;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

import org.twllm.errors.TwllmException;

/**
 * Tells mostly-Simplified Chinese text from Traditional by counting characters that exist in only one of
 * the two scripts. The variant tables are OpenCC's (STCharacters.txt: Simplified to Traditional;
 * TSCharacters.txt: Traditional to Simplified; TWVariants.txt: OpenCC's Traditional forms to Taiwan's
 * standard ones; bundled as resources with their Apache-2.0 license). A character is Simplified-only when
 * OpenCC converts it to Traditional and it is not its own Traditional form (e.g. 学 -> 學), unless it is
 * Taiwan's standard form (床, which OpenCC writes 牀); it is Traditional-only when OpenCC converts it to
 * Simplified and it is not its own Simplified form (e.g. 學 -> 学). Characters shared by both scripts
 * (人, 子, 之, ...) and characters OpenCC lists on both sides count for neither.
 */
public final class ScriptClassifier {
    private static final String RESOURCE_DIR = "/org/twllm/data/corpus/opencc/";
    private static volatile ScriptClassifier openCc;

    private final BitSet simplifiedOnly;
    private final BitSet traditionalOnly;

    ScriptClassifier(BitSet simplifiedOnly, BitSet traditionalOnly) {
        this.simplifiedOnly = simplifiedOnly;
        this.traditionalOnly = traditionalOnly;
    }

    /** The classifier built from OpenCC's bundled character tables (loaded once). */
    public static ScriptClassifier openCc() {
        ScriptClassifier c = openCc;
        if (c == null) {
            synchronized (ScriptClassifier.class) {
                if (openCc == null) {
                    openCc = load(read("STCharacters.txt"), read("TSCharacters.txt"), read("TWVariants.txt"));
                }
                c = openCc;
            }
        }
        return c;
    }

    /** Builds the two sets from OpenCC tables given as {@code char -> candidates} maps. */
    static ScriptClassifier load(Map<Integer, int[]> simplifiedToTraditional, Map<Integer, int[]> traditionalToSimplified,
            Map<Integer, int[]> traditionalToTaiwan) {
        BitSet s = changedKeys(simplifiedToTraditional);
        BitSet t = changedKeys(traditionalToSimplified);
        // Taiwan's standard forms are Traditional text, even where OpenCC's own Traditional form differs.
        traditionalToTaiwan.values().forEach(forms -> {
            for (int c : forms) {
                s.clear(c);
            }
        });
        BitSet both = (BitSet) s.clone();
        both.and(t);
        s.andNot(both);
        t.andNot(both);
        return new ScriptClassifier(s, t);
    }

    /** Keys whose conversion never yields the key itself: they exist in only the source script. */
    private static BitSet changedKeys(Map<Integer, int[]> table) {
        BitSet changed = new BitSet();
        table.forEach((key, candidates) -> {
            for (int c : candidates) {
                if (c == key) {
                    return;
                }
            }
            changed.set(key);
        });
        return changed;
    }

    private static Map<Integer, int[]> read(String name) {
        Map<Integer, int[]> table = new HashMap<>();
        try (InputStream in = ScriptClassifier.class.getResourceAsStream(RESOURCE_DIR + name)) {
            if (in == null) {
                throw new TwllmException("the OpenCC table " + name + " is missing from the twllm jar; rebuild twllm");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int tab = line.indexOf('\t');
                if (tab <= 0 || line.codePointCount(0, tab) != 1) {
                    continue; // OpenCC character tables hold one character per key; anything else is not ours to read
                }
                String[] candidates = line.substring(tab + 1).trim().split(" ");
                int[] cps = new int[candidates.length];
                for (int i = 0; i < candidates.length; i++) {
                    cps[i] = candidates[i].codePointAt(0);
                }
                table.put(line.codePointAt(0), cps);
            }
        } catch (IOException e) {
            throw new TwllmException("cannot read the OpenCC table " + name + ": " + e.getMessage(), e);
        }
        return table;
    }

    /** Counts of script-specific characters in a text. */
    public record Counts(int simplifiedOnly, int traditionalOnly) {
        /** More Simplified-only than Traditional-only characters: the text is mostly Simplified Chinese. */
        public boolean mostlySimplified() {
            return simplifiedOnly > traditionalOnly;
        }
    }

    public Counts count(String text) {
        int s = 0;
        int t = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (simplifiedOnly.get(cp)) {
                s++;
            } else if (traditionalOnly.get(cp)) {
                t++;
            }
        }
        return new Counts(s, t);
    }

    public boolean isSimplifiedOnly(int codePoint) {
        return simplifiedOnly.get(codePoint);
    }

    public boolean isTraditionalOnly(int codePoint) {
        return traditionalOnly.get(codePoint);
    }

    /** Number of Simplified-only and Traditional-only characters in the table, for the docs and tests. */
    public int simplifiedOnlyCount() {
        return simplifiedOnly.cardinality();
    }

    public int traditionalOnlyCount() {
        return traditionalOnly.cardinality();
    }
}
