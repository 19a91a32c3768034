package dev.akvq.tensor;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code Y = X · Wᵀ}: a linear layer for many tokens at once (prefill, vision towers). {@code X} is
 * {@code tokens x in} row-major floats, {@code W} an {@code out x in} {@link MatrixView} (as
 * {@code nn.Linear.weight}), {@code Y} is {@code tokens x out} row-major.
 *
 * <p>Prefill is bound by arithmetic, not memory, so the work is tiled (the classic GEMM blocking of
 * Goto and van de Geijn, "Anatomy of high-performance matrix multiplication", ACM TOMS 34(3),
 * 2008, reduced to what a dot-product layout needs):
 * <ul>
 *   <li>a panel of four weight rows is widened to float once into a small buffer (so BF16/F16 are
 *       converted once per panel, not once per token) and stays in L1/L2;</li>
 *   <li>tokens are visited in blocks sized so the block's rows of {@code X} stay in L2;</li>
 *   <li>the micro-kernel computes a 4-token x 4-row tile with 16 vector accumulators along
 *       {@code in}: 8 loads feed 16 FMAs, and 16 independent chains hide FMA latency.</li>
 * </ul>
 * Each {@code Y[t, o]} keeps one accumulator over the whole row, sums its lanes in
 * {@link LaneSum}'s fixed order and adds the tail with scalar FMAs: exactly
 * {@link MatrixVector}'s arithmetic, so a prefill row equals the decode of that token bit for bit.
 * Output rows are split over the pool's threads.
 */
public final class MatrixMatrix {
    private MatrixMatrix() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;
    /** Bytes of {@code X} rows one token block may occupy: half of a 1 MiB L2, leaving room for the panel. */
    private static final int TOKEN_BLOCK_BYTES = 512 * 1024;

    /** {@code y[t * out + o] = Σ_i x[t * in + i] · W[o, i]} for {@code t < tokens}, {@code o < out = W.rows}. */
    public static void multiplyTransposed(float[] x, int tokens, MatrixView w, float[] y, WorkerPool pool) {
        multiplyTransposed(x, tokens, w, y, pool, KernelMode.VECTOR);
    }

    /** As {@link #multiplyTransposed}, then adds {@code bias[o]} to every token's row (nn.Linear with bias). */
    public static void multiplyTransposedAddBias(float[] x, int tokens, MatrixView w, float[] bias, float[] y, WorkerPool pool) {
        Objects.checkFromIndexSize(0, w.rows(), bias.length);
        multiplyTransposed(x, tokens, w, y, pool, KernelMode.VECTOR);
        for (int t = 0; t < tokens; t++) Add.add(y, t * w.rows(), bias, 0, w.rows());
    }

    static void multiplyTransposed(float[] x, int tokens, MatrixView w, float[] y, WorkerPool pool, boolean vector) {
        Objects.requireNonNull(pool, "pool");
        if (tokens < 0) throw new IllegalArgumentException("MatrixMatrix: tokens must be >= 0, got " + tokens);
        int in = w.cols(), out = w.rows();
        if ((long) tokens * in > x.length) {
            throw new IllegalArgumentException("MatrixMatrix: x holds " + x.length + " floats, " + tokens + " tokens x " + in + " need " + (long) tokens * in);
        }
        if ((long) tokens * out > y.length) {
            throw new IllegalArgumentException("MatrixMatrix: y holds " + y.length + " floats, " + tokens + " tokens x " + out + " need " + (long) tokens * out);
        }
        if (tokens == 0) return;
        pool.forRange(out, (start, end) -> {
            if (vector) rowsVector(x, tokens, w, y, start, end);
            else rowsScalar(x, tokens, w, y, start, end);
        });
    }

    /** Output rows {@code [start, end)} for all tokens, vector form. */
    static void rowsVector(float[] x, int tokens, MatrixView w, float[] y, int start, int end) {
        int in = w.cols(), out = w.rows();
        int upper = F.loopBound(in);
        int tokenBlock = Math.max(4, (TOKEN_BLOCK_BYTES / (4 * in)) & ~3);
        float[] panel = new float[4 * in];
        for (int t0 = 0; t0 < tokens; t0 += tokenBlock) {
            int t1 = Math.min(tokens, t0 + tokenBlock);
            int o = start;
            for (; o + 4 <= end; o += 4) {
                WeightLanes.widen(w.dtype(), w.data(), (long) o * in, 4 * in, panel, 0, true);
                int t = t0;
                for (; t + 4 <= t1; t += 4) tile4x4(x, t * in, in, upper, panel, y, t * out + o, out);
                for (; t < t1; t++) {
                    for (int k = 0; k < 4; k++) y[t * out + o + k] = pair(x, t * in, panel, k * in, in, upper);
                }
            }
            for (; o < end; o++) {
                WeightLanes.widen(w.dtype(), w.data(), (long) o * in, in, panel, 0, true);
                for (int t = t0; t < t1; t++) y[t * out + o] = pair(x, t * in, panel, 0, in, upper);
            }
        }
    }

