package org.twllm.data.corpus;

import org.twllm.data.chat.ChatTemplate;
import org.twllm.data.chat.Dialogue;
import org.twllm.data.chat.TokenizedExample;
import org.twllm.data.tokenizer.Tokenizer;

/** An SFT document: a dialogue rendered with a chat template; only assistant turns are trained. */
public record DialogueDocument(Dialogue dialogue, ChatTemplate template, String text) implements CorpusDocument {
    public static DialogueDocument of(Dialogue dialogue, ChatTemplate template) {
        return new DialogueDocument(dialogue, template, template.renderText(dialogue));
    }

    @Override
    public EncodedDocument encode(Tokenizer tokenizer) {
        TokenizedExample example = template.render(dialogue, tokenizer);
        return new EncodedDocument(example.ids(), example.lossMask());
    }
}
