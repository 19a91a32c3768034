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
 * The tiled online-softmax attention without a causal mask against plain attention in double
 * (scores, one softmax over the sequence's unmasked keys, the weighted sum). The bound: each score
 * carries the dot product's rounding ({@code (headDim + 4)·u·factor·Σ|q_i k_i|}), which moves a
 * probability by that much relative (softmax is 1-Lipschitz in log space, twice for the
 * normaliser); the weighted sum is a float chain over the sequence's keys rescaled once per key
 * block, and the exponentials are rounded to float: {@code (2·tokens + 16)·u·max|v|}, as
 * {@link CausalAttentionTest} bounds the same tile.
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
            qt().withExamples(Inputs.examples(150)).forAll(integers().between(1, 40), integers().between(1, 5),
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
                                double tol = (2 * tokens + 16) * Closeness.U * maxV + 3 * scoreErr * maxV + 1e-30;
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

    /**
     * The general form against a double twin: sequences of any lengths (some empty), q/k/v in one
     * fused buffer or apart, the score scaled before, after or divided, and a key mask. Masked keys
     * get probability 0, so the twin simply leaves them out; a query whose keys are all masked is
     * NaN in both (softmax over nothing).
     */
    @Test
    void theGeneralFormMatchesItsDoubleTwin() {
        try (WorkerPool pool = WorkerPool.create(3)) {
            qt().withExamples(Inputs.examples(120)).forAll(integers().between(1, 4), integers().between(0, Inputs.SIZES.length - 1),
                    integers().between(0, 5), longs().all()).checkAssert((heads, dimIndex, variant, seed) -> {
                int headDim = Math.min(Inputs.SIZES[dimIndex], 70);
                SplittableRandom random = new SplittableRandom(seed);
                int sequences = 1 + random.nextInt(4);
                int[] starts = new int[sequences + 1];
                for (int i = 1; i <= sequences; i++) starts[i] = starts[i - 1] + random.nextInt(i == 1 ? 1 : 0, 25);
                int tokens = starts[sequences];
                BidirectionalAttention.Layout layout = variant % 2 == 0 ? BidirectionalAttention.Layout.separate(heads, headDim)
                        : BidirectionalAttention.Layout.fusedQkv(heads, headDim);
                float factor = (float) (0.5 + random.nextDouble());
                BidirectionalAttention.Scaling scaling = switch (variant / 2) {
                    case 0 -> BidirectionalAttention.Scaling.query(factor);
                    case 1 -> BidirectionalAttention.Scaling.score(factor);
                    default -> BidirectionalAttention.Scaling.scoreDividedBy(factor);
                };
                boolean[] mask = null;
                if (random.nextBoolean()) {
                    mask = new boolean[tokens];
                    for (int t = 0; t < tokens; t++) mask[t] = random.nextInt(4) != 0;
                }
                int rows = tokens * layout.rowStride(), width = layout.width();
                float[] q = Inputs.uniform(random, rows, 2), k = variant % 2 == 0 ? Inputs.uniform(random, rows, 2) : q;
                float[] v = variant % 2 == 0 ? Inputs.uniform(random, rows, 5) : q;
                double scoreScale = switch (scaling.where()) {
                    case QUERY, SCORE -> factor;
                    case SCORE_DIVIDED -> 1.0 / factor;
                };
                for (boolean vector : new boolean[] {true, false}) {
                    float[] out = new float[tokens * width];
                    BidirectionalAttention.apply(q, k, v, out, layout, starts, mask, scaling, pool, vector);
                    checkEveryRow(q, k, v, out, layout, starts, mask, scoreScale, (vector ? "vector " : "scalar ") + scaling);
                }
            });
        }
    }

    /**
     * Windows as long as a vision tower's (1 to 300 tokens: several query and key blocks), head sizes
     * around the lane counts and the towers' (64, 72, 80), each scaling form, separate or fused q/k/v,
     * and key masks: none, random, or a run of masked keys that covers a whole key block.
     */
    @Test
    void longWindowsMatchPlainAttentionInDoubleInBothForms() {
        int[] dims = {1, 3, 7, 16, 17, 33, 64, 72, 80};
        try (WorkerPool pool = WorkerPool.create(2)) {
            qt().withExamples(Inputs.examples(40)).forAll(integers().between(1, 300), integers().between(0, dims.length - 1),
                    integers().between(0, 5), longs().all()).checkAssert((longest, dimIndex, variant, seed) -> {
                SplittableRandom random = new SplittableRandom(seed);
                int headDim = dims[dimIndex], heads = 1 + random.nextInt(2), windows = 1 + random.nextInt(3);
                int[] starts = new int[windows + 1];
                starts[1] = longest;
                for (int i = 2; i <= windows; i++) starts[i] = starts[i - 1] + random.nextInt(0, longest + 1);
                int tokens = starts[windows];
                BidirectionalAttention.Layout layout = variant % 2 == 0 ? BidirectionalAttention.Layout.separate(heads, headDim)
                        : BidirectionalAttention.Layout.fusedQkv(heads, headDim);
                float factor = variant / 2 == 2 ? (float) Math.sqrt(headDim) : (float) (1 / Math.sqrt(headDim));
                BidirectionalAttention.Scaling scaling = switch (variant / 2) {
                    case 0 -> BidirectionalAttention.Scaling.query(factor);
                    case 1 -> BidirectionalAttention.Scaling.score(factor);
                    default -> BidirectionalAttention.Scaling.scoreDividedBy(factor);
                };
                double scoreScale = variant / 2 == 2 ? 1.0 / factor : factor;
                boolean[] mask = switch (random.nextInt(3)) {
                    case 0 -> null;
                    case 1 -> {
                        boolean[] m = new boolean[tokens];
                        for (int t = 0; t < tokens; t++) m[t] = random.nextInt(4) != 0;
                        yield m;
                    }
                    default -> {
                        boolean[] m = new boolean[tokens];
                        Arrays.fill(m, true);
                        int from = random.nextInt(tokens), to = Math.min(tokens, from + 1 + random.nextInt(80));
                        Arrays.fill(m, from, to, false);
                        yield m;
                    }
                };
                int rows = tokens * layout.rowStride(), width = layout.width();
                float[] q = Inputs.uniform(random, rows, 3), k = variant % 2 == 0 ? Inputs.uniform(random, rows, 3) : q;
                float[] v = variant % 2 == 0 ? Inputs.uniform(random, rows, 5) : q;
                float[][] forms = new float[2][];
                for (boolean vector : new boolean[] {true, false}) {
                    float[] out = new float[tokens * width + 1];
                    forms[vector ? 0 : 1] = out;
                    out[tokens * width] = 7f;
                    BidirectionalAttention.apply(q, k, v, out, layout, starts, mask, scaling, pool, vector);
                    checkEveryRow(q, k, v, out, layout, starts, mask, scoreScale, (vector ? "vector " : "scalar ") + scaling);
                    Closeness.same("past the output", out[tokens * width], 7f);
                }
                Closeness.sameArrays("vector vs scalar", forms[0], forms[1]);
            });
        }
    }

    /** Every query head of every sequence (window) against double. */
    private static void checkEveryRow(float[] q, float[] k, float[] v, float[] out, BidirectionalAttention.Layout layout, int[] starts,
                                      boolean[] mask, double scoreScale, String what) {
        for (int s = 0; s + 1 < starts.length; s++) {
            for (int t = starts[s]; t < starts[s + 1]; t++) {
                for (int h = 0; h < layout.heads(); h++) {
                    check(q, k, v, out, layout, starts[s], starts[s + 1], t, h, mask, scoreScale,
                            what + " " + layout + " sequence " + s + " t " + t + " h " + h);
                }
            }
        }
    }

    /** One query head of the general form against double: the bound of the class comment. */
    private static void check(float[] q, float[] k, float[] v, float[] out, BidirectionalAttention.Layout layout, int from, int to,
                              int t, int h, boolean[] mask, double scoreScale, String what) {
        int stride = layout.rowStride(), d0 = h * layout.headDim(), headDim = layout.headDim();
        double[] p = new double[to - from];
        double max = Double.NEGATIVE_INFINITY, scoreErr = 0;
        boolean any = false;
        for (int j = from; j < to; j++) {
            if (mask != null && !mask[j]) continue;
            any = true;
            double dot = 0, abs = 0;
            for (int d = 0; d < headDim; d++) {
                double x = (double) q[t * stride + layout.queryColumn() + d0 + d] * k[j * stride + layout.keyColumn() + d0 + d];
                dot += x;
                abs += Math.abs(x);
            }
            p[j - from] = dot * scoreScale;
            max = Math.max(max, p[j - from]);
            scoreErr = Math.max(scoreErr, (headDim + 4) * Closeness.U * Math.abs(scoreScale) * abs);
        }
        int at = t * layout.width() + d0;
        if (!any) {
            for (int d = 0; d < headDim; d++) assertTrue(Float.isNaN(out[at + d]), what + ": every key masked gives NaN");
            return;
        }
        double sum = 0;
        for (int j = from; j < to; j++) if (mask == null || mask[j]) sum += p[j - from] = Math.exp(p[j - from] - max);
        for (int d = 0; d < headDim; d++) {
            double acc = 0, maxV = 0;
            for (int j = from; j < to; j++) {
                if (mask != null && !mask[j]) continue;
                double value = v[j * stride + layout.valueColumn() + d0 + d];
                acc += p[j - from] / sum * value;
                maxV = Math.max(maxV, Math.abs(value));
            }
            double tol = (2 * (to - from) + 16) * Closeness.U * maxV + 3 * scoreErr * maxV + 1e-30;
            Closeness.check(what + " d " + d, out[at + d], acc, tol);
        }
    }

    @Test
    void aMaskedKeyIsNeverReadAndTheHelperCanFail() {
        // Two tokens; the second key is masked, so the output is the first value exactly, whatever the second holds.
        float[] q = {1, 1}, k = {1, 5}, v = {3, 1000};
        float[] out = new float[2];
        try (WorkerPool pool = WorkerPool.create(1)) {
            BidirectionalAttention.apply(q, k, v, out, BidirectionalAttention.Layout.separate(1, 1), new int[] {0, 2},
                    new boolean[] {true, false}, BidirectionalAttention.Scaling.score(1f), pool);
            Closeness.same("query 0", out[0], 3f);
            Closeness.same("query 1", out[1], 3f);
            // The twin's check rejects a wrong answer: the unmasked result is far from 3.
            float[] wrong = {out[0] + 1, out[1]};
            assertThrows(AssertionError.class, () -> check(q, k, v, wrong, BidirectionalAttention.Layout.separate(1, 1), 0, 2, 0, 0,
                    new boolean[] {true, false}, 1.0, "wrong"));
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

    /** Scores, exponentials, sums and weighted sums are the same operations in both forms: the same bits. */
    @Test
    void vectorAndScalarFormsGiveTheSameBits() {
        SplittableRandom random = new SplittableRandom(11);
        try (WorkerPool pool = WorkerPool.create(2)) {
            for (int tokens : new int[] {1, 3, 4, 5, 17, 33, 64, 65, 130}) {
                for (int headDim : new int[] {1, 7, 16, 33, 64, 80}) {
                    int heads = 3, n = 2 * tokens * heads * headDim;
                    float[] q = Inputs.uniform(random, n, 2), k = Inputs.uniform(random, n, 2), v = Inputs.uniform(random, n, 2);
                    float[] a = new float[n], b = new float[n];
                    BidirectionalAttention.apply(q, k, v, a, 2, tokens, heads, headDim, 0.3f, pool, true);
                    BidirectionalAttention.apply(q, k, v, b, 2, tokens, heads, headDim, 0.3f, pool, false);
                    Closeness.sameArrays("tokens " + tokens + " dim " + headDim, a, b);
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
