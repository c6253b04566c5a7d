package org.twllm.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;

import org.junit.jupiter.api.Test;

class ChoiceAndLossTest {
    private static final List<String> ABCD = List.of("A", "B", "C", "D");

    @Test
    void firstAnswerLetterSkipsBracketsAndSpaces() {
        assertEquals("B", ChoiceLetters.firstLetter("B) 台中", ABCD));
        assertEquals("C", ChoiceLetters.firstLetter(" （Ｃ）高雄", ABCD));
        assertEquals("A", ChoiceLetters.firstLetter("a", ABCD));
        assertNull(ChoiceLetters.firstLetter("答案是A", ABCD));
        assertNull(ChoiceLetters.firstLetter("E", ABCD));
        assertNull(ChoiceLetters.firstLetter("", ABCD));
    }

    @Test
    void meanLossIsTokenWeightedAndPerplexityItsExponent() {
        LossAccumulator acc = new LossAccumulator();
        acc.add(new double[] {-1, -2});
        acc.add(new double[] {-3});
        assertEquals(3, acc.tokens());
        assertEquals(2.0, acc.meanLoss(), 1e-12);
        assertEquals(Math.exp(2.0), acc.perplexity(), 1e-9);
    }
}
