package org.twllm.core.engine.cuda;

import org.twllm.core.engine.TokenBatch;

/**
 * The independent host computation of every kernel, in fp64 with plain loops: what the device check and
 * the emulation tests compare the kernels against. Inputs are the values the device holds (already rounded
 * to the storage type); shapes and layouts are the kernels' (see the .cu files).
 */
public final class HostReference {
    /** Key position s is visible from query t of the same batch row (causal, same example). */
    public static boolean visible(int[] exampleIds, int rowOffset, int t, int s) {
        return s <= t && exampleIds[rowOffset + s] == exampleIds[rowOffset + t];
    }

    private HostReference() {
    }

    public static double[] embeddingForward(int[] ids, double[] table, int hidden) {
        double[] out = new double[ids.length * hidden];
        for (int r = 0; r < ids.length; r++) {
            System.arraycopy(table, ids[r] * hidden, out, r * hidden, hidden);
        }
        return out;
    }

    /** dtable += scatter of dout rows (returns the new dtable). */
    public static double[] embeddingBackward(int[] ids, double[] dout, double[] dtable, int hidden) {
        double[] out = dtable.clone();
        for (int r = 0; r < ids.length; r++) {
            for (int c = 0; c < hidden; c++) {
                out[ids[r] * hidden + c] += dout[r * hidden + c];
            }
        }
        return out;
    }

