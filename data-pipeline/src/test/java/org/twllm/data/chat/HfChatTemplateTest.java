package org.twllm.data.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.data.corpus.CorpusPreparer;
import org.twllm.data.corpus.PrepareReport;
import org.twllm.data.corpus.PrepareSettings;
import org.twllm.data.corpus.SourceFormat;
import org.twllm.data.corpus.SourceSpec;
import org.twllm.data.shard.ShardKind;
import org.twllm.data.shard.ShardSet;
import org.twllm.data.tokenizer.Tokenizer;

/**
 * The Jinja {@code chat_template} each template writes for HF, rendered by a Java Jinja engine set up as HF
 * sets up Jinja2 (trim_blocks, lstrip_blocks, {@code raise_exception}) and tokenized as HF's legacy Llama
 * tokenizer does (special tokens split out, each run between them encoded with SentencePiece's dummy prefix),
 * gives exactly the ids the SFT loader writes into its shards; and with {@code add_generation_prompt}, exactly
 * the prompt before the reply's first trained token.
 */
class HfChatTemplateTest {
    private static final Tokenizer TOKENIZER = TestTokenizers.zhTw();
    private static final Path DIALOGUES = TestTokenizers.fixture("dialogues/zh-tw-dialogues.jsonl");

    /** A template, and whether it can render a system message (a custom one needs a system_format). */
    private record Case(ChatTemplate template, boolean takesSystem) {
    }

    /** Every kind of template, with the seams between prompt and reply that the loader treats differently. */
    private static final List<Case> CASES = List.of(
            new Case(ChatTemplates.byName("taiwan-llm", null, null), true),
            new Case(ChatTemplates.byName("taiwan-llm", "你是一位熟悉台灣的導遊。", null), true),
            new Case(ChatTemplates.byName("taiwan-llm", "", null), true),
            new Case(ChatTemplates.byName("llama-2-chat", null, null), true),
            new Case(ChatTemplates.byName("llama-2-chat", "You are a helpful assistant.\nAnswer in Traditional Chinese.", null), true),
            // ChatML-like: the reply follows a newline, so the loader gives it a dummy-prefix space
            new Case(custom("<|im_start|>system\n{content}<|im_end|>\n", "<|im_start|>user\n{content}<|im_end|>\n",
                    "<|im_start|>assistant\n{content}<|im_end|>\n", "你是助理。"), true),
            // the seam space inside the assistant's prefix
            new Case(custom("### System: {content}\n", "### Human: {content}\n", "### Assistant: {content}\n", null), true),
            // the seam space at the end of the user's format, an empty assistant prefix, quotes, a backslash and braces
            new Case(custom(null, "Q: '{content}' \\ {{x}} A: ", "{content}", null), false),
            // no separator at all between the user's content and the reply
            new Case(custom(null, "{content}", "{content}\n\n", null), false));

    private static ChatTemplate custom(String system, String user, String assistant, String prompt) {
        Map<String, String> formats = new LinkedHashMap<>();
        if (system != null) {
            formats.put("system_format", system);
        }
        formats.put("user_format", user);
        formats.put("assistant_format", assistant);
        return ChatTemplates.byName("custom", prompt, formats);
    }

    /** The fixture dialogues plus ones with and without a system message and over several turns. */
    private static List<Dialogue> dialogues(boolean withSystem) {
        List<Dialogue> all = new ArrayList<>(fixtureDialogues(withSystem));
        List<Message> turns = List.of(
                new Message(Role.USER, "  請問台北 101 有多高？ "),
                new Message(Role.ASSISTANT, "台北 101 高 508 公尺。\n曾是世界最高的大樓。"),
                new Message(Role.USER, "What about Taipei Main Station?"),
                new Message(Role.ASSISTANT, "It's a transport hub, not a tower."),
                new Message(Role.USER, "謝謝！"),
                new Message(Role.ASSISTANT, "不客氣。"));
        all.add(new Dialogue(turns));
        all.add(new Dialogue(turns.subList(0, 2)));
        if (withSystem) {
            List<Message> system = new ArrayList<>();
            system.add(new Message(Role.SYSTEM, "你是一位說話簡短的助理。"));
            system.addAll(turns);
            all.add(new Dialogue(system));
        }
        return all;
    }

