package org.twllm.data.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.twllm.errors.ConfigException;
import org.twllm.files.JsonLines;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads dialogues from JSON records in the two common chat formats:
 * <ul>
 *   <li>OpenAI/HF {@code {"messages": [{"role": "system"|"user"|"assistant", "content": "..."}]}}</li>
 *   <li>ShareGPT {@code {"conversations": [{"from": "system"|"human"|"gpt", "value": "..."}]}}
 *       ({@code "user"} and {@code "assistant"} are accepted as {@code from} values too)</li>
 * </ul>
 * Every bad record gets a {@link ConfigException} naming where it is ({@code where}, e.g. "file.jsonl line 12").
 */
public final class DialogueParser {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DialogueParser() {
    }

    /** The dialogue in {@code record}; {@code where} names the record in error messages. */
    public static Dialogue parse(JsonNode record, String where) {
        return parse(record, null, where);
    }

    /**
     * The dialogue in {@code record}'s field {@code field} (a list of role/content or ShareGPT from/value
     * messages, told apart by the first message's keys), or with {@code field} null in {@code messages}
     * or {@code conversations}.
     */
    public static Dialogue parse(JsonNode record, String field, String where) {
        if (record == null || !record.isObject()) {
            throw bad(where, "is not a JSON object");
        }
        if (field != null) {
            JsonNode list = present(record.get(field));
            if (list == null) {
                throw bad(where, "has no \"" + field + "\" (the messages field)");
            }
            boolean shareGpt = list.isArray() && !list.isEmpty() && list.get(0).has("from");
            return dialogue(shareGpt ? readList(list, where, field, "from", "value")
                    : readList(list, where, field, "role", "content"), where);
        }
        JsonNode messages = present(record.get("messages"));
        JsonNode conversations = present(record.get("conversations"));
        if (messages != null && conversations != null) {
            throw bad(where, "has both \"messages\" and \"conversations\"; keep one");
        }
        List<Message> parsed;
        if (messages != null) {
            parsed = readList(messages, where, "messages", "role", "content");
        } else if (conversations != null) {
            parsed = readList(conversations, where, "conversations", "from", "value");
        } else {
            throw bad(where, "has neither \"messages\" (role/content) nor \"conversations\" (ShareGPT from/value);"
                    + " name the field holding the messages with messages_field");
        }
        return dialogue(parsed, where);
    }

    /** A field's value, null when absent or JSON null (a Parquet row's null column). */
    private static JsonNode present(JsonNode value) {
        return value == null || value.isNull() ? null : value;
    }

    private static Dialogue dialogue(List<Message> parsed, String where) {
        try {
            return new Dialogue(parsed);
        } catch (IllegalArgumentException e) {
            throw bad(where, "is not a usable dialogue: " + e.getMessage());
        }
    }

    /** Parses one JSONL line. */
    public static Dialogue parseLine(String line, String where) {
        try {
            return parse(JSON.readTree(line), where);
        } catch (JsonProcessingException e) {
            throw bad(where, "is not valid JSON (" + e.getOriginalMessage() + ")");
        }
    }

    /** Every dialogue of a JSONL file, in file order (read by {@link JsonLines}, whose policy applies). */
    public static List<Dialogue> readJsonl(Path file) {
        return JsonLines.read(file, line -> parse(line.object(), line.where()));
    }

    private static List<Message> readList(JsonNode list, String where, String listName, String roleKey, String contentKey) {
        if (!list.isArray()) {
            throw bad(where, "has \"" + listName + "\" that is not a list");
        }
        List<Message> messages = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            JsonNode item = list.get(i);
            String itemName = listName + "[" + i + "]";
            if (!item.isObject()) {
                throw bad(where, "has " + itemName + " that is not an object");
            }
            JsonNode role = item.get(roleKey);
            JsonNode content = item.get(contentKey);
            if (role == null || !role.isTextual()) {
                throw bad(where, "has " + itemName + " without a text \"" + roleKey + "\"");
            }
            if (content == null || !content.isTextual()) {
                throw bad(where, "has " + itemName + " without a text \"" + contentKey + "\"");
            }
            messages.add(new Message(role(role.asText(), where, itemName, roleKey), content.asText()));
        }
        return messages;
    }

    private static Role role(String value, String where, String itemName, String roleKey) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "system" -> Role.SYSTEM;
            case "user", "human" -> Role.USER;
            case "assistant", "gpt", "chatgpt" -> Role.ASSISTANT;
            default -> throw bad(where, "has " + itemName + " with unknown " + roleKey + " \"" + value
                    + "\" (expected system, user or assistant; ShareGPT: system, human or gpt)");
        };
    }

    private static ConfigException bad(String where, String problem) {
        return new ConfigException("Dialogue record " + where + " " + problem + ".");
    }
}
