package dev.akvq.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A row-major {@code rows x cols} weight matrix exactly as a safetensors file stores it: F32, BF16
 * or F16 elements, little-endian, in a memory segment that may be a slice of a mapped file at any
 * byte offset (the format aligns nothing). Hugging Face's {@code nn.Linear.weight} has shape
 * {@code [out_features, in_features]}, so {@code rows} is the output size and {@code cols} the
 * input size; the kernels read the weights in place, in their stored dtype.
 *
 * @param dtype F32, BF16 or F16
 * @param rows  number of rows (output features), at least 1
 * @param cols  number of columns (input features), at least 1
 * @param data  {@code rows * cols * dtype.size} bytes; native (e.g. mapped) or backed by a byte[]
 */
public record MatrixView(DType dtype, int rows, int cols, MemorySegment data) {

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public MatrixView {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(data, "data");
        if (!dtype.isFloatWeight()) {
            throw new IllegalArgumentException("MatrixView: dtype " + dtype + " is not a float weight dtype; expected F32, BF16 or F16");
        }
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("MatrixView: shape [" + rows + ", " + cols + "] must have both dimensions >= 1");
        }
        long expected = (long) rows * cols * dtype.size;
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("MatrixView: " + dtype + " [" + rows + ", " + cols + "] needs " + expected
                    + " bytes but the segment holds " + data.byteSize());
        }
        // The Vector API loads from native segments or heap segments over byte[] only.
        if (!data.isNative() && !(data.heapBase().orElse(null) instanceof byte[])) {
            throw new IllegalArgumentException("MatrixView: a heap segment must be backed by a byte[] (the Vector API reads"
                    + " no other heap arrays); found " + data.heapBase().map(o -> o.getClass().getSimpleName()).orElse("none")
                    + ". HINT: use MatrixView.of(...) or a native/mapped segment");
        }
    }

    /**
     * A heap matrix holding {@code values} (row-major, {@code rows * cols} of them) stored as
     * {@code dtype}: F32 as given, BF16 and F16 rounded to nearest-even as torch's {@code .to()}
     * does. For tests and small matrices; real weights come from mapped files.
     */
    public static MatrixView of(DType dtype, int rows, int cols, float[] values) {
        Objects.requireNonNull(values, "values");
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException("MatrixView.of: shape [" + rows + ", " + cols + "] needs "
                    + (long) rows * cols + " values, got " + values.length);
        }
        if (dtype == null || !dtype.isFloatWeight()) {
            throw new IllegalArgumentException("MatrixView.of: dtype " + dtype + " is not F32, BF16 or F16");
        }
        MemorySegment data = MemorySegment.ofArray(new byte[values.length * dtype.size]);
        for (int i = 0; i < values.length; i++) {
            switch (dtype) {
                case F32 -> data.setAtIndex(F32_LE, i, values[i]);
                case BF16 -> data.setAtIndex(U16_LE, i, DType.f32ToBf16(values[i]));
                case F16 -> data.setAtIndex(U16_LE, i, DType.f32ToF16(values[i]));
                default -> throw new AssertionError(dtype);
            }
        }
        return new MatrixView(dtype, rows, cols, data);
    }

    /** An F32 heap matrix over a copy of {@code values}. */
    public static MatrixView ofFloats(int rows, int cols, float[] values) {
        return of(DType.F32, rows, cols, values);
    }

    /** Element {@code [row, col]} widened to float (bounds-checked; for tests and debugging, not hot loops). */
    public float get(int row, int col) {
        Objects.checkIndex(row, rows);
        Objects.checkIndex(col, cols);
        return WeightLanes.scalar(dtype, data, (long) row * cols + col);
    }

    /** Row {@code row} widened to float into {@code out[outOffset .. outOffset + cols)}, e.g. an embedding lookup. */
    public void copyRow(int row, float[] out, int outOffset) {
        Objects.checkIndex(row, rows);
        Objects.checkFromIndexSize(outOffset, cols, out.length);
        WeightLanes.widen(dtype, data, (long) row * cols, cols, out, outOffset, KernelMode.VECTOR);
    }
}
