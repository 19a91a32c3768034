package dev.akvq.weights;

import dev.akvq.tensor.DType;
import dev.akvq.tensor.MatrixView;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor of a safetensors file as stored: its name, dtype, shape and a zero-copy slice of
 * the mapped file. Bytes are little-endian and row-major (safetensors spec), and the slice may
 * be unaligned (the header length is arbitrary), so readers use the {@code *_UNALIGNED} layouts.
 * The slice is valid until the file (or checkpoint) it came from is closed.
 */
public final class WeightTensor {
    /** Largest element count the {@code to*Array} copies accept (the JVM's array limit). */
    public static final long MAX_ARRAY_ELEMENTS = Integer.MAX_VALUE - 8;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final long elementCount;
    private final MemorySegment data;
    private final Path source;

    /**
     * @throws WeightsFormatException if a dimension is negative, the element count overflows,
     *         or {@code data} does not hold exactly elementCount × dtype.size bytes
     */
    public WeightTensor(String name, DType dtype, long[] shape, MemorySegment data, Path source) {
        this.name = Objects.requireNonNull(name, "name");
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        this.data = Objects.requireNonNull(data, "data");
        this.source = Objects.requireNonNull(source, "source");
        long count = 1;
        for (long d : this.shape) {
            if (d < 0) throw error("shape " + Arrays.toString(this.shape) + " has a negative dimension");
            try {
                count = Math.multiplyExact(count, d);
            } catch (ArithmeticException overflow) {
                throw error("shape " + Arrays.toString(this.shape) + " has more than 2^63 elements");
            }
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(count, (long) dtype.size);
        } catch (ArithmeticException overflow) {
            throw error("shape " + Arrays.toString(this.shape) + " of " + dtype + " needs more than 2^63 bytes");
        }
        if (data.byteSize() != bytes) {
            throw error("shape " + Arrays.toString(this.shape) + " of " + dtype + " needs " + bytes
                    + " bytes, but the data holds " + data.byteSize());
        }
        this.elementCount = count;
    }

    public String name() {
        return name;
    }

    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int axis) {
        if (axis < 0 || axis >= shape.length) {
            throw error("has rank " + shape.length + "; asked for dimension " + axis);
        }
        return shape[axis];
    }

    /** Product of the shape (1 for a scalar). */
    public long elementCount() {
        return elementCount;
    }

    public long byteSize() {
        return data.byteSize();
    }

    /** The stored bytes: a read-only slice of the mapped file. */
    public MemorySegment data() {
        return data;
    }

    /** The safetensors file the tensor lives in. */
    public Path source() {
        return source;
    }

    /** Checks the shape; returns this tensor so a lookup can chain it. */
    public WeightTensor requireShape(long... expected) {
        if (!Arrays.equals(shape, expected)) {
            throw error("expected shape " + Arrays.toString(expected) + ", found " + Arrays.toString(shape));
        }
        return this;
    }

    /** Checks the dtype is one of {@code allowed}; returns this tensor. */
    public WeightTensor requireDType(DType... allowed) {
        for (DType d : allowed) {
            if (d == dtype) return this;
        }
        throw error("expected dtype " + (allowed.length == 1 ? allowed[0] : "one of " + Arrays.toString(allowed))
                + ", found " + dtype);
    }

    /**
     * This tensor as a row-major weight matrix read in place (no copy): a 2-D F32, BF16 or F16
     * tensor of shape [rows, cols], which for an nn.Linear weight is [out_features, in_features].
     *
     * @throws WeightsFormatException naming the tensor and file if it is not 2-D, not a float
     *         dtype, has an empty or over-2^31 dimension
     */
    public MatrixView asMatrix() {
        if (shape.length != 2) {
            throw error("expected a 2-D weight matrix, found shape " + Arrays.toString(shape) + " (rank " + shape.length
                    + ")");
        }
        if (!dtype.isFloatWeight()) {
            throw error("expected a float weight matrix (F32, BF16 or F16), found dtype " + dtype);
        }
        if (shape[0] < 1 || shape[1] < 1 || shape[0] > Integer.MAX_VALUE || shape[1] > Integer.MAX_VALUE) {
            throw error("matrix shape " + Arrays.toString(shape) + " must have both dimensions in [1, 2^31 - 1]");
        }
        return new MatrixView(dtype, (int) shape[0], (int) shape[1], data);
    }

    /**
     * The values widened to float: F32 as stored, BF16 and F16 exactly (every BF16 and F16 value
     * is a float). Meant for small vectors (norm weights, biases); matrices stay mapped.
     */
    public float[] toFloatArray() {
        requireDType(DType.F32, DType.BF16, DType.F16);
        int n = arrayLength();
        float[] out = new float[n];
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, F32, 0, out, 0, n);
            case BF16 -> {
                for (int i = 0; i < n; i++) out[i] = DType.bf16ToF32(data.getAtIndex(I16, i));
            }
            case F16 -> {
                for (int i = 0; i < n; i++) out[i] = DType.f16ToF32(data.getAtIndex(I16, i));
            }
            default -> throw new IllegalStateException("unreachable: dtype checked above");
        }
        return out;
    }

    /** The values of an integer tensor (I8, I16, I32, I64, U8, U16, U32, BOOL), widened to long. */
    public long[] toLongArray() {
        int n = arrayLength();
        long[] out = new long[n];
        switch (dtype) {
            case I64 -> MemorySegment.copy(data, I64, 0, out, 0, n);
            case I32 -> {
                for (int i = 0; i < n; i++) out[i] = data.getAtIndex(I32, i);
            }
            case U32 -> {
                for (int i = 0; i < n; i++) out[i] = Integer.toUnsignedLong(data.getAtIndex(I32, i));
            }
            case I16 -> {
                for (int i = 0; i < n; i++) out[i] = data.getAtIndex(I16, i);
            }
            case U16 -> {
                for (int i = 0; i < n; i++) out[i] = Short.toUnsignedLong(data.getAtIndex(I16, i));
            }
            case I8 -> {
                for (int i = 0; i < n; i++) out[i] = data.get(ValueLayout.JAVA_BYTE, i);
            }
            case U8, BOOL -> {
                for (int i = 0; i < n; i++) out[i] = Byte.toUnsignedLong(data.get(ValueLayout.JAVA_BYTE, i));
            }
            default -> throw error("expected an integer dtype (I8, I16, I32, I64, U8, U16, U32, BOOL), found " + dtype);
        }
        return out;
    }

    /** As {@link #toLongArray}, narrowed to int; a value outside int's range is an error naming its index. */
    public int[] toIntArray() {
        long[] wide = toLongArray();
        int[] out = new int[wide.length];
        for (int i = 0; i < wide.length; i++) {
            if (wide[i] != (int) wide[i]) {
                throw error("element " + i + " = " + wide[i] + " does not fit in a 32-bit int");
            }
            out[i] = (int) wide[i];
        }
        return out;
    }

    private int arrayLength() {
        if (elementCount > MAX_ARRAY_ELEMENTS) {
            throw error("has " + elementCount + " elements, too many to copy into a Java array; read data() instead");
        }
        return (int) elementCount;
    }

    /** An error about this tensor: names the file and the tensor. */
    public WeightsFormatException error(String problem) {
        return new WeightsFormatException(source + ": tensor \"" + name + "\": " + problem);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " in " + source;
    }
}
