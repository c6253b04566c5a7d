package org.twllm.cli.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.twllm.data.tokenizer.SentencePieceTokenizer;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code twllm data encode}: JSONL {@code {"text": ...}} on stdin to {@code {"ids": [...]}} on stdout, one line
 * per line (blank lines are skipped); with {@code --decode} the reverse.
 */
@Command(name = "encode", mixinStandardHelpOptions = true,
        description = "Tokenize JSONL on stdin: each {\"text\": ...} line becomes an {\"ids\": [...]} line on stdout"
                + " (with --decode, {\"ids\": [...]} lines become {\"text\": ...} lines).")
public final class DataEncodeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--tokenizer", required = true, paramLabel = "FILE", description = "A SentencePiece .model file.")
    Path tokenizerFile;

    @Option(names = "--decode", description = "Read {\"ids\": [...]} lines and write {\"text\": ...} lines.")
    boolean decode;

    @Option(names = "--bos", description = "Start each encoding with the BOS id.")
    boolean bos;

    @Option(names = "--eos", description = "End each encoding with the EOS id.")
    boolean eos;

    @Override
    public Integer call() {
        if (decode && (bos || eos)) {
            throw new ConfigException("--bos and --eos apply to encoding; leave them out with --decode.");
        }
        SentencePieceTokenizer tokenizer = SentencePieceTokenizer.load(tokenizerFile);
        if (bos && tokenizer.bosId() < 0) {
            throw new ConfigException(tokenizerFile + " has no BOS piece; leave out --bos.");
        }
        if (eos && tokenizer.eosId() < 0) {
            throw new ConfigException(tokenizerFile + " has no EOS piece; leave out --eos.");
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        // Not closed: closing would close System.out.
        Writer out = new OutputStreamWriter(System.out, StandardCharsets.UTF_8);
        StringBuilder line = new StringBuilder(4096);
        try {
            String input;
            for (long lineNumber = 1; (input = in.readLine()) != null; lineNumber++) {
                if (input.isBlank()) {
                    continue;
                }
                JsonNode record = parse(input, lineNumber);
                line.setLength(0);
                if (decode) {
                    writeText(tokenizer, record, lineNumber, line);
                } else {
                    writeIds(tokenizer, record, lineNumber, line);
                }
                line.append('\n');
                out.append(line);
            }
            out.flush();
        } catch (IOException e) {
            throw new TwllmException("data encode: reading stdin or writing stdout failed: " + e.getMessage(), e);
        }
        return 0;
    }

    private static JsonNode parse(String input, long lineNumber) {
        try {
            return JSON.readTree(input);
        } catch (JsonProcessingException e) {
            throw new ConfigException("stdin line " + lineNumber + " is not JSON: " + e.getOriginalMessage() + ".");
        }
    }

    private void writeIds(SentencePieceTokenizer tokenizer, JsonNode record, long lineNumber, StringBuilder line) {
        JsonNode text = record.get("text");
        if (text == null || !text.isTextual()) {
            throw new ConfigException("stdin line " + lineNumber + " has no string field \"text\"; each line must be"
                    + " a JSON object like {\"text\": \"...\"}.");
        }
        int[] ids = tokenizer.encode(text.textValue());
        line.append("{\"ids\": [");
        boolean first = true;
        if (bos) {
            line.append(tokenizer.bosId());
            first = false;
        }
        for (int id : ids) {
            if (!first) {
                line.append(", ");
            }
            line.append(id);
            first = false;
        }
        if (eos) {
            line.append(first ? "" : ", ").append(tokenizer.eosId());
        }
        line.append("]}");
    }

    private void writeText(SentencePieceTokenizer tokenizer, JsonNode record, long lineNumber, StringBuilder line) {
        JsonNode idsNode = record.get("ids");
        if (idsNode == null || !idsNode.isArray()) {
            throw new ConfigException("stdin line " + lineNumber + " has no array field \"ids\"; with --decode each line"
                    + " must be a JSON object like {\"ids\": [1, 2, 3]}.");
        }
        int[] ids = new int[idsNode.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = idsNode.get(i);
            if (!id.canConvertToInt() || !id.isIntegralNumber() || id.intValue() < 0 || id.intValue() >= tokenizer.vocabSize()) {
                throw new ConfigException("stdin line " + lineNumber + ": " + id + " is not a token id of " + tokenizerFile
                        + " (ids are integers in [0, " + tokenizer.vocabSize() + ")).");
            }
            ids[i] = id.intValue();
        }
        try {
            line.append("{\"text\": ").append(JSON.writeValueAsString(tokenizer.decode(ids))).append('}');
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a string always serializes", e);
        }
    }
}
