package dev.akvq.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The grouped code kernels (several query heads per unpacked code byte): {@link PackedCodes#dotsRun}
 * and {@link PackedCodes#accumulates} give each head exactly the single-head kernel's bits; the
 * narrow-row kernel (groups narrower than the lanes, KIVI's values) equals its scalar twin in the
 * same order and, put back in channel order, a double oracle; {@link PackedCodes#channelWeights}
 * against double. Random bit widths, group sizes (tails included), 1..9 heads.
 */
class PackedCodesGroupTest {

    private static float[] gaussian(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    private static byte[] randomCodes(SplittableRandom r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    @Test
    void groupedDotsAndAccumulatesEqualTheSingleHeadKernelsPerHead() {
        qt().withExamples(400).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int bits = r.nextBoolean() ? 2 : 4, per = 8 / bits, n = per * (1 + r.nextInt(70)), heads = 1 + r.nextInt(9);
            int wo = r.nextInt(3), wStride = n + r.nextInt(4), co = r.nextInt(3), zero = r.nextInt(2 * (1 << bits)) - (1 << bits);
            float[] w = gaussian(r, wo + (heads - 1) * wStride + n);
            byte[] codes = randomCodes(r, co + n / per);
            float[] dots = new float[heads + 1];
            PackedCodes.dotsRun(HeadRows.of(w, wo, wStride, heads), PackedRun.withZero(codes, co, 0, 1, n, bits, zero), new HeadRows(dots, 1, 1, 0, heads));
            float[] a = gaussian(r, heads + 2);
            int accStride = n + r.nextInt(3);
            float[] acc = gaussian(r, 2 + (heads - 1) * accStride + n), expected = acc.clone();
            PackedCodes.accumulates(HeadRows.of(a, 2, 1, heads), PackedRun.withZero(codes, co, 0, 1, n, bits, zero), HeadRows.of(acc, 2, accStride, heads));
            for (int h = 0; h < heads; h++) {
                String what = "seed " + seed + ", " + bits + " bits, n " + n + ", head " + h + " of " + heads;
                float single = PackedCodes.dot(w, wo + h * wStride, codes, co, n, bits, zero);
                assertEquals(Float.floatToIntBits(single), Float.floatToIntBits(dots[1 + h]), what + ": dot");
                PackedCodes.accumulate(a[2 + h], codes, co, n, bits, zero, expected, 2 + h * accStride);
                double ref = 0, mag = 0;
                for (int i = 0; i < n; i++) {
                    int j = i % (n / per), m = i / (n / per);
                    double term = (double) w[wo + h * wStride + i] * (((codes[co + j] >> (bits * m)) & ((1 << bits) - 1)) - zero);
                    ref += term;
                    mag += Math.abs(term);
                }
                assertEquals(ref, dots[1 + h], 1e-6 * Math.max(mag, 1e-6), what + ": dot vs double");
            }
            for (int i = 0; i < acc.length; i++) {
                assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(acc[i]), "seed " + seed + ": accumulate " + i);
            }
        });
    }

    @Test
    void runsOfRowsAgainstDoubleAndTheirScalarTwinWhateverTheHeads() {
        qt().withExamples(300).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int bits = r.nextBoolean() ? 2 : 4, per = 8 / bits, n = per * (1 + r.nextInt(70)), heads = 1 + r.nextInt(9);
            int tokens = 1 + r.nextInt(r.nextBoolean() ? 10 : 600), rowStride = n / per + r.nextInt(3), co = r.nextInt(3);
            int zStride = 1 + r.nextInt(2), aStride = tokens + r.nextInt(3), accStride = n + r.nextInt(3);
            byte[] codes = randomCodes(r, co + tokens * rowStride), zeros = randomCodes(r, 1 + tokens * zStride);
            float[] a = gaussian(r, heads * aStride);
            float[] vector = gaussian(r, heads * accStride), scalar = vector.clone(), start = vector.clone();
            // accumulateRun: the vector form where this width has code vectors (QuantKernelMode.CODE_VECTORS), else the scalar one.
            PackedCodes.accumulateRun(a, 0, aStride, heads, zeros, 1, zStride, codes, co, rowStride, tokens, n, bits, vector, 0, accStride);
            PackedCodes.accumulateRunScalar(a, 0, aStride, heads, zeros, 1, zStride, codes, co, rowStride, tokens, n, bits, scalar, 0, accStride);
            int h = r.nextInt(heads);
            float[] alone = new float[n];
            System.arraycopy(start, h * accStride, alone, 0, n);
            PackedCodes.accumulateRun(a, h * aStride, aStride, 1, zeros, 1, zStride, codes, co, rowStride, tokens, n, bits, alone, 0, n);
            for (int hh = 0; hh < heads; hh++) {
                for (int i = 0; i < n; i++) {
                    int j = i % (n / per), m = i / (n / per);
                    double ref = start[hh * accStride + i], mag = Math.abs(ref);
                    for (int t = 0; t < tokens; t++) {
                        int code = (codes[co + t * rowStride + j] >> (bits * m)) & ((1 << bits) - 1);
                        double term = (double) a[hh * aStride + t] * (code - zeros[1 + t * zStride]);
                        ref += term;
                        mag += Math.abs(term);
                    }
                    double tol = (tokens + 2) * 0x1p-24 * mag;
                    String what = "seed " + seed + ", " + tokens + " tokens, " + bits + " bits, n " + n + ", head " + hh + ", channel " + i;
                    assertEquals(ref, vector[hh * accStride + i], tol, what);
                    assertEquals(ref, scalar[hh * accStride + i], tol, what + " (scalar twin)");
                }
            }
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToIntBits(vector[h * accStride + i]), Float.floatToIntBits(alone[i]), "head " + h + " alone, channel " + i);
            }
        });
    }

    @Test
    void narrowRowsEqualTheirScalarTwinAndDoubleInChannelOrder() {
        int lanes = QuantKernelMode.FLOAT.length();
        qt().withExamples(300).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int bits = r.nextBoolean() ? 2 : 4, per = 8 / bits;
            int stride = 1 << r.nextInt(Integer.numberOfTrailingZeros(Math.max(lanes, 2))), n = stride * per;   // stride < lanes
            int rowBytes = lanes * (1 + r.nextInt(3)), groups = rowBytes / stride, channels = groups * n, heads = 1 + r.nextInt(9);
            int pad = 64, aStride = groups + pad;
            float[] a = gaussian(r, heads * aStride), zeros = new float[groups + pad];
            for (int g = 0; g < groups; g++) zeros[g] = r.nextInt(2 * (1 << bits)) - (1 << bits);
            byte[] codes = randomCodes(r, 1 + rowBytes);
            float[] vector = new float[heads * channels], scalar = new float[heads * channels];
            boolean vectorForm = NarrowCodes.narrowRows(n, bits, rowBytes);
            HeadRows factors = HeadRows.of(a, 0, aStride, heads);
            NarrowRow row = new NarrowRow(codes, 1, rowBytes, n, bits, zeros, 0);
            if (vectorForm) NarrowCodes.accumulateNarrow(factors, row, HeadRows.of(vector, 0, channels, heads));
            NarrowCodes.accumulateNarrowScalar(lanes, factors, row, HeadRows.of(scalar, 0, channels, heads));
            for (int h = 0; h < heads; h++) {
                float[] inOrder = new float[channels + 1];
                NarrowCodes.narrowToChannels(lanes, scalar, h * channels, rowBytes, n, bits, inOrder, 1);
                for (int i = 0; i < channels; i++) {
                    int g = i / n, m = (i % n) / stride, j = i % stride;
                    double ref = (double) a[h * aStride + g] * (((codes[1 + g * stride + j] >> (bits * m)) & ((1 << bits) - 1)) - zeros[g]);
                    assertEquals(ref, inOrder[1 + i], 1e-6 * Math.abs(ref), "seed " + seed + ": channel " + i + " head " + h);
                    if (vectorForm) {
                        assertEquals(scalar[h * channels + i], vector[h * channels + i], 1e-6 * Math.abs(ref) + 1e-30,
                                "vector vs scalar twin, narrow index " + i);
                    }
                }
            }
        });
    }

    @Test
    void narrowOrderIsAPermutation() {
        int lanes = 16, n = 32, bits = 2, rowBytes = 32;
        float[] narrow = new float[128], out = new float[128];
        for (int i = 0; i < narrow.length; i++) narrow[i] = i + 1;
        NarrowCodes.narrowToChannels(lanes, narrow, 0, rowBytes, n, bits, out, 0);
        boolean[] seen = new boolean[129];
        for (float v : out) {
            assertEquals(false, seen[(int) v], "narrow index " + v + " lands twice");
            seen[(int) v] = true;
        }
        // Byte 8 (group 1, column 0), plane 1 is narrow index 16 + 8 = 24 and channel 32 + 8 = 40.
        assertEquals(25f, out[40]);
        assertThrows(AssertionError.class, () -> assertEquals(24f, out[40]));
    }

    @Test
    void channelWeightsAgainstDouble() {
        qt().withExamples(200).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int n = 1 + r.nextInt(150), qo = r.nextInt(3), wo = r.nextInt(3);
            float[] q = gaussian(r, qo + n), s = gaussian(r, n), z = new float[n];
            for (int i = 0; i < n; i++) z[i] = r.nextInt(9) - 4;
            float[] wv = new float[wo + n], ws = new float[wo + n];
            float zv = PackedCodes.channelWeightsVector(q, qo, s, z, n, wv, wo);
            float zs = PackedCodes.channelWeightsScalar(q, qo, s, z, n, ws, wo);
            double ref = 0, mag = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToIntBits(q[qo + i] * s[i]), Float.floatToIntBits(wv[wo + i]), "w " + i);
                assertEquals(Float.floatToIntBits(q[qo + i] * s[i]), Float.floatToIntBits(ws[wo + i]), "scalar w " + i);
                ref += (double) wv[wo + i] * z[i];
                mag += Math.abs((double) wv[wo + i] * z[i]);
            }
            assertEquals(ref, zv, (n + 2) * 0x1p-24 * mag + 1e-30, "zero term");
            assertEquals(ref, zs, (n + 2) * 0x1p-24 * mag + 1e-30, "scalar zero term");
        });
    }
}
