package dev.akvq.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * The weight dtype conversions against references computed from the IEEE definitions in double:
 * decoding exhaustively over all 65536 16-bit patterns (scalar, and the vector widening that the
 * matrix kernels use), encoding with round-to-nearest-even over random, tie and special floats.
 */
class DTypeConversionTest {

    private static final ValueLayout.OfShort U16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Value of a binary floating-point pattern with the given field widths, from the definition. */
    static double decode(int bits, int exponentBits, int mantissaBits) {
        int sign = (bits >>> (exponentBits + mantissaBits)) & 1;
        int exponent = (bits >>> mantissaBits) & ((1 << exponentBits) - 1);
        int mantissa = bits & ((1 << mantissaBits) - 1);
        int bias = (1 << (exponentBits - 1)) - 1;
        double magnitude;
        if (exponent == (1 << exponentBits) - 1) magnitude = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        else if (exponent == 0) magnitude = Math.scalb((double) mantissa, 1 - bias - mantissaBits);
        else magnitude = Math.scalb((double) ((1 << mantissaBits) | mantissa), exponent - bias - mantissaBits);
        return sign == 1 ? -magnitude : magnitude;
    }

    /** Round-to-nearest-even of a double onto a binary format, overflow to infinity (IEEE 754 §4.3.1). */
    static double roundNearestEven(double v, int mantissaBits, int minExponent, int maxExponent) {
        if (Double.isNaN(v) || Double.isInfinite(v) || v == 0) return v;
        int e = Math.max(Math.getExponent(v), minExponent);
        double quantum = Math.scalb(1.0, e - mantissaBits);
        double rounded = Math.rint(v / quantum) * quantum; // rint: ties to even; both steps exact
        if (Math.abs(rounded) >= Math.scalb(1.0, maxExponent + 1)) return Math.copySign(Double.POSITIVE_INFINITY, v);
        return rounded == 0 ? Math.copySign(0.0, v) : rounded;
    }

