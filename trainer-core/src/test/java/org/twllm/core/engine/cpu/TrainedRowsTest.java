package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.engine.TokenBatch;

/** Chunks of trained positions: cut at the chunk size across runs, gathered and scattered back row for row. */
class TrainedRowsTest {
    private static final int X = TokenBatch.IGNORE;

    @Test
    void chunksCoverTheTrainedPositionsInOrderAcrossRunsAndChunkBoundaries() {
        int[] targets = {X, 5, 6, 7, X, X, 8, 9, X, 4};
        List<TrainedRows> chunks = TrainedRows.chunks(targets, 3);
        assertEquals(2, chunks.size());
        assertArrayEquals(new int[] {5, 6, 7}, chunks.get(0).targets());
        assertArrayEquals(new int[] {8, 9, 4}, chunks.get(1).targets());
        List<Integer> positions = new ArrayList<>();
        for (TrainedRows chunk : chunks) {
            chunk.forEachRow((row, position) -> positions.add(position));
        }
        assertEquals(List.of(1, 2, 3, 6, 7, 9), positions);
        assertTrue(chunks.get(0).isOneRun());
        assertFalse(chunks.get(1).isOneRun());

        INDArray a = Nd4j.arange(20).castTo(DataType.DOUBLE).reshape(10, 2);
        INDArray gathered = chunks.get(1).of(a);
        assertEquals(Nd4j.create(new double[][] {{12, 13}, {14, 15}, {18, 19}}), gathered);
        INDArray back = Nd4j.zeros(DataType.DOUBLE, 10, 2);
        chunks.get(1).scatter(gathered, back);
        INDArray expected = Nd4j.zeros(DataType.DOUBLE, 10, 2);
        for (int p : new int[] {6, 7, 9}) {
            expected.getRow(p).assign(a.getRow(p));
        }
        assertEquals(expected, back);
    }

    @Test
    void noTrainedPositionNoChunk() {
        assertEquals(0, TrainedRows.chunks(new int[] {X, X}, 4).size());
    }
}
