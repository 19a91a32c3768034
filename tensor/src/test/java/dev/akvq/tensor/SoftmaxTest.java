package dev.akvq.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Softmax against a double oracle: the float exponentials, the rounded sum and the float division
 * give at most about 3 roundings, so the bound is {@code 4·2^-24·p + 2·MIN_VALUE} per entry. Only
 * the prefix is touched.
 */
class SoftmaxTest {

    static double[] oracle(float[] a, int offset, int n) {
        double max = Double.NEGATIVE_INFINITY;
        boolean nan = false;
        for (int i = 0; i < n; i++) {
            nan |= Float.isNaN(a[offset + i]);
            max = Math.max(max, a[offset + i]);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) sum += p[i] = Math.exp(a[offset + i] - max);
        for (int i = 0; i < n; i++) p[i] = nan ? Double.NaN : p[i] / sum;
        return p;
    }

    @Test
    void matchesTheOracleOnThePrefixOnly() {
        qt().withExamples(Inputs.examples(400)).forAll(integers().between(0, Inputs.SIZES.length - 1), integers().between(0, 4), integers().between(0, 5),
                longs().all()).checkAssert((size, spread, corners, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            int n = Inputs.SIZES[size], offset = random.nextInt(3);
            double[] spreads = {0.1, 3, 30, 300, 1e30};
            float[] values = Inputs.withCorners(random, n, spreads[spread], corners == 0);
            if (corners == 1) for (int i = 0; i < n; i++) if (random.nextInt(3) == 0) values[i] = Float.NEGATIVE_INFINITY; // masked
            double[] ref = oracle(values, 0, n);
            for (boolean vector : new boolean[] {true, false}) {
                float[] a = new float[offset + n + 2];
                System.arraycopy(values, 0, a, offset, n);
                a[offset + n] = 7f;
                a[offset + n + 1] = Float.NaN;
                if (vector) Softmax.vector(a, offset, n);
                else Softmax.scalar(a, offset, n);
                for (int i = 0; i < n; i++) {
                    double tol = Double.isFinite(ref[i]) ? 4 * Closeness.U * ref[i] + 2 * (double) Float.MIN_VALUE : 0;
                    Closeness.check((vector ? "vector" : "scalar") + " n=" + n + " i=" + i, a[offset + i], ref[i], tol);
                }
                assertEquals(7f, a[offset + n], "the entry after the prefix is untouched");
            }
        });
    }

    @Test
    void fullyMaskedRowIsNaNAsInTorch() {
        float[] a = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        Softmax.inPlace(a, 0, 2);
        Closeness.check("masked", a[0], Double.NaN, 0);
    }
}
