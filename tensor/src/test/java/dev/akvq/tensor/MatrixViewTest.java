package dev.akvq.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class MatrixViewTest {

    @Test
    void validatesDtypeShapeAndSize() {
        MemorySegment four = MemorySegment.ofArray(new byte[4 * 6]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MatrixView(DType.I32, 2, 3, four));
        assertTrue(e.getMessage().contains("I32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MatrixView(DType.BF16, 2, 3, four));
        assertTrue(e.getMessage().contains("needs 12 bytes but the segment holds 24"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MatrixView(DType.F32, 0, 6, MemorySegment.ofArray(new byte[0])));
        e = assertThrows(IllegalArgumentException.class, () -> new MatrixView(DType.F32, 2, 3, MemorySegment.ofArray(new float[6])));
        assertTrue(e.getMessage().contains("byte[]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MatrixView.of(DType.F16, 2, 3, new float[5]));
    }

    @Test
    void storesAndReadsBackEachDtype() {
        float[] values = {1f, -2.5f, 3.1415927f, 1e-3f, 65504f, -0f};
        for (DType dtype : MatrixVectorTest.DTYPES) {
            MatrixView m = MatrixView.of(dtype, 2, 3, values);
            for (int i = 0; i < 6; i++) {
                float expected = switch (dtype) {
                    case F32 -> values[i];
                    case BF16 -> DType.bf16ToF32(DType.f32ToBf16(values[i]));
                    default -> DType.f16ToF32(DType.f32ToF16(values[i]));
                };
                Closeness.same(dtype + " [" + i / 3 + "," + i % 3 + "]", m.get(i / 3, i % 3), expected);
            }
            float[] row = new float[4];
            m.copyRow(1, row, 1);
            Closeness.same("copyRow", row[3], m.get(1, 2));
        }
        assertThrows(IndexOutOfBoundsException.class, () -> MatrixView.ofFloats(1, 1, new float[1]).get(1, 0));
    }

    @Test
    void nativeUnalignedSegmentsGiveTheSameProduct() {
        try (Arena arena = Arena.ofShared(); WorkerPool pool = WorkerPool.create(2)) {
            java.util.SplittableRandom random = new java.util.SplittableRandom(5);
            for (DType dtype : MatrixVectorTest.DTYPES) {
                MatrixView heap = MatrixView.of(dtype, 9, 37, Inputs.uniform(random, 9 * 37, 1));
                MemorySegment block = arena.allocate(heap.data().byteSize() + 3);
                MemorySegment slice = block.asSlice(3, heap.data().byteSize());
                slice.copyFrom(heap.data());
                MatrixView mapped = new MatrixView(dtype, 9, 37, slice);
                float[] x = Inputs.uniform(random, 37, 1), a = new float[9], b = new float[9];
                MatrixVector.multiply(heap, x, a, pool);
                MatrixVector.multiply(mapped, x, b, pool);
                Closeness.sameArrays(dtype + " native at offset 3", b, a);
                assertEquals(heap.get(8, 36), mapped.get(8, 36));
            }
        }
    }
}
