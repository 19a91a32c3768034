package dev.akvq.tensor;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@code Y = X·Wᵀ} against the double oracle, per element bound {@code (in + 2)·2^-24·Σ_i|x_i w_i|},
 * for every dtype, both paths and unaligned segments, at sizes below, at and above the tile
 * ({@link MatrixMatrix#MR} tokens, {@link MatrixMatrix#NR} rows) and the lane count; the same bits
 * for 1, 2 and 3 threads; and the property that makes prefill and decode agree: each row of
 * {@code Y} equals {@link MatrixVector} on that token bit for bit, in each path.
 */
class MatrixMatrixTest {

    private static final int MR = MatrixMatrix.MR, NR = MatrixMatrix.NR;
    /** Input sizes: the lane-count sizes plus a few longer rows with every tail length class. */
    private static final int[] IN = concat(Inputs.SIZES, new int[] {255, 256, 257, 515});
    /** Output sizes: a few rows, and one or two panels plus or minus one. */
    private static final int[] OUT = {1, 2, 3, 5, 13, NR - 1, NR, NR + 1, 2 * NR - 1, 2 * NR + 1};

    @Test
    void matchesTheOracleForEveryDtypePathAndThreadCount() {
        qt().withExamples(Inputs.examples(150)).forAll(integers().between(1, 3 * MR + 1), integers().between(0, IN.length - 1),
                integers().between(0, OUT.length - 1), longs().all()).checkAssert((tokens, size, outSize, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            int in = IN[size], rows = OUT[outSize];
            DType dtype = MatrixVectorTest.DTYPES[random.nextInt(3)];
            MatrixView w = MatrixVectorTest.misaligned(MatrixView.of(dtype, rows, in, Inputs.uniform(random, rows * in, 1.0)), random.nextInt(4));
            double scale = Inputs.SCALES[random.nextInt(Inputs.SCALES.length)];
            float[] x = Inputs.withCorners(random, tokens * in, scale, random.nextInt(4) == 0);
            for (int i = 0; i < x.length; i++) if (Math.abs(x[i]) == Float.MAX_VALUE) x[i] = 2f; // keep float sums from overflowing
            float[] vector = filled(tokens * rows), scalar = filled(tokens * rows);
            float[] two = filled(tokens * rows), three = filled(tokens * rows);
            MatrixMatrix.multiplyTransposed(x, tokens, w, vector, MatrixVectorTest.ONE, true);
            MatrixMatrix.multiplyTransposed(x, tokens, w, scalar, MatrixVectorTest.ONE, false);
            MatrixMatrix.multiplyTransposed(x, tokens, w, two, MatrixVectorTest.TWO, true);
            MatrixMatrix.multiplyTransposed(x, tokens, w, three, MatrixVectorTest.THREE, true);
            String what = dtype + " " + tokens + "x" + in + " -> " + rows;
            Closeness.sameArrays(what + " 2 threads", two, vector);
            Closeness.sameArrays(what + " 3 threads", three, vector);
            for (int t = 0; t < tokens; t++) {
                MatrixVectorTest.checkRows(what + " vector token " + t, w, x, t * in, vector, t * rows);
                MatrixVectorTest.checkRows(what + " scalar token " + t, w, x, t * in, scalar, t * rows);
                float[] decode = new float[rows], decodeScalar = new float[rows];
                MatrixVector.multiply(w, x, t * in, decode, 0, MatrixVectorTest.ONE, true);
                MatrixVector.multiply(w, x, t * in, decodeScalar, 0, MatrixVectorTest.ONE, false);
                for (int o = 0; o < rows; o++) {
                    Closeness.same(what + " token " + t + " equals decode, row " + o, vector[t * rows + o], decode[o]);
                    Closeness.same(what + " token " + t + " scalar equals scalar decode, row " + o, scalar[t * rows + o], decodeScalar[o]);
                }
            }
        });
    }

    @Test
    void largeShapesCrossEveryBlock() {
        // 131 tokens (16 groups + 3), 70 rows (2 panels + 6), in = 1000 (62 vectors + 8 tail columns).
        SplittableRandom random = new SplittableRandom(7);
        int tokens = 131, in = 1000, rows = 70;
        MatrixView w = MatrixVectorTest.misaligned(MatrixView.of(DType.BF16, rows, in, Inputs.uniform(random, rows * in, 1.0)), 1);
        float[] x = Inputs.uniform(random, tokens * in, 1.0);
        float[] y = filled(tokens * rows), decode = new float[rows];
        MatrixMatrix.multiplyTransposed(x, tokens, w, y, MatrixVectorTest.TWO, true);
        for (int t = 0; t < tokens; t++) {
            MatrixVectorTest.checkRows("token " + t, w, x, t * in, y, t * rows);
            MatrixVector.multiply(w, x, t * in, decode, 0, MatrixVectorTest.ONE, true);
            for (int o = 0; o < rows; o++) Closeness.same("token " + t + " equals decode, row " + o, y[t * rows + o], decode[o]);
        }
    }

    @Test
    void promptsLongerThanOnePackedBlockEqualDecodeRowByRow() {
        // in = 1000: a packed block holds 2,096 tokens; 2,096 + 2,096 + 11 tokens make two whole blocks and
        // a last one of 11 (a partial group), after a longer call left other values in the reused pack.
        int in = 1000, rows = 5, block = MatrixMatrix.PACK_FLOATS / in / MR * MR, tokens = 2 * block + 11;
        SplittableRandom random = new SplittableRandom(11);
        MatrixView w = MatrixView.of(DType.BF16, rows, in, Inputs.uniform(random, rows * in, 1.0));
        float[] x = Inputs.uniform(random, tokens * in, 1.0);
        float[] y = filled(tokens * rows), decode = new float[rows];
        MatrixMatrix.multiplyTransposed(x, tokens, w, y, MatrixVectorTest.TWO, true);
        for (int t = 0; t < tokens; t++) {
            MatrixVector.multiply(w, x, t * in, decode, 0, MatrixVectorTest.ONE, true);
            for (int o = 0; o < rows; o++) Closeness.same("token " + t + " equals decode, row " + o, y[t * rows + o], decode[o]);
        }
        for (int t : new int[] {0, block - 1, block, 2 * block, tokens - 1}) MatrixVectorTest.checkRows("token " + t, w, x, t * in, y, t * rows);
    }

    @Test
    void biasIsAddedAfterTheProduct() {
        int tokens = MR + 1;
        float[] x = new float[tokens * 3];
        for (int t = 0; t < tokens; t++) { x[3 * t] = t; x[3 * t + 1] = 1; x[3 * t + 2] = 1; }
        float[] y = new float[tokens * 2];
        MatrixMatrix.multiplyTransposedAddBias(x, tokens, MatrixView.ofFloats(2, 3, new float[] {1, 2, 3, 4, 5, 6}),
                new float[] {0.5f, -1f}, y, MatrixVectorTest.TWO);
        for (int t = 0; t < tokens; t++) {
            Closeness.same("token " + t + " row 0", y[2 * t], t + 5 + 0.5f);
            Closeness.same("token " + t + " row 1", y[2 * t + 1], 4 * t + 11 - 1f);
        }
    }

    /** Output arrays start as NaN, so a kernel that skips an element cannot pass. */
    private static float[] filled(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, Float.NaN);
        return a;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