    /** The 4x4 micro-kernel: tokens at x rows {@code xr, xr+in, ..}, weight rows at panel {@code 0, in, 2in, 3in}. */
    private static void tile4x4(float[] x, int xr, int in, int upper, float[] p, float[] y, int yr, int out) {
        int xr1 = xr + in, xr2 = xr1 + in, xr3 = xr2 + in;
        int p1 = in, p2 = 2 * in, p3 = 3 * in;
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        for (int i = 0; i < upper; i += F.length()) {
            FloatVector w0 = FloatVector.fromArray(F, p, i);
            FloatVector w1 = FloatVector.fromArray(F, p, p1 + i);
            FloatVector w2 = FloatVector.fromArray(F, p, p2 + i);
            FloatVector w3 = FloatVector.fromArray(F, p, p3 + i);
            FloatVector xv = FloatVector.fromArray(F, x, xr + i);
            c00 = w0.fma(xv, c00); c01 = w1.fma(xv, c01); c02 = w2.fma(xv, c02); c03 = w3.fma(xv, c03);
            xv = FloatVector.fromArray(F, x, xr1 + i);
            c10 = w0.fma(xv, c10); c11 = w1.fma(xv, c11); c12 = w2.fma(xv, c12); c13 = w3.fma(xv, c13);
            xv = FloatVector.fromArray(F, x, xr2 + i);
            c20 = w0.fma(xv, c20); c21 = w1.fma(xv, c21); c22 = w2.fma(xv, c22); c23 = w3.fma(xv, c23);
            xv = FloatVector.fromArray(F, x, xr3 + i);
            c30 = w0.fma(xv, c30); c31 = w1.fma(xv, c31); c32 = w2.fma(xv, c32); c33 = w3.fma(xv, c33);
        }
        int y1 = yr + out, y2 = y1 + out, y3 = y2 + out;
        y[yr] = tail(x, xr, p, 0, in, upper, LaneSum.of(c00));
        y[yr + 1] = tail(x, xr, p, p1, in, upper, LaneSum.of(c01));
        y[yr + 2] = tail(x, xr, p, p2, in, upper, LaneSum.of(c02));
        y[yr + 3] = tail(x, xr, p, p3, in, upper, LaneSum.of(c03));
        y[y1] = tail(x, xr1, p, 0, in, upper, LaneSum.of(c10));
        y[y1 + 1] = tail(x, xr1, p, p1, in, upper, LaneSum.of(c11));
        y[y1 + 2] = tail(x, xr1, p, p2, in, upper, LaneSum.of(c12));
        y[y1 + 3] = tail(x, xr1, p, p3, in, upper, LaneSum.of(c13));
        y[y2] = tail(x, xr2, p, 0, in, upper, LaneSum.of(c20));
        y[y2 + 1] = tail(x, xr2, p, p1, in, upper, LaneSum.of(c21));
        y[y2 + 2] = tail(x, xr2, p, p2, in, upper, LaneSum.of(c22));
        y[y2 + 3] = tail(x, xr2, p, p3, in, upper, LaneSum.of(c23));
        y[y3] = tail(x, xr3, p, 0, in, upper, LaneSum.of(c30));
        y[y3 + 1] = tail(x, xr3, p, p1, in, upper, LaneSum.of(c31));
        y[y3 + 2] = tail(x, xr3, p, p2, in, upper, LaneSum.of(c32));
        y[y3 + 3] = tail(x, xr3, p, p3, in, upper, LaneSum.of(c33));
    }

    /** One token x one weight row: the 1x1 case of the tile, same arithmetic. */
    private static float pair(float[] x, int xr, float[] p, int pr, int in, int upper) {
        FloatVector c = FloatVector.zero(F);
        for (int i = 0; i < upper; i += F.length()) {
            c = FloatVector.fromArray(F, p, pr + i).fma(FloatVector.fromArray(F, x, xr + i), c);
        }
        return tail(x, xr, p, pr, in, upper, LaneSum.of(c));
    }

    private static float tail(float[] x, int xr, float[] p, int pr, int in, int from, float sum) {
        for (int i = from; i < in; i++) sum = Math.fma(p[pr + i], x[xr + i], sum);
        return sum;
    }

    /** Output rows {@code [start, end)} for all tokens, scalar twin: one FMA per product, in column order. */
    static void rowsScalar(float[] x, int tokens, MatrixView w, float[] y, int start, int end) {
        int in = w.cols(), out = w.rows();
        for (int t = 0; t < tokens; t++) {
            for (int o = start; o < end; o++) {
                y[t * out + o] = MatrixVector.tail(w.dtype(), w.data(), (long) o * in, in, 0, x, t * in, 0f);
            }
        }
    }
}
