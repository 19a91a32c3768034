package dev.akvq.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The normalised Walsh-Hadamard transform: the spec's vector, the explicit matrix, its properties, both forms. */
class HadamardTest {

    @Test
    void specTestVector() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8};
        Hadamard.transform(x, 0, 8);
        assertArrayEquals(new float[] {12.7279f, -1.4142f, -2.8284f, 0, -5.6569f, 0, 0, 0}, x, 1e-4f);
    }

    @Test
    void equalsTheExplicitMatrixProductForEveryPowerOfTwoUpTo256() {
        SplittableRandom r = new SplittableRandom(1);
        for (int n = 1; n <= 256; n *= 2) {
            double[][] h = Hadamard.matrix(n);
            for (int trial = 0; trial < 3; trial++) {
                float[] x = random(r, n, 2);
                float[] vector = x.clone(), scalar = x.clone();
                Hadamard.transformVector(vector, 1, n);
                Hadamard.transformScalar(scalar, 1, n);
                double max = 0;
                for (int j = 0; j < n; j++) {
                    double ref = 0;
                    for (int i = 0; i < n; i++) ref += x[1 + i] * h[i][j];
                    max = Math.max(max, Math.abs(ref - scalar[1 + j]));
                }
                assertTrue(max < 1e-5 * Math.sqrt(n), "n " + n + ": largest difference " + max);
                assertArrayEquals(scalar, vector, "n " + n + ": vector form differs from the scalar twin");
                assertEquals(x[0], scalar[0], "element before the block untouched");
            }
        }
    }

    @Test
    void matrixIsSymmetricOrthogonalAndSelfInverse() {
        for (int n = 1; n <= 64; n *= 2) {
            double[][] h = Hadamard.matrix(n);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double hh = 0;
                    for (int k = 0; k < n; k++) hh += h[i][k] * h[k][j];
                    assertEquals(i == j ? 1 : 0, hh, 1e-12);
                    assertEquals(h[i][j], h[j][i]);
                }
            }
        }
    }

    @Test
    void selfInverseAndNormPreserving() {
        qt().withExamples(300).forAll(integers().between(0, 9), longs().all()).checkAssert((log, seed) -> {
            int n = 1 << log;
            float[] x = random(new SplittableRandom(seed), n, 0);
            float[] y = x.clone();
            Hadamard.transform(y, 0, n);
            double before = 0, after = 0;
            for (int i = 0; i < n; i++) {
                before += (double) x[i] * x[i];
                after += (double) y[i] * y[i];
            }
            assertEquals(before, after, 1e-5 * before + 1e-30, "norm");
            Hadamard.transform(y, 0, n);
            for (int i = 0; i < n; i++) assertEquals(x[i], y[i], 1e-5 * Math.sqrt(before) + 1e-30, "H H x at " + i);
        });
    }

    @Test
    void sizeThatIsNotAPowerOfTwoIsAnErrorWithAHint() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Hadamard.transform(new float[12], 0, 12));
        assertTrue(e.getMessage().contains("power of two, got 12"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Hadamard.transform(new float[8], 4, 8));
    }

    static float[] random(SplittableRandom r, int n, int extra) {
        float[] x = new float[n + extra];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * (r.nextInt(10) == 0 ? 30 : 1));
        return x;
    }
}
