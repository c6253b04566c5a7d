package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The fused passes' bulk access reads and writes the array's own elements, row-range views included. */
class FlatElementsTest {
    @Test
    void readsAndWritesInPlaceForBothTypesAndRowViews() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray base = Nd4j.arange(20).castTo(type).reshape('c', 4, 5);
            INDArray rows = base.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all());
            FlatElements e = FlatElements.of(rows);
            double[] got = new double[4];
            e.read(4, got, 3);
            assertArrayEquals(new double[] {9, 10, 11, 0}, got, type.toString());
            e.write(2, new double[] {-1.5, 2.25, 99}, 2);
            assertEquals(-1.5, base.getDouble(1, 2), type.toString());
            assertEquals(2.25, base.getDouble(1, 3), type.toString());
            assertEquals(9.0, base.getDouble(1, 4), type.toString());
            FlatElements whole = FlatElements.of(base);
            whole.write(19, new double[] {7.25}, 1);
            assertEquals(7.25, base.getDouble(3, 4), type.toString());
            whole.read(7, got, 1);
            assertEquals(-1.5, got[0], type.toString());
        }
    }

    @Test
    void fp32WritesRoundToNearestFloat() {
        INDArray a = Nd4j.createUninitialized(DataType.FLOAT, 2);
        double v = 1.0 + 1e-9;
        FlatElements.of(a).write(0, new double[] {v, -v}, 2);
        assertEquals((float) v, a.getFloat(0));
        assertEquals((float) -v, a.getFloat(1));
    }

    @Test
    void refusesStridedViews() {
        INDArray base = Nd4j.arange(20).castTo(DataType.FLOAT).reshape('c', 4, 5);
        assertThrows(IllegalArgumentException.class, () -> FlatElements.of(base.transpose()));
        assertThrows(IllegalArgumentException.class, () -> FlatElements.of(base.get(NDArrayIndex.all(), NDArrayIndex.interval(1, 3))));
    }
}
