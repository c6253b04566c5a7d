package org.twllm.core.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where every tensor of a Llama model lies in the flat parameter (and gradient) buffer, with HF names.
 * Order: embedding, layers 0..L-1 (each: input_layernorm, q, k, v, o, post_attention_layernorm, gate, up,
 * down), final norm, lm_head (absent when tied). Plain arithmetic, no tensors: every engine and the
 * checkpoints share it.
 */
public final class ParameterLayout {
    private final List<ParameterSpec> specs;
    private final Map<String, ParameterSpec> byName = new LinkedHashMap<>();
    private final long[] layerStart;
    private final long[] layerEnd;

    public ParameterLayout(LlamaConfig c) {
        long h = c.hiddenSize();
        long kv = c.kvDim();
        long im = c.intermediateSize();
        List<ParameterSpec> out = new ArrayList<>();
        long[] offset = {0};
        java.util.function.BiConsumer<String, long[]> add = (name, shape) -> {
            long len = 1;
            for (long d : shape) {
                len *= d;
            }
            out.add(new ParameterSpec(name, shape, offset[0], len, !name.endsWith("norm.weight")));
            offset[0] += len;
        };
        add.accept("model.embed_tokens.weight", new long[] {c.vocabSize(), h});
        for (int i = 0; i < c.numLayers(); i++) {
            String p = layerPrefix(i);
            add.accept(p + "input_layernorm.weight", new long[] {h});
            add.accept(p + "self_attn.q_proj.weight", new long[] {h, h});
            add.accept(p + "self_attn.k_proj.weight", new long[] {kv, h});
            add.accept(p + "self_attn.v_proj.weight", new long[] {kv, h});
            add.accept(p + "self_attn.o_proj.weight", new long[] {h, h});
            add.accept(p + "post_attention_layernorm.weight", new long[] {h});
            add.accept(p + "mlp.gate_proj.weight", new long[] {im, h});
            add.accept(p + "mlp.up_proj.weight", new long[] {im, h});
            add.accept(p + "mlp.down_proj.weight", new long[] {h, im});
        }
        add.accept("model.norm.weight", new long[] {h});
        if (!c.tieWordEmbeddings()) {
            add.accept("lm_head.weight", new long[] {c.vocabSize(), h});
        }
        this.specs = Collections.unmodifiableList(out);
        for (ParameterSpec s : specs) {
            byName.put(s.name(), s);
        }
        layerStart = new long[c.numLayers()];
        layerEnd = new long[c.numLayers()];
        for (int i = 0; i < c.numLayers(); i++) {
            layerStart[i] = spec(layerPrefix(i) + "input_layernorm.weight").offset();
            layerEnd[i] = spec(layerPrefix(i) + "mlp.down_proj.weight").end();
        }
    }

    /** HF name prefix of layer {@code i}'s tensors. */
    public static String layerPrefix(int i) {
        return "model.layers." + i + ".";
    }

    public List<ParameterSpec> specs() {
        return specs;
    }

    public ParameterSpec spec(String name) {
        ParameterSpec s = byName.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no parameter named " + name);
        }
        return s;
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    /** Elements of the flat buffer. */
    public long total() {
        return specs.get(specs.size() - 1).end();
    }

    /** Flat range {@code [start, end)} of layer {@code i}'s tensors. */
    public long layerStart(int i) {
        return layerStart[i];
    }

    public long layerEnd(int i) {
        return layerEnd[i];
    }
}
