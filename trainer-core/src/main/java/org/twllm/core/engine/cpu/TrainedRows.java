package org.twllm.core.engine.cpu;

import java.util.ArrayList;
import java.util.List;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.twllm.core.engine.TokenBatch;

/**
 * One chunk of the positions whose target is trained (not {@link TokenBatch#IGNORE}), as runs of consecutive
 * positions: what the LM head computes on. A cPT batch is one run per chunk, read as a view; an SFT batch, where
 * prompts and padding are ignored, is several, gathered into one contiguous copy.
 */
final class TrainedRows {
    private final int[] runStarts;
    private final int[] runLengths;
    private final int[] targets;

    private TrainedRows(int[] runStarts, int[] runLengths, int[] targets) {
        this.runStarts = runStarts;
        this.runLengths = runLengths;
        this.targets = targets;
    }

    /** The trained positions of {@code targets} in order, cut into chunks of at most {@code maxRows}. */
    static List<TrainedRows> chunks(int[] targets, int maxRows) {
        List<TrainedRows> chunks = new ArrayList<>();
        List<int[]> runs = new ArrayList<>();
        int rows = 0;
        for (int p = 0; p < targets.length; p++) {
            if (targets[p] == TokenBatch.IGNORE) {
                continue;
            }
            int[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
            if (last != null && last[0] + last[1] == p) {
                last[1]++;
            } else {
                runs.add(new int[] {p, 1});
            }
            if (++rows == maxRows) {
                chunks.add(of(runs, targets));
                runs.clear();
                rows = 0;
            }
        }
        if (rows > 0) {
            chunks.add(of(runs, targets));
        }
        return chunks;
    }

    private static TrainedRows of(List<int[]> runs, int[] allTargets) {
        int[] starts = new int[runs.size()];
        int[] lengths = new int[runs.size()];
        int rows = 0;
        for (int i = 0; i < starts.length; i++) {
            starts[i] = runs.get(i)[0];
            lengths[i] = runs.get(i)[1];
            rows += lengths[i];
        }
        int[] targets = new int[rows];
        int r = 0;
        for (int i = 0; i < starts.length; i++) {
            System.arraycopy(allTargets, starts[i], targets, r, lengths[i]);
            r += lengths[i];
        }
        return new TrainedRows(starts, lengths, targets);
    }

    int rows() {
        return targets.length;
    }

    /** The target of each of the chunk's rows, in order. */
    int[] targets() {
        return targets;
    }

    boolean isOneRun() {
        return runStarts.length == 1;
    }

    /** The chunk's rows of {@code a} [positions, w]: a view when they are one run, else a gathered copy. */
    INDArray of(INDArray a) {
        if (isOneRun()) {
            return rows(a, 0);
        }
        INDArray[] parts = new INDArray[runStarts.length];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = rows(a, i);
        }
        return Nd4j.concat(0, parts);
    }

    /** Writes {@code values} [rows, w] into the chunk's rows of {@code a} [positions, w], run by run. */
    void scatter(INDArray values, INDArray a) {
        long r = 0;
        for (int i = 0; i < runStarts.length; i++) {
            rows(a, i).assign(values.get(NDArrayIndex.interval(r, r + runLengths[i]), NDArrayIndex.all()));
            r += runLengths[i];
        }
    }

    /** Calls {@code action} with each row of the chunk and the position it came from. */
    void forEachRow(RowAction action) {
        int r = 0;
        for (int i = 0; i < runStarts.length; i++) {
            for (int k = 0; k < runLengths[i]; k++) {
                action.row(r++, runStarts[i] + k);
            }
        }
    }

    @FunctionalInterface
    interface RowAction {
        void row(int row, int position);
    }

    private INDArray rows(INDArray a, int run) {
        return a.get(NDArrayIndex.interval(runStarts[run], runStarts[run] + runLengths[run]), NDArrayIndex.all());
    }
}
