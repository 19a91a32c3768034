package dev.akvq.tensor;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Matrix-vector products for F32, BF16 and F16 weights against a double oracle over the stored
 * (widened) weights, per row bound {@code (cols + 2)·2^-24·Σ_i|W[o,i] x_i|}; both paths; unaligned
 * segments; the same bits for 1, 2 and 3 threads.
 */
class MatrixVectorTest {

    static final DType[] DTYPES = {DType.F32, DType.BF16, DType.F16};
    /** Shared by the matrix tests for the life of the test JVM (daemon threads, never closed). */
    static final WorkerPool ONE = WorkerPool.create(1), TWO = WorkerPool.create(2), THREE = WorkerPool.create(3);

    /** A matrix of the given dtype whose segment starts {@code misalign} bytes into a byte[]. */
    static MatrixView misaligned(MatrixView m, int misalign) {
        MemorySegment copy = MemorySegment.ofArray(new byte[(int) m.data().byteSize() + misalign]).asSlice(misalign);
        copy.copyFrom(m.data());
        return new MatrixView(m.dtype(), m.rows(), m.cols(), copy);
    }

    static void checkRows(String what, MatrixView w, float[] x, int xo, float[] out, int oo) {
        for (int o = 0; o < w.rows(); o++) {
            double ref = 0, scale = 0;
            for (int i = 0; i < w.cols(); i++) {
                double p = (double) w.get(o, i) * x[xo + i];
                ref += p;
                scale += Math.abs(p);
            }
            double tol = (w.cols() + 2) * Closeness.U * scale + w.cols() * (double) Float.MIN_VALUE;
            Closeness.check(what + " row " + o, out[oo + o], ref, tol);
        }
    }

    @Test
    void matchesTheDoubleOracleForEveryDtypeAndPath() {
        qt().withExamples(Inputs.examples(300)).forAll(integers().between(0, Inputs.SIZES.length - 1), integers().between(1, 11),
                integers().between(0, Inputs.SCALES.length - 1), longs().all())
                .checkAssert((size, rows, scale, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            boolean corners = random.nextBoolean();
            int cols = Inputs.SIZES[size];
            DType dtype = DTYPES[random.nextInt(3)];
            MatrixView w = misaligned(MatrixView.of(dtype, rows, cols, Inputs.uniform(random, rows * cols, 1.0)), random.nextInt(4));
            int xo = random.nextInt(3), oo = random.nextInt(3);
            float[] x = new float[xo + cols];
            float[] xValues = Inputs.withCorners(random, cols, Inputs.SCALES[scale], corners);
            int maxes = 0;
            for (int i = 0; i < cols; i++) if (Math.abs(xValues[i]) == Float.MAX_VALUE && ++maxes > 1) xValues[i] = 1f;
            System.arraycopy(xValues, 0, x, xo, cols);
            for (boolean vector : new boolean[] {true, false}) {
                float[] out = new float[oo + rows];
                MatrixVector.multiply(w, x, xo, out, oo, ONE, vector);
                checkRows(dtype + (vector ? " vector" : " scalar") + " " + rows + "x" + cols, w, x, xo, out, oo);
            }
        });
    }

    @Test
    void sameBitsForAnyThreadCount() {
        qt().withExamples(Inputs.examples(40)).forAll(integers().between(1, 70), integers().between(0, Inputs.SIZES.length - 1), longs().all())
                .checkAssert((rows, size, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            int cols = Inputs.SIZES[size];
            MatrixView w = MatrixView.of(DTYPES[random.nextInt(3)], rows, cols, Inputs.uniform(random, rows * cols, 1.0));
            float[] x = Inputs.uniform(random, cols, 1.0);
            float[] one = new float[rows], two = new float[rows], three = new float[rows];
            MatrixVector.multiply(w, x, 0, one, 0, ONE, true);
            MatrixVector.multiply(w, x, 0, two, 0, TWO, true);
            MatrixVector.multiply(w, x, 0, three, 0, THREE, true);
            Closeness.sameArrays("2 threads", two, one);
            Closeness.sameArrays("3 threads", three, one);
        });
    }

    @Test
    void biasIsAddedAfterTheProduct() {
        MatrixView w = MatrixView.ofFloats(2, 3, new float[] {1, 2, 3, 4, 5, 6});
        float[] out = new float[2];
        MatrixVector.multiplyAddBias(w, new float[] {1, 1, 1}, 0, new float[] {0.5f, -1f}, out, 0, ONE);
        Closeness.sameArrays("bias", out, new float[] {6.5f, 14f});
    }

    @Test
    void rejectsShortVectors() {
        MatrixView w = MatrixView.ofFloats(2, 3, new float[6]);
        assertThrows(IndexOutOfBoundsException.class, () -> MatrixVector.multiply(w, new float[2], new float[2], ONE));
        assertThrows(IndexOutOfBoundsException.class, () -> MatrixVector.multiply(w, new float[3], new float[1], ONE));
    }
}