    private static List<Dialogue> fixtureDialogues(boolean withSystem) {
        return DialogueParser.readJsonl(DIALOGUES).stream().filter(d -> withSystem || d.system().isEmpty()).toList();
    }

    @Test
    void theRenderedChatTemplateTokenizesToTheIdsTheSftLoaderWrites(@TempDir Path tmp) throws Exception {
        for (int variant = 0; variant < CASES.size(); variant++) {
            Case c = CASES.get(variant);
            ChatTemplate template = c.template();
            List<Dialogue> dialogues = fixtureDialogues(c.takesSystem());
            Path source = tmp.resolve("dialogues-" + variant + ".jsonl");
            List<String> lines = java.nio.file.Files.readAllLines(DIALOGUES);
            java.nio.file.Files.write(source, lines.stream()
                    .filter(l -> c.takesSystem() || DialogueParser.parseLine(l, "fixture").system().isEmpty()).toList());
            Path out = tmp.resolve("v" + variant);
            PrepareReport report = new CorpusPreparer(TOKENIZER, PrepareSettings.builder(ShardKind.SFT).chatTemplate(template)
                    .source(SourceSpec.of(source, SourceFormat.CHAT)).build()).prepare(out);
            assertEquals(dialogues.size(), report.documentsWritten(), report.toTable());
            ShardSet shards = ShardSet.open(out, true);
            for (int i = 0; i < dialogues.size(); i++) {
                assertArrayEquals(shards.documentTokens(i), hfIds(template, dialogues.get(i).messages(), false),
                        template.name() + ", fixture dialogue " + (i + 1));
            }
        }
    }

    @Test
    void everyTemplateRendersEveryDialogueAndItsGenerationPromptAsTheLoaderTokenizesThem() {
        for (Case c : CASES) {
            ChatTemplate template = c.template();
            for (Dialogue dialogue : dialogues(c.takesSystem())) {
                TokenizedExample sft = template.render(dialogue, TOKENIZER);
                String where = template.name() + ": " + template.renderText(dialogue);
                assertArrayEquals(sft.ids(), hfIds(template, dialogue.messages(), false), where);

                List<Message> asked = dialogue.messages().subList(0, dialogue.messages().size() - 1);
                int[] prompt = Arrays.copyOf(sft.ids(), sft.lastTrainedRunStart());
                assertArrayEquals(prompt, hfIds(template, asked, true), "generation prompt of " + where);
            }
        }
    }

    @Test
    void theFullRenderingIsTheTextTheLoaderShowsExceptAtSeamsWithoutASpace() {
        Dialogue dialogue = dialogues(true).get(dialogues(true).size() - 1);
        for (Case c : CASES.subList(0, 5)) {
            assertEquals(c.template().renderText(dialogue), render(c.template(), dialogue.messages(), false).getOutput());
        }
        // The ChatML-like template: the reply's dummy prefix shows as a space after the newline.
        String chatMl = render(CASES.get(5).template(), dialogue.messages().subList(0, 4), false).getOutput();
        assertEquals("<s><|im_start|>system\n你是一位說話簡短的助理。<|im_end|>\n<|im_start|>user\n請問台北 101 有多高？<|im_end|>\n"
                + "<|im_start|>assistant\n 台北 101 高 508 公尺。\n曾是世界最高的大樓。<|im_end|>\n</s>"
                + "<|im_start|>user\nWhat about Taipei Main Station?<|im_end|>\n", chatMl);
        assertEquals("<s>你是人工智慧助理，以下是用戶和人工智能助理之間的對話。你要對用戶的問題提供有用、安全、詳細和禮貌的回答。"
                + "USER: 謝謝！ ASSISTANT:", render(CASES.get(0).template(), List.of(new Message(Role.USER, "謝謝！")), true).getOutput());
    }

