package org.twllm.data.loader;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Value comparison of samples (the record's equals compares arrays by reference). */
final class Samples {
    private Samples() {
    }

    static boolean same(Sample a, Sample b) {
        return Arrays.equals(a.inputs(), b.inputs()) && Arrays.equals(a.targets(), b.targets())
                && Arrays.equals(a.positions(), b.positions()) && Arrays.equals(a.exampleIds(), b.exampleIds());
    }

    static void assertSame(List<Sample> expected, List<Sample> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertTrue(same(expected.get(i), actual.get(i)), "sample " + i + " differs");
        }
    }
}
