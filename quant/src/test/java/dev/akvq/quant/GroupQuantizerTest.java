package dev.akvq.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The quantizer three ways (round trip within s/2, fast encoder equal to the reference, quantized
 * dot product against a double one), the spec's test vectors, packing, and constant groups.
 */
class GroupQuantizerTest {
    private static final float[] SPEC = {0.9f, -0.3f, 0.1f, -1.2f, 2.0f, 0.4f, -0.7f, 0.0f};

    @Test
    void specTestVectorTwoBitsClip08() {
        GroupQuantizer q = new GroupQuantizer(2, 0.8f);
        byte[] codes = new byte[2];
        int params = q.encodeReference(SPEC, 0, 8, codes, 0);
        assertEquals(0.853333, GroupQuantizer.scale(params), 5e-4, "scale (FP16, rounded up)");
        assertEquals(1, GroupQuantizer.zero(params));
        assertArrayEquals(new int[] {2, 1, 1, 0, 3, 1, 0, 1}, codes(q, codes, 8));
    }

    @Test
    void specTestVectorFourBitsClip10() {
        GroupQuantizer q = new GroupQuantizer(4, 1.0f);
        byte[] codes = new byte[4];
        int params = q.encodeReference(SPEC, 0, 8, codes, 0);
        assertEquals(0.213333, GroupQuantizer.scale(params), 2e-4);
        assertEquals(6, GroupQuantizer.zero(params));
        assertArrayEquals(new int[] {10, 5, 6, 0, 15, 8, 3, 6}, codes(q, codes, 8));
    }

    @Test
    void roundsHalfToEven() {
        // s = 1 exactly (range [0, 3] at clip 1), so x / s = 0.5, 1.5, 2.5 round to 0, 2, 2.
        GroupQuantizer q = new GroupQuantizer(2, 1f);
        byte[] codes = new byte[1];
        int params = q.encodeReference(new float[] {0f, 0.5f, 1.5f, 3f}, 0, 4, codes, 0);
        assertEquals(1f, GroupQuantizer.scale(params));
        assertArrayEquals(new int[] {0, 0, 2, 3}, codes(q, codes, 4));
        params = q.encodeReference(new float[] {0f, 2.5f, 1f, 3f}, 0, 4, codes, 0);
        assertArrayEquals(new int[] {0, 2, 1, 3}, codes(q, codes, 4));
    }

