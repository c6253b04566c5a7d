package org.twllm.core.generate;

import java.util.Arrays;
import java.util.function.Consumer;

import org.twllm.data.tokenizer.Tokenizer;
import org.twllm.errors.ConfigException;

/**
 * Text generation with a KV cache: the prompt runs once, then each new token costs one forward step.
 * Consecutive calls whose prompts share a prefix with the previous sequence (a chat's growing history)
 * reuse the cached keys and values of that prefix and run only the new tokens.
 */
public final class Generator {
    private final KvCacheDecoder decoder;
    private final Tokenizer tokenizer;
    private int[] cached = new int[0];

    /** A generator whose sequences (prompt plus generated tokens) hold at most {@code contextLength} tokens. */
    public Generator(DecoderWeights weights, Tokenizer tokenizer, int contextLength) {
        this.decoder = new KvCacheDecoder(weights, Math.min(contextLength, weights.shape().maxPositionEmbeddings()));
        this.tokenizer = tokenizer;
    }

    public int contextLength() {
        return decoder.capacity();
    }

    public GenerationResult generate(int[] prompt, SamplingSettings settings) {
        return generate(prompt, settings, text -> { });
    }

    /**
     * Generates after {@code prompt}; {@code onText} receives the text as it grows (pieces that cannot be
     * the start of a stop sequence), so a chat can print while the model writes.
     */
    public GenerationResult generate(int[] prompt, SamplingSettings settings, Consumer<String> onText) {
        if (prompt.length == 0) {
            throw new ConfigException("the prompt is empty: give at least one token (a BOS at least)");
        }
        if (prompt.length >= decoder.capacity()) {
            throw new ConfigException("the prompt has " + prompt.length + " tokens but the context holds "
                    + decoder.capacity() + ": shorten the prompt or raise the context length");
        }
        TokenSampler sampler = new TokenSampler(settings);
        int reused = reusablePrefix(prompt);
        decoder.truncate(reused);

        long start = System.nanoTime();
        float[] logits = decoder.forwardLast(Arrays.copyOfRange(prompt, reused, prompt.length));
        long prefillEnd = System.nanoTime();

        int[] generated = new int[settings.maxNewTokens()];
        int count = 0;
        int emitted = 0;
        String text = "";
        GenerationResult.StopReason reason = GenerationResult.StopReason.MAX_NEW_TOKENS;
        while (true) {
            int token = sampler.next(logits);
            if (token == tokenizer.eosId()) {
                reason = GenerationResult.StopReason.EOS;
                break;
            }
            generated[count++] = token;
            text = tokenizer.decode(Arrays.copyOf(generated, count));
            int stopAt = firstStop(text, settings);
            if (stopAt >= 0) {
                text = text.substring(0, stopAt);
                reason = GenerationResult.StopReason.STOP_SEQUENCE;
                break;
            }
            int safe = text.length() - heldBack(text, settings);
            if (safe > emitted) {
                onText.accept(text.substring(emitted, safe));
                emitted = safe;
            }
            if (count == settings.maxNewTokens()) {
                break;
            }
            if (decoder.length() == decoder.capacity()) {
                reason = GenerationResult.StopReason.CONTEXT_FULL;
                break;
            }
            logits = decoder.forwardLast(new int[] {token});
        }
        long end = System.nanoTime();
        if (text.length() > emitted) {
            onText.accept(text.substring(emitted));
        }
        int[] tokens = Arrays.copyOf(generated, count);
        rememberSequence(prompt, tokens);
        return new GenerationResult(tokens, text, reason, prompt.length, reused,
                (prefillEnd - start) / 1e9, (end - prefillEnd) / 1e9);
    }

    /** Cached positions that equal the start of {@code prompt}, leaving at least one prompt token to run. */
    private int reusablePrefix(int[] prompt) {
        int limit = Math.min(Math.min(cached.length, decoder.length()), prompt.length - 1);
        int n = 0;
        while (n < limit && cached[n] == prompt[n]) {
            n++;
        }
        return n;
    }

    /** The ids now in the cache: the prompt and every generated token that went through the model. */
    private void rememberSequence(int[] prompt, int[] tokens) {
        int inCache = decoder.length();
        int[] sequence = Arrays.copyOf(prompt, prompt.length + tokens.length);
        System.arraycopy(tokens, 0, sequence, prompt.length, tokens.length);
        cached = Arrays.copyOf(sequence, Math.min(inCache, sequence.length));
    }

    private static int firstStop(String text, SamplingSettings settings) {
        int best = -1;
        for (String stop : settings.stopSequences()) {
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
    private static int heldBack(String text, SamplingSettings settings) {
        int held = 0;
        while (held < text.length() && text.charAt(text.length() - 1 - held) == '\uFFFD') {
            held++;
        }
        for (String stop : settings.stopSequences()) {
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
