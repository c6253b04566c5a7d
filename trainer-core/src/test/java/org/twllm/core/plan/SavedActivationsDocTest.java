package org.twllm.core.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.twllm.core.engine.LlamaConfig;

/** docs/model.md's table of what a layer keeps per token is {@link SavedActivations}, the list the memory model uses. */
class SavedActivationsDocTest {
    private static final Path DOC = Path.of(System.getProperty("twllm.fixtures", "../src-test-fixtures"))
            .toAbsolutePath().normalize().getParent().resolve("docs/model.md");

    static String markdown() {
        StringBuilder out = new StringBuilder("| saved by | tensor | elements per token | in a bf16 run |\n|---|---|---|---|\n");
        for (SavedActivations.Entry e : SavedActivations.PER_LAYER) {
            out.append("| ").append(e.savedBy()).append(" | ").append(e.tensor()).append(" | ").append(e.formula()).append(" | ")
                    .append(e.fp32() ? "fp32" : "bf16").append(" |\n");
        }
        return out.append("| **total per layer** | | **").append(SavedActivations.totalFormula()).append("** | |\n").toString();
    }

    @Test
    void theDocsTableIsTheModelsList() throws IOException {
        String doc = Files.readString(DOC, StandardCharsets.UTF_8);
        int start = doc.indexOf("<!-- saved-activations -->\n");
        int end = doc.indexOf("<!-- /saved-activations -->");
        assertTrue(start >= 0 && end > start, "docs/model.md marks its table with <!-- saved-activations --> ... <!-- /saved-activations -->");
        assertEquals(markdown(), doc.substring(start + "<!-- saved-activations -->\n".length(), end));
    }

    @Test
    void theDocsExampleIsWhatTheListAddsUpTo() {
        LlamaConfig llama7b = new LlamaConfig(4096, 11008, 32, 32, 32, 32000, 4096, 1e-5, 1e4, false);
        assertEquals(6 * 4096 + 2 * 4096 + 2 * 11008 + 32 + 2, SavedActivations.elementsPerToken(llama7b));
        assertEquals(54_818, SavedActivations.elementsPerToken(llama7b), "docs/model.md: 54,818 elements = 219 KB per token per layer");
        assertEquals("6h + 2kv + 2I + H + 2", SavedActivations.totalFormula());
    }
}
