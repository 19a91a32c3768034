package dev.akvq.tensor;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@code Y = X·Wᵀ} against the double oracle for every dtype and path, tile remainders in both
 * dimensions, and the property that makes prefill and decode agree: each row of {@code Y} equals
 * {@link MatrixVector} on that token, bit for bit, whatever the thread count.
 */
class MatrixMatrixTest {

    @Test
    void matchesTheOracleAndEqualsMatrixVectorPerToken() {
        qt().withExamples(150).forAll(integers().between(1, 11), integers().between(0, Inputs.SIZES.length - 1),
                integers().between(1, 13), longs().all()).checkAssert((tokens, size, rows, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            int in = Inputs.SIZES[size];
            DType dtype = MatrixVectorTest.DTYPES[random.nextInt(3)];
            MatrixView w = MatrixVectorTest.misaligned(MatrixView.of(dtype, rows, in, Inputs.uniform(random, rows * in, 1.0)), random.nextInt(4));
            double scale = Inputs.SCALES[random.nextInt(Inputs.SCALES.length)];
            float[] x = Inputs.withCorners(random, tokens * in, scale, random.nextInt(4) == 0);
            for (int i = 0; i < x.length; i++) if (Math.abs(x[i]) == Float.MAX_VALUE) x[i] = 2f; // keep float sums from overflowing
            float[] vector = new float[tokens * rows], scalar = new float[tokens * rows], twoThreads = new float[tokens * rows];
            MatrixMatrix.multiplyTransposed(x, tokens, w, vector, MatrixVectorTest.ONE, true);
            MatrixMatrix.multiplyTransposed(x, tokens, w, scalar, MatrixVectorTest.ONE, false);
            MatrixMatrix.multiplyTransposed(x, tokens, w, twoThreads, MatrixVectorTest.TWO, true);
            Closeness.sameArrays("2 threads", twoThreads, vector);
            for (int t = 0; t < tokens; t++) {
                String what = dtype + " " + tokens + "x" + in + " -> " + rows + " token " + t;
                MatrixVectorTest.checkRows(what + " vector", w, x, t * in, vector, t * rows);
                MatrixVectorTest.checkRows(what + " scalar", w, x, t * in, scalar, t * rows);
                float[] decode = new float[rows], decodeScalar = new float[rows];
                MatrixVector.multiply(w, x, t * in, decode, 0, MatrixVectorTest.ONE, true);
                MatrixVector.multiply(w, x, t * in, decodeScalar, 0, MatrixVectorTest.ONE, false);
                for (int o = 0; o < rows; o++) {
                    Closeness.same(what + " equals decode, row " + o, vector[t * rows + o], decode[o]);
                    Closeness.same(what + " scalar equals scalar decode, row " + o, scalar[t * rows + o], decodeScalar[o]);
                }
            }
        });
    }

    @Test
    void largeShapesCrossTokenBlocks() {
        // in = 1000: token blocks of 128 tokens; 131 tokens and 10 rows leave remainders everywhere.
        SplittableRandom random = new SplittableRandom(7);
        int tokens = 131, in = 1000, rows = 10;
        MatrixView w = MatrixView.of(DType.BF16, rows, in, Inputs.uniform(random, rows * in, 1.0));
        float[] x = Inputs.uniform(random, tokens * in, 1.0);
        float[] y = new float[tokens * rows];
        MatrixMatrix.multiplyTransposed(x, tokens, w, y, MatrixVectorTest.TWO, true);
        for (int t = 0; t < tokens; t++) MatrixVectorTest.checkRows("token " + t, w, x, t * in, y, t * rows);
    }
}
