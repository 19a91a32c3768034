package dev.akvq.quant;

/**
 * KIVI's own quantizer of one group (Liu et al., arXiv 2402.02750; jy-yuan/KIVI at commit
 * 04eeae0657316ae2adafa97101408e433b588d52, quant/new_pack.py, {@code quant_and_pack_vcache} and
 * {@code quant_and_pack_kcache}): asymmetric, dynamic, no clipping, the minimum itself as offset:
 *
 * <pre>
 *   m = min(x),  s = (max(x) − m) / (2^bits − 1)      both stored as FP16 (2 + 2 bytes a group)
 *   q = clamp(rint((x − m) / s), 0, 2^bits − 1),      x' = q · s + m
 * </pre>
 *
 * Unlike {@link GroupQuantizer}, the scale is rounded to the nearest FP16 value (not up), so a
 * value at the top of the range may sit up to {@code (2^bits − 1)·|s − s₁₆|} above the last level:
 * {@link #errorBound} counts that. A constant group gets {@code s = 0} and decodes to {@code m}
 * (KIVI's code divides by zero there). Packing is {@link GroupQuantizer}'s planar layout, so
 * {@link PackedCodes} reads the codes with a zero point of 0.
 *
 * <p>Parameters travel as one int: FP16 minimum in the low half, FP16 scale in the high half.
 */
public record KiviQuantizer(int bits) {
    public KiviQuantizer {
        if (bits != 2 && bits != 4) throw new IllegalArgumentException("KiviQuantizer: bits must be 2 or 4, got " + bits);
    }

    public int levels() {
        return (1 << bits) - 1;
    }

    public int codesPerByte() {
        return 8 / bits;
    }

    /** Bytes of packed codes for {@code n} values (a multiple of {@link #codesPerByte()}). */
    public int packedBytes(int n) {
        if (n < 1 || n % codesPerByte() != 0) {
            throw new IllegalArgumentException("KiviQuantizer: " + n + " values do not pack into whole bytes at " + bits + " bits");
        }
        return n / codesPerByte();
    }

    /** The parameters of a group with these extremes. */
    public int parameters(float min, float max) {
        if (!Float.isFinite(min) || !Float.isFinite(max)) {
            throw new IllegalArgumentException("KiviQuantizer: a group holds a non-finite value (min " + min + ", max " + max
                    + "); KV rows must be finite");
        }
        short m = Float.floatToFloat16(min);
        float s = (max - Float.float16ToFloat(m)) / levels();
        short sh = Float.floatToFloat16(Math.max(0f, s));
        if (Float.isInfinite(Float.float16ToFloat(sh))) sh = 0x7BFF;      // beyond FP16's range: saturate
        return (m & 0xFFFF) | ((sh & 0xFFFF) << 16);
    }

    public static float minimum(int params) {
        return Float.float16ToFloat((short) params);
    }

    public static float scale(int params) {
        return Float.float16ToFloat((short) (params >>> 16));
    }

    public static short minimumBits(int params) {
        return (short) params;
    }

    public static short scaleBits(int params) {
        return (short) (params >>> 16);
    }

    /** The code of one value: {@code clamp(rint((x − m) / s), 0, levels)}; 0 for a constant group. */
    public int quantize(float x, int params) {
        float s = scale(params);
        if (s == 0) return 0;
        float r = (float) Math.rint((x - minimum(params)) / s);
        return (int) Math.max(0f, Math.min(levels(), r));
    }

    /** {@code x'} of a code. */
    public static float dequantize(int code, int params) {
        return code * scale(params) + minimum(params);
    }

    /** Quantizes {@code x[offset, offset + n)} as one group into planar packed codes; returns its parameters. */
    public int encode(float[] x, int offset, int n, byte[] codes, int codeOffset) {
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            min = Math.min(min, x[offset + i]);
            max = Math.max(max, x[offset + i]);
        }
        int params = parameters(min, max), per = codesPerByte(), stride = packedBytes(n);
        for (int j = 0; j < stride; j++) {
            int packed = 0;
            for (int m = 0; m < per; m++) packed |= quantize(x[offset + m * stride + j], params) << (bits * m);
            codes[codeOffset + j] = (byte) packed;
        }
        return params;
    }

    /** Code {@code i} of a planar packed row of {@code n} codes. */
    public int code(byte[] codes, int codeOffset, int n, int i) {
        int stride = packedBytes(n);
        return (codes[codeOffset + i % stride] >> (bits * (i / stride))) & levels();
    }

    /**
     * The largest {@code |x − x'|} for a value {@code x} of a group with these parameters: half a step
     * inside {@code [m, m + levels·s]}, plus the distance to that range outside it (FP16 rounding of
     * the minimum and the scale), plus float rounding of {@code q·s + m}.
     */
    public double errorBound(int params, float x) {
        double m = minimum(params), top = m + levels() * (double) scale(params);
        double outside = Math.max(0, Math.max(m - x, x - top));
        return scale(params) / 2.0 + outside + 1e-6 * Math.max(Math.abs(m), Math.abs(top));
    }
}
