package org.twllm.core.generate;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.model.LlamaConfig;

/**
 * The Llama forward pass for tokens appended to a sequence whose earlier positions were already run:
 * each layer's rotated keys and its values are kept (the KV cache), so a new token costs one
 * forward step over one position plus attention over the cache, instead of a re-run of the whole
 * sequence. The prompt goes through once ({@link #forward} with all its tokens), then one token a call.
 *
 * <p>The math is the model's: RMSNorm, rotary embeddings in HuggingFace's rotate-half convention,
 * grouped-query attention, SwiGLU MLP. Projections are BLAS matrix products on the weight views;
 * the per-position pieces (norms, rotary, attention over the cache) are plain loops over float arrays.
 * Not thread-safe: one decoder serves one sequence.
 */
public final class KvCacheDecoder {
    private final DecoderWeights weights;
    private final LlamaConfig shape;
    private final int capacity;
    /** Per layer, [position][kvHeads * headDim]; grown by doubling up to {@code capacity} positions. */
    private final float[][] keys;
    private final float[][] values;
    private int allocated;
    private final float[][] inputNorms;
    private final float[][] postNorms;
    private final float[] finalNorm;
    private final double[] inverseFrequencies;
    private int length;

    /** A decoder whose cache holds up to {@code capacity} positions (at most the model's maximum). */
    public KvCacheDecoder(DecoderWeights weights, int capacity) {
        this.weights = weights;
        this.shape = weights.shape();
        if (capacity <= 0 || capacity > shape.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("cache capacity " + capacity + " must be in 1.." + shape.maxPositionEmbeddings());
        }
        this.capacity = capacity;
        int layers = shape.numLayers();
        this.keys = new float[layers][0];
        this.values = new float[layers][0];
        this.inputNorms = new float[layers][];
        this.postNorms = new float[layers][];
        for (int l = 0; l < layers; l++) {
            inputNorms[l] = weights.layers().get(l).inputNorm().toFloatVector();
            postNorms[l] = weights.layers().get(l).postNorm().toFloatVector();
        }
        this.finalNorm = weights.finalNorm().toFloatVector();
        int half = shape.headDim() / 2;
        this.inverseFrequencies = new double[half];
        for (int i = 0; i < half; i++) {
            inverseFrequencies[i] = 1.0 / Math.pow(shape.ropeTheta(), (2.0 * i) / shape.headDim());
        }
    }

    /** Positions already in the cache. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /** Forgets every cached position (the arrays are reused). */
    public void reset() {
        length = 0;
    }

    /** Keeps only the first {@code newLength} cached positions (a shared prefix of the next sequence). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " positions to " + newLength);
        }
        length = newLength;
    }

    /** Runs {@code tokens} after the cached positions and returns the logits of the last one. */
    public float[] forwardLast(int[] tokens) {
        float[][] logits = forward(tokens, false);
        return logits[0];
    }

    /**
     * Runs {@code tokens} at positions {@code length() .. length() + tokens.length - 1}, caching their
     * keys and values. Returns the logits of every new position ({@code allPositions}) or of the last one.
     */
    public float[][] forward(int[] tokens, boolean allPositions) {
        int t = tokens.length;
        if (t == 0) {
            throw new IllegalArgumentException("no tokens to run");
        }
        if (length + t > capacity) {
            throw new IllegalStateException("sequence of " + (length + t) + " positions exceeds the cache capacity " + capacity);
        }
        ensureAllocated(length + t);
        int d = shape.hiddenSize();
        float[] x = flat(Nd4j.pullRows(weights.embedTokens(), 1, tokens).castTo(DataType.FLOAT));
        for (int l = 0; l < shape.numLayers(); l++) {
            DecoderWeights.Layer layer = weights.layers().get(l);
            attentionBlock(l, layer, x, t);
            mlpBlock(l, layer, x, t);
        }
        int first = allPositions ? 0 : t - 1;
        int rows = t - first;
        float[] last = new float[rows * d];
        System.arraycopy(x, first * d, last, 0, rows * d);
        float[] normed = rmsNorm(last, rows, finalNorm);
        float[] logits = project(normed, rows, weights.lmHead());
        int v = shape.vocabSize();
        float[][] out = new float[rows][];
        for (int r = 0; r < rows; r++) {
            out[r] = java.util.Arrays.copyOfRange(logits, r * v, (r + 1) * v);
        }
        length += t;
        return out;
    }

    /** Grows the cache arrays (doubling, at most to the capacity) so they hold {@code positions}. */
    private void ensureAllocated(int positions) {
        if (positions <= allocated) {
            return;
        }
        int grown = Math.min(capacity, Math.max(positions, Math.max(64, allocated * 2)));
        for (int l = 0; l < keys.length; l++) {
            keys[l] = java.util.Arrays.copyOf(keys[l], grown * shape.kvDim());
            values[l] = java.util.Arrays.copyOf(values[l], grown * shape.kvDim());
        }
        allocated = grown;
    }

