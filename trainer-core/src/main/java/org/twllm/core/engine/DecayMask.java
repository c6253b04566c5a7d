package org.twllm.core.engine;

import java.util.ArrayList;
import java.util.List;


/**
 * Which elements of the flat parameter buffer get weight decay: sorted, disjoint ranges
 * {@code [start, end)} (the matrices), everything else (norms, biases) is left alone.
 */
public final class DecayMask {
    private final long[] starts;
    private final long[] ends;

    private DecayMask(long[] starts, long[] ends) {
        this.starts = starts;
        this.ends = ends;
    }

    /** A mask from per-tensor ranges: {@code ranges[i] = {offset, length}} of a tensor that decays. */
    public static DecayMask of(List<long[]> decayingRanges) {
        List<long[]> sorted = new ArrayList<>(decayingRanges);
        sorted.sort((a, b) -> Long.compare(a[0], b[0]));
        List<long[]> merged = new ArrayList<>();
        for (long[] r : sorted) {
            if (r[1] <= 0) {
                continue;
            }
            long s = r[0];
            long e = r[0] + r[1];
            if (!merged.isEmpty() && merged.get(merged.size() - 1)[1] >= s) {
                long[] last = merged.get(merged.size() - 1);
                last[1] = Math.max(last[1], e);
            } else {
                merged.add(new long[] {s, e});
            }
        }
        long[] starts = new long[merged.size()];
        long[] ends = new long[merged.size()];
        for (int i = 0; i < merged.size(); i++) {
            starts[i] = merged.get(i)[0];
            ends[i] = merged.get(i)[1];
        }
        return new DecayMask(starts, ends);
    }

    /** The mask of a model's flat buffer: its matrices decay, its norm weights do not. */
    public static DecayMask of(ParameterLayout layout) {
        List<long[]> decaying = new ArrayList<>();
        for (ParameterSpec s : layout.specs()) {
            if (s.decays()) {
                decaying.add(new long[] {s.offset(), s.length()});
            }
        }
        return of(decaying);
    }

    /** Every element decays. */
    public static DecayMask all(long length) {
        return new DecayMask(new long[] {0}, new long[] {length});
    }

    /** No element decays. */
    public static DecayMask none() {
        return new DecayMask(new long[0], new long[0]);
    }

    /** Receives consecutive segments of a range with their decay flag. */
    @FunctionalInterface
    public interface SegmentVisitor {
        void segment(long start, long end, boolean decays);
    }

    /** Splits {@code [start, end)} into maximal segments of equal decay flag, in order. */
    public void forEachSegment(long start, long end, SegmentVisitor visitor) {
        long pos = start;
        int i = firstRangeEndingAfter(pos);
        while (pos < end) {
            if (i < starts.length && starts[i] <= pos) {
                long segEnd = Math.min(end, ends[i]);
                visitor.segment(pos, segEnd, true);
                pos = segEnd;
                i++;
            } else {
                long segEnd = i < starts.length ? Math.min(end, starts[i]) : end;
                visitor.segment(pos, segEnd, false);
                pos = segEnd;
            }
        }
    }

    private int firstRangeEndingAfter(long pos) {
        int lo = 0;
        int hi = ends.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (ends[mid] <= pos) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
