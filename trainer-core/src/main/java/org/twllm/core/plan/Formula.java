package org.twllm.core.plan;

import java.util.ArrayList;
import java.util.List;

/** Writes a size made of the model's widths the way docs/model.md does: {@code 6h + 2kv + 2I + H + 2}. */
final class Formula {
    private Formula() {
    }

    static String of(int h, int kv, int i, int heads, int one) {
        List<String> terms = new ArrayList<>();
        term(terms, h, "h");
        term(terms, kv, "kv");
        term(terms, i, "I");
        term(terms, heads, "H");
        if (one != 0) {
            terms.add(String.valueOf(one));
        }
        return terms.isEmpty() ? "0" : String.join(" + ", terms);
    }

    private static void term(List<String> terms, int count, String symbol) {
        if (count == 1) {
            terms.add(symbol);
        } else if (count != 0) {
            terms.add(count + symbol);
        }
    }
}
