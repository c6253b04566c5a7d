package org.twllm.core.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a YAML file token by token into a {@link LocatedTree}, recording the line and column of
 * every key and list element so that later problems can point at them.
 */
final class YamlFileReader {
    private static final YAMLFactory FACTORY = new YAMLFactory();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final String displayName;
    private final Problems problems;
    private final Map<String, Origin> origins = LocatedTree.newOrigins();

    private YamlFileReader(String displayName, Problems problems) {
        this.displayName = displayName;
        this.problems = problems;
    }

    /** The file's tree, or null after reporting why it cannot be read. */
    static LocatedTree read(Path file, String displayName, Problems problems) {
        return new YamlFileReader(displayName, problems).read(file);
    }

    /** Parses one {@code --set} value as a YAML scalar (or flow list/map); null if it is not valid YAML. */
    static JsonNode parseValue(String text) {
        if (text.isBlank()) {
            return NODES.nullNode();
        }
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken token = p.nextToken();
            if (token == null) {
                return NODES.nullNode();
            }
            YamlFileReader reader = new YamlFileReader("--set", new Problems());
            JsonNode node = reader.value(p, "");
            return p.nextToken() == null ? node : null;
        } catch (IOException e) {
            return null;
        }
    }

    private LocatedTree read(Path file) {
        Origin start = Origin.inFile(displayName, 1, 1);
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
                JsonParser p = FACTORY.createParser(in)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                problems.add(start, null, "the file is empty; a stage config is a map of keys (stage, run, model, ...)");
                return null;
            }
            if (first != JsonToken.START_OBJECT) {
                problems.add(at(p.currentTokenLocation()), null, "the top level must be a map of keys (stage, run, model, ...)");
                return null;
            }
            ObjectNode root = (ObjectNode) value(p, "");
            return new LocatedTree(root, origins, start);
        } catch (JsonProcessingException e) {
            syntaxError(e, start);
            return null;
        } catch (IOException e) {
            problems.add(start, null, "cannot read the file: " + e.getMessage());
            return null;
        }
    }

    private JsonNode value(JsonParser p, String path) throws IOException {
        switch (p.currentToken()) {
            case START_OBJECT: {
                ObjectNode map = NODES.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    Origin keyOrigin = at(p.currentTokenLocation());
                    String childPath = LocatedTree.child(path, key);
                    p.nextToken();
                    JsonNode child = value(p, childPath);
                    if (map.has(key)) {
                        problems.add(keyOrigin, childPath, "duplicate key; remove one of the two");
                    }
                    map.set(key, child);
                    origins.put(childPath, keyOrigin);
                }
                return map;
            }
            case START_ARRAY: {
                ArrayNode list = NODES.arrayNode();
                int index = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    String childPath = LocatedTree.child(path, Integer.toString(index++));
                    Origin elementOrigin = at(p.currentTokenLocation());
                    list.add(value(p, childPath));
                    origins.put(childPath, elementOrigin);
                }
                return list;
            }
            case VALUE_STRING:
                return NODES.textNode(p.getText());
            case VALUE_NUMBER_INT:
                return NODES.numberNode(p.getLongValue());
            case VALUE_NUMBER_FLOAT:
                return NODES.numberNode(p.getDoubleValue());
            case VALUE_TRUE:
            case VALUE_FALSE:
                return bool(p.getText());
            case VALUE_NULL:
                return NODES.nullNode();
            default:
                throw new JsonProcessingException("unexpected " + p.currentToken(), p.currentTokenLocation()) {
                    private static final long serialVersionUID = 1L;
                };
        }
    }

    /**
     * Only {@code true} and {@code false} are booleans (YAML 1.2). YAML 1.1 also reads yes/no/on/off
     * as booleans, which would turn {@code script: off} into false; those stay text here.
     */
    private static JsonNode bool(String text) {
        if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
            return NODES.booleanNode(Boolean.parseBoolean(text));
        }
        return NODES.textNode(text);
    }

    /**
     * Reports a YAML syntax error at Jackson's location (SnakeYAML's context mark: where the construct that
     * failed began, e.g. an unclosed {@code [}), except a tab: SnakeYAML's context for it is the line before,
     * so a tab is named at its own line and column (the problem mark), since YAML allows no tabs there.
     */
    private void syntaxError(JsonProcessingException e, Origin start) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MarkedYAMLException marked && marked.getProblemMark() != null
                    && String.valueOf(marked.getProblem()).contains("(TAB)")) {
                Mark mark = marked.getProblemMark();
                problems.add(Origin.inFile(displayName, mark.getLine() + 1, mark.getColumn() + 1), null,
                        "a tab character: YAML allows only spaces for indentation and around values; replace it with spaces");
                return;
            }
        }
        JsonLocation loc = e.getLocation();
        problems.add(loc == null ? start : at(loc), null, "not valid YAML: " + e.getOriginalMessage().lines().findFirst().orElse(""));
    }

    private Origin at(JsonLocation loc) {
        return Origin.inFile(displayName, Math.max(1, loc.getLineNr()), Math.max(1, loc.getColumnNr()));
    }
}
