package org.twllm.data.chat;

import org.twllm.data.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * Tokenizes a template's segments the way Llama-2 SFT code does (Meta's reference chat code, axolotl,
 * HF's legacy Llama tokenizer): adjacent text of the same kind (prompt or trained) is encoded in one call,
 * control tokens are inserted by id, and each text run is encoded on its own.
 *
 * <p>SentencePiece adds a dummy prefix {@code ▁} to every encode call. Where two text runs meet at a
 * space ({@code "ASSISTANT: " + content}), that one space is dropped and the second run's dummy prefix
 * stands for it; since SentencePiece pieces never cross a {@code ▁} word boundary, the ids are then exactly
 * those of encoding the whole string at once. Where runs meet without a space (a custom format like
 * {@code "<|assistant|>\n{content}"}), the second run still gets its {@code ▁}, which whole-string
 * encoding would not have: the model is trained on content that starts with a word boundary, as axolotl's
 * per-turn tokenization trains it. After a control token (BOS, EOS) text is encoded with its dummy prefix,
 * as HF's legacy Llama tokenizer does ({@code "</s>USER:"} gives EOS, {@code ▁USER}, {@code :}).
 */
public final class SegmentTokenizer {
    private SegmentTokenizer() {
    }

    public static TokenizedExample tokenize(List<TemplateSegment> segments, Tokenizer tokenizer) {
        TokenBuffer out = new TokenBuffer();
        StringBuilder run = new StringBuilder();
        boolean runTrained = false;
        for (TemplateSegment segment : segments) {
            if (segment.kind() != TemplateSegment.Kind.TEXT) {
                flush(run, runTrained, tokenizer, out);
                out.add(segment.kind() == TemplateSegment.Kind.BOS ? tokenizer.bosId() : tokenizer.eosId(), segment.trained());
                continue;
            }
            String text = segment.text();
            if (text.isEmpty()) {
                continue;
            }
            if (run.length() > 0 && segment.trained() != runTrained) {
                // Two text runs meet: one space at the seam becomes the next run's dummy prefix.
                if (run.charAt(run.length() - 1) == ' ') {
                    run.setLength(run.length() - 1);
                } else if (text.charAt(0) == ' ') {
                    text = text.substring(1);
                }
                flush(run, runTrained, tokenizer, out);
            }
            run.append(text);
            runTrained = segment.trained();
        }
        flush(run, runTrained, tokenizer, out);
        return out.toExample();
    }

    private static void flush(StringBuilder run, boolean trained, Tokenizer tokenizer, TokenBuffer out) {
        if (run.length() == 0) {
            return;
        }
        for (int id : tokenizer.encode(run.toString())) {
            out.add(id, trained);
        }
        run.setLength(0);
    }

    /** Growable ids and mask (avoids boxing every token). */
    private static final class TokenBuffer {
        private int[] ids = new int[256];
        private boolean[] mask = new boolean[256];
        private int size;

        void add(int id, boolean trained) {
            if (size == ids.length) {
                ids = Arrays.copyOf(ids, size * 2);
                mask = Arrays.copyOf(mask, size * 2);
            }
            ids[size] = id;
            mask[size] = trained;
            size++;
        }

        TokenizedExample toExample() {
            return new TokenizedExample(Arrays.copyOf(ids, size), Arrays.copyOf(mask, size));
        }
    }
}
