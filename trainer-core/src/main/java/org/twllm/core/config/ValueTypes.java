package org.twllm.core.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.LongPredicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;

/**
 * The value types of config keys. Each reads a YAML node with its checks (the messages users see),
 * writes the value back and describes itself for the reference docs. Numbers may be written as
 * strings (YAML 1.1 reads {@code 1e-5} as a string); booleans are only {@code true}/{@code false}.
 */
final class ValueTypes {
    private static final double UNBOUNDED = Double.MAX_VALUE;

    private ValueTypes() {
    }

    /** An integer &gt;= {@code min}. */
    static WholeNumber<Integer> integer(long min) {
        return integer(min, Integer.MAX_VALUE);
    }

    /** An integer in [{@code min}, {@code max}]. */
    static WholeNumber<Integer> integer(long min, long max) {
        return new WholeNumber<>(min, max, Long::intValue, List.of());
    }

    /** A 64-bit integer &gt;= {@code min}. */
    static WholeNumber<Long> longInteger(long min) {
        return new WholeNumber<>(min, Long.MAX_VALUE, v -> v, List.of());
    }

    /** Any finite number. */
    static Decimal number() {
        return new Decimal(-UNBOUNDED, false, UNBOUNDED, false);
    }

    /** A number &gt; 0. */
    static Decimal positive() {
        return new Decimal(0.0, true, UNBOUNDED, false);
    }

    /** A number &gt;= {@code min}. */
    static Decimal atLeast(double min) {
        return new Decimal(min, false, UNBOUNDED, false);
    }

    /** A number in [{@code min}, {@code max}]. */
    static Decimal between(double min, double max) {
        return new Decimal(min, false, max, false);
    }

    /** A number in [{@code min}, {@code max}). */
    static Decimal from(double min, double belowMax) {
        return new Decimal(min, false, belowMax, true);
    }

    static ValueType<Boolean> bool() {
        return Bool.INSTANCE;
    }

    static Text text() {
        return new Text(false, null, null);
    }

    /** A path as written, resolved against the working directory ({@code ~} is the home directory). */
    static ValueType<Path> path() {
        return FilePath.INSTANCE;
    }

    /** {@code word} (empty) or a path. */
    static ValueType<Optional<Path>> pathOr(String word) {
        return new PathOrWord(word);
    }

    /** One of the constants of {@code type}, by {@link YamlEnum#yamlName()}. */
    static <E extends Enum<E> & YamlEnum> ValueType<E> oneOf(Class<E> type) {
        return new OneOf<>(type);
    }

    /** An integer from a list of options, each with what it means; add them with {@link IntChoice#option}. */
    static IntChoice intChoice() {
        return new IntChoice(new LinkedHashMap<>());
    }

    /** A map of keys, bound against {@code table} (from its defaults when absent). */
    static <S extends ConfigSection> ValueType<S> map(KeyTable<S> table) {
        return new Nested<>(table);
    }

    /** A list of maps, each bound against {@code table}; {@code noun} names one element in messages. */
    static <S extends ConfigSection> SectionList<S> list(KeyTable<S> table, String noun) {
        return new SectionList<>(table, noun, false, null);
    }

    /** "a", "a or b", "a, b or c". */
    static String either(List<String> options) {
        if (options.size() <= 1) {
            return String.join("", options);
        }
        return String.join(", ", options.subList(0, options.size() - 1)) + " or " + options.get(options.size() - 1);
    }

