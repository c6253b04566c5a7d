package org.twllm.data.loader;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.data.chat.ChatTemplate;
import org.twllm.data.chat.ChatTemplates;
import org.twllm.data.chat.Dialogue;
import org.twllm.data.chat.DialogueParser;
import org.twllm.data.chat.TestTokenizers;
import org.twllm.data.chat.TokenizedExample;
import org.twllm.data.shard.DocumentStore;
import org.twllm.data.shard.ShardKind;
import org.twllm.data.shard.ShardSet;
import org.twllm.data.shard.ShardWriter;
import org.twllm.data.tokenizer.Tokenizer;

import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The datasets read memory-mapped shards (several files) exactly as they read the same documents in memory. */
class ShardBackedDatasetTest {
    private static final long SMALL_SHARDS = 8192;

    @Test
    void cptSamplesFromShardsEqualThoseFromMemory(@TempDir Path dir) throws Exception {
        Tokenizer tokenizer = TestTokenizers.zhTw();
        List<int[]> documents = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try (BufferedReader reader = Files.newBufferedReader(TestTokenizers.fixture("corpus/tang-poems.zh-Hant.jsonl"), StandardCharsets.UTF_8)) {
            for (int i = 0; i < 150; i++) {
                documents.add(tokenizer.encode(json.readTree(reader.readLine()).get("text").asText()));
            }
        }
        ArrayDocumentStore memory = ArrayDocumentStore.forPretraining(documents, tokenizer.bosId(), tokenizer.eosId());
        try (ShardWriter writer = ShardWriter.create(dir, ShardKind.CPT, tokenizer.fingerprint(), tokenizer.vocabSize(), SMALL_SHARDS, "")) {
            writer.beginSource("tang");
            for (long d = 0; d < memory.numDocuments(); d++) {
                writer.append(document(memory, d));
            }
            writer.finish();
        }
        ShardSet shards = ShardSet.open(dir);
        assertTrue(shards.shardFiles().size() > 1, "samples cross shard files");
        CptDataset fromShards = new CptDataset(shards, 64);
        CptDataset fromMemory = new CptDataset(memory, 64);
        assertEquals(fromMemory.size(), fromShards.size());
        for (long k = 0; k < fromMemory.size(); k++) {
            assertTrue(Samples.same(fromMemory.get(k), fromShards.get(k)), "sample " + k);
        }
    }

    @Test
    void sftRowsFromShardsEqualThoseFromMemory(@TempDir Path dir) {
        Tokenizer tokenizer = TestTokenizers.zhTw();
        ChatTemplate template = ChatTemplates.byName("taiwan-llm", null, null);
        List<TokenizedExample> examples = new ArrayList<>();
        for (Dialogue dialogue : DialogueParser.readJsonl(TestTokenizers.fixture("dialogues/zh-tw-dialogues.jsonl"))) {
            examples.add(template.render(dialogue, tokenizer));
        }
        try (ShardWriter writer = ShardWriter.create(dir, ShardKind.SFT, tokenizer.fingerprint(), tokenizer.vocabSize(), SMALL_SHARDS, "")) {
            writer.beginSource("dialogues");
            for (TokenizedExample example : examples) {
                writer.append(example.ids(), example.lossMask());
            }
            writer.finish();
        }
        ShardSet shards = ShardSet.open(dir);
        for (boolean packed : new boolean[] {true, false}) {
            SftPackedDataset fromShards = new SftPackedDataset(shards, 256, tokenizer.eosId(), packed, OverlongPolicy.TRUNCATE);
            SftPackedDataset fromMemory = new SftPackedDataset(ArrayDocumentStore.ofExamples(examples), 256,
                    tokenizer.eosId(), packed, OverlongPolicy.TRUNCATE);
            assertEquals(fromMemory.stats(), fromShards.stats());
            for (long row = 0; row < fromMemory.size(); row++) {
                assertTrue(Samples.same(fromMemory.get(row), fromShards.get(row)), "row " + row);
            }
        }
    }

    private static int[] document(DocumentStore store, long doc) {
        long start = store.documentStart(doc);
        int[] tokens = new int[(int) (store.documentStart(doc + 1) - start)];
        store.readTokens(start, tokens, 0, tokens.length);
        return tokens;
    }
}
