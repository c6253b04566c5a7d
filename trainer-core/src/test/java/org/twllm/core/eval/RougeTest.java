package org.twllm.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class RougeTest {

    @Test
    void cjkCharactersAreTokensAndLatinRunsAreWords() {
        assertEquals(List.of("gpt", "4", "模", "型", "很", "強", "abc12"), RougeTokenizer.tokenize("GPT-4 模型，很強！ＡＢＣ１２"));
        assertEquals(List.of(), RougeTokenizer.tokenize("。，、 "));
    }

    @Test
    void rouge2OnChineseCharacters() {
        // candidate bigrams: 台北 北是 是首 首都 (4); reference: 台北 北市 市是 是台 台灣 灣的 的首 首都 (8); overlap 台北, 首都.
        Rouge.Score s = Rouge.rouge2("台北是首都", "台北市是台灣的首都。");
        assertEquals(0.5, s.precision(), 1e-12);
        assertEquals(0.25, s.recall(), 1e-12);
        assertEquals(1.0 / 3.0, s.f1(), 1e-12);
    }

    @Test
    void overlapCountsAreClipped() {
        // candidate 哈哈 x3, reference 哈哈 x1: overlap 1, P = 1/3, R = 1, F1 = 0.5.
        Rouge.Score s = Rouge.rouge2("哈哈哈哈", "哈哈");
        assertEquals(1.0 / 3.0, s.precision(), 1e-12);
        assertEquals(1.0, s.recall(), 1e-12);
        assertEquals(0.5, s.f1(), 1e-12);
    }

    @Test
    void mixedScriptAndDegenerateCases() {
        // candidate: 用 python 寫 -> bigrams (用,python) (python,寫); reference: 用 python 寫 程 式 -> 4 bigrams.
        Rouge.Score s = Rouge.rouge2("用Python寫", "用 python 寫程式");
        assertEquals(1.0, s.precision(), 1e-12);
        assertEquals(0.5, s.recall(), 1e-12);
        assertEquals(2.0 / 3.0, s.f1(), 1e-12);
        assertEquals(0.0, Rouge.rouge2("好", "好天氣").f1());
        assertEquals(0.0, Rouge.rouge2("今天天氣", "明日下雨").f1());
        assertEquals(1.0, Rouge.rouge2("今天天氣很好", "今天，天氣很好。").f1(), 1e-12);
    }
}