    /** A number node, or a string spelling a number; null otherwise. */
    private static Double number(JsonNode v) {
        if (v.isNumber()) {
            return v.asDouble();
        }
        if (v.isTextual()) {
            try {
                return Double.parseDouble(v.asText().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    /** The integer {@code v} spells, or null after reporting that it is not one. */
    private static Long whole(JsonNode v, Section s, Key<?> key) {
        Double number = number(v);
        if (number == null || number != Math.rint(number) || Math.abs(number) > 9.0e18) {
            s.problem(key, "expected an integer, got " + Section.describe(v));
            return null;
        }
        return v.isIntegralNumber() ? v.asLong() : number.longValue();
    }

    /** The text of a scalar, or null after reporting that it is not one. */
    private static String scalarText(JsonNode v, Section s, Key<?> key) {
        if (!v.isValueNode()) {
            s.problem(key, "expected a string, got " + Section.describe(v));
            return null;
        }
        return v.asText();
    }

    private static Path resolvePath(JsonNode v, Section s, Key<?> key) {
        String written = scalarText(v, s, key);
        if (written == null) {
            return null;
        }
        if (written.isBlank()) {
            s.problem(key, "must not be empty");
            return null;
        }
        String expanded = written.equals("~") || written.startsWith("~/")
                ? System.getProperty("user.home") + written.substring(1) : written;
        try {
            return s.binder().workDir().resolve(expanded).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            s.problem(key, "not a valid path: " + e.getMessage());
            return null;
        }
    }

    private static String code(Object shown) {
        return shown == null ? "null" : "`" + shown + "`";
    }

    /** An integer in a range, with optional further rules (multiple of, power of two). */
    static final class WholeNumber<T extends Number> implements ValueType<T> {
        /** A further rule; {@code what} completes "must be ...", {@code brief} the docs' type column. */
        private record Rule(LongPredicate holds, String what, String brief) {
        }

        private final long min;
        private final long max;
        private final Function<Long, T> box;
        private final List<Rule> rules;

        private WholeNumber(long min, long max, Function<Long, T> box, List<Rule> rules) {
            this.min = min;
            this.max = max;
            this.box = box;
            this.rules = rules;
        }

        WholeNumber<T> multipleOf(int n, String why) {
            return with(new Rule(v -> v % n == 0, "a multiple of " + n + " (" + why + ")", "multiple of " + n));
        }

        WholeNumber<T> powerOfTwo(String why) {
            return with(new Rule(v -> Long.bitCount(v) == 1, "a power of two (" + why + ")", "power of two"));
        }

        private WholeNumber<T> with(Rule rule) {
            List<Rule> more = new ArrayList<>(rules);
            more.add(rule);
            return new WholeNumber<>(min, max, box, List.copyOf(more));
        }

        @Override
        public T read(JsonNode node, Section s, Key<T> key) {
            Long value = whole(node, s, key);
            if (value == null) {
                return null;
            }
            if (value < min) {
                s.problem(key, "must be at least " + min + ", got " + value);
                return null;
            }
            if (value > max) {
                s.problem(key, "must be at most " + max + ", got " + value);
                return null;
            }
            for (Rule rule : rules) {
                if (!rule.holds().test(value)) {
                    s.problem(key, "must be " + rule.what() + ", got " + value);
                    return null;
                }
            }
            return box.apply(value);
        }

        @Override
        public JsonNode write(T value, ConfigWriter writer) {
            return value instanceof Integer i ? IntNode.valueOf(i) : LongNode.valueOf(value.longValue());
        }

        @Override
        public String describe() {
            boolean unbounded = max == Integer.MAX_VALUE || max == Long.MAX_VALUE;
            StringBuilder out = new StringBuilder(unbounded ? "int >= " + min : "int in [" + min + ", " + max + "]");
            rules.forEach(r -> out.append(", ").append(r.brief()));
            return out.toString();
        }
    }

    /** A finite number within bounds, each inclusive or exclusive. */
    static final class Decimal implements ValueType<Double> {
        private final double min;
        private final boolean minExclusive;
        private final double max;
        private final boolean maxExclusive;

        private Decimal(double min, boolean minExclusive, double max, boolean maxExclusive) {
            this.min = min;
            this.minExclusive = minExclusive;
            this.max = max;
            this.maxExclusive = maxExclusive;
        }

        @Override
        public Double read(JsonNode node, Section s, Key<Double> key) {
            Double value = number(node);
            if (value == null || value.isNaN() || value.isInfinite()) {
                s.problem(key, "expected a number, got " + Section.describe(node));
                return null;
            }
            if (minExclusive ? value <= min : value < min) {
                s.problem(key, (minExclusive ? "must be greater than " : "must be at least ") + Section.format(min)
                        + ", got " + Section.format(value));
                return null;
            }
            if (maxExclusive ? value >= max : value > max) {
                s.problem(key, (maxExclusive ? "must be less than " : "must be at most ") + Section.format(max)
                        + ", got " + Section.format(value));
                return null;
            }
            return value;
        }

        @Override
        public JsonNode write(Double value, ConfigWriter writer) {
            return DoubleNode.valueOf(value);
        }

        @Override
        public String describe() {
            if (max == UNBOUNDED) {
                return min == -UNBOUNDED ? "number" : "number " + (minExclusive ? "> " : ">= ") + Section.format(min);
            }
            return "number in " + (minExclusive ? "(" : "[") + Section.format(min) + ", " + Section.format(max)
                    + (maxExclusive ? ")" : "]");
        }

        /** {@code 1e-5} rather than Java's {@code 1.0E-5}. */
        @Override
        public String show(Double value) {
            return code(value == null ? null : value.toString().replace(".0E", "e").replace('E', 'e'));
        }
    }

    private static final class Bool implements ValueType<Boolean> {
        static final Bool INSTANCE = new Bool();

        @Override
        public Boolean read(JsonNode node, Section s, Key<Boolean> key) {
            if (!node.isBoolean()) {
                s.problem(key, "expected true or false, got " + Section.describe(node));
                return null;
            }
            return node.asBoolean();
        }

        @Override
        public JsonNode write(Boolean value, ConfigWriter writer) {
            return BooleanNode.valueOf(value);
        }

        @Override
        public String describe() {
            return "bool";
        }
    }

    /** A string, optionally not blank or holding a placeholder. */
    static final class Text implements ValueType<String> {
        private final boolean nonEmpty;
        private final String placeholder;
        private final String why;

        private Text(boolean nonEmpty, String placeholder, String why) {
            this.nonEmpty = nonEmpty;
            this.placeholder = placeholder;
            this.why = why;
        }

        Text nonEmpty() {
            return new Text(true, placeholder, why);
        }

        /** The string must contain {@code token}; {@code reason} ends the message, e.g. "where the text goes". */
        Text containing(String token, String reason) {
            return new Text(nonEmpty, token, reason);
        }

        @Override
        public String read(JsonNode node, Section s, Key<String> key) {
            String text = scalarText(node, s, key);
            if (text != null && nonEmpty && text.isBlank()) {
                s.problem(key, "must not be empty");
                return null;
            }
            if (text != null && placeholder != null && !text.contains(placeholder)) {
                s.problem(key, "must contain " + placeholder + " " + why);
                return null;
            }
            return text;
        }

        @Override
        public JsonNode write(String value, ConfigWriter writer) {
            return TextNode.valueOf(value);
        }

        @Override
        public String describe() {
            return "string";
        }
    }

    private static final class FilePath implements ValueType<Path> {
        static final FilePath INSTANCE = new FilePath();

        @Override
        public Path read(JsonNode node, Section s, Key<Path> key) {
            return resolvePath(node, s, key);
        }

        @Override
        public JsonNode write(Path value, ConfigWriter writer) {
            return TextNode.valueOf(value.toString());
        }

        @Override
        public String describe() {
            return "path";
        }
    }

    /** A reserved word (read as empty) or a path. */
    private static final class PathOrWord implements ValueType<Optional<Path>> {
        private final String word;

        PathOrWord(String word) {
            this.word = word;
        }

        @Override
        public Optional<Path> read(JsonNode node, Section s, Key<Optional<Path>> key) {
            if (node.isValueNode() && node.asText().equals(word)) {
                return Optional.empty();
            }
            Path path = resolvePath(node, s, key);
            return path == null ? null : Optional.of(path);
        }

        @Override
        public JsonNode write(Optional<Path> value, ConfigWriter writer) {
            return TextNode.valueOf(value.map(Path::toString).orElse(word));
        }

        @Override
        public String describe() {
            return "`" + word + "` or path";
        }
    }

    private static final class OneOf<E extends Enum<E> & YamlEnum> implements ValueType<E> {
        private final Class<E> type;

        OneOf(Class<E> type) {
            this.type = type;
        }

        private List<String> names() {
            return Arrays.stream(type.getEnumConstants()).map(YamlEnum::yamlName).toList();
        }

        @Override
        public E read(JsonNode node, Section s, Key<E> key) {
            E value = node.isValueNode() ? YamlEnum.parse(type, node.asText()) : null;
            if (value == null) {
                s.problem(key, "expected one of " + String.join(", ", names()) + ", got " + Section.describe(node));
            }
            return value;
        }

        @Override
        public JsonNode write(E value, ConfigWriter writer) {
            return TextNode.valueOf(value.yamlName());
        }

        @Override
        public String describe() {
            return "enum " + String.join(", ", names().stream().map(ValueTypes::code).toList());
        }
    }

    /** An integer from a fixed set of options. */
    static final class IntChoice implements ValueType<Integer> {
        private final Map<Integer, String> meanings;

        private IntChoice(Map<Integer, String> meanings) {
            this.meanings = meanings;
        }

        /** Allows {@code value}, which means {@code meaning} (shown in the message for a wrong value). */
        IntChoice option(int value, String meaning) {
            Map<Integer, String> more = new LinkedHashMap<>(meanings);
            more.put(value, meaning);
            return new IntChoice(more);
        }

        @Override
        public Integer read(JsonNode node, Section s, Key<Integer> key) {
            Long value = whole(node, s, key);
            if (value == null) {
                return null;
            }
            if (value != value.intValue() || !meanings.containsKey(value.intValue())) {
                List<String> options = meanings.entrySet().stream().map(e -> e.getKey() + " (" + e.getValue() + ")").toList();
                s.problem(key, "expected " + either(options) + ", got " + value);
                return null;
            }
            return value.intValue();
        }

        @Override
        public JsonNode write(Integer value, ConfigWriter writer) {
            return IntNode.valueOf(value);
        }

        @Override
        public String describe() {
            return "int, " + either(meanings.keySet().stream().map(ValueTypes::code).toList());
        }
    }

    /** A nested map with its own key table. */
    static final class Nested<S extends ConfigSection> implements ValueType<S> {
        private final KeyTable<S> table;

        Nested(KeyTable<S> table) {
            this.table = table;
        }

        KeyTable<S> table() {
            return table;
        }

        @Override
        public S read(JsonNode node, Section s, Key<S> key) {
            return table.bind(s.openChild(key, node, table));
        }

        @Override
        public JsonNode write(S value, ConfigWriter writer) {
            return writer.tree(value);
        }

        @Override
        public boolean readsAbsent() {
            return true;
        }

        @Override
        public String describe() {
            return "map";
        }

        @Override
        public String show(S value) {
            return "see below";
        }
    }

    /** A list of maps sharing one key table, optionally non-empty and with unique names. */
    static final class SectionList<S extends ConfigSection> implements ValueType<List<S>> {
        private final KeyTable<S> table;
        private final String noun;
        private final boolean nonEmpty;
        private final Key<String> uniqueName;

        private SectionList(KeyTable<S> table, String noun, boolean nonEmpty, Key<String> uniqueName) {
            this.table = table;
            this.noun = noun;
            this.nonEmpty = nonEmpty;
            this.uniqueName = uniqueName;
        }

        SectionList<S> nonEmpty() {
            return new SectionList<>(table, noun, true, uniqueName);
        }

        /** No two elements may have the same value of {@code name}. */
        SectionList<S> uniqueBy(Key<String> name) {
            return new SectionList<>(table, noun, nonEmpty, name);
        }

        KeyTable<S> table() {
            return table;
        }

        @Override
        public List<S> read(JsonNode node, Section s, Key<List<S>> key) {
            List<Section> elements = s.openElements(key, node, table);
            if (elements == null) {
                return null;
            }
            List<S> out = new ArrayList<>();
            Set<String> names = new HashSet<>();
            for (Section element : elements) {
                out.add(table.bind(element));
                String name = uniqueName == null ? null : element.value(uniqueName);
                if (name != null && !names.add(name)) {
                    element.problem(uniqueName, "two " + noun + "s are named '" + name + "'; give each a distinct name");
                }
            }
            if (nonEmpty && node.isEmpty()) {
                s.problem(key, "needs at least one " + noun);
            }
            return List.copyOf(out);
        }

        @Override
        public JsonNode write(List<S> value, ConfigWriter writer) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            value.forEach(element -> out.add(writer.tree(element)));
            return out;
        }

        @Override
        public String describe() {
            return (nonEmpty ? "non-empty list of " : "list of ") + noun + "s";
        }

        @Override
        public String show(List<S> value) {
            return value == null ? "null" : value.isEmpty() ? "`[]`" : code(value);
        }
    }
}
