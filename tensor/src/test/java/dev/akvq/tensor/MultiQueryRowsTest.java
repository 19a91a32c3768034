package dev.akvq.tensor;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * One stored row for several query heads: {@link MultiQueryRows#dots} equals {@link MatrixVector}
 * per head and {@link MultiQueryRows#accumulate} over the rows in order equals
 * {@link WeightedRowSum}, bit for bit (the grouped attention must not change a head's result), for
 * F32 and F16 rows, 1..9 heads (blocks of four and the remainder), column counts below, at and above
 * the lanes; both forms against a double oracle; the vector and scalar forms agree exactly.
 */
class MultiQueryRowsTest {
    private static final DType[] DTYPES = {DType.F32, DType.F16};

    @Test
    void equalsMatrixVectorAndWeightedRowSumPerHeadBitForBit() {
        qt().withExamples(Inputs.examples(250)).forAll(integers().between(0, Inputs.SIZES.length - 1), integers().between(1, 40),
                integers().between(1, 9), longs().all()).checkAssert((size, rows, heads, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            int cols = Inputs.SIZES[size];
            DType dtype = DTYPES[random.nextInt(2)];
            MatrixView m = MatrixVectorTest.misaligned(MatrixView.of(dtype, rows, cols, Inputs.uniform(random, rows * cols, 1.0)),
                    random.nextInt(4));
            int qo = random.nextInt(3), qStride = cols + random.nextInt(3), oo = random.nextInt(3);
            float[] q = Inputs.uniform(random, qo + (heads - 1) * qStride + cols, 1.0);
            // dots: head h's scores of every row at out[oo + h·rows + r].
            float[] dv = new float[oo + heads * rows], ds = new float[dv.length];
            for (int r = 0; r < rows; r++) {
                MultiQueryRows.dotsVector(m, r, q, qo, qStride, heads, dv, oo + r, rows);
                MultiQueryRows.dotsScalar(m, r, q, qo, qStride, heads, ds, oo + r, rows);
            }
            float[] p = Inputs.uniform(random, heads * rows, 1.0);
            float[] av = new float[oo + heads * cols], as = new float[av.length];
            for (int r = 0; r < rows; r++) {
                MultiQueryRows.accumulateVector(m, r, p, r, rows, heads, av, oo, cols);
                MultiQueryRows.accumulateScalar(m, r, p, r, rows, heads, as, oo, cols);
            }
            for (int h = 0; h < heads; h++) {
                String what = dtype + " " + rows + "x" + cols + " head " + h + " of " + heads;
                float[] mv = new float[rows], wv = new float[cols], ms = new float[rows], ws = new float[cols];
                MatrixVector.multiply(m, q, qo + h * qStride, mv, 0, MatrixVectorTest.ONE, true);
                MatrixVector.multiply(m, q, qo + h * qStride, ms, 0, MatrixVectorTest.ONE, false);
                WeightedRowSum.sum(m, p, h * rows, wv, 0, true);
                WeightedRowSum.sum(m, p, h * rows, ws, 0, false);
                for (int r = 0; r < rows; r++) {
                    Closeness.same(what + " dot row " + r, dv[oo + h * rows + r], mv[r]);
                    Closeness.same(what + " scalar dot row " + r, ds[oo + h * rows + r], ms[r]);
                    double ref = 0, mag = 0;
                    for (int c = 0; c < cols; c++) {
                        double term = (double) m.get(r, c) * q[qo + h * qStride + c];
                        ref += term;
                        mag += Math.abs(term);
                    }
                    Closeness.check(what + " dot vs double, row " + r, dv[oo + h * rows + r], ref, (cols + 2) * Closeness.U * mag);
                }
                for (int c = 0; c < cols; c++) {
                    Closeness.same(what + " sum col " + c, av[oo + h * cols + c], wv[c]);
                    Closeness.same(what + " scalar sum col " + c, as[oo + h * cols + c], ws[c]);
                    double ref = 0, mag = 0;
                    for (int r = 0; r < rows; r++) {
                        double term = (double) p[h * rows + r] * m.get(r, c);
                        ref += term;
                        mag += Math.abs(term);
                    }
                    Closeness.check(what + " sum vs double, col " + c, av[oo + h * cols + c], ref, (rows + 2) * Closeness.U * mag);
                }
            }
        });
    }

    @Test
    void rejectsSpansOutsideTheArraysAndOtherDtypes() {
        MatrixView m = MatrixView.of(DType.F32, 2, 8, new float[16]);
        assertThrows(IndexOutOfBoundsException.class, () -> MultiQueryRows.dots(m, 0, new float[15], 0, 8, 2, new float[4], 0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> MultiQueryRows.dots(m, 2, new float[16], 0, 8, 2, new float[4], 0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> MultiQueryRows.accumulate(m, 0, new float[2], 0, 1, 2, new float[15], 0, 8));
        assertThrows(IllegalArgumentException.class, () -> MultiQueryRows.dots(m, 0, new float[16], 0, 8, 0, new float[4], 0, 1));
        MatrixView bf16 = MatrixView.of(DType.BF16, 2, 8, new float[16]);
        assertThrows(IllegalArgumentException.class, () -> MultiQueryRows.dots(bf16, 0, new float[8], 0, 8, 1, new float[1], 0, 1));
    }
}
