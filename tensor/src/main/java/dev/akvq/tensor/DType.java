package dev.akvq.tensor;

import java.util.Optional;

/**
 * Element types as safetensors names them (safetensors spec, "dtype" field). Every dtype the
 * format defines is known here so a loader can validate a header in full; the kernels compute
 * with {@link #F32}, {@link #BF16} and {@link #F16} weights, and {@link #I64}/{@link #U8} carry
 * ids, masks and grids.
 */
public enum DType {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1),
    I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8);

    /** Bytes per element. */
    public final int size;

    DType(int size) {
        this.size = size;
    }

    /** The dtype safetensors writes under {@code name}, if it is one. */
    public static Optional<DType> fromSafetensorsName(String name) {
        for (DType d : values()) {
            if (d.name().equals(name)) return Optional.of(d);
        }
        return Optional.empty();
    }

    /** True for the dtypes the matrix kernels read as weights. */
    public boolean isFloatWeight() {
        return this == F32 || this == BF16 || this == F16;
    }

    /** BF16 is the top half of an F32, so widening is exact: shift the 16 bits into place. */
    public static float bf16ToF32(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /**
     * F32 to BF16 with round-to-nearest-even on the 16 dropped bits, as torch's
     * {@code c10::BFloat16} round_to_nearest_even does. NaN stays a (quiet) NaN of the same sign.
     */
    public static short f32ToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) return (short) ((bits >>> 16) | 0x0040);
        int lsb = (bits >>> 16) & 1;
        int rounded = bits + 0x7FFF + lsb;
        return (short) (rounded >>> 16);
    }

    /** IEEE 754 binary16 to F32: exact (the JDK's conversion). */
    public static float f16ToF32(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** F32 to IEEE 754 binary16, round-to-nearest-even, overflow to infinity (the JDK's conversion). */
    public static short f32ToF16(float value) {
        return Float.floatToFloat16(value);
    }

    /** A copy of {@code values}, each rounded to the nearest F16 and widened back: what an F16 store gives back. */
    public static float[] roundToF16(float[] values) {
        return roundToF16(values, values.length, new float[values.length]);
    }

    /** The first {@code count} of {@code values}, rounded as {@link #roundToF16(float[])} does, into {@code out}; returns {@code out}. */
    public static float[] roundToF16(float[] values, int count, float[] out) {
        java.util.Objects.checkFromIndexSize(0, count, Math.min(values.length, out.length));
        for (int i = 0; i < count; i++) out[i] = Float.float16ToFloat(Float.floatToFloat16(values[i]));
        return out;
    }
}
