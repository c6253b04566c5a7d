package org.twllm.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.cli.Main;
import org.twllm.data.shard.ShardSet;

/**
 * The server prompts a model with the ids {@code twllm train --stage sft} trained it on: for the same
 * dialogue, the SFT example's ids up to the last reply are the prompt the API builds from the request's
 * messages, and prompt + reply + EOS is the whole example.
 */
class ServedPromptIdsTest {
    private static final String SYSTEM = "你是臺灣的助理，用繁體中文回答。";
    private static final String[][] TURNS = {
        {"user", "臺灣最高的山是哪一座？"}, {"assistant", "是玉山，海拔 3,952 公尺。"},
        {"user", "那第二高的呢？"}, {"assistant", "第二高的是雪山。"}};

    @TempDir
    Path dir;

    private static String messages(boolean withLastReply) {
        StringBuilder json = new StringBuilder("[{\"role\":\"system\",\"content\":\"" + SYSTEM + "\"}");
        for (int i = 0; i < TURNS.length - (withLastReply ? 0 : 1); i++) {
            json.append(",{\"role\":\"").append(TURNS[i][0]).append("\",\"content\":\"").append(TURNS[i][1]).append("\"}");
        }
        return json.append("]").toString();
    }

    @Test
    void thePromptIsTheSftExampleUpToTheReply() throws Exception {
        Path model = TestModels.random(dir.resolve("model"));
        Path dialogues = dir.resolve("dialogues.jsonl");
        Files.writeString(dialogues, "{\"messages\":" + messages(true) + "}\n");
        Path config = StageConfigs.write(dir, "sft", model, dialogues, "chat");
        assertEquals(Main.EXIT_OK, Main.run("train", "--stage", "sft", "--config", config.toString()));
        int[] sft = ShardSet.open(StageConfigs.shards(dir, "sft")).documentTokens(0);

        ServedModel served = ServedModel.open(TestModels.settings(model, dir.resolve("f.jsonl"), null, 1, 1));
        ChatRequest request = ChatRequest.parse(TestHttp.json("{\"messages\":" + messages(false) + "}"));
        int[] prompt = served.prompt(served.withSystemPrompt(request.messages()));
        int[] reply = TestModels.TOKENIZER.encode(TURNS[3][1]);
        assertArrayEquals(Arrays.copyOf(sft, prompt.length), prompt);
        int[] whole = TestModels.concat(TestModels.concat(prompt, reply), new int[] {TestModels.TOKENIZER.eosId()});
        assertArrayEquals(sft, whole);
    }
}
