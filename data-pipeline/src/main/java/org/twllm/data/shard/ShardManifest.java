package org.twllm.data.shard;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;

/**
 * {@code manifest.json} of a shard directory: what the shards hold, which tokenizer made them, and each
 * shard's counts, size and checksum. Written last, so a directory with a manifest is complete.
 *
 * @param inputsFingerprint fingerprint of everything that produced the shards (sources, filters,
 *                          tokenizer, settings), used by {@code data prepare} to reuse its output; may be empty
 */
public record ShardManifest(ShardKind kind, String tokenizerFingerprint, int vocabSize, int tokenBytes,
        String inputsFingerprint, List<Entry> shards) {
    public static final String FILE_NAME = "manifest.json";
    public static final String FORMAT = "twllm-shards";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public ShardManifest {
        shards = List.copyOf(shards);
    }

    /** One shard file: its name in the directory, the source it came from, counts, size and CRC32C of its body. */
    public record Entry(String file, String source, long tokens, long documents, long bytes, String checksum) {
    }

    public long numTokens() {
        return shards.stream().mapToLong(Entry::tokens).sum();
    }

    public long numDocuments() {
        return shards.stream().mapToLong(Entry::documents).sum();
    }

    public String dtype() {
        return tokenBytes == 2 ? "uint16" : "uint32";
    }

    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("formatVersion", ShardHeader.VERSION);
        root.put("kind", kind.id());
        ObjectNode tok = root.putObject("tokenizer");
        tok.put("fingerprint", tokenizerFingerprint);
        tok.put("vocabSize", vocabSize);
        root.put("dtype", dtype());
        root.put("hasLossMask", kind == ShardKind.SFT);
        root.put("inputsFingerprint", inputsFingerprint);
        root.put("tokens", numTokens());
        root.put("documents", numDocuments());
        ArrayNode list = root.putArray("shards");
        for (Entry e : shards) {
            ObjectNode s = list.addObject();
            s.put("file", e.file());
            s.put("source", e.source());
            s.put("tokens", e.tokens());
            s.put("documents", e.documents());
            s.put("bytes", e.bytes());
            s.put("checksum", e.checksum());
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new TwllmException("cannot serialize a shard manifest: " + e.getMessage(), e);
        }
    }

    /** Reads {@code dir/manifest.json}; a missing or malformed manifest is an error naming the file and the fix. */
    public static ShardManifest read(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.isDirectory(dir)) {
            throw new ConfigException("shard directory " + dir + " does not exist: run 'twllm data prepare' to create it");
        }
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("no " + FILE_NAME + " in " + dir + ": it is not a shard directory, or its"
                    + " writing did not finish; run 'twllm data prepare' to (re)create it");
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw bad(file, "it is not valid JSON (" + e.getMessage() + ")");
        }
        try {
            if (!FORMAT.equals(text(root, "format"))) {
                throw bad(file, "it is not a twllm shard manifest (\"format\" is not \"" + FORMAT + "\")");
            }
            int version = root.path("formatVersion").asInt(-1);
            if (version != ShardHeader.VERSION) {
                throw bad(file, "it has format version " + version + " but this twllm reads version " + ShardHeader.VERSION);
            }
            ShardKind kind = ShardKind.parse(text(root, "kind"));
            JsonNode tok = root.path("tokenizer");
            int vocab = tok.path("vocabSize").asInt(-1);
            String dtype = text(root, "dtype");
            int tokenBytes = "uint16".equals(dtype) ? 2 : "uint32".equals(dtype) ? 4 : -1;
            if (vocab <= 0 || tokenBytes < 0) {
                throw bad(file, "it has no valid tokenizer.vocabSize or dtype");
            }
            List<Entry> entries = new ArrayList<>();
            for (JsonNode s : root.path("shards")) {
                entries.add(new Entry(text(s, "file"), text(s, "source"), s.path("tokens").asLong(-1),
                        s.path("documents").asLong(-1), s.path("bytes").asLong(-1), text(s, "checksum")));
            }
            return new ShardManifest(kind, text(tok, "fingerprint"), vocab, tokenBytes,
                    root.path("inputsFingerprint").asText(""), entries);
        } catch (ConfigException e) {
            throw bad(file, e.getMessage());
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new ConfigException("field \"" + field + "\" is missing or not a string");
        }
        return v.asText();
    }

    private static ShardCorruptionException bad(Path file, String why) {
        return new ShardCorruptionException(file, "shard manifest", why);
    }
}
