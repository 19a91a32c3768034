package dev.akvq.tensor;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Dot products against a double oracle, bound {@code (n + 2)·2^-24·Σ|a_i b_i| + n·MIN_VALUE} (sequential float FMA error). */
class DotProductTest {

    static double oracle(float[] a, int ao, float[] b, int bo, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (double) a[ao + i] * b[bo + i];
        return sum;
    }

    static double tolerance(float[] a, int ao, float[] b, int bo, int n) {
        double scale = 0;
        for (int i = 0; i < n; i++) scale += Math.abs((double) a[ao + i] * b[bo + i]);
        return (n + 2) * Closeness.U * scale + n * (double) Float.MIN_VALUE;
    }

    @Test
    void matchesTheDoubleOracleOnBothPaths() {
        qt().withExamples(Inputs.examples(400)).forAll(integers().between(0, Inputs.SIZES.length - 1), integers().between(0, Inputs.SCALES.length - 1),
                booleans().all(), longs().all()).checkAssert((size, scale, corners, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            int n = Inputs.SIZES[size], ao = random.nextInt(5), bo = random.nextInt(5);
            float[] a = new float[ao + n], b = new float[bo + n];
            System.arraycopy(Inputs.uniform(random, n, 1.0), 0, a, ao, n);
            // Corner values on one side only: at most one MAX_VALUE against |a| <= 1 cannot overflow on the way.
            float[] bValues = Inputs.withCorners(random, n, Inputs.SCALES[scale], corners);
            int maxes = 0;
            for (int i = 0; i < n; i++) if (Math.abs(bValues[i]) == Float.MAX_VALUE && ++maxes > 1) bValues[i] = 1f;
            System.arraycopy(bValues, 0, b, bo, n);
            double ref = oracle(a, ao, b, bo, n), tol = tolerance(a, ao, b, bo, n);
            Closeness.check("vector n=" + n, DotProduct.vector(a, ao, b, bo, n), ref, tol);
            Closeness.check("scalar n=" + n, DotProduct.scalar(a, ao, b, bo, n), ref, tol);
        });
    }

    @Test
    void nonFiniteInputsPropagate() {
        float[] ones = new float[33];
        java.util.Arrays.fill(ones, 1f);
        for (int n : new int[] {1, 16, 17, 33}) {
            for (float special : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                float[] b = ones.clone();
                b[n - 1] = special;
                Closeness.check("vector " + special, DotProduct.vector(ones, 0, b, 0, n), special, 0);
                Closeness.check("scalar " + special, DotProduct.scalar(ones, 0, b, 0, n), special, 0);
            }
            float[] b = ones.clone();
            b[0] = Float.POSITIVE_INFINITY;
            b[n - 1] = Float.NEGATIVE_INFINITY;
            if (n > 1) Closeness.check("+Inf-Inf", DotProduct.vector(ones, 0, b, 0, n), Double.NaN, 0);
        }
    }
}
