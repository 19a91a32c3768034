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
 *   <li>{@code in} is walked in blocks of 512 columns, outermost, so the panel's block stays in L1
 *       while every token of the block passes over it;</li>
 *   <li>the micro-kernel computes a 4-token x 4-row tile with 16 vector accumulators along
 *       {@code in}: 8 loads feed 16 FMAs, and 16 independent chains hide FMA latency. Between
 *       blocks of {@code in} the accumulators are parked in a small array, unreduced.</li>
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
    /**
     * Columns per pass of the micro-kernel: 4 weight rows and 4 token rows of 512 floats are 16 KiB,
     * a third of a 48 KiB L1, so both operands of the inner loop stay in L1.
     */
    private static final int IN_BLOCK_FLOATS = 512;

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
        int in = w.cols(), out = w.rows(), lanes = F.length();
        int upper = F.loopBound(in);
        int tokenBlock = Math.max(4, (TOKEN_BLOCK_BYTES / (4 * in)) & ~3);
        int inBlock = Math.max(lanes, IN_BLOCK_FLOATS / lanes * lanes);
        float[] panel = new float[4 * in];
        float[] acc = new float[(tokenBlock / 4) * 16 * lanes];
        for (int t0 = 0; t0 < tokens; t0 += tokenBlock) {
            int t1 = Math.min(tokens, t0 + tokenBlock);
            int quads = (t1 - t0) / 4;
            int o = start;
            for (; o + 4 <= end; o += 4) {
                WeightLanes.widen(w.dtype(), w.data(), (long) o * in, 4 * in, panel, 0, true);
                // Blocks of `in` outermost, so a block of the panel stays in L1 while every token quad
                // of the block passes over it; each 4x4 tile keeps its 16 accumulators in acc between
                // blocks: the same FMA chain per output as one pass over the whole row.
                java.util.Arrays.fill(acc, 0, quads * 16 * lanes, 0f);
                for (int k0 = 0; k0 < upper; k0 += inBlock) {
                    int k1 = Math.min(upper, k0 + inBlock);
                    for (int q = 0; q < quads; q++) tile4x4(x, (t0 + 4 * q) * in, in, k0, k1, panel, acc, q * 16 * lanes);
                }
                for (int q = 0; q < quads; q++) {
                    int t = t0 + 4 * q;
                    for (int a = 0; a < 4; a++) {
                        for (int b = 0; b < 4; b++) {
                            float lanesSum = LaneSum.of(FloatVector.fromArray(F, acc, (16 * q + 4 * a + b) * lanes));
                            y[(t + a) * out + o + b] = tail(x, (t + a) * in, panel, b * in, in, upper, lanesSum);
                        }
                    }
                }
                for (int t = t0 + 4 * quads; t < t1; t++) {
                    for (int k = 0; k < 4; k++) y[t * out + o + k] = pair(x, t * in, panel, k * in, in, upper);
                }
            }
            for (; o < end; o++) {
                WeightLanes.widen(w.dtype(), w.data(), (long) o * in, in, panel, 0, true);
                for (int t = t0; t < t1; t++) y[t * out + o] = pair(x, t * in, panel, 0, in, upper);
            }
        }
    }

    /**
     * The 4x4 micro-kernel over columns {@code [k0, k1)}: tokens at x rows {@code xr, xr+in, ..},
     * weight rows at panel {@code 0, in, 2in, 3in}, accumulator (token i, row j) at
     * {@code acc[a + (4i + j)·lanes]}, loaded before and stored after.
     */
    private static void tile4x4(float[] x, int xr, int in, int k0, int k1, float[] p, float[] acc, int a) {
        int l = F.length();
        int xr1 = xr + in, xr2 = xr1 + in, xr3 = xr2 + in;
        int p1 = in, p2 = 2 * in, p3 = 3 * in;
        FloatVector c00 = FloatVector.fromArray(F, acc, a), c01 = FloatVector.fromArray(F, acc, a + l);
        FloatVector c02 = FloatVector.fromArray(F, acc, a + 2 * l), c03 = FloatVector.fromArray(F, acc, a + 3 * l);
        FloatVector c10 = FloatVector.fromArray(F, acc, a + 4 * l), c11 = FloatVector.fromArray(F, acc, a + 5 * l);
        FloatVector c12 = FloatVector.fromArray(F, acc, a + 6 * l), c13 = FloatVector.fromArray(F, acc, a + 7 * l);
        FloatVector c20 = FloatVector.fromArray(F, acc, a + 8 * l), c21 = FloatVector.fromArray(F, acc, a + 9 * l);
        FloatVector c22 = FloatVector.fromArray(F, acc, a + 10 * l), c23 = FloatVector.fromArray(F, acc, a + 11 * l);
        FloatVector c30 = FloatVector.fromArray(F, acc, a + 12 * l), c31 = FloatVector.fromArray(F, acc, a + 13 * l);
        FloatVector c32 = FloatVector.fromArray(F, acc, a + 14 * l), c33 = FloatVector.fromArray(F, acc, a + 15 * l);
        for (int i = k0; i < k1; i += l) {
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
        c00.intoArray(acc, a); c01.intoArray(acc, a + l); c02.intoArray(acc, a + 2 * l); c03.intoArray(acc, a + 3 * l);
        c10.intoArray(acc, a + 4 * l); c11.intoArray(acc, a + 5 * l); c12.intoArray(acc, a + 6 * l); c13.intoArray(acc, a + 7 * l);
        c20.intoArray(acc, a + 8 * l); c21.intoArray(acc, a + 9 * l); c22.intoArray(acc, a + 10 * l); c23.intoArray(acc, a + 11 * l);
        c30.intoArray(acc, a + 12 * l); c31.intoArray(acc, a + 13 * l); c32.intoArray(acc, a + 14 * l); c33.intoArray(acc, a + 15 * l);
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
