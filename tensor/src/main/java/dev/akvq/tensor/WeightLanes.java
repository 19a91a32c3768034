package dev.akvq.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Widening stored weights (F32, BF16, F16 as safetensors stores them: little-endian, at any byte
 * offset) to float, one vector of {@link KernelMode#FLOAT} lanes at a time, in registers.
 *
 * <p>BF16 is the top half of an F32: widen the 16-bit lanes to 32 and shift left by 16; exact.
 *
 * <p>F16: JDK 25's Vector API has no half-float conversion (its {@code S2F} converts integer
 * values), so this uses the integer trick also used by e.g. Fabian Giesen's "half to float done
 * quick" (2012): put the 15 exponent+mantissa bits at float position 13, which reads as a float
 * equal to the half's magnitude times 2^-112 for normals and subnormals alike (a subnormal half
 * becomes a subnormal float), multiply by 2^112 (exact: a power of two that lands in the normal
 * range), then patch exponent 31 (Inf/NaN) to the float exponent 255 keeping the payload (and
 * setting the quiet bit, as {@link Float#float16ToFloat} and the F16C instruction do), and OR the
 * sign back. Java floats never flush subnormals, so the trick is exact for all 65536 inputs;
 * the tests compare it to {@link Float#float16ToFloat} bit for bit.
 */
final class WeightLanes {
    private WeightLanes() {}

    static final VectorSpecies<Float> F = KernelMode.FLOAT;
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class,
            jdk.incubator.vector.VectorShape.forBitSize(F.vectorBitSize() / 2));
    // The F16 widening's constants, as vectors: one broadcast each at class initialisation, not per call.
    private static final IntVector MAGNITUDE = IntVector.broadcast(I, 0x7FFF);
    private static final IntVector HALF_EXPONENT = IntVector.broadcast(I, 0x7C00);
    private static final IntVector FLOAT_EXPONENT = IntVector.broadcast(I, 0x7F80_0000);
    private static final IntVector QUIET_BIT = IntVector.broadcast(I, 0x0040_0000);
    private static final IntVector SIGN = IntVector.broadcast(I, 0x8000_0000);
    private static final FloatVector TWO_POW_112 = FloatVector.broadcast(F, 0x1p112f);
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** F32 weights: {@code F.length()} floats starting at element {@code index}. */
    static FloatVector f32(MemorySegment data, long index) {
        return FloatVector.fromMemorySegment(F, data, index * 4, ByteOrder.LITTLE_ENDIAN);
    }

    /** BF16 weights widened exactly: {@code F.length()} values starting at element {@code index}. */
    static FloatVector bf16(MemorySegment data, long index) {
        IntVector bits = (IntVector) ShortVector.fromMemorySegment(S, data, index * 2, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** F16 weights widened exactly (see the class comment): {@code F.length()} values from {@code index}. */
    static FloatVector f16(MemorySegment data, long index) {
        // S2I sign-extends: a negative half's int has bit 31 set, which is the float's sign bit.
        IntVector half = (IntVector) ShortVector.fromMemorySegment(S, data, index * 2, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, I, 0);
        IntVector magnitude = half.and(MAGNITUDE);
        IntVector bits = magnitude.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112).reinterpretAsInts();
        bits = bits.lanewise(VectorOperators.OR, FLOAT_EXPONENT, magnitude.compare(VectorOperators.GE, HALF_EXPONENT));
        bits = bits.lanewise(VectorOperators.OR, QUIET_BIT, magnitude.compare(VectorOperators.GT, HALF_EXPONENT));
        return bits.or(half.and(SIGN)).reinterpretAsFloats();
    }

    /** One stored weight as a float: the scalar twin of the three vector loads. */
    static float scalar(DType dtype, MemorySegment data, long index) {
        return switch (dtype) {
            case F32 -> data.get(F32_LE, index * 4);
            case BF16 -> DType.bf16ToF32(data.get(U16_LE, index * 2));
            case F16 -> DType.f16ToF32(data.get(U16_LE, index * 2));
            default -> throw new IllegalArgumentException("not a float weight dtype: " + dtype);
        };
    }

    /**
     * Widens {@code count} consecutive stored weights from element {@code index} into
     * {@code out[outOffset..]}: the vector loads over whole vectors, the scalar twin for the tail.
     */
    static void widen(DType dtype, MemorySegment data, long index, int count, float[] out, int outOffset, boolean vector) {
        int i = 0;
        if (vector) {
            int upper = F.loopBound(count);
            switch (dtype) {
                case F32 -> { for (; i < upper; i += F.length()) f32(data, index + i).intoArray(out, outOffset + i); }
                case BF16 -> { for (; i < upper; i += F.length()) bf16(data, index + i).intoArray(out, outOffset + i); }
                case F16 -> { for (; i < upper; i += F.length()) f16(data, index + i).intoArray(out, outOffset + i); }
                default -> throw new IllegalArgumentException("not a float weight dtype: " + dtype);
            }
        }
        for (; i < count; i++) out[outOffset + i] = scalar(dtype, data, index + i);
    }
}
