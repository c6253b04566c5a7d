package org.twllm.data.chat;

import org.twllm.data.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A character-level stand-in for a SentencePiece model in tests: spaces become {@code ▁}, a dummy {@code ▁}
 * is prepended to every encoded text (as SentencePiece's add_dummy_prefix does), and every code point is a
 * piece with an id assigned on first sight. Decoding drops control ids and the leading dummy-prefix space.
 */
public final class CharTokenizer implements Tokenizer {
    private final Map<String, Integer> ids = new HashMap<>();
    private final List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));

    @Override
    public synchronized int[] encode(String text) {
        String normalized = "▁" + text.replace(' ', '▁');
        int[] out = new int[normalized.codePointCount(0, normalized.length())];
        int i = 0;
        for (int offset = 0; offset < normalized.length(); ) {
            int codePoint = normalized.codePointAt(offset);
            String piece = new String(Character.toChars(codePoint));
            out[i++] = ids.computeIfAbsent(piece, p -> {
                pieces.add(p);
                return pieces.size() - 1;
            });
            offset += Character.charCount(codePoint);
        }
        return out;
    }

    @Override
    public synchronized String decode(int[] idsToDecode) {
        StringBuilder text = new StringBuilder();
        for (int id : idsToDecode) {
            if (id > 2) {
                text.append(pieces.get(id));
            }
        }
        String decoded = text.toString().replace('▁', ' ');
        return decoded.startsWith(" ") ? decoded.substring(1) : decoded;
    }

    @Override
    public synchronized String piece(int id) {
        return pieces.get(id);
    }

    @Override
    public synchronized int vocabSize() {
        return pieces.size();
    }

    @Override
    public int bosId() {
        return 1;
    }

    @Override
    public int eosId() {
        return 2;
    }

    @Override
    public int unkId() {
        return 0;
    }

    @Override
    public int padId() {
        return -1;
    }

    @Override
    public String fingerprint() {
        return "char-test-tokenizer";
    }
}
