package org.twllm.data.corpus;

import org.twllm.data.tokenizer.Tokenizer;

/**
 * A document taken from a source record: the text the filters look at (script, length, duplicates) and
 * how it becomes the tokens stored in shards. Encoding may run on a worker thread.
 */
public interface CorpusDocument {
    /** The text the filters see; for a dialogue, its rendered text. */
    String text();

    /** The tokens exactly as trained (and, for SFT, the loss mask). */
    EncodedDocument encode(Tokenizer tokenizer);
}
