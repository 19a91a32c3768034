package dev.akvq.tensor;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * RMSNorm and LayerNorm against double oracles. Bounds: float accumulation of n terms costs at most
 * {@code n·2^-24} relative in the sum; with the divisions, root and final multiplies we allow
 * {@code (n + 8)·2^-24} times the magnitude of each output's terms, plus a few MIN_VALUE for
 * subnormal outputs.
 */
class NormTest {

    static final float[] EPS = {1e-5f, 1e-6f};

    @Test
    void rmsNormMatchesTheOracle() {
        qt().withExamples(Inputs.examples(300)).forAll(integers().between(0, Inputs.SIZES.length - 1), integers().between(0, Inputs.SCALES.length - 1),
                integers().between(0, 3), longs().all()).checkAssert((size, scale, corners, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            int n = Inputs.SIZES[size];
            float eps = EPS[random.nextInt(EPS.length)];
            float[] x = Inputs.withCorners(random, n, Inputs.SCALES[scale], corners == 0);
            for (int i = 0; i < n; i++) if (Math.abs(x[i]) == Float.MAX_VALUE) x[i] = 1f; // x² overflows float by design (documented)
            float[] w = Inputs.uniform(random, n, 2.0);
            double sumSquares = 0;
            for (float v : x) sumSquares += (double) v * v;
            double r = 1.0 / Math.sqrt(sumSquares / n + eps);
            for (boolean vector : new boolean[] {true, false}) {
                float[] out = new float[n + 2];
                if (vector) RmsNorm.vector(out, 2, x, 0, w, eps);
                else RmsNorm.scalar(out, 2, x, 0, w, eps);
                for (int i = 0; i < n; i++) {
                    double ref = (double) w[i] * x[i] * r;
                    double tol = (n + 8) * Closeness.U * Math.abs(ref) + 2 * (double) Float.MIN_VALUE;
                    if (!Double.isFinite(tol)) tol = 0; // a NaN/Inf input: the oracle is non-finite and tol is unused
                    Closeness.check((vector ? "vector" : "scalar") + " n=" + n + " i=" + i, out[2 + i], ref, tol);
                }
            }
        });
    }

    @Test
    void rmsNormInPlaceEqualsOutOfPlace() {
        SplittableRandom random = new SplittableRandom(3);
        float[] x = Inputs.uniform(random, 33, 10), w = Inputs.uniform(random, 33, 1);
        float[] out = new float[33], inPlace = x.clone();
        RmsNorm.apply(out, 0, x, 0, w, 1e-6f);
        RmsNorm.apply(inPlace, 0, inPlace, 0, w, 1e-6f);
        Closeness.sameArrays("in place", inPlace, out);
    }

    @Test
    void layerNormMatchesTheOracle() {
        qt().withExamples(Inputs.examples(300)).forAll(integers().between(0, Inputs.SIZES.length - 1), integers().between(0, Inputs.SCALES.length - 1),
                integers().between(0, 3), longs().all()).checkAssert((size, scale, corners, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            int n = Inputs.SIZES[size];
            float eps = EPS[random.nextInt(EPS.length)];
            float[] x = Inputs.withCorners(random, n, Inputs.SCALES[scale], corners == 0);
            for (int i = 0; i < n; i++) if (Math.abs(x[i]) == Float.MAX_VALUE) x[i] = 1f;
            // An offset mean exercises the centring.
            float shift = (float) (Inputs.SCALES[scale] * random.nextDouble());
            for (int i = 0; i < n; i++) x[i] += shift;
            float[] w = Inputs.uniform(random, n, 2.0), b = Inputs.uniform(random, n, 1.0);
            double mean = 0, maxAbs = 0;
            for (float v : x) {
                mean += v;
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
            mean /= n;
            double var = 0;
            for (float v : x) var += (v - mean) * (v - mean);
            double r = 1.0 / Math.sqrt(var / n + eps);
            for (boolean vector : new boolean[] {true, false}) {
                float[] out = new float[n];
                if (vector) LayerNorm.vector(out, 0, x, 0, w, b, eps);
                else LayerNorm.scalar(out, 0, x, 0, w, b, eps);
                for (int i = 0; i < n; i++) {
                    double ref = (x[i] - mean) * r * w[i] + b[i];
                    double tol = (n + 8) * Closeness.U * (Math.abs(w[i]) * r * (Math.abs(x[i] - mean) + maxAbs) + Math.abs(b[i]))
                            + 4 * (double) Float.MIN_VALUE;
                    if (!Double.isFinite(tol)) tol = 0; // a NaN/Inf input: the oracle is non-finite and tol is unused
                    Closeness.check((vector ? "vector" : "scalar") + " n=" + n + " i=" + i, out[i], ref, tol);
                }
            }
        });
    }
}
