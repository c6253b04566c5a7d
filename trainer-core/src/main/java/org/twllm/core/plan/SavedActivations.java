package org.twllm.core.plan;

import java.util.List;

import org.twllm.core.engine.LlamaConfig;

/**
 * What one transformer layer keeps between its forward and its backward, per token: the table of
 * docs/model.md (a test renders this list and compares it with the doc), which the memory model multiplies
 * by tokens and layers. Each entry names the sizes it is made of (h = hidden, kv = key/value width,
 * I = intermediate, H = query heads) and whether a bf16 run keeps it in the compute precision or in fp32
 * (the residual stream, the norms' statistics and the softmax's log-sum-exp stay fp32).
 */
public final class SavedActivations {
    /** One tensor kept per token per layer: {@code h*hidden + kv*kvDim + i*intermediate + heads*numHeads + one}. */
    public record Entry(String savedBy, String tensor, int h, int kv, int i, int heads, int one, boolean fp32) {
        public long elements(LlamaConfig shape) {
            return (long) h * shape.hiddenSize() + (long) kv * shape.kvDim() + (long) i * shape.intermediateSize()
                    + (long) heads * shape.numHeads() + one;
        }

        /** The size as docs/model.md writes it, e.g. {@code 2kv + H}. */
        public String formula() {
            return Formula.of(h, kv, i, heads, one);
        }
    }

    /** Lean attention (tiled, online softmax): per query row only the output and the log-sum-exp. */
    public static final List<Entry> PER_LAYER = List.of(
            new Entry("attention RmsNorm", "block input x", 1, 0, 0, 0, 0, true),
            new Entry("attention RmsNorm", "1/rms", 0, 0, 0, 0, 1, true),
            new Entry("Attention", "normalised input", 1, 0, 0, 0, 0, false),
            new Entry("Attention", "rotated and scaled q", 1, 0, 0, 0, 0, false),
            new Entry("Attention", "rotated k, v", 0, 2, 0, 0, 0, false),
            new Entry("Attention", "merged heads before o_proj", 1, 0, 0, 0, 0, false),
            new Entry("Attention", "log-sum-exp per head", 0, 0, 0, 1, 0, true),
            new Entry("MLP RmsNorm", "x after attention", 1, 0, 0, 0, 0, true),
            new Entry("MLP RmsNorm", "1/rms", 0, 0, 0, 0, 1, true),
            new Entry("SwiGluMlp", "normalised input", 1, 0, 0, 0, 0, false),
            new Entry("SwiGluMlp", "gate(x), up(x)", 0, 0, 2, 0, 0, false));

    private SavedActivations() {
    }

    /** Elements one layer keeps per token without checkpointing. */
    public static long elementsPerToken(LlamaConfig shape) {
        long sum = 0;
        for (Entry e : PER_LAYER) {
            sum += e.elements(shape);
        }
        return sum;
    }

    /** Bytes one layer keeps per token without checkpointing, the kept tensors at {@code computeBytes} each. */
    public static long bytesPerToken(LlamaConfig shape, int computeBytes) {
        long sum = 0;
        for (Entry e : PER_LAYER) {
            sum += e.elements(shape) * (e.fp32() ? Float.BYTES : computeBytes);
        }
        return sum;
    }

    /** Elements one layer keeps per token with checkpointing: the block input (fp32). */
    public static long checkpointedElementsPerToken(LlamaConfig shape) {
        return shape.hiddenSize();
    }

    /** The sum of every entry, as docs/model.md's total row writes it. */
    public static String totalFormula() {
        int h = 0;
        int kv = 0;
        int i = 0;
        int heads = 0;
        int one = 0;
        for (Entry e : PER_LAYER) {
            h += e.h();
            kv += e.kv();
            i += e.i();
            heads += e.heads();
            one += e.one();
        }
        return Formula.of(h, kv, i, heads, one);
    }
}
