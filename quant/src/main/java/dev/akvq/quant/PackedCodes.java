package dev.akvq.quant;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two kernels quantized attention is made of, reading a group of packed codes (the planar
 * layout of {@link GroupQuantizer}) without dequantising it:
 * <ul>
 *   <li>{@link #dot}: {@code Σᵢ wᵢ · (qᵢ − z)}, a logit over one group before its scale;</li>
 *   <li>{@link #accumulate}: {@code accᵢ += a · (qᵢ − z)}, one token's share of the weighted sum of
 *       values ({@code a = p · s}).</li>
 * </ul>
 * The zero point is subtracted from each code before it is multiplied (exactly: both are small
 * integers), rather than as {@code z Σ wᵢ} afterwards, which would cancel two large sums in float.
 * The vector forms widen one byte per float lane and extract each plane with a shift and a mask;
 * tails and groups narrower than the lanes run the scalar twins.
 */
public final class PackedCodes {
    private PackedCodes() {}

    private static final VectorSpecies<Float> F = QuantKernelMode.FLOAT;
    private static final VectorSpecies<Byte> B = QuantKernelMode.BYTE_FOR_FLOAT;

    /** {@code Σ_{i<n} w[wOffset + i] · (code_i − zero)} over a packed group of {@code n} codes of {@code bits}. */
    public static float dot(float[] w, int wOffset, byte[] codes, int codeOffset, int n, int bits, int zero) {
        return QuantKernelMode.CODE_VECTORS ? dotVector(w, wOffset, codes, codeOffset, n, bits, zero)
                : dotScalar(w, wOffset, codes, codeOffset, n, bits, zero);
    }

    /** {@code acc[accOffset + i] += a · (code_i − zero)} for a packed group of {@code n} codes of {@code bits}. */
    public static void accumulate(float a, byte[] codes, int codeOffset, int n, int bits, int zero, float[] acc, int accOffset) {
        if (QuantKernelMode.CODE_VECTORS) accumulateVector(a, codes, codeOffset, n, bits, zero, acc, accOffset);
        else accumulateScalar(a, codes, codeOffset, n, bits, zero, acc, accOffset);
    }

    static float dotScalar(float[] w, int wOffset, byte[] codes, int codeOffset, int n, int bits, int zero) {
        int per = 8 / bits, stride = n / per, mask = (1 << bits) - 1;
        float sum = 0;
        for (int m = 0; m < per; m++) {
            for (int j = 0; j < stride; j++) {
                sum += w[wOffset + m * stride + j] * (((codes[codeOffset + j] >> (bits * m)) & mask) - zero);
            }
        }
        return sum;
    }

    static float dotVector(float[] w, int wOffset, byte[] codes, int codeOffset, int n, int bits, int zero) {
        int per = 8 / bits, stride = n / per, mask = (1 << bits) - 1, lanes = F.length();
        int vectorEnd = stride - stride % lanes;
        float sum = 0, z = zero;
        if (vectorEnd > 0) {
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < vectorEnd; j += lanes) {
                ByteVector packed = ByteVector.fromArray(B, codes, codeOffset + j);
                for (int m = 0; m < per; m++) {
                    acc = plane(packed, bits, m, mask, z).fma(FloatVector.fromArray(F, w, wOffset + m * stride + j), acc);
                }
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        return dotTail(w, wOffset, codes, codeOffset, n, bits, zero, vectorEnd, sum);
    }

    /** Adds the products of byte columns {@code [from, stride)} of every plane to {@code sum}: the vector form's tail. */
    private static float dotTail(float[] w, int wOffset, byte[] codes, int codeOffset, int n, int bits, int zero, int from, float sum) {
        int per = 8 / bits, stride = n / per, mask = (1 << bits) - 1;
        for (int m = 0; m < per; m++) {
            for (int j = from; j < stride; j++) {
                sum += w[wOffset + m * stride + j] * (((codes[codeOffset + j] >> (bits * m)) & mask) - zero);
            }
        }
        return sum;
    }

    /**
     * {@code out[outOffset + h] = Σ_{i<n} w[wOffset + h·wStride + i] · (code_i − zero)} for {@code h < heads}:
     * the logits of several query heads against one packed group, each code byte loaded and
     * unpacked once per block of four heads. Each head gets exactly {@link #dot}'s result.
     */
    public static void dots(float[] w, int wOffset, int wStride, int heads, byte[] codes, int codeOffset, int n, int bits, int zero,
                            float[] out, int outOffset) {
        if (QuantKernelMode.CODE_VECTORS) {
            dotsVector(w, wOffset, wStride, heads, codes, codeOffset, n, bits, zero, out, outOffset);
        } else {
            for (int h = 0; h < heads; h++) out[outOffset + h] = dotScalar(w, wOffset + h * wStride, codes, codeOffset, n, bits, zero);
        }
    }

    static void dotsVector(float[] w, int wOffset, int wStride, int heads, byte[] codes, int codeOffset, int n, int bits, int zero,
                           float[] out, int outOffset) {
        int per = 8 / bits, stride = n / per, mask = (1 << bits) - 1, lanes = F.length();
        int vectorEnd = stride - stride % lanes;
        float z = zero;
        int h = 0;
        for (; h + 4 <= heads && vectorEnd > 0; h += 4) {
            int w0 = wOffset + h * wStride, w1 = w0 + wStride, w2 = w1 + wStride, w3 = w2 + wStride;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < vectorEnd; j += lanes) {
                ByteVector packed = ByteVector.fromArray(B, codes, codeOffset + j);
                for (int m = 0; m < per; m++) {
                    FloatVector c = plane(packed, bits, m, mask, z);
                    int at = m * stride + j;
                    a0 = c.fma(FloatVector.fromArray(F, w, w0 + at), a0);
                    a1 = c.fma(FloatVector.fromArray(F, w, w1 + at), a1);
                    a2 = c.fma(FloatVector.fromArray(F, w, w2 + at), a2);
                    a3 = c.fma(FloatVector.fromArray(F, w, w3 + at), a3);
                }
            }
            out[outOffset + h] = dotTail(w, w0, codes, codeOffset, n, bits, zero, vectorEnd, a0.reduceLanes(VectorOperators.ADD));
            out[outOffset + h + 1] = dotTail(w, w1, codes, codeOffset, n, bits, zero, vectorEnd, a1.reduceLanes(VectorOperators.ADD));
            out[outOffset + h + 2] = dotTail(w, w2, codes, codeOffset, n, bits, zero, vectorEnd, a2.reduceLanes(VectorOperators.ADD));
            out[outOffset + h + 3] = dotTail(w, w3, codes, codeOffset, n, bits, zero, vectorEnd, a3.reduceLanes(VectorOperators.ADD));
        }
        for (; h < heads; h++) out[outOffset + h] = dotVector(w, wOffset + h * wStride, codes, codeOffset, n, bits, zero);
    }

    /** Plane {@code m} of a vector of packed bytes, widened to floats, minus the zero point: {@code (byte >> bits·m & mask) − z}. */
    private static FloatVector plane(ByteVector packed, int bits, int m, int mask, float z) {
        return ((FloatVector) packed.lanewise(VectorOperators.LSHR, bits * m).and((byte) mask)
                .convertShape(VectorOperators.B2F, F, 0)).sub(z);
    }

    static void accumulateScalar(float a, byte[] codes, int codeOffset, int n, int bits, int zero, float[] acc, int accOffset) {
        int per = 8 / bits, stride = n / per, mask = (1 << bits) - 1;
        for (int m = 0; m < per; m++) {
            for (int j = 0; j < stride; j++) {
                acc[accOffset + m * stride + j] += a * (((codes[codeOffset + j] >> (bits * m)) & mask) - zero);
            }
        }
    }

    static void accumulateVector(float a, byte[] codes, int codeOffset, int n, int bits, int zero, float[] acc, int accOffset) {
        accumulatesVector(new float[] {a}, 0, 1, codes, codeOffset, n, bits, zero, acc, accOffset, 0);
    }

    /**
     * {@code acc[accOffset + h·accStride + i] += a[aOffset + h] · (code_i − zero)} for {@code h < heads}:
     * one token's value group into several heads' sums, each code byte unpacked once for all heads.
     * Each head gets exactly {@link #accumulate}'s result.
     */
    public static void accumulates(float[] a, int aOffset, int heads, byte[] codes, int codeOffset, int n, int bits, int zero,
                                   float[] acc, int accOffset, int accStride) {
        if (QuantKernelMode.CODE_VECTORS) {
            accumulatesVector(a, aOffset, heads, codes, codeOffset, n, bits, zero, acc, accOffset, accStride);
        } else {
            for (int h = 0; h < heads; h++) accumulateScalar(a[aOffset + h], codes, codeOffset, n, bits, zero, acc, accOffset + h * accStride);
        }
    }

    static void accumulatesVector(float[] a, int aOffset, int heads, byte[] codes, int codeOffset, int n, int bits, int zero,
                                  float[] acc, int accOffset, int accStride) {
        int per = 8 / bits, stride = n / per, mask = (1 << bits) - 1, lanes = F.length();
        int vectorEnd = stride - stride % lanes;
        float z = zero;
        for (int j = 0; j < vectorEnd; j += lanes) {
            ByteVector packed = ByteVector.fromArray(B, codes, codeOffset + j);
            for (int m = 0; m < per; m++) {
                FloatVector c = plane(packed, bits, m, mask, z);
                for (int h = 0; h < heads; h++) {
                    int at = accOffset + h * accStride + m * stride + j;
                    c.fma(FloatVector.broadcast(F, a[aOffset + h]), FloatVector.fromArray(F, acc, at)).intoArray(acc, at);
                }
            }
        }
        for (int h = 0; h < heads; h++) {
            float ah = a[aOffset + h];
            for (int m = 0; m < per; m++) {
                for (int j = vectorEnd; j < stride; j++) {
                    acc[accOffset + h * accStride + m * stride + j] += ah * (((codes[codeOffset + j] >> (bits * m)) & mask) - zero);
                }
            }
        }
    }

    /**
     * Per-channel parameters applied to a query (KIVI's keys, one scale and zero per channel and
     * block of tokens): {@code w[wOffset + i] = q[qOffset + i] · scales[i]} for {@code i < n}, and
     * returns {@code Σ_i w_i · zeros[i]}, the zero point's share of every logit in the block.
     */
    public static float channelWeights(float[] q, int qOffset, float[] scales, float[] zeros, int n, float[] w, int wOffset) {
        return QuantKernelMode.VECTOR ? channelWeightsVector(q, qOffset, scales, zeros, n, w, wOffset)
                : channelWeightsScalar(q, qOffset, scales, zeros, n, w, wOffset);
    }

    static float channelWeightsScalar(float[] q, int qOffset, float[] scales, float[] zeros, int n, float[] w, int wOffset) {
        return channelWeightsTail(q, qOffset, scales, zeros, 0, n, w, wOffset, 0f);
    }

    static float channelWeightsVector(float[] q, int qOffset, float[] scales, float[] zeros, int n, float[] w, int wOffset) {
        int upper = F.loopBound(n);
        float zeroTerm = 0;
        if (upper > 0) {
            FloatVector acc = FloatVector.zero(F);
            for (int i = 0; i < upper; i += F.length()) {
                FloatVector wi = FloatVector.fromArray(F, q, qOffset + i).mul(FloatVector.fromArray(F, scales, i));
                wi.intoArray(w, wOffset + i);
                acc = wi.fma(FloatVector.fromArray(F, zeros, i), acc);
            }
            zeroTerm = acc.reduceLanes(VectorOperators.ADD);
        }
        return channelWeightsTail(q, qOffset, scales, zeros, upper, n, w, wOffset, zeroTerm);
    }

    private static float channelWeightsTail(float[] q, int qOffset, float[] scales, float[] zeros, int from, int n, float[] w, int wOffset,
                                            float zeroTerm) {
        for (int i = from; i < n; i++) {
            w[wOffset + i] = q[qOffset + i] * scales[i];
            zeroTerm += w[wOffset + i] * zeros[i];
        }
        return zeroTerm;
    }

    // Rows of groups narrower than the float lanes (KIVI's value groups of 32 at 2 bits: 8 bytes,
    // under AVX-512's 16 lanes). One vector load then spans lanes/stride groups; the lanes of a
    // plane are channels of different groups, so the sums are kept in a permuted order ("narrow
    // order": byte chunk c, plane m, lane l at c·per·lanes + m·lanes + l) over all tokens and put
    // back in channel order once, by narrowToChannels.

    /** Spreads lanes[g] of group g to every byte lane of that group: lane l reads lane l / stride. */
    private static final VectorShuffle<Float>[] SPREAD = spreads();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] spreads() {
        VectorShuffle<Float>[] s = new VectorShuffle[F.length() + 1];
        for (int stride = 1; stride <= F.length(); stride *= 2) {
            int st = stride;
            s[stride] = VectorShuffle.fromOp(F, l -> l / st);
        }
        return s;
    }

    /**
     * Whether a row of {@code rowBytes} bytes of groups of {@code n} codes of {@code bits} goes through
     * the narrow-order kernel: vectors on, groups of fewer bytes than lanes, whole vectors per row.
     */
    public static boolean narrowRows(int n, int bits, int rowBytes) {
        int stride = n * bits / 8, lanes = F.length();
        return QuantKernelMode.CODE_VECTORS && stride < lanes && lanes % stride == 0 && rowBytes % lanes == 0;
    }

    /**
     * One token's row of packed groups into several heads' sums, in narrow order:
     * {@code acc[accOffset + h·accStride + narrow(i)] += a[aOffset + h·aStride + g] · (code_i − zeros[zOffset + g])}
     * for channel {@code i} of group {@code g}. {@code a} and {@code zeros} need {@code lanes} readable
     * floats past each head's (and the row's) first group. Only where {@link #narrowRows}.
     */
    public static void accumulateNarrow(float[] a, int aOffset, int aStride, int heads, float[] zeros, int zOffset,
                                        byte[] codes, int codeOffset, int rowBytes, int n, int bits,
                                        float[] acc, int accOffset, int accStride) {
        int per = 8 / bits, stride = n / per, mask = (1 << bits) - 1, lanes = F.length(), groupsPerVector = lanes / stride;
        VectorShuffle<Float> spread = SPREAD[stride];
        for (int c = 0; c < rowBytes / lanes; c++) {
            ByteVector packed = ByteVector.fromArray(B, codes, codeOffset + c * lanes);
            FloatVector z = FloatVector.fromArray(F, zeros, zOffset + c * groupsPerVector).rearrange(spread);
            for (int m = 0; m < per; m++) {
                FloatVector code = plane(packed, bits, m, mask, 0f).sub(z);
                for (int h = 0; h < heads; h++) {
                    FloatVector ah = FloatVector.fromArray(F, a, aOffset + h * aStride + c * groupsPerVector).rearrange(spread);
                    int at = accOffset + h * accStride + (c * per + m) * lanes;
                    code.fma(ah, FloatVector.fromArray(F, acc, at)).intoArray(acc, at);
                }
            }
        }
    }

    /** The scalar twin of {@link #accumulateNarrow} (same narrow order, any lane count given). */
    static void accumulateNarrowScalar(int lanes, float[] a, int aOffset, int aStride, int heads, float[] zeros, int zOffset,
                                       byte[] codes, int codeOffset, int rowBytes, int n, int bits,
                                       float[] acc, int accOffset, int accStride) {
        int per = 8 / bits, stride = n / per, mask = (1 << bits) - 1;
        for (int b = 0; b < rowBytes; b++) {
            int g = b / stride;
            for (int m = 0; m < per; m++) {
                float code = ((codes[codeOffset + b] >> (bits * m)) & mask) - zeros[zOffset + g];
                for (int h = 0; h < heads; h++) {
                    acc[accOffset + h * accStride + narrowIndex(b, m, per, lanes)] += a[aOffset + h * aStride + g] * code;
                }
            }
        }
    }

    /** Narrow-order index of byte {@code b}'s plane {@code m}. */
    private static int narrowIndex(int b, int m, int per, int lanes) {
        return (b / lanes * per + m) * lanes + b % lanes;
    }

    /** {@code out[outOffset + channel] = narrow[narrowOffset + narrow(channel)]} for a row of {@code rowBytes} bytes. */
    public static void narrowToChannels(float[] narrow, int narrowOffset, int rowBytes, int n, int bits, float[] out, int outOffset) {
        narrowToChannels(F.length(), narrow, narrowOffset, rowBytes, n, bits, out, outOffset);
    }

    static void narrowToChannels(int lanes, float[] narrow, int narrowOffset, int rowBytes, int n, int bits, float[] out, int outOffset) {
        int per = 8 / bits, stride = n / per;
        for (int b = 0; b < rowBytes; b++) {
            int g = b / stride, j = b % stride;
            for (int m = 0; m < per; m++) out[outOffset + g * n + m * stride + j] = narrow[narrowOffset + narrowIndex(b, m, per, lanes)];
        }
    }
}
