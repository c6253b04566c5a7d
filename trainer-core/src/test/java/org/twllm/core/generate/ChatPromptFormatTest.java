package org.twllm.core.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.twllm.data.chat.ChatTemplate;
import org.twllm.data.chat.ChatTemplates;
import org.twllm.data.chat.Dialogue;
import org.twllm.data.chat.Message;
import org.twllm.data.chat.Role;
import org.twllm.data.chat.TokenizedExample;
import org.twllm.data.tokenizer.SentencePieceTokenizer;
import org.twllm.data.tokenizer.Tokenizer;

/** Prompts for eval, generate and chat are the SFT template's own rendering, token for token. */
class ChatPromptFormatTest {
    private static final Tokenizer TOKENIZER = SentencePieceTokenizer.load(
            Path.of(System.getProperty("twllm.fixtures"), "tokenizer", "zh-tw-bpe-8k.model"));
    private static final List<Message> HISTORY = List.of(
            new Message(Role.USER, "臺灣最高的山是哪一座？"),
            new Message(Role.ASSISTANT, "臺灣最高的山是玉山，海拔 3,952 公尺。"));
    private static final String QUESTION = "那第二高的呢？";
    private static final String ANSWER = "第二高的是雪山。";

    /** The ids SFT trains on for HISTORY + QUESTION + ANSWER, and where the last reply's trained tokens start. */
    private static TokenizedExample sft(ChatTemplate template) {
        List<Message> messages = new java.util.ArrayList<>(HISTORY);
        messages.add(new Message(Role.USER, QUESTION));
        messages.add(new Message(Role.ASSISTANT, ANSWER));
        return template.render(new Dialogue(messages), TOKENIZER);
    }

    private static int lastReplyStart(boolean[] mask) {
        int i = mask.length - 1;
        while (!mask[i]) {
            i--;
        }
        while (mask[i - 1]) {
            i--;
        }
        return i;
    }

    @Test
    void taiwanLlmPromptPlusReplyPlusEosIsTheSftExample() {
        ChatTemplate template = ChatTemplates.byName("taiwan-llm", null, null);
        ChatPromptFormat format = new ChatPromptFormat(template, TOKENIZER);
        TokenizedExample sft = sft(template);
        int[] prompt = format.prompt(HISTORY, QUESTION);
        int[] reply = format.replyTokens(ANSWER);
        int[] joined = Arrays.copyOf(prompt, prompt.length + reply.length + 1);
        System.arraycopy(reply, 0, joined, prompt.length, reply.length);
        joined[joined.length - 1] = TOKENIZER.eosId();
        assertArrayEquals(sft.ids(), joined);
        assertEquals(lastReplyStart(sft.lossMask()), prompt.length);
    }

    @Test
    void llama2ChatPromptIsTheSftExampleUpToTheReply() {
        ChatTemplate template = ChatTemplates.byName("llama-2-chat", "你是台灣的助理。", null);
        ChatPromptFormat format = new ChatPromptFormat(template, TOKENIZER);
        TokenizedExample sft = sft(template);
        int[] prompt = format.prompt(HISTORY, QUESTION);
        assertArrayEquals(Arrays.copyOf(sft.ids(), lastReplyStart(sft.lossMask())), prompt);
        // The reply's tokens are the start of what SFT trains (Llama-2-chat trains "answer " + EOS).
        int[] reply = format.replyTokens(ANSWER);
        assertArrayEquals(Arrays.copyOfRange(sft.ids(), prompt.length, prompt.length + reply.length), reply);
    }
}
