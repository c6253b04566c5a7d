package org.twllm.core.generate;

import java.util.List;

import org.twllm.data.chat.Message;
import org.twllm.data.tokenizer.Tokenizer;
import org.twllm.errors.ConfigException;

/**
 * Prompts for base (pre-trained, not chat-tuned) models: BOS and the message's text, which the model
 * continues. A reply is encoded on its own (its SentencePiece dummy prefix acts as the word break).
 */
public final class PlainPromptFormat implements PromptFormat {
    private final Tokenizer tokenizer;

    public PlainPromptFormat(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    @Override
    public int[] prompt(List<Message> history, String userMessage) {
        if (!history.isEmpty()) {
            throw new ConfigException("a multi-turn conversation needs a chat template: pass --chat-template taiwan-llm (or the one the model was tuned with)");
        }
        int[] text = tokenizer.encode(userMessage);
        int[] ids = new int[text.length + 1];
        ids[0] = tokenizer.bosId();
        System.arraycopy(text, 0, ids, 1, text.length);
        return ids;
    }

    @Override
    public int[] replyTokens(String text) {
        return tokenizer.encode(text.strip());
    }

    @Override
    public List<String> replyStops() {
        return List.of("\n");
    }

    @Override
    public String describe() {
        return "plain text (no chat template)";
    }
}