    @Test
    void bf16ToF32IsExactForAllPatterns() {
        for (int bits = 0; bits < 65536; bits++) {
            double expected = decode(bits, 8, 7);
            float actual = DType.bf16ToF32((short) bits);
            if (Double.isNaN(expected)) assertTrue(Float.isNaN(actual), "bf16 0x" + Integer.toHexString(bits));
            else assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual), "bf16 0x" + Integer.toHexString(bits));
        }
    }

    @Test
    void f16ToF32IsExactForAllPatterns() {
        for (int bits = 0; bits < 65536; bits++) {
            double expected = decode(bits, 5, 10);
            float actual = DType.f16ToF32((short) bits);
            if (Double.isNaN(expected)) assertTrue(Float.isNaN(actual), "f16 0x" + Integer.toHexString(bits));
            else assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual), "f16 0x" + Integer.toHexString(bits));
        }
    }

    /** The in-register widening of the matrix kernels equals the scalar conversion bit for bit, NaN payloads included. */
    @Test
    void vectorWideningEqualsScalarForAllPatterns() {
        for (DType dtype : new DType[] {DType.BF16, DType.F16}) {
            // Offset by one byte: mapped tensors sit at arbitrary offsets.
            MemorySegment data = MemorySegment.ofArray(new byte[2 * 65536 + 1]).asSlice(1);
            for (int bits = 0; bits < 65536; bits++) data.setAtIndex(U16_LE, bits, (short) bits);
            float[] widened = new float[65536];
            WeightLanes.widen(dtype, data, 0, 65536, widened, 0, true);
            for (int bits = 0; bits < 65536; bits++) {
                float expected = dtype == DType.BF16 ? DType.bf16ToF32((short) bits) : Float.float16ToFloat((short) bits);
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(widened[bits]), dtype + " 0x" + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void vectorWideningOfF32IsACopy() {
        float[] values = {1.5f, -0f, Float.NaN, Float.MIN_VALUE, -Float.MAX_VALUE, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f, 12f, 13f, 14f, 15f, 16f};
        MatrixView m = MatrixView.ofFloats(1, values.length, values);
        float[] out = new float[values.length];
        WeightLanes.widen(DType.F32, m.data(), 0, values.length, out, 0, true);
        Closeness.sameArrays("f32", out, values);
    }

    private static void checkEncoding(float value) {
        double bf16 = roundNearestEven(value, 7, -126, 127);
        float gotBf16 = DType.bf16ToF32(DType.f32ToBf16(value));
        double f16 = roundNearestEven(value, 10, -14, 15);
        float gotF16 = DType.f16ToF32(DType.f32ToF16(value));
        if (Float.isNaN(value)) {
            assertTrue(Float.isNaN(gotBf16) && Float.isNaN(gotF16), "NaN must stay NaN");
            return;
        }
        assertEquals(Double.doubleToRawLongBits(bf16), Double.doubleToRawLongBits(gotBf16), "bf16 of " + value + " (0x" + Integer.toHexString(Float.floatToRawIntBits(value)) + ")");
        assertEquals(Double.doubleToRawLongBits(f16), Double.doubleToRawLongBits(gotF16), "f16 of " + value + " (0x" + Integer.toHexString(Float.floatToRawIntBits(value)) + ")");
    }

    @Test
    void encodingRoundsToNearestEvenOnRandomBitPatterns() {
        qt().withExamples(Inputs.examples(20000)).forAll(integers().all()).checkAssert(bits -> checkEncoding(Float.intBitsToFloat(bits)));
    }

    @Test
    void encodingRoundsTiesToEven() {
        // BF16 ties: the low 16 bits exactly 0x8000, with even and odd kept bit; one bit either side.
        for (int high : new int[] {0x3F80, 0x3F81, 0x7F7F, 0x0000, 0x0001, 0x807F, 0xFF7E, 0x4049}) {
            for (int low : new int[] {0x7FFF, 0x8000, 0x8001}) checkEncoding(Float.intBitsToFloat((high << 16) | low));
        }
        // F16 ties: midpoints of every pair of adjacent F16 values, and the floats just beside them.
        for (int bits = 0; bits < 0x7C00; bits++) {
            double mid = (decode(bits, 5, 10) + decode(bits + 1, 5, 10)) / 2;
            for (float v : new float[] {(float) mid, Math.nextDown((float) mid), Math.nextUp((float) mid)}) {
                checkEncoding(v);
                checkEncoding(-v);
            }
        }
    }

    @Test
    void encodingHandlesSpecialValues() {
        for (float v : Inputs.CORNERS) checkEncoding(v);
        for (float v : new float[] {65504f, 65520f, Math.nextDown(65520f), 0x1p-24f, 0x1p-25f, Math.nextUp(0x1p-25f), 0x1p-14f, 0x1p-133f, 0x1p-134f}) {
            checkEncoding(v);
            checkEncoding(-v);
        }
        assertEquals(Float.POSITIVE_INFINITY, DType.f16ToF32(DType.f32ToF16(65520f)), "65520 rounds to +Inf in F16");
        assertEquals(Float.POSITIVE_INFINITY, DType.bf16ToF32(DType.f32ToBf16(Float.MAX_VALUE)), "MAX_VALUE rounds to +Inf in BF16");
    }

    @Test
    void referenceRoundingCanFail() {
        // The reference must distinguish neighbours, or the encoding properties prove nothing.
        assertEquals(1.0, roundNearestEven(1.0 + 0x1p-8, 7, -126, 127)); // tie, even is 1.0
        assertEquals(1.0 + 0x1p-6, roundNearestEven(1.0 + 3 * 0x1p-8, 7, -126, 127)); // tie, even is up
        assertThrows(AssertionError.class, () -> {
            float v = 1.0f + 0x1p-8f;
            double wrong = 1.0 + 0x1p-7; // truncation towards the odd neighbour
            assertEquals(Double.doubleToRawLongBits(wrong), Double.doubleToRawLongBits(DType.bf16ToF32(DType.f32ToBf16(v))));
        });
    }
}
