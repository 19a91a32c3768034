package dev.akvq.tensor;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One stored row (a cached key or value, F32 or F16, widened in registers) read once for several
 * query heads: grouped-query attention's {@code heads} queries share one KV head, so each load and
 * F16 widening of the row serves all of them.
 * <ul>
 *   <li>{@link #dots}: {@code out_h = Σ_i R[row, i] · q_h[i]}, {@link MatrixVector}'s arithmetic for
 *       that row and each head, bit for bit (lane accumulators over {@code loopBound(cols)} columns,
 *       {@link LaneSum}'s order, then one FMA per tail column);</li>
 *   <li>{@link #accumulate}: {@code acc_h[c] = fma(R[row, c], p_h, acc_h[c])}; rows fed in order into
 *       a zeroed {@code acc} give {@link WeightedRowSum}'s result bit for bit (each column adds its
 *       rows in row order, one FMA each).</li>
 * </ul>
 * Heads are taken four at a time (four accumulators in registers share each row vector; a last
 * block overlaps the one before when the count is not a multiple of four), fewer than four one at
 * a time; a head's arithmetic does not depend on which block it falls in, so results do not
 * depend on the number of heads asked for together.
 *
 * <p>No garbage per call: C2 stops inlining a method's callees once its graph holds about 18,000
 * nodes ({@code NodeCountInliningCutoff}), and a vector handed to a callee left as a call is boxed
 * on the heap. Each Vector API operation costs C2 hundreds of nodes, so the four-head block (one
 * F16 widening, four FMAs, four lane sums) used to run out before its fourth {@link LaneSum#of}
 * and boxed a vector per call (2 MB per decode step of the fp16 cache). It now sums its four
 * accumulators with one {@link LaneSum#ofFour} and widens F16 with constant vectors, about 14,700
 * nodes at 512 bits (JDK 25, {@code -XX:+LogCompilation}).
 */
public final class MultiQueryRows {
    private MultiQueryRows() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;

    /**
     * {@code out[outOffset + h·outStride] = Σ_i R[row, i] · q[qOffset + h·qStride + i]} for {@code h < heads}.
     */
    public static void dots(MatrixView rows, int row, float[] q, int qOffset, int qStride, int heads,
                            float[] out, int outOffset, int outStride) {
        check(rows, row, heads);
        checkSpans(q, qOffset, qStride, heads, rows.cols());
        checkSpans(out, outOffset, outStride, heads, 1);
        if (KernelMode.VECTOR) dotsVector(rows, row, q, qOffset, qStride, heads, out, outOffset, outStride);
        else dotsScalar(rows, row, q, qOffset, qStride, heads, out, outOffset, outStride);
    }

    /**
     * {@code acc[accOffset + h·accStride + c] = fma(R[row, c], p[pOffset + h·pStride], acc[...])} for
     * {@code h < heads}, {@code c < cols}.
     */
    public static void accumulate(MatrixView rows, int row, float[] p, int pOffset, int pStride, int heads,
                                  float[] acc, int accOffset, int accStride) {
        check(rows, row, heads);
        checkSpans(p, pOffset, pStride, heads, 1);
        checkSpans(acc, accOffset, accStride, heads, rows.cols());
        if (KernelMode.VECTOR) accumulateVector(rows, row, p, pOffset, pStride, heads, acc, accOffset, accStride);
        else accumulateScalar(rows, row, p, pOffset, pStride, heads, acc, accOffset, accStride);
    }

    private static void check(MatrixView rows, int row, int heads) {
        Objects.checkIndex(row, rows.rows());
        if (rows.dtype() != DType.F32 && rows.dtype() != DType.F16) {
            throw new IllegalArgumentException("MultiQueryRows reads F32 or F16 rows, not " + rows.dtype());
        }
        if (heads < 1) throw new IllegalArgumentException("MultiQueryRows: heads must be >= 1, got " + heads);
    }

    /** {@code heads} spans of {@code width} floats, {@code stride} apart from {@code offset}, inside {@code a}. */
    private static void checkSpans(float[] a, int offset, int stride, int heads, int width) {
        if (stride < 0) throw new IllegalArgumentException("MultiQueryRows: negative stride " + stride);
        Objects.checkFromIndexSize(offset, Math.addExact(Math.multiplyExact(heads - 1, stride), width), a.length);
    }

    static void dotsVector(MatrixView rows, int row, float[] q, int qOffset, int qStride, int heads,
                           float[] out, int outOffset, int outStride) {
        int cols = rows.cols(), upper = F.loopBound(cols);
        long base = (long) row * cols;
        boolean half = rows.dtype() == DType.F16;
        // Four heads at a time; when heads is not a multiple of four the last block overlaps the one
        // before it (heads 2-5 of 6), which recomputes those heads' same bits rather than adding a
        // one-head loop: that loop's own widening and lane sum would not fit C2's budget (see above).
        // Fewer than four heads (multi-head attention, groups of 2 or 3) go one at a time.
        for (int next = 0; heads >= 4 && next < heads; next += 4) {
            int h = Math.min(next, heads - 4);
            int q0 = qOffset + h * qStride, q1 = q0 + qStride, q2 = q1 + qStride, q3 = q2 + qStride;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < upper; i += F.length()) {
                FloatVector r = half ? WeightLanes.f16(rows.data(), base + i) : WeightLanes.f32(rows.data(), base + i);
                a0 = r.fma(FloatVector.fromArray(F, q, q0 + i), a0);
                a1 = r.fma(FloatVector.fromArray(F, q, q1 + i), a1);
                a2 = r.fma(FloatVector.fromArray(F, q, q2 + i), a2);
                a3 = r.fma(FloatVector.fromArray(F, q, q3 + i), a3);
            }
            FloatVector sums = LaneSum.ofFour(a0, a1, a2, a3);
            int o = outOffset + h * outStride, quarter = LaneSum.QUARTER;
            out[o] = MatrixVector.tail(rows.dtype(), rows.data(), base, cols, upper, q, q0, sums.lane(0));
            out[o + outStride] = MatrixVector.tail(rows.dtype(), rows.data(), base, cols, upper, q, q1, sums.lane(quarter));
            out[o + 2 * outStride] = MatrixVector.tail(rows.dtype(), rows.data(), base, cols, upper, q, q2, sums.lane(2 * quarter));
            out[o + 3 * outStride] = MatrixVector.tail(rows.dtype(), rows.data(), base, cols, upper, q, q3, sums.lane(3 * quarter));
        }
        for (int h = 0; heads < 4 && h < heads; h++) {
            int q0 = qOffset + h * qStride;
            FloatVector a0 = FloatVector.zero(F);
            for (int i = 0; i < upper; i += F.length()) {
                FloatVector r = half ? WeightLanes.f16(rows.data(), base + i) : WeightLanes.f32(rows.data(), base + i);
                a0 = r.fma(FloatVector.fromArray(F, q, q0 + i), a0);
            }
            out[outOffset + h * outStride] = MatrixVector.tail(rows.dtype(), rows.data(), base, cols, upper, q, q0, LaneSum.of(a0));
        }
    }

    static void dotsScalar(MatrixView rows, int row, float[] q, int qOffset, int qStride, int heads,
                           float[] out, int outOffset, int outStride) {
        long base = (long) row * rows.cols();
        for (int h = 0; h < heads; h++) {
            out[outOffset + h * outStride] = MatrixVector.tail(rows.dtype(), rows.data(), base, rows.cols(), 0, q, qOffset + h * qStride, 0f);
        }
    }

    static void accumulateVector(MatrixView rows, int row, float[] p, int pOffset, int pStride, int heads,
                                 float[] acc, int accOffset, int accStride) {
        int cols = rows.cols(), upper = F.loopBound(cols);
        long base = (long) row * cols;
        boolean half = rows.dtype() == DType.F16;
        for (int i = 0; i < upper; i += F.length()) {
            FloatVector r = half ? WeightLanes.f16(rows.data(), base + i) : WeightLanes.f32(rows.data(), base + i);
            for (int h = 0; h < heads; h++) {
                int at = accOffset + h * accStride + i;
                r.fma(FloatVector.broadcast(F, p[pOffset + h * pStride]), FloatVector.fromArray(F, acc, at)).intoArray(acc, at);
            }
        }
        tails(rows, base, upper, p, pOffset, pStride, heads, acc, accOffset, accStride);
    }

    static void accumulateScalar(MatrixView rows, int row, float[] p, int pOffset, int pStride, int heads,
                                 float[] acc, int accOffset, int accStride) {
        tails(rows, (long) row * rows.cols(), 0, p, pOffset, pStride, heads, acc, accOffset, accStride);
    }

    private static void tails(MatrixView rows, long base, int from, float[] p, int pOffset, int pStride, int heads,
                              float[] acc, int accOffset, int accStride) {
        for (int c = from; c < rows.cols(); c++) {
            float r = WeightLanes.scalar(rows.dtype(), rows.data(), base + c);
            for (int h = 0; h < heads; h++) {
                int at = accOffset + h * accStride + c;
                acc[at] = Math.fma(r, p[pOffset + h * pStride], acc[at]);
            }
        }
    }
}
