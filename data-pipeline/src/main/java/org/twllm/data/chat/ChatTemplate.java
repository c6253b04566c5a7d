package org.twllm.data.chat;

import org.twllm.data.tokenizer.Tokenizer;

import java.util.List;

/**
 * Renders a dialogue as one training example: BOS first, the template's text around each turn, and a
 * loss mask that trains only the assistant content (with whatever the template puts after it) and the
 * EOS closing each assistant turn.
 */
public interface ChatTemplate {
    /** The name {@link ChatTemplates#byName} knows this template by. */
    String name();

    /** The dialogue as template segments, in order. */
    List<TemplateSegment> segments(Dialogue dialogue);

    /**
     * The same rendering as a Jinja {@code chat_template} for HuggingFace tokenizers (see {@link HfJinja}):
     * HF's legacy Llama tokenizer, given what it renders for a conversation, produces exactly the ids of
     * {@link #render}; with {@code add_generation_prompt} and a conversation ending in a user message, exactly
     * the prompt before the reply's first trained token.
     */
    String hfChatTemplate();

    /** Ids and loss mask of the dialogue; see {@link SegmentTokenizer} for how text runs are encoded. */
    default TokenizedExample render(Dialogue dialogue, Tokenizer tokenizer) {
        return SegmentTokenizer.tokenize(segments(dialogue), tokenizer);
    }

    /** The rendered text with {@code <s>} and {@code </s>} written out, for inspection and docs. */
    default String renderText(Dialogue dialogue) {
        StringBuilder text = new StringBuilder();
        for (TemplateSegment segment : segments(dialogue)) {
            text.append(segment.text());
        }
        return text.toString();
    }
}