    @Test
    void fastEncoderEqualsReferenceAndRoundTripIsWithinHalfAStep() {
        qt().withExamples(600).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            GroupQuantizer q = new GroupQuantizer(r.nextBoolean() ? 2 : 4, r.nextBoolean() ? 1f : (float) (0.3 + 0.7 * r.nextDouble()));
            int n = q.codesPerByte() * (1 + r.nextInt(80));
            float[] x = group(r, n);
            byte[] fast = new byte[q.packedBytes(n) + 2], ref = new byte[q.packedBytes(n) + 2];
            // encode: the vector form where this width has code vectors (QuantKernelMode.CODE_VECTORS), else the scalar one.
            int pf = q.encode(x, 1, n, fast, 1), pr = q.encodeReference(x, 1, n, ref, 1);
            assertEquals(pr, pf, "parameters");
            assertArrayEquals(ref, fast, "codes");
            float s = GroupQuantizer.scale(pr);
            assertTrue(Float.isFinite(s) && s > 0, "scale " + s);
            float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
            for (int i = 1; i <= n; i++) {
                min = Math.min(min, x[i]);
                max = Math.max(max, x[i]);
            }
            double a = q.clip() * min, c = q.clip() * max;
            float[] back = new float[n];
            q.decode(ref, 1, n, pr, back, 0);
            for (int i = 0; i < n; i++) {
                int code = q.code(ref, 1, n, i);
                assertTrue(code >= 0 && code <= q.levels(), "code " + code);
                if (x[1 + i] >= a && x[1 + i] <= c && s < 65504f) {     // 65504: saturated scale, documented
                    assertTrue(Math.abs(x[1 + i] - back[i]) <= s / 2 * (1 + 1e-5) + 1e-6 * Math.abs(x[1 + i]),
                            "value " + x[1 + i] + " decodes to " + back[i] + " with scale " + s);
                }
            }
        });
    }

    @Test
    void packingRoundTripsEveryCode() {
        qt().withExamples(200).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            GroupQuantizer q = new GroupQuantizer(r.nextBoolean() ? 2 : 4, 1f);
            int n = q.codesPerByte() * (1 + r.nextInt(40));
            // Values that are exactly codes: with min 0 and max = levels, s = 1 and z = 0.
            float[] x = new float[n];
            int[] expected = new int[n];
            for (int i = 0; i < n; i++) x[i] = expected[i] = r.nextInt(q.levels() + 1);
            x[0] = expected[0] = 0;
            x[n - 1] = expected[n - 1] = q.levels();
            byte[] codes = new byte[q.packedBytes(n)];
            q.encode(x, 0, n, codes, 0);
            assertArrayEquals(expected, codes(q, codes, n));
        });
    }

    @Test
    void constantAndZeroGroupsGetAFiniteScale() {
        for (int bits : new int[] {2, 4}) {
            for (float clip : new float[] {1f, 0.8f}) {
                GroupQuantizer q = new GroupQuantizer(bits, clip);
                for (float v : new float[] {0f, -0f, 5f, -3.25f, 1e-30f, 60000f, Float.MIN_VALUE, -Float.MAX_VALUE / 4}) {
                    float[] x = new float[16];
                    java.util.Arrays.fill(x, v);
                    byte[] codes = new byte[q.packedBytes(16)];
                    int params = q.encode(x, 0, 16, codes, 0);
                    float s = GroupQuantizer.scale(params);
                    assertTrue(Float.isFinite(s) && s > 0, "bits " + bits + " value " + v + ": scale " + s);
                    float[] back = new float[16];
                    q.decode(codes, 0, 16, params, back, 0);
                    for (float b : back) assertTrue(Float.isFinite(b), "decoded " + b);
                    if (clip == 1f && Math.abs(v) < 60000 && Math.abs(v) > 1e-3) {
                        assertEquals(v, back[0], Math.abs(v) * 2e-3, "a constant group decodes to itself");
                    }
                }
            }
        }
    }

    @Test
    void groupsFarFromZeroKeepTheirRange() {
        GroupQuantizer q = new GroupQuantizer(2, 1f);
        float[] x = {100f, 100.5f, 101f, 100.2f};     // z would be -200: s widens to 100/127
        byte[] codes = new byte[1];
        int params = q.encode(x, 0, 4, codes, 0);
        assertEquals(-127, GroupQuantizer.zero(params));
        float[] back = new float[4];
        q.decode(codes, 0, 4, params, back, 0);
        for (int i = 0; i < 4; i++) assertEquals(x[i], back[i], GroupQuantizer.scale(params) / 2 + 1e-4);
    }

    @Test
    void nonFiniteValuesAndBadSettingsAreErrors() {
        GroupQuantizer q = new GroupQuantizer(2, 1f);
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> q.encode(new float[] {0, bad, 1, 2}, 0, 4, new byte[1], 0));
            assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> q.packedBytes(6));
        assertThrows(IllegalArgumentException.class, () -> new GroupQuantizer(3, 1f));
        assertThrows(IllegalArgumentException.class, () -> new GroupQuantizer(2, 0f));
        assertThrows(IllegalArgumentException.class, () -> new GroupQuantizer(2, 1.5f));
    }

    @Test
    void quantizedDotAndAccumulateAgainstDoubleOverTheDecodedGroup() {
        qt().withExamples(400).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            GroupQuantizer q = new GroupQuantizer(r.nextBoolean() ? 2 : 4, 0.8f);
            int n = q.codesPerByte() * (1 + r.nextInt(70));
            float[] x = group(r, n), w = group(r, n + 3);
            byte[] codes = new byte[q.packedBytes(n) + 1];
            int params = q.encode(x, 0, n, codes, 1);
            float s = GroupQuantizer.scale(params);
            int z = GroupQuantizer.zero(params);
            double ref = 0, mag = 0;
            for (int i = 0; i < n; i++) {
                int c = q.code(codes, 1, n, i);
                ref += (double) w[3 + i] * s * (c - z);
                mag += Math.abs((double) w[3 + i] * s * (c - z));
            }
            for (float dot : new float[] {PackedCodes.dot(w, 3, codes, 1, n, q.bits(), z),      // the vector form where the width has one
                    PackedCodes.dotScalar(w, 3, codes, 1, n, q.bits(), z)}) {
                assertEquals(ref, s * dot, 1e-5 * Math.max(mag, 1e-6), "quantized dot product");
            }
            float a = (float) r.nextGaussian();
            float[] accV = new float[n + 2], accS = new float[n + 2];
            accV[2] = accS[2] = 1f;
            PackedCodes.accumulate(a, codes, 1, n, q.bits(), z, accV, 2);
            PackedCodes.accumulateScalar(a, codes, 1, n, q.bits(), z, accS, 2);
            for (int i = 0; i < n; i++) {
                double expected = (i == 0 ? 1 : 0) + (double) a * (q.code(codes, 1, n, i) - z);
                assertEquals(expected, accV[2 + i], 1e-6 * (Math.abs(expected) + 1), "vector accumulate " + i);
                assertEquals(expected, accS[2 + i], 1e-6 * (Math.abs(expected) + 1), "scalar accumulate " + i);
            }
        });
    }

    private static float[] group(SplittableRandom r, int n) {
        float[] x = new float[n + 1];
        double offset = r.nextInt(5) == 0 ? 20 * r.nextGaussian() : 0, spread = Math.exp(3 * r.nextGaussian());
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (offset + spread * r.nextGaussian());
            if (r.nextInt(30) == 0) x[i] *= 10;
            if (r.nextInt(50) == 0) x[i] = r.nextBoolean() ? 0f : -0f;
        }
        if (r.nextInt(10) == 0) java.util.Arrays.fill(x, x[0]);
        return x;
    }

    private static int[] codes(GroupQuantizer q, byte[] codes, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = q.code(codes, 0, n, i);
        return out;
    }
}
