package org.twllm.data.corpus;

import java.nio.charset.StandardCharsets;

/**
 * Per-source mixture weight w > 0: each kept document of the source is written floor(w) times, and once
 * more when a deterministic hash of (source name, document index within the kept documents) falls below
 * frac(w), a Bernoulli draw that is the same on every run. The first floor(w) copies are whole passes over
 * the source in order; the fractional pass follows them. Weight 2.5 thus writes the source twice and then
 * about half of its documents again; weight 0.3 writes about 30% of them once.
 */
public final class MixtureWeight {
    private final double weight;
    private final long seed;

    public MixtureWeight(String sourceName, double weight) {
        this.weight = weight;
        this.seed = fnv1a64(sourceName.getBytes(StandardCharsets.UTF_8));
    }

    /** Whole passes over the source: floor(w). */
    public int wholePasses() {
        return (int) Math.floor(weight);
    }

    /** Whether the fractional pass includes kept document {@code index}: true with probability frac(w). */
    public boolean inFractionalPass(long index) {
        double fraction = weight - Math.floor(weight);
        return fraction > 0 && uniform(index) < fraction;
    }

    /** A uniform number in [0, 1) from the source's seed and the index (SplitMix64 finalizer). */
    double uniform(long index) {
        long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53;
    }

    private static long fnv1a64(byte[] bytes) {
        long h = 0xcbf29ce484222325L;
        for (byte b : bytes) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }
}
