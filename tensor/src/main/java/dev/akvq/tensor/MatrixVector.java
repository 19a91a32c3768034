package dev.akvq.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code out[o] = Σ_i W[o, i] · x[i]}: a linear layer for one token (decode), {@code W} in its stored
 * dtype (F32, BF16 or F16) and widened in registers, never copied.
 *
 * <p>Decode is bound by reading the weights once from memory, so the kernel is arranged to stream:
 * four rows at a time share each load of {@code x} (which stays in L1), every row keeps one vector
 * accumulator over the whole row, and its lanes are summed in {@link LaneSum}'s fixed order before
 * the scalar tail adds the last {@code cols % lanes} products. A row's arithmetic is the same
 * whether it falls in a block of four, in the single-row remainder, or in
 * {@link MatrixMatrix}'s tiles, so results do not depend on the thread count and prefill equals
 * decode bit for bit.
 */
public final class MatrixVector {
    private MatrixVector() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;
    /**
     * Row chunks per thread: a thread that starts late or reads slower leaves at most one chunk
     * (an eighth of its share) to wait for; a chunk of the smallest decode matrix (256 rows of
     * 1024 BF16 weights) is still 32 KiB, far above a claim's cost.
     */
    static final int CHUNKS_PER_THREAD = 8;

    /** {@code out[outOffset + o] = Σ_i W[o, i] · x[xOffset + i]} for all rows {@code o}, rows split over {@code pool}. */
    public static void multiply(MatrixView w, float[] x, int xOffset, float[] out, int outOffset, WorkerPool pool) {
        multiply(w, x, xOffset, out, outOffset, pool, KernelMode.VECTOR);
    }

    /** {@link #multiply(MatrixView, float[], int, float[], int, WorkerPool)} with zero offsets. */
    public static void multiply(MatrixView w, float[] x, float[] out, WorkerPool pool) {
        multiply(w, x, 0, out, 0, pool, KernelMode.VECTOR);
    }

    /** As {@link #multiply}, then {@code out[o] += bias[o]} (nn.Linear with bias: the product first, as torch's addmm). */
    public static void multiplyAddBias(MatrixView w, float[] x, int xOffset, float[] bias, float[] out, int outOffset, WorkerPool pool) {
        Objects.checkFromIndexSize(0, w.rows(), bias.length);
        multiply(w, x, xOffset, out, outOffset, pool, KernelMode.VECTOR);
        Add.add(out, outOffset, bias, 0, w.rows());
    }

    static void multiply(MatrixView w, float[] x, int xOffset, float[] out, int outOffset, WorkerPool pool, boolean vector) {
        Objects.requireNonNull(pool, "pool");
        Objects.checkFromIndexSize(xOffset, w.cols(), x.length);
        Objects.checkFromIndexSize(outOffset, w.rows(), out.length);
        // Chunks of whole 4-row blocks, several per thread, claimed as threads come free (WorkerPool).
        int blocks = (w.rows() + 3) / 4;
        pool.forChunks(blocks, CHUNKS_PER_THREAD * pool.threads(), (b0, b1) -> {
            int start = 4 * b0, end = Math.min(w.rows(), 4 * b1);
            if (vector) rowsVector(w, x, xOffset, out, outOffset, start, end);
            else rowsScalar(w, x, xOffset, out, outOffset, start, end);
        });
    }

    /** Rows {@code [start, end)} with the vector form. */
    static void rowsVector(MatrixView w, float[] x, int xOffset, float[] out, int outOffset, int start, int end) {
        switch (w.dtype()) {
            case F32 -> rowsF32(w.data(), w.cols(), x, xOffset, out, outOffset, start, end);
            case BF16 -> rowsBf16(w.data(), w.cols(), x, xOffset, out, outOffset, start, end);
            case F16 -> rowsF16(w.data(), w.cols(), x, xOffset, out, outOffset, start, end);
            default -> throw new IllegalArgumentException("not a float weight dtype: " + w.dtype());
        }
    }

    // The three loops below differ only in the widening load; C2 compiles each with its load
    // inlined, which a shared loop with a dtype switch inside does not reliably get.

    private static void rowsF32(MemorySegment w, int cols, float[] x, int xo, float[] out, int oo, int start, int end) {
        int upper = F.loopBound(cols);
        int o = start;
        for (; o + 4 <= end; o += 4) {
            long r0 = (long) o * cols, r1 = r0 + cols, r2 = r1 + cols, r3 = r2 + cols;
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            for (int i = 0; i < upper; i += F.length()) {
                FloatVector xv = FloatVector.fromArray(F, x, xo + i);
                a0 = WeightLanes.f32(w, r0 + i).fma(xv, a0);
                a1 = WeightLanes.f32(w, r1 + i).fma(xv, a1);
                a2 = WeightLanes.f32(w, r2 + i).fma(xv, a2);
                a3 = WeightLanes.f32(w, r3 + i).fma(xv, a3);
            }
            out[oo + o] = tail(DType.F32, w, r0, cols, upper, x, xo, LaneSum.of(a0));
            out[oo + o + 1] = tail(DType.F32, w, r1, cols, upper, x, xo, LaneSum.of(a1));
            out[oo + o + 2] = tail(DType.F32, w, r2, cols, upper, x, xo, LaneSum.of(a2));
            out[oo + o + 3] = tail(DType.F32, w, r3, cols, upper, x, xo, LaneSum.of(a3));
        }
        for (; o < end; o++) {
            long r0 = (long) o * cols;
            FloatVector a0 = FloatVector.zero(F);
            for (int i = 0; i < upper; i += F.length()) {
                a0 = WeightLanes.f32(w, r0 + i).fma(FloatVector.fromArray(F, x, xo + i), a0);
            }
            out[oo + o] = tail(DType.F32, w, r0, cols, upper, x, xo, LaneSum.of(a0));
        }
    }

