package org.twllm.core.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.twllm.data.chat.ChatTemplate;
import org.twllm.data.chat.Dialogue;
import org.twllm.data.chat.Message;
import org.twllm.data.chat.Role;
import org.twllm.data.chat.TokenizedExample;
import org.twllm.data.tokenizer.Tokenizer;
import org.twllm.errors.ConfigException;

/**
 * Prompts rendered by the SFT chat template itself: the conversation plus a placeholder reply is
 * rendered exactly as SFT renders a training dialogue, and the prompt is everything before the
 * placeholder's trained tokens. Reply text is encoded on its own, as the template's trained runs are
 * (see {@link org.twllm.data.chat.SegmentTokenizer}), so prompt + reply + EOS equals the SFT ids.
 */
public final class ChatPromptFormat implements PromptFormat {
    /** Stands in for the reply being asked for; any non-blank text gives the same prompt. */
    private static final String PLACEHOLDER_REPLY = "x";

    private final ChatTemplate template;
    private final Tokenizer tokenizer;

    public ChatPromptFormat(ChatTemplate template, Tokenizer tokenizer) {
        this.template = template;
        this.tokenizer = tokenizer;
    }

    @Override
    public int[] prompt(List<Message> history, String userMessage) {
        if (userMessage.isBlank()) {
            throw new ConfigException("the user message is empty: write what to ask (a chat turn needs some text)");
        }
        List<Message> messages = new ArrayList<>(history);
        messages.add(new Message(Role.USER, userMessage));
        messages.add(new Message(Role.ASSISTANT, PLACEHOLDER_REPLY));
        TokenizedExample rendered = template.render(new Dialogue(messages), tokenizer);
        return Arrays.copyOf(rendered.ids(), rendered.lastTrainedRunStart());
    }

    @Override
    public int[] replyTokens(String text) {
        return tokenizer.encode(text.strip());
    }

    @Override
    public String describe() {
        return "chat template " + template.name();
    }
}
