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
 * The tiled, online-softmax causal attention against plain attention in double (scores, one
 * softmax over the visible keys, the weighted sum). The bound: each score carries its dot
 * product's rounding ({@code (headDim + 3)·u·scale·Σ|q_d k_d|}), which moves the output by up to
 * three times that relative; the running sum and the weighted sum are float chains over at most
 * {@code tokens} terms, rescaled once per key block: {@code (2·tokens + 16)·u·max|v|}.
 */
class CausalAttentionTest {

    static double[] oracle(float[] q, float[] k, float[] v, CausalAttention.Shape s, float scale) {
        int n = s.tokens(), hd = s.headDim(), qw = s.heads() * hd, kw = s.kvHeads() * hd, group = s.heads() / s.kvHeads();
        double[] out = new double[n * qw];
        for (int t = 0; t < n; t++) {
            int from = (int) Math.max(0L, t + 1L - s.window());
            for (int h = 0; h < s.heads(); h++) {
                int kvHead = h / group;
                double[] p = new double[t + 1 - from];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = from; j <= t; j++) {
                    double dot = 0;
                    for (int d = 0; d < hd; d++) dot += (double) q[t * qw + h * hd + d] * k[j * kw + kvHead * hd + d];
                    p[j - from] = dot * scale;
                    max = Math.max(max, p[j - from]);
                }
                for (int j = 0; j < p.length; j++) sum += p[j] = Math.exp(p[j] - max);
                for (int d = 0; d < hd; d++) {
                    double acc = 0;
                    for (int j = from; j <= t; j++) acc += p[j - from] / sum * v[j * kw + kvHead * hd + d];
                    out[t * qw + h * hd + d] = acc;
                }
            }
        }
        return out;
    }

    @Test
    void matchesPlainAttentionInDoubleAcrossBlocksWindowsAndGroups() {
        try (WorkerPool pool = WorkerPool.create(3)) {
            qt().withExamples(Inputs.examples(120)).forAll(integers().between(1, 200), integers().between(0, 3),
                    integers().between(0, Inputs.SIZES.length - 2), longs().all()).checkAssert((tokens, layout, dimIndex, seed) -> {
                SplittableRandom random = new SplittableRandom(seed);
                int headDim = Math.min(Inputs.SIZES[dimIndex], 80);
                int[][] layouts = {{1, 1}, {4, 1}, {6, 2}, {3, 3}};
                int heads = layouts[layout][0], kvHeads = layouts[layout][1];
                int window = random.nextInt(3) == 0 ? 1 + random.nextInt(tokens + 5) : Integer.MAX_VALUE;
                CausalAttention.Shape s = new CausalAttention.Shape(tokens, heads, kvHeads, headDim, window);
                float[] q = Inputs.uniform(random, tokens * heads * headDim, 2), k = Inputs.uniform(random, tokens * kvHeads * headDim, 2);
                float[] v = Inputs.uniform(random, tokens * kvHeads * headDim, 5);
                float scale = (float) (1 / Math.sqrt(headDim));
                double[] ref = oracle(q, k, v, s, scale);
                float[][] forms = new float[2][];
                for (boolean vector : new boolean[] {true, false}) {
                    float[] out = new float[ref.length + 3];
                    out[ref.length] = 7f;
                    CausalAttention.attend(q, k, v, out, s, scale, pool, vector);
                    assertBound(ref, out, q, k, v, s, scale, (vector ? "vector " : "scalar ") + s);
                    Closeness.same("past the output", out[ref.length], 7f);
                    forms[vector ? 0 : 1] = out;
                }
                // The same arithmetic in both forms (OnlineSoftmaxTile): the same bits.
                Closeness.sameArrays("vector vs scalar " + s, forms[0], forms[1]);
            });
        }
    }

    private static void assertBound(double[] ref, float[] out, float[] q, float[] k, float[] v, CausalAttention.Shape s,
                                    float scale, String what) {
        int hd = s.headDim(), qw = s.heads() * hd, kw = s.kvHeads() * hd, group = s.heads() / s.kvHeads();
        for (int t = 0; t < s.tokens(); t++) {
            int from = (int) Math.max(0L, t + 1L - s.window());
            for (int h = 0; h < s.heads(); h++) {
                int kvHead = h / group;
                double scoreErr = 0, maxV = 0;
                for (int j = from; j <= t; j++) {
                    double abs = 0;
                    for (int d = 0; d < hd; d++) {
                        abs += Math.abs((double) q[t * qw + h * hd + d] * k[j * kw + kvHead * hd + d]);
                        maxV = Math.max(maxV, Math.abs(v[j * kw + kvHead * hd + d]));
                    }
                    scoreErr = Math.max(scoreErr, (hd + 3) * Closeness.U * scale * abs);
                }
                double tol = (2 * (t + 1 - from) + 16) * Closeness.U * maxV + 3 * scoreErr * maxV + 1e-30;
                for (int d = 0; d < hd; d++) {
                    int at = t * qw + h * hd + d;
                    Closeness.check(what + " token " + t + " head " + h + " channel " + d, out[at], ref[at], tol);
                }
            }
        }
    }

    /** The check above is not vacuous: a kernel that ignores the last visible key, or the window, fails it. */
    @Test
    void theBoundCatchesAWrongAnswer() {
        SplittableRandom random = new SplittableRandom(3);
        CausalAttention.Shape s = new CausalAttention.Shape(20, 2, 1, 8, Integer.MAX_VALUE);
        float[] q = Inputs.uniform(random, 20 * 16, 2), k = Inputs.uniform(random, 20 * 8, 2), v = Inputs.uniform(random, 20 * 8, 5);
        float[] out = new float[20 * 16];
        try (WorkerPool pool = WorkerPool.create(1)) {
            CausalAttention.attend(q, k, v, out, s, 0.3f, pool);
        }
        double[] windowed = oracle(q, k, v, new CausalAttention.Shape(20, 2, 1, 8, 5), 0.3f);
        assertThrows(AssertionError.class, () -> assertBound(windowed, out, q, k, v, s, 0.3f, "window ignored"));
        double[] ref = oracle(q, k, v, s, 0.3f);
        assertBound(ref, out, q, k, v, s, 0.3f, "right answer");
    }

    @Test
    void threadCountDoesNotMatterAndFutureTokensAreNotSeen() {
        SplittableRandom random = new SplittableRandom(7);
        CausalAttention.Shape s = new CausalAttention.Shape(150, 8, 2, 32, Integer.MAX_VALUE);
        float[] q = Inputs.uniform(random, 150 * 256, 1), k = Inputs.uniform(random, 150 * 64, 1), v = Inputs.uniform(random, 150 * 64, 1);
        float[] one = new float[150 * 256], three = new float[150 * 256], changed = new float[150 * 256];
        try (WorkerPool p1 = WorkerPool.create(1); WorkerPool p3 = WorkerPool.create(3)) {
            CausalAttention.attend(q, k, v, one, s, 0.2f, p1);
            CausalAttention.attend(q, k, v, three, s, 0.2f, p3);
            Closeness.sameArrays("1 vs 3 threads", three, one);
            // Changing the keys and values of token 100 on leaves tokens 0..99 bit for bit unchanged.
            float[] k2 = k.clone(), v2 = v.clone();
            for (int i = 100 * 64; i < k.length; i++) {
                k2[i] += 1;
                v2[i] -= 1;
            }
            CausalAttention.attend(q, k2, v2, changed, s, 0.2f, p3);
            Closeness.sameArrays("tokens before 100", Arrays.copyOf(changed, 100 * 256), Arrays.copyOf(one, 100 * 256));
            assertTrue(changed[100 * 256] != one[100 * 256], "token 100 moves");
        }
    }

    @Test
    void aNaNQueryGivesNaNForItsRowAndHeadOnly() {
        CausalAttention.Shape s = new CausalAttention.Shape(3, 2, 1, 4, Integer.MAX_VALUE);
        float[] q = new float[3 * 8], k = new float[3 * 4], v = new float[3 * 4];
        Arrays.fill(v, 1f);
        q[2 * 8] = Float.NaN;
        float[] out = new float[3 * 8];
        try (WorkerPool pool = WorkerPool.create(1)) {
            CausalAttention.attend(q, k, v, out, s, 1f, pool);
        }
        assertTrue(Float.isNaN(out[2 * 8]), "token 2 head 0");
        Closeness.same("token 2 head 1", out[2 * 8 + 4], 1f);
        Closeness.same("token 0 head 0", out[0], 1f);
    }

    @Test
    void badShapesAndShortBuffersAreErrors() {
        assertThrows(IllegalArgumentException.class, () -> new CausalAttention.Shape(4, 3, 2, 8, 10));
        assertThrows(IllegalArgumentException.class, () -> new CausalAttention.Shape(4, 2, 2, 8, 0));
        try (WorkerPool pool = WorkerPool.create(1)) {
            CausalAttention.Shape s = new CausalAttention.Shape(2, 1, 1, 4, Integer.MAX_VALUE);
            assertThrows(IllegalArgumentException.class,
                    () -> CausalAttention.attend(new float[7], new float[8], new float[8], new float[8], s, 1f, pool));
        }
    }
}
