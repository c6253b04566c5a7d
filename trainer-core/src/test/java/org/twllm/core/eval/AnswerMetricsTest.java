package org.twllm.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class AnswerMetricsTest {

    @Test
    void exactMatchIgnoresPunctuationWhitespaceWidthAndCase() {
        assertEquals(1.0, AnswerMetrics.exactMatch("「台北市」。", List.of("台北市")));
        assertEquals(1.0, AnswerMetrics.exactMatch(" ＡＢＣ １２ ", List.of("abc12")));
        assertEquals(1.0, AnswerMetrics.exactMatch("南投縣", List.of("新竹縣", "南投縣")));
        assertEquals(0.0, AnswerMetrics.exactMatch("台北", List.of("台北市")));
        assertEquals(0.0, AnswerMetrics.exactMatch("答案是台北市", List.of("台北市")));
    }

    @Test
    void prefixExactMatchIsGoldContainedInPredictionAsTcEvalScores() {
        assertEquals(1.0, AnswerMetrics.prefixExactMatch("答案是台北市。", List.of("台北市")));
        assertEquals(1.0, AnswerMetrics.prefixExactMatch("  1912年通車", List.of("1911年", " 1912年 ")));
        assertEquals(0.0, AnswerMetrics.prefixExactMatch("台北", List.of("台北市")));
        assertEquals(0.0, AnswerMetrics.prefixExactMatch("   ", List.of("台北市")));
        // TC-Eval only trims: punctuation inside the gold must appear in the prediction too.
        assertEquals(0.0, AnswerMetrics.prefixExactMatch("台北市", List.of("「台北市」")));
    }

    @Test
    void normalizeDropsEveryPunctuationClass() {
        assertEquals("臺灣good", AnswerMetrics.normalize("《臺灣》—— Good!?"));
    }
}
