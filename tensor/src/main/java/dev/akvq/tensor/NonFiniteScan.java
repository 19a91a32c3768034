package dev.akvq.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Finds the first NaN or infinity among stored float values, reading each byte once: the weights
 * check of {@code akvq inspect} and the logits check of every generation step.
 *
 * <p>A float of any width is NaN or infinite exactly when its exponent bits are all ones (IEEE
 * 754 §3.4): {@code 0x7F800000} for F32, {@code 0x7F80} for BF16 (F32's top half),
 * {@code 0x7C00} for F16. The vector form reads 64-bit lanes (2 or 4 values each), ORs
 * {@code (bits & exponent) + lowest exponent bit} over a 64 KiB block, whose value's top bit is
 * set only when a value's exponent is all ones, and only then looks for the exact index with
 * the scalar twin. Stored bytes are little-endian
 * (safetensors). Non-float dtypes hold no non-finite values: -1.
 */
public final class NonFiniteScan {
    private NonFiniteScan() {}

    private static final VectorSpecies<Long> LONGS = VectorSpecies.of(long.class, VectorWidth.SHAPE);
    private static final VectorSpecies<Float> FLOATS = KernelMode.FLOAT;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Bytes per block between two checks of the running maximum. */
    private static final long BLOCK_BYTES = 1 << 16;

    /** Index of the first non-finite element of {@code data} read as {@code dtype}, or -1. */
    public static long firstIndex(MemorySegment data, DType dtype) {
        return KernelMode.VECTOR ? vector(data, dtype) : scalar(data, dtype);
    }

    /** Index of the first non-finite value among {@code a[offset..offset+n)}, relative to offset, or -1. */
    public static int firstIndex(float[] a, int offset, int n) {
        if (KernelMode.VECTOR) {
            int i = 0;
            for (; i <= n - FLOATS.length(); i += FLOATS.length()) {
                // x - x is 0 for every finite x and NaN for NaN and both infinities
                FloatVector v = FloatVector.fromArray(FLOATS, a, offset + i);
                if (v.sub(v).test(VectorOperators.IS_NAN).anyTrue()) break;
            }
            for (; i < n; i++) if (!Float.isFinite(a[offset + i])) return i;
            return -1;
        }
        for (int i = 0; i < n; i++) if (!Float.isFinite(a[offset + i])) return i;
        return -1;
    }

    static long vector(MemorySegment data, DType dtype) {
        if (!dtype.isFloatWeight()) return -1;
        int width = dtype.size;
        // Each 64-bit lane holds 2 F32 or 4 BF16/F16 values. (bits & exponent) + lowest exponent bit
        // carries into the value's top bit exactly when the exponent is all ones, and never into the
        // next value (the sum of each value's part stays below 2^width).
        long exponent = switch (dtype) {
            case F32 -> 0x7F800000_7F800000L;
            case BF16 -> 0x7F807F80_7F807F80L;
            default -> 0x7C007C00_7C007C00L;
        };
        long lowestExponentBit = exponent & ~(exponent << 1);
        long topBits = switch (dtype) {
            case F32 -> 0x80000000_80000000L;
            default -> 0x80008000_80008000L;
        };
        long n = data.byteSize() / width;
        long bytes = n * width;
        long step = LONGS.vectorByteSize();
        long done = 0;   // bytes known to hold finite values
        while (done < bytes) {
            long blockEnd = Math.min(bytes, done + BLOCK_BYTES);
            long at = done;
            LongVector seen = LongVector.zero(LONGS);
            for (; at <= blockEnd - step; at += step) {
                LongVector v = LongVector.fromMemorySegment(LONGS, data, at, ByteOrder.LITTLE_ENDIAN);
                seen = seen.or(v.and(exponent).add(lowestExponentBit));
            }
            boolean suspect = (seen.reduceLanes(VectorOperators.OR) & topBits) != 0;
            // the block's tail (less than a vector), or the whole block when it holds a suspect
            long found = scalar(data, dtype, (suspect ? done : at) / width, blockEnd / width);
            if (found >= 0) return found;
            done = blockEnd;
        }
        return -1;
    }

    static long scalar(MemorySegment data, DType dtype) {
        return dtype.isFloatWeight() ? scalar(data, dtype, 0, data.byteSize() / dtype.size) : -1;
    }

    /** The plain twin: each element widened to F32 and tested, over elements [from, to). */
    private static long scalar(MemorySegment data, DType dtype, long from, long to) {
        for (long i = from; i < to; i++) {
            float v = switch (dtype) {
                case F32 -> Float.intBitsToFloat(data.get(I32, i * 4));
                case BF16 -> DType.bf16ToF32(data.get(I16, i * 2));
                case F16 -> DType.f16ToF32(data.get(I16, i * 2));
                default -> throw new IllegalArgumentException(dtype + " is not a float dtype");
            };
            if (!Float.isFinite(v)) return i;
        }
        return -1;
    }
}
