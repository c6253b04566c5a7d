package org.twllm.core.generate;

import java.util.Arrays;
import java.util.List;

import org.twllm.data.tokenizer.Tokenizer;

/**
 * The text of a reply as its tokens arrive: decoded, cut before the first stop sequence, and handed
 * out in pieces that are safe to show (never the start of a stop sequence that may still complete, nor
 * half of a character whose bytes are still arriving). Generation with one sequence ({@link Generator})
 * and with many ({@code org.twllm.serve}) both stream through this.
 */
public final class ReplyText {
    private final Tokenizer tokenizer;
    private final List<String> stops;
    private int[] tokens;
    private int count;
    private String text = "";
    private int emitted;
    private boolean stopped;

    public ReplyText(Tokenizer tokenizer, List<String> stops, int maxTokens) {
        this.tokenizer = tokenizer;
        this.stops = List.copyOf(stops);
        this.tokens = new int[maxTokens];
    }

    /**
     * Adds a generated token (not EOS) and returns the text that became safe to show ("" when none).
     * When the text reaches a stop sequence it is cut before it and {@link #stopped()} turns true.
     */
    public String append(int token) {
        if (stopped) {
            throw new IllegalStateException("the reply already ended at a stop sequence");
        }
        if (count == tokens.length) {
            tokens = Arrays.copyOf(tokens, Math.max(1, 2 * count));
        }
        tokens[count++] = token;
        text = tokenizer.decode(Arrays.copyOf(tokens, count));
        int stopAt = firstStop(text);
        if (stopAt >= 0) {
            text = text.substring(0, stopAt);
            stopped = true;
            return "";
        }
        int safe = text.length() - heldBack(text);
        if (safe <= emitted) {
            return "";
        }
        String piece = text.substring(emitted, safe);
        emitted = safe;
        return piece;
    }

    /** The text not handed out yet; to show when generation has ended (it can no longer become a stop). */
    public String rest() {
        String piece = text.substring(Math.min(emitted, text.length()));
        emitted = text.length();
        return piece;
    }

    /** Whether the text reached a stop sequence. */
    public boolean stopped() {
        return stopped;
    }

    /** The reply so far, cut before a stop sequence. */
    public String text() {
        return text;
    }

    /** The generated ids so far (the one that completed a stop sequence included). */
    public int[] tokens() {
        return Arrays.copyOf(tokens, count);
    }

    public int tokenCount() {
        return count;
    }

    private int firstStop(String text) {
        int best = -1;
        for (String stop : stops) {
            int at = text.indexOf(stop);
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
            }
        }
        return best;
    }

    /**
     * Length of the end of {@code text} not yet safe to show: the longest end that begins some stop
     * sequence, or trailing U+FFFD from a character whose bytes are still arriving (byte fallback).
     */
    private int heldBack(String text) {
        int held = 0;
        while (held < text.length() && text.charAt(text.length() - 1 - held) == '\uFFFD') {
            held++;
        }
        for (String stop : stops) {
            for (int n = Math.min(stop.length() - 1, text.length()); n > held; n--) {
                if (text.endsWith(stop.substring(0, n))) {
                    held = n;
                    break;
                }
            }
        }
        return held;
    }
}