    /** {y, rstd}. */
    public static double[][] rmsnormForward(double[] x, double[] w, int rows, int hidden, double eps) {
        double[] y = new double[rows * hidden];
        double[] rstd = new double[rows];
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int c = 0; c < hidden; c++) {
                ss += x[r * hidden + c] * x[r * hidden + c];
            }
            rstd[r] = 1 / Math.sqrt(ss / hidden + eps);
            for (int c = 0; c < hidden; c++) {
                y[r * hidden + c] = x[r * hidden + c] * rstd[r] * w[c];
            }
        }
        return new double[][] {y, rstd};
    }

    /** {dx (dx0 plus the input gradient), dw (dw0 plus the weight gradient)}, rstd recomputed in fp64. */
    public static double[][] rmsnormBackward(double[] dy, double[] x, double[] w, double[] dx0, double[] dw0, int rows,
            int hidden, double eps) {
        double[] rstd = rmsnormForward(x, w, rows, hidden, eps)[1];
        double[] dx = dx0.clone();
        double[] dw = dw0.clone();
        for (int r = 0; r < rows; r++) {
            double dot = 0;
            for (int c = 0; c < hidden; c++) {
                double xhat = x[r * hidden + c] * rstd[r];
                dot += dy[r * hidden + c] * w[c] * xhat;
                dw[c] += dy[r * hidden + c] * xhat;
            }
            double projection = dot / hidden;
            for (int c = 0; c < hidden; c++) {
                double xhat = x[r * hidden + c] * rstd[r];
                dx[r * hidden + c] += rstd[r] * (dy[r * hidden + c] * w[c] - xhat * projection);
            }
        }
        return new double[][] {dx, dw};
    }

    /** Rotation by +angle (forward) or -angle (backward) of token-major x [tokens, heads * headDim]. */
    public static double[] rotary(double[] x, int[] positions, float[] cos, float[] sin, int heads, int headDim,
            boolean backward) {
        int half = headDim / 2;
        double[] out = new double[x.length];
        for (int t = 0; t < positions.length; t++) {
            for (int h = 0; h < heads; h++) {
                int base = (t * heads + h) * headDim;
                for (int i = 0; i < half; i++) {
                    double c = cos[positions[t] * half + i];
                    double s = backward ? -sin[positions[t] * half + i] : sin[positions[t] * half + i];
                    double x1 = x[base + i];
                    double x2 = x[base + i + half];
                    out[base + i] = x1 * c - x2 * s;
                    out[base + i + half] = x2 * c + x1 * s;
                }
            }
        }
        return out;
    }

    public static double[] swigluForward(double[] gate, double[] up) {
        double[] out = new double[gate.length];
        for (int i = 0; i < gate.length; i++) {
            out[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
        }
        return out;
    }

    /** {dgate, dup}. */
    public static double[][] swigluBackward(double[] dout, double[] gate, double[] up) {
        double[] dgate = new double[gate.length];
        double[] dup = new double[gate.length];
        for (int i = 0; i < gate.length; i++) {
            double sig = 1 / (1 + Math.exp(-gate[i]));
            dup[i] = dout[i] * gate[i] * sig;
            dgate[i] = dout[i] * up[i] * sig * (1 + gate[i] * (1 - sig));
        }
        return new double[][] {dgate, dup};
    }

    public static double sumOfSquares(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v * v;
        }
        return s;
    }

    /**
     * Causal attention with example masks and GQA over token-major q [B*T, H*D], k and v [B*T, KV*D]:
     * {out [B*T, H*D], lse [B, H, T]}.
     */
    public static double[][] attentionForward(double[] q, double[] k, double[] v, int[] exampleIds, int batch, int seqLen,
            int heads, int kvHeads, int headDim) {
        int group = heads / kvHeads;
        double[] out = new double[batch * seqLen * heads * headDim];
        double[] lse = new double[batch * heads * seqLen];
        double[] p = new double[seqLen];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int kvh = h / group;
                for (int t = 0; t < seqLen; t++) {
                    lse[(b * heads + h) * seqLen + t] = probabilities(q, k, exampleIds, b, t, h, kvh, seqLen, heads, kvHeads,
                            headDim, p);
                    for (int d = 0; d < headDim; d++) {
                        double o = 0;
                        for (int s = 0; s < seqLen; s++) {
                            o += p[s] * v[((b * seqLen + s) * kvHeads + kvh) * headDim + d];
                        }
                        out[((b * seqLen + t) * heads + h) * headDim + d] = o;
                    }
                }
            }
        }
        return new double[][] {out, lse};
    }

    /** {dq, dk, dv} of {@link #attentionForward} for the output gradient dout. */
    public static double[][] attentionBackward(double[] q, double[] k, double[] v, double[] dout, int[] exampleIds, int batch,
            int seqLen, int heads, int kvHeads, int headDim) {
        int group = heads / kvHeads;
        double scale = 1 / Math.sqrt(headDim);
        double[] dq = new double[q.length];
        double[] dk = new double[k.length];
        double[] dv = new double[v.length];
        double[] p = new double[seqLen];
        double[] dp = new double[seqLen];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int kvh = h / group;
                for (int t = 0; t < seqLen; t++) {
                    int qi = ((b * seqLen + t) * heads + h) * headDim;
                    probabilities(q, k, exampleIds, b, t, h, kvh, seqLen, heads, kvHeads, headDim, p);
                    double rowDot = 0;
                    for (int s = 0; s < seqLen; s++) {
                        int vi = ((b * seqLen + s) * kvHeads + kvh) * headDim;
                        double g = 0;
                        for (int d = 0; d < headDim; d++) {
                            g += dout[qi + d] * v[vi + d];
                            dv[vi + d] += p[s] * dout[qi + d];
                        }
                        dp[s] = g;
                        rowDot += p[s] * g;
                    }
                    for (int s = 0; s < seqLen; s++) {
                        double ds = p[s] * (dp[s] - rowDot) * scale;
                        if (ds == 0) {
                            continue;
                        }
                        int ki = ((b * seqLen + s) * kvHeads + kvh) * headDim;
                        for (int d = 0; d < headDim; d++) {
                            dq[qi + d] += ds * k[ki + d];
                            dk[ki + d] += ds * q[qi + d];
                        }
                    }
                }
            }
        }
        return new double[][] {dq, dk, dv};
    }

    /**
     * The attention probabilities of query (b, t) of head h (kv head kvh) over all keys into {@code p}
     * (0 where masked); returns the row's log-sum-exp of the scaled scores.
     */
    private static double probabilities(double[] q, double[] k, int[] exampleIds, int b, int t, int h, int kvh, int seqLen,
            int heads, int kvHeads, int headDim, double[] p) {
        double scale = 1 / Math.sqrt(headDim);
        int qi = ((b * seqLen + t) * heads + h) * headDim;
        double max = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < seqLen; s++) {
            p[s] = Double.NEGATIVE_INFINITY;
            if (visible(exampleIds, b * seqLen, t, s)) {
                double dot = 0;
                for (int d = 0; d < headDim; d++) {
                    dot += q[qi + d] * k[((b * seqLen + s) * kvHeads + kvh) * headDim + d];
                }
                p[s] = dot * scale;
                max = Math.max(max, p[s]);
            }
        }
        double sum = 0;
        for (int s = 0; s < seqLen; s++) {
            p[s] = p[s] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(p[s] - max);
            sum += p[s];
        }
        for (int s = 0; s < seqLen; s++) {
            p[s] /= sum;
        }
        return max + Math.log(sum);
    }

    /** {log p(target) per row (NaN where ignored), dlogits = (softmax - onehot) * gradScale (0 where ignored)}. */
    public static double[][] crossEntropy(double[] logits, int[] targets, int vocab, double gradScale) {
        int rows = targets.length;
        double[] logProbs = new double[rows];
        double[] dlogits = new double[rows * vocab];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < vocab; c++) {
                max = Math.max(max, logits[r * vocab + c]);
            }
            double sum = 0;
            for (int c = 0; c < vocab; c++) {
                sum += Math.exp(logits[r * vocab + c] - max);
            }
            int target = targets[r];
            if (target == TokenBatch.IGNORE) {
                logProbs[r] = Double.NaN;
                continue;
            }
            logProbs[r] = logits[r * vocab + target] - max - Math.log(sum);
            for (int c = 0; c < vocab; c++) {
                double p = Math.exp(logits[r * vocab + c] - max) / sum;
                dlogits[r * vocab + c] = (c == target ? p - 1 : p) * gradScale;
            }
        }
        return new double[][] {logProbs, dlogits};
    }

    /**
     * AdamW on fp32 storage exactly as org.twllm.core.engine.cpu.CpuAdamW's loop body (fp64 arithmetic, fp32
     * moments and parameters): updates p, m and v in place.
     */
    public static void adamw(float[] p, float[] g, float[] m, float[] v, AdamWStep step, boolean decays) {
        double decay = decays ? step.decayFactor() : 1.0;
        double b1 = step.beta1();
        double b2 = step.beta2();
        for (int i = 0; i < p.length; i++) {
            double grad = g[i] * step.gradScale();
            float mi = (float) (b1 * m[i] + (1 - b1) * grad);
            float vi = (float) (b2 * v[i] + (1 - b2) * grad * grad);
            m[i] = mi;
            v[i] = vi;
            double denom = Math.sqrt(vi) / step.bc2Sqrt() + step.epsilon();
            p[i] = (float) (p[i] * decay - step.stepSize() * mi / denom);
        }
    }
}
