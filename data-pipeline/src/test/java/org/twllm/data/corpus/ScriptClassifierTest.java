package org.twllm.data.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ScriptClassifierTest {
    private final ScriptClassifier script = ScriptClassifier.openCc();

    @Test
    void openCcTablesAreLoadedWhole() {
        // OpenCC 1.4.1's tables: 3,797 Simplified-only and 3,198 Traditional-only characters once Taiwan's
        // standard forms and the few characters listed on both sides are set aside (counted independently,
        // in Python, from the text files).
        assertEquals(3797, script.simplifiedOnlyCount());
        assertEquals(3198, script.traditionalOnlyCount());
    }

    @Test
    void charactersAreClassifiedByTheVariantTable() {
        assertTrue(script.isSimplifiedOnly('学'));
        assertTrue(script.isTraditionalOnly('學'));
        assertTrue(script.isSimplifiedOnly('湾'));
        assertTrue(script.isTraditionalOnly('灣'));
        for (int shared : new int[] {'人', '子', '之', '台', 'a'}) {
            assertFalse(script.isSimplifiedOnly(shared), "shared character " + Character.toString(shared));
            assertFalse(script.isTraditionalOnly(shared), "shared character " + Character.toString(shared));
        }
        // OpenCC's Traditional form of 床 is 牀, but 床 is Taiwan's standard form: not Simplified.
        assertFalse(script.isSimplifiedOnly('床'));
        assertFalse(script.count("床前明月光").mostlySimplified());
        // 万 is its own Traditional form too (OpenCC maps it to 萬 or 万): not evidence of Simplified text.
        assertFalse(script.isSimplifiedOnly('万'));
    }

    @Test
    void countsDecideMostlySimplified() {
        assertTrue(script.count("学而时习之，不亦说乎？").mostlySimplified());
        assertFalse(script.count("學而時習之，不亦說乎？").mostlySimplified());
        assertEquals(new ScriptClassifier.Counts(0, 0), script.count("Hello, 人之初"));
        assertFalse(script.count("Hello, 人之初").mostlySimplified());
        assertEquals(new ScriptClassifier.Counts(3, 4), script.count("学时说 學時說習"));
    }
}
