package org.twllm.data.tokenizer;

/** Text to token ids and back, exactly as the tokenizer model defines them. */
public interface Tokenizer {
    /** Ids of {@code text}, without BOS or EOS. */
    int[] encode(String text);

    /** The text of {@code ids}; control tokens (BOS, EOS, ...) decode to nothing. */
    String decode(int[] ids);

    /** The piece string of one id, e.g. {@code "▁台"} or {@code "<0xE5>"}. */
    String piece(int id);

    int vocabSize();

    int bosId();

    int eosId();

    int unkId();

    /** The pad id, or -1 when the model has none (Llama-2's has none). */
    int padId();

    /** A stable fingerprint of the model (SHA-256 of the model file, hex), recorded in shards and checkpoints. */
    String fingerprint();
}
