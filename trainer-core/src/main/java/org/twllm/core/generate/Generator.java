package org.twllm.core.generate;

import org.twllm.core.engine.Decoder;

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

    /** A generator whose sequences (prompt plus generated tokens) hold at most {@code contextLength} tokens. */
    public Generator(Decoder decoder, Tokenizer tokenizer, int contextLength) {
        this.decoder = new KvCacheDecoder(decoder, Math.min(contextLength, decoder.shape().maxPositionEmbeddings()));
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
        int reused = decoder.sharedPrefix(prompt);
        decoder.truncate(reused);

        long start = System.nanoTime();
        float[] logits = decoder.forwardLast(Arrays.copyOfRange(prompt, reused, prompt.length));
        long prefillEnd = System.nanoTime();

        ReplyText reply = new ReplyText(tokenizer, settings.stopSequences(), settings.maxNewTokens());
        GenerationResult.StopReason reason = GenerationResult.StopReason.MAX_NEW_TOKENS;
        while (true) {
            // A padded vocabulary's extra rows are no piece of the tokenizer: never pick them.
            Arrays.fill(logits, Math.min(tokenizer.vocabSize(), logits.length), logits.length, Float.NEGATIVE_INFINITY);
            int token = sampler.next(logits);
            if (token == tokenizer.eosId()) {
                reason = GenerationResult.StopReason.EOS;
                break;
            }
            String piece = reply.append(token);
            if (reply.stopped()) {
                reason = GenerationResult.StopReason.STOP_SEQUENCE;
                break;
            }
            if (!piece.isEmpty()) {
                onText.accept(piece);
            }
            if (reply.tokenCount() == settings.maxNewTokens()) {
                break;
            }
            if (decoder.length() == decoder.capacity()) {
                reason = GenerationResult.StopReason.CONTEXT_FULL;
                break;
            }
            logits = decoder.forwardLast(new int[] {token});
        }
        long end = System.nanoTime();
        String rest = reply.rest();
        if (!rest.isEmpty()) {
            onText.accept(rest);
        }
        return new GenerationResult(reply.tokens(), reply.text(), reason, prompt.length, reused,
                (prefillEnd - start) / 1e9, (end - prefillEnd) / 1e9);
    }
}
