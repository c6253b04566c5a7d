package org.twllm.data.parquet;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.Type;

/**
 * One Parquet row as the JSON object a JSON Lines record with the same content would be, so every record
 * format reads Parquet through the same extractors: groups become objects, {@code LIST} columns arrays
 * (the standard three-level layout and the older two-level ones, as the Parquet spec's compatibility
 * rules read them), {@code MAP} columns objects, strings text, integers, floats and booleans numbers and
 * booleans, a null value JSON null. Other byte arrays (no string annotation) become text when they are
 * valid UTF-8, as writers that predate the annotation store strings.
 */
final class ParquetJson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ParquetJson() {
    }

    /** The row {@code group} of type {@code type}. */
    static ObjectNode object(Group group, GroupType type) {
        ObjectNode out = NODES.objectNode();
        for (int i = 0; i < type.getFieldCount(); i++) {
            Type field = type.getType(i);
            int count = group.getFieldRepetitionCount(i);
            if (field.isRepetition(Type.Repetition.REPEATED)) {
                ArrayNode values = out.putArray(field.getName());
                for (int j = 0; j < count; j++) {
                    values.add(value(group, i, j, field));
                }
            } else {
                out.set(field.getName(), count == 0 ? NODES.nullNode() : value(group, i, 0, field));
            }
        }
        return out;
    }

    private static JsonNode value(Group group, int field, int index, Type type) {
        if (type.isPrimitive()) {
            return primitive(group, field, index, type);
        }
        Group child = group.getGroup(field, index);
        LogicalTypeAnnotation annotation = type.getLogicalTypeAnnotation();
        if (annotation instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation) {
            return list(child, type.asGroupType());
        }
        if (annotation instanceof LogicalTypeAnnotation.MapLogicalTypeAnnotation) {
            return map(child, type.asGroupType());
        }
        return object(child, type.asGroupType());
    }

    /** A LIST group: one repeated field, either the elements themselves (two-level) or a wrapper around each. */
    private static ArrayNode list(Group list, GroupType type) {
        ArrayNode out = NODES.arrayNode();
        Type repeated = type.getType(0);
        int n = list.getFieldRepetitionCount(0);
        for (int j = 0; j < n; j++) {
            if (isElement(repeated, type)) {
                out.add(value(list, 0, j, repeated));
            } else {
                Group wrapper = list.getGroup(0, j);
                Type element = repeated.asGroupType().getType(0);
                out.add(wrapper.getFieldRepetitionCount(0) == 0 ? NODES.nullNode() : value(wrapper, 0, 0, element));
            }
        }
        return out;
    }

    /** The Parquet spec's backward-compatibility rules: when the repeated field is itself the element. */
    private static boolean isElement(Type repeated, GroupType list) {
        if (repeated.isPrimitive()) {
            return true;
        }
        GroupType g = repeated.asGroupType();
        return g.getFieldCount() > 1 || g.getName().equals("array") || g.getName().equals(list.getName() + "_tuple");
    }

    /** A MAP group: repeated key/value pairs, as an object keyed by the keys' text. */
    private static ObjectNode map(Group map, GroupType type) {
        ObjectNode out = NODES.objectNode();
        GroupType pair = type.getType(0).asGroupType();
        for (int j = 0; j < map.getFieldRepetitionCount(0); j++) {
            Group kv = map.getGroup(0, j);
            String key = value(kv, 0, 0, pair.getType(0)).asText();
            out.set(key, pair.getFieldCount() < 2 || kv.getFieldRepetitionCount(1) == 0 ? NODES.nullNode()
                    : value(kv, 1, 0, pair.getType(1)));
        }
        return out;
    }

    private static JsonNode primitive(Group group, int field, int index, Type type) {
        return switch (type.asPrimitiveType().getPrimitiveTypeName()) {
            case BOOLEAN -> NODES.booleanNode(group.getBoolean(field, index));
            case INT32 -> NODES.numberNode(group.getInteger(field, index));
            case INT64 -> NODES.numberNode(group.getLong(field, index));
            case FLOAT -> NODES.numberNode(group.getFloat(field, index));
            case DOUBLE -> NODES.numberNode(group.getDouble(field, index));
            case BINARY, FIXED_LEN_BYTE_ARRAY -> bytes(group.getBinary(field, index), type);
            case INT96 -> NODES.binaryNode(group.getInt96(field, index).getBytes());
        };
    }

    private static JsonNode bytes(Binary value, Type type) {
        LogicalTypeAnnotation annotation = type.getLogicalTypeAnnotation();
        boolean text = annotation == null || annotation instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation
                || annotation instanceof LogicalTypeAnnotation.EnumLogicalTypeAnnotation
                || annotation instanceof LogicalTypeAnnotation.JsonLogicalTypeAnnotation;
        if (text) {
            try {
                return NODES.textNode(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(value.toByteBuffer()).toString());
            } catch (CharacterCodingException notUtf8) {
                if (annotation != null) {
                    throw new InvalidUtf8Exception(type.getName());
                }
            }
        }
        ByteBuffer b = value.toByteBuffer();
        byte[] copy = new byte[b.remaining()];
        b.get(copy);
        return NODES.binaryNode(copy);
    }

    /** A string column holds bytes that are not UTF-8. */
    static final class InvalidUtf8Exception extends RuntimeException {
        final String column;

        InvalidUtf8Exception(String column) {
            super("column " + column + " is not valid UTF-8", null, false, false);
            this.column = column;
        }
    }
}