    /** x += o_proj(attention(rope(q), rope(k), v)) for the new positions, caching k and v. */
    private void attentionBlock(int l, DecoderWeights.Layer layer, float[] x, int t) {
        int heads = shape.numHeads();
        int hd = shape.headDim();
        int kvDim = shape.kvDim();
        int groupSize = heads / shape.numKvHeads();
        float[] normed = rmsNorm(x, t, inputNorms[l]);
        float[] q = project(normed, t, layer.q());
        float[] k = project(normed, t, layer.k());
        float[] v = project(normed, t, layer.v());
        for (int i = 0; i < t; i++) {
            int pos = length + i;
            for (int h = 0; h < heads; h++) {
                rotate(q, (i * heads + h) * hd, pos);
            }
            for (int h = 0; h < shape.numKvHeads(); h++) {
                rotate(k, (i * shape.numKvHeads() + h) * hd, pos);
            }
        }
        System.arraycopy(k, 0, keys[l], length * kvDim, t * kvDim);
        System.arraycopy(v, 0, values[l], length * kvDim, t * kvDim);

        float[] attended = new float[t * heads * hd];
        float[] scores = new float[length + t];
        double scale = 1.0 / Math.sqrt(hd);
        float[] cachedK = keys[l];
        float[] cachedV = values[l];
        for (int i = 0; i < t; i++) {
            int visible = length + i + 1; // causal: positions 0 .. length + i
            for (int h = 0; h < heads; h++) {
                int qOff = (i * heads + h) * hd;
                int kvOff = (h / groupSize) * hd;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) {
                    int kOff = j * kvDim + kvOff;
                    double dot = 0;
                    for (int e = 0; e < hd; e++) {
                        dot += q[qOff + e] * cachedK[kOff + e];
                    }
                    scores[j] = (float) (dot * scale);
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < visible; j++) {
                    double p = Math.exp(scores[j] - max);
                    scores[j] = (float) p;
                    sum += p;
                }
                int outOff = (i * heads + h) * hd;
                for (int j = 0; j < visible; j++) {
                    float p = (float) (scores[j] / sum);
                    int vOff = j * kvDim + kvOff;
                    for (int e = 0; e < hd; e++) {
                        attended[outOff + e] += p * cachedV[vOff + e];
                    }
                }
            }
        }
        addInto(x, project(attended, t, layer.o()));
    }

    /** x += down(silu(gate(n)) * up(n)) with n = RMSNorm(x). */
    private void mlpBlock(int l, DecoderWeights.Layer layer, float[] x, int t) {
        float[] normed = rmsNorm(x, t, postNorms[l]);
        float[] gate = project(normed, t, layer.gate());
        float[] up = project(normed, t, layer.up());
        for (int i = 0; i < gate.length; i++) {
            float g = gate[i];
            gate[i] = (float) (g / (1.0 + Math.exp(-g))) * up[i];
        }
        addInto(x, project(gate, t, layer.down()));
    }

    /** HF rotate-half rotary embedding of one head vector in place: pairs (i, i + headDim/2). */
    private void rotate(float[] vec, int offset, int position) {
        int half = shape.headDim() / 2;
        for (int i = 0; i < half; i++) {
            double angle = position * inverseFrequencies[i];
            double cos = Math.cos(angle);
            double sin = Math.sin(angle);
            double a = vec[offset + i];
            double b = vec[offset + i + half];
            vec[offset + i] = (float) (a * cos - b * sin);
            vec[offset + i + half] = (float) (b * cos + a * sin);
        }
    }

    /** RMSNorm of each of {@code rows} rows: x / sqrt(mean(x^2) + eps) * weight. */
    private float[] rmsNorm(float[] x, int rows, float[] weight) {
        int d = weight.length;
        float[] out = new float[rows * d];
        for (int r = 0; r < rows; r++) {
            double sumSq = 0;
            for (int i = 0; i < d; i++) {
                double value = x[r * d + i];
                sumSq += value * value;
            }
            double inv = 1.0 / Math.sqrt(sumSq / d + shape.rmsNormEps());
            for (int i = 0; i < d; i++) {
                out[r * d + i] = (float) (x[r * d + i] * inv) * weight[i];
            }
        }
        return out;
    }

    /** rows x in -> rows x out: input times weight^T, weight in HF [out, in] layout. */
    private static float[] project(float[] input, int rows, INDArray weight) {
        long in = weight.size(1);
        INDArray a = Nd4j.create(input, new long[] {rows, in}, 'c');
        INDArray w = weight.dataType() == DataType.FLOAT ? weight : weight.castTo(DataType.FLOAT);
        return flat(Nd4j.gemm(a, w, false, true));
    }

    /** The values of a matrix, row-major. */
    private static float[] flat(INDArray matrix) {
        return matrix.reshape('c', new long[] {matrix.length()}).toFloatVector();
    }

    private static void addInto(float[] x, float[] delta) {
        for (int i = 0; i < x.length; i++) {
            x[i] += delta[i];
        }
    }
}
