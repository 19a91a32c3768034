package dev.akvq.tensor;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@code pᵀ V} for F32, BF16 and F16 rows against a double oracle, per column bound
 * {@code (rows + 2)·2^-24·Σ_r|p_r V[r,c]|}; both paths, unaligned segments, and the two paths
 * equal bit for bit (same FMA order per column).
 */
class WeightedRowSumTest {

    @Test
    void matchesTheDoubleOracleForEveryDtypeAndPath() {
        qt().withExamples(Inputs.examples(300)).forAll(integers().between(0, Inputs.SIZES.length - 1), integers().between(1, 70),
                integers().between(0, Inputs.SCALES.length - 1), longs().all())
                .checkAssert((size, rows, scale, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            int cols = Inputs.SIZES[size];
            DType dtype = MatrixVectorTest.DTYPES[random.nextInt(3)];
            MatrixView v = MatrixVectorTest.misaligned(
                    MatrixView.of(dtype, rows, cols, Inputs.uniform(random, rows * cols, Inputs.SCALES[scale])), random.nextInt(4));
            int po = random.nextInt(3), oo = random.nextInt(3);
            float[] p = new float[po + rows];
            System.arraycopy(Inputs.uniform(random, rows, 1.0), 0, p, po, rows);
            float[] vectorOut = new float[oo + cols], scalarOut = new float[oo + cols];
            WeightedRowSum.sum(v, p, po, vectorOut, oo, true);
            WeightedRowSum.sum(v, p, po, scalarOut, oo, false);
            for (int c = 0; c < cols; c++) {
                double ref = 0, mag = 0;
                for (int r = 0; r < rows; r++) {
                    double term = (double) p[po + r] * v.get(r, c);
                    ref += term;
                    mag += Math.abs(term);
                }
                double tol = (rows + 2) * Closeness.U * mag + rows * (double) Float.MIN_VALUE;
                Closeness.check(dtype + " vector " + rows + "x" + cols + " col " + c, vectorOut[oo + c], ref, tol);
            }
            Closeness.sameArrays(dtype + " scalar twin", scalarOut, vectorOut);
        });
    }
}
