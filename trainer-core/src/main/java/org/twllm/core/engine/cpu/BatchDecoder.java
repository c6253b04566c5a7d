package org.twllm.core.engine.cpu;

import java.util.Arrays;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.engine.Decoder;
import org.twllm.core.engine.KvCache;
import org.twllm.core.engine.LlamaConfig;

/**
 * The Llama forward pass for tokens appended to sequences whose earlier positions were already run,
 * several sequences at once: each sequence brings its own {@link KvCache} and any number of new tokens
 * (a whole prompt, a chunk of one, or the one token just sampled). The new tokens of all sequences
 * are stacked into one matrix, so every projection is one BLAS product for the whole batch (the weights
 * are read once per step, not once per sequence: what continuous batching gains); the per-position
 * pieces (norms, rotary, attention over the row's own cache) are plain loops over float arrays.
 *
 * <p>The math is the model's: RMSNorm, rotary embeddings in HuggingFace's rotate-half convention,
 * grouped-query attention, SwiGLU MLP. Holds only the weights and values derived from them, so one
 * decoder serves any number of caches; a call is not thread-safe with another on the same caches.
 */
public final class BatchDecoder implements Decoder {
    private final DecoderWeights weights;
    private final LlamaConfig shape;
    private final float[][] inputNorms;
    private final float[][] postNorms;
    private final float[] finalNorm;
    private final double[] inverseFrequencies;

    BatchDecoder(DecoderWeights weights) {
        this.weights = weights;
        this.shape = weights.shape();
        int layers = shape.numLayers();
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

    @Override
    public LlamaConfig shape() {
        return shape;
    }

    /** An empty cache for one sequence of up to {@code capacity} positions. */
    @Override
    public KvCache newCache(int capacity) {
        return new KvCache(shape, capacity);
    }

    /**
     * Runs {@code tokens[i]} after the cached positions of {@code caches[i]}, for every i, and caches
     * their keys and values. Returns the logits of each sequence's last new token.
     */
    @Override
    public float[][] forwardLast(KvCache[] caches, int[][] tokens) {
        return forward(caches, tokens, false);
    }

    /** Runs {@code tokens} after the cached positions of {@code cache}; the logits of every new position. */
    @Override
    public float[][] forwardAll(KvCache cache, int[] tokens) {
        return forward(new KvCache[] {cache}, new int[][] {tokens}, true);
    }

    private float[][] forward(KvCache[] caches, int[][] tokens, boolean allPositions) {
        Rows rows = Rows.of(caches, tokens);
        int d = shape.hiddenSize();
        float[] x = flat(Nd4j.pullRows(weights.embedTokens(), 1, rows.tokens).castTo(DataType.FLOAT));
        for (int l = 0; l < shape.numLayers(); l++) {
            DecoderWeights.Layer layer = weights.layers().get(l);
            attentionBlock(l, layer, x, caches, rows);
            mlpBlock(l, layer, x, rows.count());
        }
        int[] outputRows = allPositions ? rows.all() : rows.lastOfEach();
        float[] picked = new float[outputRows.length * d];
        for (int r = 0; r < outputRows.length; r++) {
            System.arraycopy(x, outputRows[r] * d, picked, r * d, d);
        }
        float[] logits = project(rmsNorm(picked, outputRows.length, finalNorm), outputRows.length, weights.lmHead());
        int v = shape.vocabSize();
        float[][] out = new float[outputRows.length][];
        for (int r = 0; r < outputRows.length; r++) {
            out[r] = Arrays.copyOfRange(logits, r * v, (r + 1) * v);
        }
        for (int i = 0; i < caches.length; i++) {
            caches[i].advance(tokens[i].length);
        }
        return out;
    }

    /**
     * The new tokens of a batch laid out as matrix rows: sequence i's tokens are rows
     * {@code start[i] .. start[i+1]-1}, and each row knows its sequence and its position in it.
     */
    private record Rows(int[] tokens, int[] sequence, int[] position, int[] start) {
        static Rows of(KvCache[] caches, int[][] tokens) {
            if (caches.length == 0 || caches.length != tokens.length) {
                throw new IllegalArgumentException("need one token array per cache, got " + caches.length + " caches and "
                        + tokens.length + " token arrays");
            }
            int[] start = new int[caches.length + 1];
            for (int i = 0; i < caches.length; i++) {
                if (tokens[i].length == 0) {
                    throw new IllegalArgumentException("sequence " + i + " has no tokens to run");
                }
                for (int j = 0; j < i; j++) {
                    if (caches[j] == caches[i]) {
                        throw new IllegalArgumentException("sequence " + i + " uses the cache of sequence " + j);
                    }
                }
                caches[i].reserve(tokens[i].length);
                start[i + 1] = start[i] + tokens[i].length;
            }
            int n = start[caches.length];
            int[] flat = new int[n];
            int[] sequence = new int[n];
            int[] position = new int[n];
            for (int i = 0; i < caches.length; i++) {
                for (int j = 0; j < tokens[i].length; j++) {
                    int r = start[i] + j;
                    flat[r] = tokens[i][j];
                    sequence[r] = i;
                    position[r] = caches[i].length() + j;
                }
            }
            return new Rows(flat, sequence, position, start);
        }

        int count() {
            return tokens.length;
        }

        int[] all() {
            int[] rows = new int[count()];
            for (int r = 0; r < rows.length; r++) {
                rows[r] = r;
            }
            return rows;
        }

        int[] lastOfEach() {
            int[] rows = new int[start.length - 1];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = start[i + 1] - 1;
            }
            return rows;
        }
    }

    /** x += o_proj(attention(rope(q), rope(k), v)) for the new rows, caching each row's k and v in its sequence's cache. */
    private void attentionBlock(int l, DecoderWeights.Layer layer, float[] x, KvCache[] caches, Rows rows) {
        int heads = shape.numHeads();
        int hd = shape.headDim();
        int kvDim = shape.kvDim();
        int groupSize = heads / shape.numKvHeads();
        int t = rows.count();
        float[] normed = rmsNorm(x, t, inputNorms[l]);
        float[] q = project(normed, t, layer.q());
        float[] k = project(normed, t, layer.k());
        float[] v = project(normed, t, layer.v());
        int longest = 0;
        for (int r = 0; r < t; r++) {
            int pos = rows.position[r];
            for (int h = 0; h < heads; h++) {
                rotate(q, (r * heads + h) * hd, pos);
            }
            for (int h = 0; h < shape.numKvHeads(); h++) {
                rotate(k, (r * shape.numKvHeads() + h) * hd, pos);
            }
            KvCache cache = caches[rows.sequence[r]];
            System.arraycopy(k, r * kvDim, cache.keys(l), pos * kvDim, kvDim);
            System.arraycopy(v, r * kvDim, cache.values(l), pos * kvDim, kvDim);
            cache.setToken(pos, rows.tokens[r]);
            longest = Math.max(longest, pos + 1);
        }

        float[] attended = new float[t * heads * hd];
        float[] scores = new float[longest];
        double scale = 1.0 / Math.sqrt(hd);
        for (int r = 0; r < t; r++) {
            KvCache cache = caches[rows.sequence[r]];
            float[] cachedK = cache.keys(l);
            float[] cachedV = cache.values(l);
            int visible = rows.position[r] + 1; // causal: positions 0 .. this one, of this row's sequence
            for (int h = 0; h < heads; h++) {
                int qOff = (r * heads + h) * hd;
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
                int outOff = (r * heads + h) * hd;
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
