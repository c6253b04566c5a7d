package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The fused passes' element access reads and writes the array's own elements, row-range views included. */
class FlatElementsTest {
    @Test
    void readsAndWritesInPlaceForBothTypesAndRowViews() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray base = Nd4j.arange(20).castTo(type).reshape('c', 4, 5);
            INDArray rows = base.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all());
            FlatElements e = FlatElements.of(rows);
            assertEquals(5.0, e.get(0), type.toString());
            assertEquals(14.0, e.get(9), type.toString());
            e.set(2, -1.5);
            assertEquals(-1.5, base.getDouble(1, 2), type.toString());
            FlatElements whole = FlatElements.of(base);
            whole.set(19, 7.25);
            assertEquals(7.25, base.getDouble(3, 4), type.toString());
            assertEquals(-1.5, whole.get(7), type.toString());
        }
    }

    @Test
    void refusesStridedViews() {
        INDArray base = Nd4j.arange(20).castTo(DataType.FLOAT).reshape('c', 4, 5);
        assertThrows(IllegalArgumentException.class, () -> FlatElements.of(base.transpose()));
        assertThrows(IllegalArgumentException.class, () -> FlatElements.of(base.get(NDArrayIndex.all(), NDArrayIndex.interval(1, 3))));
    }
}
