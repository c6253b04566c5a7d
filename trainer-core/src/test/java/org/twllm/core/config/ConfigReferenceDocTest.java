package org.twllm.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * The key tables of docs/configuration.md are the key declarations: each table between
 * {@code <!-- keys: PATH -->} and {@code <!-- /keys -->} must be exactly what the declarations render
 * (name, type with range or names, default, meaning, resume-safety). On a difference the test writes
 * the corrected file to {@code target/generated-docs/configuration.md}, to copy over the docs.
 * The resume-safe table of docs/checkpoints.md must name exactly {@link StageConfig#RESUME_SAFE_KEYS}.
 */
class ConfigReferenceDocTest {
    private static final Path DOCS = ShippedConfigsTest.REPO.resolve("docs");
    private static final Pattern BLOCK = Pattern.compile("<!-- keys: ([^>]*?) -->\n(.*?)<!-- /keys -->", Pattern.DOTALL);

    /** Each distinct table, by the path the docs name it with (the first path it appears at). */
    static Map<String, KeyTable<?>> documentedTables() {
        Map<String, KeyTable<?>> out = new LinkedHashMap<>();
        for (ConfigSchema.Entry e : ConfigSchema.entries()) {
            if (!out.containsValue(e.table())) {
                out.put(e.path().isEmpty() ? "top level" : e.path(), e.table());
            }
        }
        return out;
    }

    static String markdown(KeyTable<?> table) {
        StringBuilder out = new StringBuilder("| key | type | default | meaning |\n|---|---|---|---|\n");
        for (Key<?> key : table.keys()) {
            out.append("| `").append(key.name()).append("` | ").append(key.type().describe()).append(" | ")
                    .append(key.shownDefault()).append(" | ").append(key.doc())
                    .append(key.resumeSafe() ? " *(resume-safe)*" : "").append(" |\n");
        }
        return out.toString();
    }

    @Test
    void everyKeyTableInTheDocsIsTheDeclarationsTable() throws IOException {
        String doc = Files.readString(DOCS.resolve("configuration.md"), StandardCharsets.UTF_8);
        Map<String, KeyTable<?>> tables = documentedTables();
        List<String> differences = new ArrayList<>();
        StringBuilder corrected = new StringBuilder();
        Matcher m = BLOCK.matcher(doc);
        List<String> seen = new ArrayList<>();
        while (m.find()) {
            String path = m.group(1);
            seen.add(path);
            KeyTable<?> table = tables.get(path);
            String expected = table == null ? m.group(2) : markdown(table);
            if (table == null) {
                differences.add("<!-- keys: " + path + " --> names no config map; remove the block");
            } else if (!expected.equals(m.group(2))) {
                differences.add("the table of " + path + " differs from its key declarations");
            }
            m.appendReplacement(corrected, Matcher.quoteReplacement("<!-- keys: " + path + " -->\n" + expected + "<!-- /keys -->"));
        }
        m.appendTail(corrected);
        for (Map.Entry<String, KeyTable<?>> table : tables.entrySet()) {
            if (!seen.contains(table.getKey())) {
                differences.add("no table for " + table.getKey() + "; add\n<!-- keys: " + table.getKey() + " -->\n"
                        + markdown(table.getValue()) + "<!-- /keys -->");
            }
        }
        if (!differences.isEmpty()) {
            Path out = Path.of("target/generated-docs/configuration.md").toAbsolutePath();
            Files.createDirectories(out.getParent());
            Files.writeString(out, corrected.toString(), StandardCharsets.UTF_8);
            differences.add("the corrected file is " + out + "; copy it over docs/configuration.md");
        }
        assertEquals("", String.join("\n", differences));
    }

    @Test
    void theRenderedTablesSayTheDeclaredRulesAndDefaults() {
        String training = markdown(TrainingConfig.KEYS);
        assertTrue(training.contains("| `max_steps` | int >= 1 | **required** | optimizer steps to train for (may be raised"
                + " on resume) *(resume-safe)* |\n"), training);
        assertTrue(training.contains("| `adam_beta2` | number in [0, 1) | `0.999` | AdamW beta2 |\n"), training);
        assertTrue(training.contains("| `adam_epsilon` | number > 0 | `1e-8` |"), training);
        assertTrue(training.contains("| `lr_scheduler_type` | enum `cosine`, `linear`, `constant` | `cosine` |"), training);
        String transport = markdown(TransportConfig.KEYS);
        assertTrue(transport.contains("| `mtu` | int in [4096, 65504], multiple of 32 | `65504` |"), transport);
        assertTrue(markdown(DistributedConfig.KEYS).contains("| `zero_stage` | int, `0`, `1` or `2` | `2` |"));
        assertTrue(markdown(DataConfig.KEYS).contains("| `sources` | non-empty list of sources | **required** |"));
        assertTrue(markdown(ModelConfig.KEYS).contains("| `init` | `random` or path | **required** |"));
    }

    @Test
    void theResumeSafeTableOfTheCheckpointDocsNamesExactlyTheResumeSafeKeys() throws IOException {
        String doc = Files.readString(DOCS.resolve("checkpoints.md"), StandardCharsets.UTF_8);
        String section = doc.substring(doc.indexOf("### Config changes on resume"));
        section = section.substring(section.indexOf("| key |"), section.indexOf("\n\n", section.indexOf("| key |")));
        TreeSet<String> named = new TreeSet<>();
        for (String row : section.split("\n")) {
            String firstColumn = row.split("\\|")[1];
            Matcher key = Pattern.compile("`([a-z_.]+)(\\*)?`").matcher(firstColumn);
            while (key.find()) {
                named.add(key.group(1));
            }
        }
        assertEquals(new TreeSet<>(StageConfig.RESUME_SAFE_KEYS), named);
    }
}
