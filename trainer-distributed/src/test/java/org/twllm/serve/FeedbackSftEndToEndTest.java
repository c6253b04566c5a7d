package org.twllm.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.cli.Main;
import org.twllm.data.chat.ChatTemplates;
import org.twllm.data.chat.Dialogue;
import org.twllm.data.chat.Message;
import org.twllm.data.chat.Role;
import org.twllm.data.chat.TokenizedExample;
import org.twllm.data.corpus.PrepareReport;
import org.twllm.data.corpus.Extractors;
import org.twllm.data.shard.ShardSet;

/**
 * The loop closed: serve, chat, rate 👍 and 👎 (some twice), then {@code twllm train --stage feedback-sft}
 * on the log trains on exactly the conversations whose last rating is 👍, rendered as SFT renders them.
 */
class FeedbackSftEndToEndTest {
    static final String REPLY = "玉山海拔三九五二公尺。";

    @TempDir
    Path dir;

    @Test
    void feedbackSftTrainsOnlyOnTheThumbsUpConversations() throws Exception {
        Path model = TestModels.scripted(dir.resolve("model"), TestModels.TOKENIZER.encode(REPLY));
        Path log = dir.resolve("feedback.jsonl");
        String[] questions = {"臺灣最高的山？", "臺北有什麼好玩？", "日月潭在哪裡？", "高雄有什麼好吃？"};
        try (ChatServer server = ChatServer.start(TestModels.settings(model, log, null, 2, 4))) {
            URI base = server.url();
            String[][] served = new String[questions.length][];
            for (int i = 0; i < questions.length; i++) {
                served[i] = RatingsTest.chat(base, null, "[{\"role\":\"user\",\"content\":\"" + questions[i] + "\"}]");
            }
            String[][] ratings = {{"0", "up"}, {"1", "down"}, {"2", "down"}, {"2", "up"}, {"3", "up"}, {"3", "down"}};
            for (String[] r : ratings) {
                String[] s = served[Integer.parseInt(r[0])];
                assertEquals(200, RatingsTest.rate(base, s[1], s[0], r[1], null).statusCode());
            }
        }
        assertEquals(6, Files.readAllLines(log).size());

        Path config = StageConfigs.write(dir, "feedback-sft", model, log, "feedback");
        assertEquals(Main.EXIT_OK, Main.run("train", "--stage", "feedback-sft", "--config", config.toString()));

        Path shards = StageConfigs.shards(dir, "feedback-sft");
        JsonNode stats = TestHttp.json(Files.readString(shards.resolve(PrepareReport.FILE_NAME))).get("sources").get(0);
        assertEquals(6, stats.get("recordsRead").asLong(), stats.toString());
        assertEquals(2, stats.get("dropped").get(Extractors.SUPERSEDED).asLong(), stats.toString());
        assertEquals(2, stats.get("dropped").get(Extractors.NOT_POSITIVE).asLong(), stats.toString());
        assertEquals(2, stats.get("documentsKept").asLong(), stats.toString());
        // Exactly the 👍 conversations (the first, and the third after its 👎 became 👍), in log order.
        ShardSet set = ShardSet.open(shards);
        int trained = 0;
        int doc = 0;
        for (String question : List.of(questions[0], questions[2])) {
            TokenizedExample expected = ChatTemplates.byName("taiwan-llm", null, null).render(new Dialogue(List.of(
                    new Message(Role.USER, question), new Message(Role.ASSISTANT, REPLY))), TestModels.TOKENIZER);
            assertArrayEquals(expected.ids(), set.documentTokens(doc++));
            for (boolean t : expected.lossMask()) {
                trained += t ? 1 : 0;
            }
        }
        // One step over the one packed row of both: the trained tokens are those two replies (and their EOS).
        List<String> metrics = Files.readAllLines(dir.resolve("run-feedback-sft/metrics.jsonl"));
        JsonNode step = TestHttp.json(metrics.get(0));
        assertEquals(trained, step.get("tokens").asLong(), step.toString());
    }
}
