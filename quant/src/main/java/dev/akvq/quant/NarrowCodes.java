package dev.akvq.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Value sums over rows of packed groups narrower than the float lanes: KIVI's value groups of 32
 * codes at 2 bits are 8 bytes, under AVX-512's 16 lanes (docs/akvq-vl.md, "Baselines"). One vector
 * load then spans {@code lanes / stride} groups; the lanes of a plane are channels of different
 * groups, so the sums are kept in a permuted "narrow order" (byte chunk {@code c}, plane {@code m},
 * lane {@code l} at {@code c·per·lanes + m·lanes + l}) over all tokens and put back in channel order
 * once, by {@link #narrowToChannels}. Codes are in {@link GroupQuantizer}'s planar layout, read with
 * {@link PackedCodes}' unpacking.
 */
public final class NarrowCodes {
    private NarrowCodes() {}

    private static final VectorSpecies<Float> F = QuantKernelMode.FLOAT;

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
     * {@code acc_h[narrow(i)] += a_h[g] · (code_i − zero_g)} for channel {@code i} of group {@code g}
     * and every head {@code h} of {@code a} ({@code a}'s elements are groups, step 1; {@code acc}'s
     * rows hold the narrow-order sums). {@code a} and the row's zeros need {@code lanes} readable
     * floats past each head's (and the row's) first group. Only where {@link #narrowRows}.
     */
    public static void accumulateNarrow(HeadRows a, NarrowRow row, HeadRows acc) {
        requireHeads("accumulateNarrow", a, acc);
        accumulateNarrow(a.data(), a.offset(), a.stride(), a.heads(), row.zeros(), row.zeroOffset(), row.codes(), row.offset(),
                row.rowBytes(), row.n(), row.bits(), acc.data(), acc.offset(), acc.stride());
    }

    /** The scalar twin of {@link #accumulateNarrow(HeadRows, NarrowRow, HeadRows)} (same narrow order, any lane count given). */
    static void accumulateNarrowScalar(int lanes, HeadRows a, NarrowRow row, HeadRows acc) {
        requireHeads("accumulateNarrowScalar", a, acc);
        accumulateNarrowScalar(lanes, a.data(), a.offset(), a.stride(), a.heads(), row.zeros(), row.zeroOffset(), row.codes(),
                row.offset(), row.rowBytes(), row.n(), row.bits(), acc.data(), acc.offset(), acc.stride());
    }

    private static void requireHeads(String kernel, HeadRows a, HeadRows acc) {
        if (a.heads() != acc.heads() || a.step() != 1 || acc.step() != 1) {
            throw new IllegalArgumentException(kernel + ": " + a.heads() + " heads of factors (step " + a.step() + "), " + acc.heads()
                    + " of sums (step " + acc.step() + "); both steps must be 1");
        }
    }

    private static void accumulateNarrow(float[] a, int aOffset, int aStride, int heads, float[] zeros, int zOffset,
                                         byte[] codes, int codeOffset, int rowBytes, int n, int bits,
                                         float[] acc, int accOffset, int accStride) {
        int per = 8 / bits, stride = n / per, mask = (1 << bits) - 1, lanes = F.length(), groupsPerVector = lanes / stride;
        VectorShuffle<Float> spread = SPREAD[stride];
        for (int c = 0; c < rowBytes / lanes; c++) {
            IntVector packed = PackedCodes.bytes(codes, codeOffset + c * lanes);
            FloatVector z = FloatVector.fromArray(F, zeros, zOffset + c * groupsPerVector).rearrange(spread);
            for (int m = 0; m < per; m++) {
                FloatVector code = PackedCodes.plane(packed, bits, m, mask, 0f).sub(z);
                for (int h = 0; h < heads; h++) {
                    FloatVector ah = FloatVector.fromArray(F, a, aOffset + h * aStride + c * groupsPerVector).rearrange(spread);
                    int at = accOffset + h * accStride + (c * per + m) * lanes;
                    code.fma(ah, FloatVector.fromArray(F, acc, at)).intoArray(acc, at);
                }
            }
        }
    }

    private static void accumulateNarrowScalar(int lanes, float[] a, int aOffset, int aStride, int heads, float[] zeros, int zOffset,
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