    @Test
    void conversationsTheLoaderRefusesRaiseAnError() {
        List<Message> twoUsers = List.of(new Message(Role.USER, "一"), new Message(Role.USER, "二"));
        List<Message> lateSystem = List.of(new Message(Role.USER, "一"), new Message(Role.ASSISTANT, "二"),
                new Message(Role.SYSTEM, "三"));
        List<Message> system = List.of(new Message(Role.SYSTEM, "三"), new Message(Role.USER, "一"));
        for (Case c : CASES) {
            for (List<Message> bad : List.of(twoUsers, lateSystem)) {
                RenderResult r = render(c.template(), bad, false);
                assertTrue(r.hasErrors() && r.getErrors().toString().contains("must alternate user and assistant"),
                        c.template().name() + ": " + r.getErrors());
            }
        }
        RenderResult noSystemFormat = render(CASES.get(7).template(), system, false);
        assertTrue(noSystemFormat.hasErrors() && noSystemFormat.getErrors().toString().contains("no system_format"),
                noSystemFormat.getErrors().toString());
        assertFalse(render(CASES.get(6).template(), system, false).hasErrors());
    }

    /** HF's {@code apply_chat_template(messages, tokenize=True, add_generation_prompt=...)} for a legacy Llama tokenizer. */
    private static int[] hfIds(ChatTemplate template, List<Message> messages, boolean addGenerationPrompt) {
        RenderResult r = render(template, messages, addGenerationPrompt);
        assertFalse(r.hasErrors(), r.getErrors().toString());
        return legacyLlamaEncode(r.getOutput());
    }

    private static RenderResult render(ChatTemplate template, List<Message> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> hfMessages = new ArrayList<>();
        for (Message m : messages) {
            hfMessages.add(Map.of("role", m.role().name().toLowerCase(java.util.Locale.ROOT), "content", m.content()));
        }
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("messages", hfMessages);
        context.put("bos_token", "<s>");
        context.put("eos_token", "</s>");
        context.put("add_generation_prompt", addGenerationPrompt);
        return JINJA.renderForResult(template.hfChatTemplate(), context);
    }

    private static final Jinjava JINJA = jinja();

    private static Jinjava jinja() {
        // Jinja2 never renders its output again; Jinjava does unless told not to.
        Jinjava jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withNestedInterpretationEnabled(false)
                .withLegacyOverrides(LegacyOverrides.newBuilder().withUseNaturalOperatorPrecedence(true)
                        .withUseTrimmingForNotesAndExpressions(true).withParseWhitespaceControlStrictly(true).build())
                .build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", HfChatTemplateTest.class,
                "raiseException", String.class));
        return jinjava;
    }

    /** HF's {@code raise_exception}. */
    public static String raiseException(String message) {
        throw new IllegalArgumentException(message);
    }

    /**
     * HF's slow {@code LlamaTokenizer} with {@code legacy: true} (and the fast one converted from it): the
     * special tokens (added with lstrip/rstrip false) are split out of the text and mapped to their ids; each
     * text run between them is encoded by SentencePiece, which adds the dummy prefix to each run.
     */
    private static int[] legacyLlamaEncode(String text) {
        Map<String, Integer> specials = Map.of(TOKENIZER.piece(TOKENIZER.bosId()), TOKENIZER.bosId(),
                TOKENIZER.piece(TOKENIZER.eosId()), TOKENIZER.eosId(), TOKENIZER.piece(TOKENIZER.unkId()), TOKENIZER.unkId());
        List<Integer> ids = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            String special = null;
            for (String s : specials.keySet()) {
                if (text.startsWith(s, i)) {
                    special = s;
                }
            }
            if (special == null) {
                i++;
                continue;
            }
            if (i > start) {
                Arrays.stream(TOKENIZER.encode(text.substring(start, i))).forEach(ids::add);
            }
            ids.add(specials.get(special));
            i += special.length();
            start = i;
        }
        if (start < text.length()) {
            Arrays.stream(TOKENIZER.encode(text.substring(start))).forEach(ids::add);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }
}
