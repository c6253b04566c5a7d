package org.twllm.data.tokenizer;

/** Splits normalized text into pieces: the model-specific step (BPE merges, Unigram Viterbi). Thread-safe. */
interface Segmenter {
    /** Segments {@code text[0, length)} (non-empty) into {@code out}, which is cleared first. */
    void segment(char[] text, int length, Segments out);
}
