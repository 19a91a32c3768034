package dev.akvq.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** rotate_half RoPE against a double oracle, and the float32 tables of LlamaRotaryEmbedding. */
class RotaryTest {

    static final int[] HEAD_DIMS = {2, 4, 14, 16, 30, 32, 34, 64, 66, 96, 128, 130};

    @Test
    void rotationMatchesTheOracle() {
        qt().withExamples(Inputs.examples(300)).forAll(integers().between(0, HEAD_DIMS.length - 1), integers().between(1, 3),
                integers().between(0, Inputs.SCALES.length - 1), longs().all()).checkAssert((dimIndex, heads, scale, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            int d = HEAD_DIMS[dimIndex], half = d / 2, offset = random.nextInt(3), tableOffset = d * random.nextInt(3);
            float[] inv = RotaryTables.defaultInverseFrequencies(d, 10000.0);
            float[][] tables = RotaryTables.cosSinRows(inv, 3, 1f);
            float[] cos = tables[0], sin = tables[1];
            float[] x = Inputs.withCorners(random, offset + heads * d, Inputs.SCALES[scale], random.nextInt(4) == 0);
            float[] vector = x.clone(), scalar = x.clone();
            for (int h = 0; h < heads; h++) {
                RotaryEmbedding.vector(vector, offset + h * d, d, cos, sin, tableOffset);
                RotaryEmbedding.scalar(scalar, offset + h * d, d, cos, sin, tableOffset);
            }
            Closeness.sameArrays("vector equals scalar", vector, scalar);
            for (int h = 0; h < heads; h++) {
                int base = offset + h * d;
                for (int i = 0; i < half; i++) {
                    double x1 = x[base + i], x2 = x[base + half + i];
                    double c1 = cos[tableOffset + i], s1 = sin[tableOffset + i];
                    double c2 = cos[tableOffset + half + i], s2 = sin[tableOffset + half + i];
                    double first = x1 * c1 - x2 * s1, second = x2 * c2 + x1 * s2;
                    // Two rounded products and a rounded sum: 2·2^-24 of the terms' magnitude.
                    double tol1 = 2 * Closeness.U * (Math.abs(x1 * c1) + Math.abs(x2 * s1)) + Float.MIN_VALUE;
                    double tol2 = 2 * Closeness.U * (Math.abs(x2 * c2) + Math.abs(x1 * s2)) + Float.MIN_VALUE;
                    Closeness.check("d=" + d + " first half " + i, vector[base + i], first, Double.isFinite(tol1) ? tol1 : 0);
                    Closeness.check("d=" + d + " second half " + i, vector[base + half + i], second, Double.isFinite(tol2) ? tol2 : 0);
                }
            }
            for (int i = 0; i < offset; i++) Closeness.same("before the head", vector[i], x[i]);
        });
    }

    @Test
    void positionZeroIsTheIdentity() {
        float[] inv = RotaryTables.defaultInverseFrequencies(64, 500000.0);
        float[] cos = new float[64], sin = new float[64];
        RotaryTables.cosSin(inv, 0, 1f, cos, sin, 0);
        float[] x = Inputs.uniform(new SplittableRandom(1), 64, 3), y = x.clone();
        RotaryEmbedding.rotateHalf(y, 0, 1, 64, cos, sin, 0);
        Closeness.sameArrays("position 0", y, x);
    }

    @Test
    void inverseFrequenciesFollowTheFloat32Recipe() {
        for (int dim : new int[] {64, 80, 128}) {
            for (double base : new double[] {10000.0, 500000.0, 1000000.0}) {
                float[] inv = RotaryTables.defaultInverseFrequencies(dim, base);
                assertEquals(dim / 2, inv.length);
                assertEquals(1f, inv[0]);
                for (int j = 0; j < inv.length; j++) {
                    // The float32 exponent 2j/dim is off by up to 2^-24 relative, which the power
                    // magnifies by ln(base)·(2j/dim); then two roundings.
                    double exponent = 2.0 * j / dim;
                    double exact = Math.pow(base, -exponent);
                    double tol = (Math.log(base) * exponent + 2) * Closeness.U * exact;
                    Closeness.check("inv_freq[" + j + "] dim " + dim + " base " + base, inv[j], exact, tol);
                    if (j > 0) assertTrue(inv[j] < inv[j - 1], "frequencies decrease");
                }
            }
        }
    }

    @Test
    void tablesRepeatEachFrequencyAndScale() {
        float[] inv = RotaryTables.defaultInverseFrequencies(128, 10000.0);
        float[] cos = new float[128], sin = new float[128];
        int position = 4097;
        RotaryTables.cosSin(inv, position, 0.75f, cos, sin, 0);
        for (int j = 0; j < 64; j++) {
            float angle = (float) position * inv[j]; // one float32 product, as the HF matmul of [dim/2,1]x[1,seq]
            Closeness.same("cos[" + j + "]", cos[j], (float) Math.cos(angle) * 0.75f);
            Closeness.same("sin[" + j + "]", sin[j], (float) Math.sin(angle) * 0.75f);
            Closeness.same("cos repeated", cos[j + 64], cos[j]);
            Closeness.same("sin repeated", sin[j + 64], sin[j]);
            double ref = Math.cos(angle) * 0.75;
            Closeness.check("cos near the double value", cos[j], ref, 2 * Closeness.ulps(ref, 1));
        }
    }

    @Test
    void rejectsOddHeadDimensions() {
        assertThrows(IllegalArgumentException.class, () -> RotaryEmbedding.rotateHalf(new float[3], 0, 1, 3, new float[3], new float[3], 0));
        assertThrows(IllegalArgumentException.class, () -> RotaryTables.defaultInverseFrequencies(7, 10000));
    }
}
