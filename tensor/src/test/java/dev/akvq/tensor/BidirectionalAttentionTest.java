package dev.akvq.tensor;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Unmasked attention against a double oracle. The bound: each score carries the dot product's
 * rounding ({@code headDim·u·scale·Σ|q_i k_i|}), which moves a probability by that much relative
 * (softmax is 1-Lipschitz in log space, twice for the normaliser), and the weighted sum adds
 * {@code (tokens + 4)·u·Σ p_j |v_j|}.
 */
class BidirectionalAttentionTest {

    static double[] oracle(float[] q, float[] k, float[] v, int sequences, int tokens, int heads, int headDim, float scale) {
        int width = heads * headDim;
        double[] out = new double[sequences * tokens * width];
        for (int s = 0; s < sequences; s++) {
            for (int h = 0; h < heads; h++) {
                for (int t = 0; t < tokens; t++) {
                    double[] p = new double[tokens];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < tokens; j++) {
                        double dot = 0;
                        for (int d = 0; d < headDim; d++) {
                            dot += (double) q[(s * tokens + t) * width + h * headDim + d] * k[(s * tokens + j) * width + h * headDim + d];
                        }
                        p[j] = dot * scale;
                        max = Math.max(max, p[j]);
                    }
                    for (int j = 0; j < tokens; j++) sum += p[j] = Math.exp(p[j] - max);
                    for (int d = 0; d < headDim; d++) {
                        double acc = 0;
                        for (int j = 0; j < tokens; j++) acc += p[j] / sum * v[(s * tokens + j) * width + h * headDim + d];
                        out[(s * tokens + t) * width + h * headDim + d] = acc;
                    }
                }
            }
        }
        return out;
    }

    @Test
    void matchesTheDoubleOracleInBothFormsAtOddSizes() {
        try (WorkerPool pool = WorkerPool.create(3)) {
            qt().withExamples(150).forAll(integers().between(1, 40), integers().between(1, 5),
                    integers().between(0, Inputs.SIZES.length - 1), longs().all()).checkAssert((tokens, heads, dimIndex, seed) -> {
                int headDim = Math.min(Inputs.SIZES[dimIndex], 100);
                SplittableRandom random = new SplittableRandom(seed);
                int sequences = 1 + random.nextInt(3);
                int n = sequences * tokens * heads * headDim;
                float[] q = Inputs.uniform(random, n, 2), k = Inputs.uniform(random, n, 2), v = Inputs.uniform(random, n, 5);
                float scale = (float) (1 / Math.sqrt(headDim));
                double[] ref = oracle(q, k, v, sequences, tokens, heads, headDim, scale);
                int width = heads * headDim;
                for (boolean vector : new boolean[] {true, false}) {
                    float[] out = new float[n];
                    BidirectionalAttention.apply(q, k, v, out, sequences, tokens, heads, headDim, scale, pool, vector);
                    for (int row = 0; row < sequences * tokens; row++) {
                        int s = row / tokens;
                        for (int h = 0; h < heads; h++) {
                            double scoreErr = 0;
                            for (int j = 0; j < tokens; j++) {
                                double abs = 0;
                                for (int d = 0; d < headDim; d++) {
                                    abs += Math.abs((double) q[row * width + h * headDim + d] * k[(s * tokens + j) * width + h * headDim + d]);
                                }
                                scoreErr = Math.max(scoreErr, (headDim + 3) * Closeness.U * scale * abs);
                            }
                            for (int d = 0; d < headDim; d++) {
                                double maxV = 0;
                                for (int j = 0; j < tokens; j++) maxV = Math.max(maxV, Math.abs(v[(s * tokens + j) * width + h * headDim + d]));
                                double tol = (tokens + 8) * Closeness.U * maxV + 3 * scoreErr * maxV + 1e-30;
                                int at = row * width + h * headDim + d;
                                Closeness.check((vector ? "vector" : "scalar") + " seq=" + sequences + " tokens=" + tokens + " heads=" + heads
                                        + " dim=" + headDim + " at " + at, out[at], ref[at], tol);
                            }
                        }
                    }
                }
            });
        }
    }

    @Test
    void sequencesDoNotSeeEachOtherAndThreadCountDoesNotMatter() {
        SplittableRandom random = new SplittableRandom(7);
        int sequences = 3, tokens = 17, heads = 4, headDim = 19, n = sequences * tokens * heads * headDim;
        float[] q = Inputs.uniform(random, n, 1), k = Inputs.uniform(random, n, 1), v = Inputs.uniform(random, n, 1);
        float[] one = new float[n], three = new float[n];
        try (WorkerPool p1 = WorkerPool.create(1); WorkerPool p3 = WorkerPool.create(3)) {
            BidirectionalAttention.apply(q, k, v, one, sequences, tokens, heads, headDim, 0.25f, p1);
            BidirectionalAttention.apply(q, k, v, three, sequences, tokens, heads, headDim, 0.25f, p3);
            Closeness.sameArrays("1 vs 3 threads", three, one);
            // Changing the last sequence leaves the first two unchanged.
            float[] v2 = v.clone();
            for (int i = 2 * tokens * heads * headDim; i < n; i++) v2[i] += 1;
            float[] changed = new float[n];
            BidirectionalAttention.apply(q, k, v2, changed, sequences, tokens, heads, headDim, 0.25f, p3);
            int firstTwo = 2 * tokens * heads * headDim;
            Closeness.sameArrays("other sequences", Arrays.copyOf(changed, firstTwo), Arrays.copyOf(one, firstTwo));
            assertTrue(changed[n - 1] != one[n - 1], "the changed sequence moves");
        }
    }

    /** Scores and weighted sums are the same fma chains in both forms: the outputs agree to Softmax's last ulp. */
    @Test
    void vectorAndScalarFormsAgreeClosely() {
        SplittableRandom random = new SplittableRandom(11);
        try (WorkerPool pool = WorkerPool.create(2)) {
            for (int tokens : new int[] {1, 3, 4, 5, 17, 33}) {
                for (int headDim : new int[] {1, 7, 16, 33, 64}) {
                    int heads = 3, n = 2 * tokens * heads * headDim;
                    float[] q = Inputs.uniform(random, n, 2), k = Inputs.uniform(random, n, 2), v = Inputs.uniform(random, n, 2);
                    float[] a = new float[n], b = new float[n];
                    BidirectionalAttention.apply(q, k, v, a, 2, tokens, heads, headDim, 0.3f, pool, true);
                    BidirectionalAttention.apply(q, k, v, b, 2, tokens, heads, headDim, 0.3f, pool, false);
                    for (int i = 0; i < n; i++) Closeness.check("tokens " + tokens + " dim " + headDim + " at " + i, a[i], b[i], 4 * Closeness.U * 2);
                }
            }
        }
    }

    @Test
    void aNaNQueryGivesNaNForItsRowAndHeadOnly() {
        int tokens = 3, heads = 2, headDim = 4, n = tokens * heads * headDim;
        float[] q = new float[n], k = new float[n], v = new float[n];
        Arrays.fill(v, 1f);
        q[0] = Float.NaN;
        float[] out = new float[n];
        try (WorkerPool pool = WorkerPool.create(1)) {
            BidirectionalAttention.apply(q, k, v, out, 1, tokens, heads, headDim, 1f, pool);
        }
        assertTrue(Float.isNaN(out[0]), "row 0 head 0");
        Closeness.same("row 0 head 1", out[headDim], 1f);
        Closeness.same("row 1 head 0", out[heads * headDim], 1f);
    }

    @Test
    void shortBuffersAreAnError() {
        try (WorkerPool pool = WorkerPool.create(1)) {
            assertThrows(IllegalArgumentException.class,
                    () -> BidirectionalAttention.apply(new float[7], new float[8], new float[8], new float[8], 1, 2, 1, 4, 1f, pool));
        }
    }
}
