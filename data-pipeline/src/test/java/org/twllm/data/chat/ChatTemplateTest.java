package org.twllm.data.chat;

import org.junit.jupiter.api.Test;
import org.twllm.data.tokenizer.Tokenizer;
import org.twllm.errors.ConfigException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatTemplateTest {
    private static final String Q1 = "請問從台北車站到淡水要怎麼搭捷運？";
    private static final String A1 = "搭淡水信義線往淡水方向，坐到終點站就到了。";
    private static final String Q2 = "到了淡水有什麼推薦的？";
    private static final String A2 = "可以逛淡水老街，傍晚到漁人碼頭看夕陽。";

    private final Tokenizer tokenizer = TestTokenizers.zhTw();

    private static Dialogue twoTurns(String system) {
        List<Message> messages = new ArrayList<>();
        if (system != null) {
            messages.add(new Message(Role.SYSTEM, system));
        }
        messages.add(new Message(Role.USER, Q1));
        messages.add(new Message(Role.ASSISTANT, A1));
        messages.add(new Message(Role.USER, Q2));
        messages.add(new Message(Role.ASSISTANT, A2));
        return new Dialogue(messages);
    }

    @Test
    void taiwanLlmTextMatchesThePublishedFormatWithTheDefaultSystemPrompt() {
        ChatTemplate template = ChatTemplates.byName("taiwan-llm", null, null);
        assertEquals("<s>" + TaiwanLlmTemplate.DEFAULT_SYSTEM_PROMPT + "USER: " + Q1 + " ASSISTANT: " + A1 + "</s>"
                + "USER: " + Q2 + " ASSISTANT: " + A2 + "</s>", template.renderText(twoTurns(null)));
        assertEquals("<s>你是導遊。USER: " + Q1 + " ASSISTANT: " + A1 + "</s>USER: " + Q2 + " ASSISTANT: " + A2 + "</s>",
                template.renderText(twoTurns("你是導遊。")));
    }

    @Test
    void taiwanLlmTrainsExactlyTheAssistantContentAndItsEos() {
        TokenizedExample example = ChatTemplates.byName("taiwan-llm", null, null).render(twoTurns(null), tokenizer);
        int eos = tokenizer.eosId();
        // Token by token: BOS, prompt run, trained answer + EOS, prompt run, trained answer + EOS.
        int[] prompt1 = tokenizer.encode(TaiwanLlmTemplate.DEFAULT_SYSTEM_PROMPT + "USER: " + Q1 + " ASSISTANT:");
        int[] prompt2 = tokenizer.encode("USER: " + Q2 + " ASSISTANT:");
        int[] answer1 = tokenizer.encode(A1);
        int[] answer2 = tokenizer.encode(A2);
        assertArrayEquals(concat(new int[] {tokenizer.bosId()}, prompt1, answer1, new int[] {eos}, prompt2, answer2,
                new int[] {eos}), example.ids());
        List<int[]> trained = runs(example, true);
        assertEquals(2, trained.size());
        assertArrayEquals(concat(answer1, new int[] {eos}), trained.get(0));
        assertArrayEquals(concat(answer2, new int[] {eos}), trained.get(1));
        assertEquals(A1, tokenizer.decode(trained.get(0)));
        assertEquals(A2, tokenizer.decode(trained.get(1)));
        List<int[]> prompts = runs(example, false);
        assertEquals(TaiwanLlmTemplate.DEFAULT_SYSTEM_PROMPT + "USER: " + Q1 + " ASSISTANT:", tokenizer.decode(prompts.get(0)));
        assertEquals("USER: " + Q2 + " ASSISTANT:", tokenizer.decode(prompts.get(1)));
        assertFalse(example.lossMask()[0], "BOS is never trained");
        assertEquals(answer1.length + answer2.length + 2, example.trainedTokens());
    }

    @Test
    void segmentTokenizationEqualsWholeStringTokenizationAtSpaceSeams() {
        // Between control tokens, the Taiwan-LLM text is one string whose prompt/answer seam is a space.
        for (Tokenizer t : List.of(tokenizer, TestTokenizers.chars())) {
            TokenizedExample example = ChatTemplates.byName("taiwan-llm", "", null).render(twoTurns(null), t);
            int[] whole = concat(new int[] {t.bosId()}, t.encode("USER: " + Q1 + " ASSISTANT: " + A1),
                    new int[] {t.eosId()}, t.encode("USER: " + Q2 + " ASSISTANT: " + A2), new int[] {t.eosId()});
            assertArrayEquals(whole, example.ids());
            assertEquals(A1, t.decode(runs(example, true).get(0)));
        }
    }

    @Test
    void llama2ChatPutsTheSystemBlockInTheFirstTurnAndBosBeforeEachTurn() {
        ChatTemplate template = ChatTemplates.byName("llama-2-chat", null, null);
        assertEquals("<s>[INST] <<SYS>>\n你是導遊。\n<</SYS>>\n\n" + Q1 + " [/INST] " + A1 + " </s>"
                + "<s>[INST] " + Q2 + " [/INST] " + A2 + " </s>", template.renderText(twoTurns("你是導遊。")));
        assertEquals("<s>[INST] " + Q1 + " [/INST] " + A1 + " </s><s>[INST] " + Q2 + " [/INST] " + A2 + " </s>",
                template.renderText(twoTurns(null)));

        TokenizedExample example = template.render(twoTurns("你是導遊。"), tokenizer);
        int bos = tokenizer.bosId();
        int eos = tokenizer.eosId();
        int[] expected = concat(new int[] {bos}, tokenizer.encode("[INST] <<SYS>>\n你是導遊。\n<</SYS>>\n\n" + Q1 + " [/INST]"),
                tokenizer.encode(A1 + " "), new int[] {eos, bos}, tokenizer.encode("[INST] " + Q2 + " [/INST]"),
                tokenizer.encode(A2 + " "), new int[] {eos});
        assertArrayEquals(expected, example.ids());
        List<int[]> trained = runs(example, true);
        assertEquals(2, trained.size());
        assertArrayEquals(concat(tokenizer.encode(A1 + " "), new int[] {eos}), trained.get(0));
        assertEquals(A1 + " ", tokenizer.decode(trained.get(0)));
        assertEquals(A2 + " ", tokenizer.decode(trained.get(1)));
        assertEquals("[INST] " + Q2 + " [/INST]", tokenizer.decode(runs(example, false).get(1)));
    }

    @Test
    void customTemplateTrainsContentAndWhatFollowsItPlusEos() {
        ChatTemplate template = ChatTemplates.byName("custom", "你是導遊。", Map.of(
                "system_format", "<|system|>\n{content}\n",
                "user_format", "<|user|>\n{content}\n",
                "assistant_format", "<|assistant|>\n{content}\n"));
        Dialogue dialogue = twoTurns(null);
        assertEquals("<s><|system|>\n你是導遊。\n<|user|>\n" + Q1 + "\n<|assistant|>\n" + A1 + "\n</s><|user|>\n" + Q2
                + "\n<|assistant|>\n" + A2 + "\n</s>", template.renderText(dialogue));
        TokenizedExample example = template.render(dialogue, tokenizer);
        List<int[]> trained = runs(example, true);
        assertEquals(2, trained.size());
        // No space at the seam: the answer run gets its own dummy prefix (see SegmentTokenizer).
        assertArrayEquals(concat(tokenizer.encode(A1 + "\n"), new int[] {tokenizer.eosId()}), trained.get(0));
        assertEquals(A2 + "\n", tokenizer.decode(trained.get(1)));
        assertEquals("<|system|>\n你是導遊。\n<|user|>\n" + Q1 + "\n<|assistant|>\n", tokenizer.decode(runs(example, false).get(0)));
    }

    @Test
    void customTemplateWithATrailingSpaceBeforeContentMatchesWholeStringTokenization() {
        ChatTemplate template = ChatTemplates.byName("custom", null, Map.of(
                "user_format", "### 問題: {content}\n", "assistant_format", "### 回答: {content}\n"));
        Dialogue dialogue = new Dialogue(List.of(new Message(Role.USER, Q1), new Message(Role.ASSISTANT, A1)));
        TokenizedExample example = template.render(dialogue, tokenizer);
        int[] whole = concat(new int[] {tokenizer.bosId()}, tokenizer.encode("### 問題: " + Q1 + "\n### 回答: " + A1 + "\n"),
                new int[] {tokenizer.eosId()});
        assertArrayEquals(whole, example.ids());
        assertEquals(A1 + "\n", tokenizer.decode(runs(example, true).get(0)));
    }

    @Test
    void badTemplateConfigsAreRefusedWithTheKeyNamed() {
        assertTrue(assertThrows(ConfigException.class, () -> ChatTemplates.byName("vicuna", null, null))
                .getMessage().contains("taiwan-llm, llama-2-chat or custom"));
        assertTrue(assertThrows(ConfigException.class, () -> ChatTemplates.byName("custom", null,
                Map.of("user_format", "{content}"))).getMessage().contains("assistant_format"));
        assertTrue(assertThrows(ConfigException.class, () -> ChatTemplates.byName("custom", null,
                Map.of("user_format", "Q: {content}", "assistant_format", "A: content"))).getMessage().contains("exactly once"));
        assertTrue(assertThrows(ConfigException.class, () -> ChatTemplates.byName("custom", null,
                Map.of("user_format", "{content}", "assistant_format", "{content}", "tool_format", "{content}")))
                .getMessage().contains("tool_format"));
        assertTrue(assertThrows(ConfigException.class, () -> ChatTemplates.byName("taiwan-llm", null,
                Map.of("user_format", "{content}"))).getMessage().contains("only read by the custom"));
        ChatTemplate noSystem = ChatTemplates.byName("custom", null, Map.of("user_format", "{content}", "assistant_format", "{content}"));
        assertThrows(ConfigException.class, () -> noSystem.renderText(twoTurns("系統")));
        assertEquals("llama-2-chat", ChatTemplates.byName("LLAMA_2_CHAT", null, Map.of()).name());
    }

    @Test
    void everyFixtureDialogueRendersWithTrainedAnswersOnly() {
        List<Dialogue> dialogues = new ArrayList<>(DialogueParser.readJsonl(TestTokenizers.fixture("dialogues/zh-tw-dialogues.jsonl")));
        dialogues.addAll(DialogueParser.readJsonl(TestTokenizers.fixture("dialogues/zh-tw-sharegpt.jsonl")));
        for (String name : List.of("taiwan-llm", "llama-2-chat")) {
            ChatTemplate template = ChatTemplates.byName(name, null, null);
            for (Dialogue dialogue : dialogues) {
                TokenizedExample example = template.render(dialogue, tokenizer);
                List<int[]> trained = runs(example, true);
                List<Message> answers = dialogue.turns().stream().filter(m -> m.role() == Role.ASSISTANT).toList();
                assertEquals(answers.size(), trained.size(), name);
                for (int i = 0; i < answers.size(); i++) {
                    String expected = answers.get(i).content().strip() + (name.equals("llama-2-chat") ? " " : "");
                    assertEquals(expected, tokenizer.decode(trained.get(i)), name);
                    assertEquals(tokenizer.eosId(), trained.get(i)[trained.get(i).length - 1]);
                }
            }
        }
    }

    /** Maximal runs of consecutive tokens whose mask equals {@code trained}. */
    static List<int[]> runs(TokenizedExample example, boolean trained) {
        List<int[]> runs = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= example.length(); i++) {
            boolean in = i < example.length() && example.lossMask()[i] == trained
                    && !(!trained && (example.ids()[i] == 1 || example.ids()[i] == 2));
            if (in && start < 0) {
                start = i;
            } else if (!in && start >= 0) {
                runs.add(Arrays.copyOfRange(example.ids(), start, i));
                start = -1;
            }
        }
        return runs;
    }

    static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(IntStream::of).toArray();
    }
}