    private static void rowsBf16(MemorySegment w, int cols, float[] x, int xo, float[] out, int oo, int start, int end) {
        int upper = F.loopBound(cols);
        int o = start;
        for (; o + 4 <= end; o += 4) {
            long r0 = (long) o * cols, r1 = r0 + cols, r2 = r1 + cols, r3 = r2 + cols;
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            for (int i = 0; i < upper; i += F.length()) {
                FloatVector xv = FloatVector.fromArray(F, x, xo + i);
                a0 = WeightLanes.bf16(w, r0 + i).fma(xv, a0);
                a1 = WeightLanes.bf16(w, r1 + i).fma(xv, a1);
                a2 = WeightLanes.bf16(w, r2 + i).fma(xv, a2);
                a3 = WeightLanes.bf16(w, r3 + i).fma(xv, a3);
            }
            out[oo + o] = tail(DType.BF16, w, r0, cols, upper, x, xo, LaneSum.of(a0));
            out[oo + o + 1] = tail(DType.BF16, w, r1, cols, upper, x, xo, LaneSum.of(a1));
            out[oo + o + 2] = tail(DType.BF16, w, r2, cols, upper, x, xo, LaneSum.of(a2));
            out[oo + o + 3] = tail(DType.BF16, w, r3, cols, upper, x, xo, LaneSum.of(a3));
        }
        for (; o < end; o++) {
            long r0 = (long) o * cols;
            FloatVector a0 = FloatVector.zero(F);
            for (int i = 0; i < upper; i += F.length()) {
                a0 = WeightLanes.bf16(w, r0 + i).fma(FloatVector.fromArray(F, x, xo + i), a0);
            }
            out[oo + o] = tail(DType.BF16, w, r0, cols, upper, x, xo, LaneSum.of(a0));
        }
    }

    private static void rowsF16(MemorySegment w, int cols, float[] x, int xo, float[] out, int oo, int start, int end) {
        int upper = F.loopBound(cols);
        int o = start;
        for (; o + 4 <= end; o += 4) {
            long r0 = (long) o * cols, r1 = r0 + cols, r2 = r1 + cols, r3 = r2 + cols;
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            for (int i = 0; i < upper; i += F.length()) {
                FloatVector xv = FloatVector.fromArray(F, x, xo + i);
                a0 = WeightLanes.f16(w, r0 + i).fma(xv, a0);
                a1 = WeightLanes.f16(w, r1 + i).fma(xv, a1);
                a2 = WeightLanes.f16(w, r2 + i).fma(xv, a2);
                a3 = WeightLanes.f16(w, r3 + i).fma(xv, a3);
            }
            out[oo + o] = tail(DType.F16, w, r0, cols, upper, x, xo, LaneSum.of(a0));
            out[oo + o + 1] = tail(DType.F16, w, r1, cols, upper, x, xo, LaneSum.of(a1));
            out[oo + o + 2] = tail(DType.F16, w, r2, cols, upper, x, xo, LaneSum.of(a2));
            out[oo + o + 3] = tail(DType.F16, w, r3, cols, upper, x, xo, LaneSum.of(a3));
        }
        for (; o < end; o++) {
            long r0 = (long) o * cols;
            FloatVector a0 = FloatVector.zero(F);
            for (int i = 0; i < upper; i += F.length()) {
                a0 = WeightLanes.f16(w, r0 + i).fma(FloatVector.fromArray(F, x, xo + i), a0);
            }
            out[oo + o] = tail(DType.F16, w, r0, cols, upper, x, xo, LaneSum.of(a0));
        }
    }

    /** Adds the products of columns {@code [from, cols)} of the row at element {@code rowStart} to {@code sum}, one FMA each. */
    static float tail(DType dtype, MemorySegment w, long rowStart, int cols, int from, float[] x, int xo, float sum) {
        for (int i = from; i < cols; i++) sum = Math.fma(WeightLanes.scalar(dtype, w, rowStart + i), x[xo + i], sum);
        return sum;
    }

    /** Rows {@code [start, end)} with the scalar twin: one FMA per weight, in column order. */
    static void rowsScalar(MatrixView w, float[] x, int xOffset, float[] out, int outOffset, int start, int end) {
        for (int o = start; o < end; o++) {
            out[outOffset + o] = tail(w.dtype(), w.data(), (long) o * w.cols(), w.cols(), 0, x, xOffset, 0f);
        }
    }
}
