package dev.akvq.quant;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The AKVQ-VL quantizer of one group of consecutive values (docs/akvq-vl.md, "Quantizer"): asymmetric,
 * dynamic, with both range endpoints scaled toward zero by {@code clip}:
 *
 * <pre>
 *   a = clip · min(x),  c = clip · max(x)
 *   s = (c − a) / (2^bits − 1)            stored as FP16
 *   z = −rint(a / s)                      stored as a signed byte
 *   q = clamp(rint(x / s) + z, 0, 2^bits − 1),   x' = s · (q − z)
 * </pre>
 *
 * Choices where the method leaves room (docs/akvq-vl.md, "Quantizer"), all so that a stored group always decodes to finite values:
 * <ul>
 *   <li>{@code s} is rounded <em>up</em> to the next FP16 value, so {@code s · (2^bits − 1)} still
 *       covers {@code [a, c]} and every {@code x} in it decodes within {@code s/2}.</li>
 *   <li>{@code z} must fit a signed byte: {@code s} is widened to at least {@code |a| / 127}. This
 *       only happens for a group whose spread is small next to its offset from zero (spread below
 *       {@code |a| · 3/127} at 2 bits, {@code |a| · 15/127} at 4 bits); the group then keeps its
 *       range with coarser steps.</li>
 *   <li>A constant group is covered by the same rule ({@code s = |a|/127}); an all-zero group gets
 *       {@code s = 1, z = 0}. The scale is never zero, NaN or infinite: it is at least the smallest
 *       FP16 subnormal and at most 65504 (larger ranges saturate the codes).</li>
 *   <li>NaN or infinite inputs are an error (a KV row is finite unless the model diverged).</li>
 * </ul>
 *
 * <p>Codes are packed {@code 8/bits} per byte in <em>planar</em> order inside a group of
 * {@code n}: with {@code stride = n / (8/bits)}, channel {@code m · stride + j} sits in byte
 * {@code j} at bit {@code bits · m}. One byte load then widens to {@code stride} consecutive
 * channels per plane, which is what the Vector API forms of {@link PackedCodes} read.
 *
 * <p>{@link #encode} returns the group's parameters as one int ({@link #scaleBits}, {@link #zero}).
 */
public record GroupQuantizer(int bits, float clip) {
    private static final VectorSpecies<Float> F = QuantKernelMode.FLOAT;
    private static final VectorSpecies<Byte> B = QuantKernelMode.BYTE_FOR_FLOAT;
    /** Adding and subtracting 1.5·2²³ rounds a float with |y| ≤ 2²² to an integer, half to even (as Math.rint). */
    private static final float ROUNDER = 0x1.8p23f;
    private static final float ROUND_LIMIT = 0x1p22f;
    private static final short F16_MAX = 0x7BFF;

    public GroupQuantizer {
        if (bits != 2 && bits != 4) throw new IllegalArgumentException("GroupQuantizer: bits must be 2 or 4, got " + bits);
        if (!(clip > 0 && clip <= 1)) throw new IllegalArgumentException("GroupQuantizer: clip ratio must be in (0, 1], got " + clip);
    }

    public int levels() {
        return (1 << bits) - 1;
    }

    public int codesPerByte() {
        return 8 / bits;
    }

    /** Bytes of packed codes for a group of {@code n}; {@code n} must be a multiple of {@link #codesPerByte()}. */
    public int packedBytes(int n) {
        if (n < 1 || n % codesPerByte() != 0) {
            throw new IllegalArgumentException("GroupQuantizer: a group of " + n + " values does not pack into whole bytes at "
                    + bits + " bits (need a positive multiple of " + codesPerByte() + ")");
        }
        return n / codesPerByte();
    }

    /** The FP16 bits of the scale in {@code params}. */
    public static short scaleBits(int params) {
        return (short) params;
    }

    /** The scale in {@code params}, widened to float. */
    public static float scale(int params) {
        return Float.float16ToFloat((short) params);
    }

    /** The signed zero point in {@code params}. */
    public static int zero(int params) {
        return (byte) (params >> 16);
    }

    /** Parameters of a group with these extremes (shared by both encoders, so they agree exactly). */
    public int parameters(float min, float max) {
        if (!Float.isFinite(min) || !Float.isFinite(max)) {
            throw new IllegalArgumentException("GroupQuantizer: a group holds a non-finite value (min " + min + ", max " + max
                    + "); KV rows must be finite");
        }
        float a = clip * min, c = clip * max;
        float s = Math.max((c - a) / levels(), Math.abs(a) / 127f);
        if (s == 0) s = 1;
        short h = Float.floatToFloat16(s);
        if (Float.float16ToFloat(h) < s) h++;                 // round up: s·levels covers [a, c]
        if (h == 0) h = 1;                                    // below FP16's smallest subnormal
        if (Float.float16ToFloat(h) > 65504f) h = F16_MAX;     // beyond FP16's range: saturate
        float sf = Float.float16ToFloat(h);
        int z = (int) Math.max(-128, Math.min(127, -Math.rint(a / sf)));
        return (h & 0xFFFF) | ((z & 0xFF) << 16);
    }

    /** Quantizes {@code x[offset, offset + n)} into {@code packedBytes(n)} bytes at {@code codes[codeOffset]}; returns its parameters. */
    public int encode(float[] x, int offset, int n, byte[] codes, int codeOffset) {
        return QuantKernelMode.CODE_VECTORS ? encodeVector(x, offset, n, codes, codeOffset)
                : encodeReference(x, offset, n, codes, codeOffset);
    }

    /** The reference encoder: the formulas of docs/akvq-vl.md, "Quantizer", one value at a time. */
    public int encodeReference(float[] x, int offset, int n, byte[] codes, int codeOffset) {
        int per = codesPerByte(), stride = packedBytes(n);
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            min = Math.min(min, x[offset + i]);
            max = Math.max(max, x[offset + i]);
        }
        int params = parameters(min, max);
        float s = scale(params);
        int z = zero(params);
        for (int j = 0; j < stride; j++) {
            int packed = 0;
            for (int m = 0; m < per; m++) {
                float r = (float) Math.rint(x[offset + m * stride + j] / s);
                int q = (int) Math.max(0f, Math.min(levels(), r + z));
                packed |= q << (bits * m);
            }
            codes[codeOffset + j] = (byte) packed;
        }
        return params;
    }

    /** The Vector API encoder: same operations (rint by the 1.5·2²³ trick on clamped inputs), equal codes. */
    int encodeVector(float[] x, int offset, int n, byte[] codes, int codeOffset) {
        int per = codesPerByte(), stride = packedBytes(n), lanes = F.length();
        FloatVector vmin = FloatVector.broadcast(F, Float.POSITIVE_INFINITY), vmax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i + lanes <= n; i += lanes) {
            FloatVector v = FloatVector.fromArray(F, x, offset + i);
            vmin = vmin.min(v);
            vmax = vmax.max(v);
        }
        float min = vmin.reduceLanes(VectorOperators.MIN), max = vmax.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            min = Math.min(min, x[offset + i]);
            max = Math.max(max, x[offset + i]);
        }
        int params = parameters(min, max);
        float s = scale(params);
        float z = zero(params), top = levels();
        int j = 0;
        for (; j + lanes <= stride; j += lanes) {
            ByteVector packed = ByteVector.zero(B);
            for (int m = 0; m < per; m++) {
                FloatVector y = FloatVector.fromArray(F, x, offset + m * stride + j).div(s)
                        .max(-ROUND_LIMIT).min(ROUND_LIMIT);
                FloatVector q = y.add(ROUNDER).sub(ROUNDER).add(z).max(0f).min(top);
                ByteVector b = (ByteVector) q.convertShape(VectorOperators.F2B, B, 0);
                packed = packed.or(b.lanewise(VectorOperators.LSHL, bits * m));
            }
            packed.intoArray(codes, codeOffset + j);
        }
        for (; j < stride; j++) {
            int packed = 0;
            for (int m = 0; m < per; m++) {
                float r = (float) Math.rint(x[offset + m * stride + j] / s);
                int q = (int) Math.max(0f, Math.min(top, r + z));
                packed |= q << (bits * m);
            }
            codes[codeOffset + j] = (byte) packed;
        }
        return params;
    }

    /** The code of one value under {@code params}: {@code clamp(rint(x / s) + z, 0, levels)} (KIVI's per-channel groups). */
    public int quantize(float x, int params) {
        float r = (float) Math.rint(x / scale(params));
        return (int) Math.max(0f, Math.min(levels(), r + zero(params)));
    }

    /** Code {@code i} of a packed group of {@code n}. */
    public int code(byte[] codes, int codeOffset, int n, int i) {
        int stride = packedBytes(n);
        return (codes[codeOffset + i % stride] >> (bits * (i / stride))) & levels();
    }

    /** Dequantizes a group: {@code out[i] = s · (q_i − z)}. */
    public void decode(byte[] codes, int codeOffset, int n, int params, float[] out, int outOffset) {
        float s = scale(params);
        int z = zero(params);
        for (int i = 0; i < n; i++) out[outOffset + i] = s * (code(codes, codeOffset, n, i) - z);
    }
}
