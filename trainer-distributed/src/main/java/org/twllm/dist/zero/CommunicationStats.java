package org.twllm.dist.zero;

/**
 * How much gradient communication backward hid. {@code commNanos}: time the communication thread spent
 * in gradient reduce-scatters; {@code blockedNanos}: time the training thread waited in
 * {@code finishGradientSync}. What was not waited for ran under backward.
 */
public record CommunicationStats(long steps, long buckets, long commNanos, long blockedNanos, long gatherNanos) {
    /** Fraction of reduce-scatter time overlapped with backward, in [0, 1]. */
    public double hiddenFraction() {
        return commNanos == 0 ? 0 : Math.max(0, Math.min(1, 1 - (double) blockedNanos / commNanos));
    }

    @Override
    public String toString() {
        return String.format("%d steps, %d buckets: reduce-scatter %.1f ms, blocked %.1f ms (%.0f%% hidden), all-gather %.1f ms",
                steps, buckets, commNanos / 1e6, blockedNanos / 1e6, 100 * hiddenFraction(), gatherNanos / 1e6);
    }
}
