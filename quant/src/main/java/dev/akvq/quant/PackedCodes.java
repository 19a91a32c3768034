package dev.akvq.quant;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
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
        for (int m = 0; m < per; m++) {
            for (int j = vectorEnd; j < stride; j++) {
                sum += w[wOffset + m * stride + j] * (((codes[codeOffset + j] >> (bits * m)) & mask) - zero);
            }
        }
        return sum;
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
        int per = 8 / bits, stride = n / per, mask = (1 << bits) - 1, lanes = F.length();
        int vectorEnd = stride - stride % lanes;
        float z = zero;
        for (int j = 0; j < vectorEnd; j += lanes) {
            ByteVector packed = ByteVector.fromArray(B, codes, codeOffset + j);
            for (int m = 0; m < per; m++) {
                int at = accOffset + m * stride + j;
                plane(packed, bits, m, mask, z).fma(FloatVector.broadcast(F, a), FloatVector.fromArray(F, acc, at)).intoArray(acc, at);
            }
        }
        for (int m = 0; m < per; m++) {
            for (int j = vectorEnd; j < stride; j++) {
                acc[accOffset + m * stride + j] += a * (((codes[codeOffset + j] >> (bits * m)) & mask) - zero);
            }
        }
    }
}
