package dev.akvq.tensor;

import java.util.Arrays;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code Y = X · Wᵀ}: a linear layer for many tokens at once (prefill, vision towers). {@code X} is
 * {@code tokens x in} row-major floats, {@code W} an {@code out x in} {@link MatrixView} (as
 * {@code nn.Linear.weight}), {@code Y} is {@code tokens x out} row-major.
 *
 * <p>Prefill is bound by arithmetic, not memory, so this is the GEMM layout of Goto and van de
 * Geijn, "Anatomy of high-performance matrix multiplication", ACM TOMS 34(3), 2008 (as BLIS
 * writes it, Van Zee and van de Geijn, ACM TOMS 41(3), 2015):
 * <ul>
 *   <li>{@code X} is packed once per call, in blocks of {@link #KC} columns of {@code in}: for each
 *       group of {@link #MR} tokens, {@code k}-major, the group's {@code MR} values of column
 *       {@code k} side by side (missing tokens of the last group are zeros);</li>
 *   <li>each thread owns whole panels of {@code NR = 2·lanes} output rows and, per block of
 *       {@code KC} columns, packs the panel transposed ({@code k}-major, {@code NR} floats per
 *       {@code k}: two vectors) into its own scratch, widening BF16/F16 to float once there; the
 *       packed panel ({@code NR·KC·4} = 32 KiB with 16 lanes) stays in L1 while every token group
 *       passes over it;</li>
 *   <li>the micro-kernel keeps an {@code MR x NR} tile of {@code Y} in {@code 2·MR} = 16 vector
 *       registers; per {@code k} it loads the panel's two vectors, broadcasts each of the
 *       {@code MR} token values, and does {@code 2·MR} FMAs, no lane reductions. Between blocks of
 *       {@code KC} the tile is parked in {@code Y} itself (zeroed first).</li>
 * </ul>
 * Every lane of every accumulator is one {@code Y[t, o]}, and it receives the products in column
 * order, one FMA each, starting from +0: the same arithmetic as the scalar twin
 * ({@link MatrixVector}'s scalar loop), so the vector form equals the scalar form bit for bit,
 * whatever the thread count or tile position. It does not equal {@link MatrixVector}'s vector form
 * (which sums lanes of a partial-sum vector): prefill and decode of one token agree within the
 * float error bound {@code (in + 2)·2^-24·Σ|x_i w_i|}, not bit for bit.
 *
 * <p>Below {@link #MIN_TOKENS} tokens packing does not pay for itself (every weight is transposed
 * once whatever the token count), and each token goes through {@link MatrixVector} instead.
 */
public final class MatrixMatrix {
    private MatrixMatrix() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;
    /** Tokens per micro-tile: 8 x 2 accumulators + 2 weight vectors + 1 broadcast fit AVX-512's 32 registers. */
    static final int MR = 8;
    /** Output rows per panel and micro-tile: two vectors. */
    static final int NR = 2 * F.length();
    /** Columns of {@code in} per packed block: a 32 x 256 float panel is 32 KiB, two thirds of a 48 KiB L1. */
    static final int KC = 256;
    /** Fewer tokens than this go through the matrix-vector kernel, one token at a time. */
    static final int MIN_TOKENS = MR;

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
        if (!vector) {
            pool.forRange(out, (start, end) -> rowsScalar(x, tokens, w, y, start, end));
        } else if (tokens < MIN_TOKENS) {
            for (int t = 0; t < tokens; t++) MatrixVector.multiply(w, x, t * in, y, t * out, pool, true);
        } else {
            int groups = (tokens + MR - 1) / MR;
            if ((long) groups * MR * in > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("MatrixMatrix: " + tokens + " tokens x " + in + " exceed one packed float[]; split the tokens");
            }
            float[] xp = new float[groups * MR * in];
            pool.forRange(groups, (g0, g1) -> packTokens(x, tokens, in, xp, g0, g1));
            pool.forRange((out + NR - 1) / NR, (p0, p1) -> panelsVector(xp, tokens, w, y, p0, p1));
        }
    }

    /**
     * Packs token groups {@code [g0, g1)}: block {@code k0} of column count {@code kc} starts at
     * {@code groups·MR·k0}; in it, group {@code g}'s value of token {@code g·MR + r}, column
     * {@code k0 + k}, is at {@code g·MR·kc + k·MR + r}. Tokens past {@code tokens} stay zero.
     */
    static void packTokens(float[] x, int tokens, int in, float[] xp, int g0, int g1) {
        int groups = xp.length / (MR * in);
        for (int k0 = 0; k0 < in; k0 += KC) {
            int kc = Math.min(KC, in - k0);
            for (int g = g0; g < g1; g++) {
                int base = groups * MR * k0 + g * MR * kc;
                for (int r = 0; r < MR && g * MR + r < tokens; r++) {
                    int row = (g * MR + r) * in + k0;
                    for (int k = 0; k < kc; k++) xp[base + k * MR + r] = x[row + k];
                }
            }
        }
    }

    /** Output panels {@code [p0, p1)} (rows {@code [p0·NR, min(out, p1·NR))}) for all tokens, vector form. */
    static void panelsVector(float[] xp, int tokens, MatrixView w, float[] y, int p0, int p1) {
        int in = w.cols(), out = w.rows(), groups = (tokens + MR - 1) / MR;
        int first = p0 * NR, last = Math.min(out, p1 * NR);
        float[] rows = new float[NR * KC], wp = new float[NR * KC], edge = new float[MR * NR];
        for (int t = 0; t < tokens; t++) Arrays.fill(y, t * out + first, t * out + last, 0f);
        for (int k0 = 0; k0 < in; k0 += KC) {
            int kc = Math.min(KC, in - k0);
            int block = groups * MR * k0;
            for (int p = p0; p < p1; p++) {
                int o0 = p * NR, nr = Math.min(NR, out - o0);
                packWeights(w, o0, nr, k0, kc, rows, wp);
                for (int g = 0; g < groups; g++) {
                    int t0 = g * MR, mr = Math.min(MR, tokens - t0), xo = block + g * MR * kc;
                    if (mr == MR && nr == NR) {
                        tile(xp, xo, wp, kc, y, t0 * out + o0, out);
                    } else {
                        // A partial tile runs on a copy: padded tokens and rows are zeros, and only real entries go back.
                        Arrays.fill(edge, 0f);
                        for (int r = 0; r < mr; r++) System.arraycopy(y, (t0 + r) * out + o0, edge, r * NR, nr);
                        tile(xp, xo, wp, kc, edge, 0, NR);
                        for (int r = 0; r < mr; r++) System.arraycopy(edge, r * NR, y, (t0 + r) * out + o0, nr);
                    }
                }
            }
        }
    }

    /**
     * Packs weight rows {@code [o0, o0 + nr)}, columns {@code [k0, k0 + kc)} into {@code wp}
     * {@code k}-major: {@code wp[k·NR + j] = W[o0 + j, k0 + k]}, rows past {@code nr} zero. The
     * rows are first widened to float side by side in {@code rows}, then transposed.
     */
    static void packWeights(MatrixView w, int o0, int nr, int k0, int kc, float[] rows, float[] wp) {
        long in = w.cols();
        for (int j = 0; j < nr; j++) WeightLanes.widen(w.dtype(), w.data(), (o0 + j) * in + k0, kc, rows, j * kc, true);
        if (nr < NR) Arrays.fill(rows, nr * kc, NR * kc, 0f);
        for (int k = 0; k < kc; k++) {
            for (int j = 0; j < NR; j++) wp[k * NR + j] = rows[j * kc + k];
        }
    }

    /**
     * The micro-kernel: {@code C[r, j] += Σ_k xp[xo + k·MR + r] · wp[k·NR + j]} for an
     * {@code MR x NR} tile of {@code C} at {@code c[co + r·cs + j]}, one FMA per product in
     * {@code k} order, the tile held in registers from its load to its store.
     */
    private static void tile(float[] xp, int xo, float[] wp, int kc, float[] c, int co, int cs) {
        int l = F.length();
        int c0 = co;
        int c1 = co + 1 * cs;
        int c2 = co + 2 * cs;
        int c3 = co + 3 * cs;
        int c4 = co + 4 * cs;
        int c5 = co + 5 * cs;
        int c6 = co + 6 * cs;
        int c7 = co + 7 * cs;
        FloatVector a00 = FloatVector.fromArray(F, c, c0);
        FloatVector a01 = FloatVector.fromArray(F, c, c0 + l);
        FloatVector a10 = FloatVector.fromArray(F, c, c1);
        FloatVector a11 = FloatVector.fromArray(F, c, c1 + l);
        FloatVector a20 = FloatVector.fromArray(F, c, c2);
        FloatVector a21 = FloatVector.fromArray(F, c, c2 + l);
        FloatVector a30 = FloatVector.fromArray(F, c, c3);
        FloatVector a31 = FloatVector.fromArray(F, c, c3 + l);
        FloatVector a40 = FloatVector.fromArray(F, c, c4);
        FloatVector a41 = FloatVector.fromArray(F, c, c4 + l);
        FloatVector a50 = FloatVector.fromArray(F, c, c5);
        FloatVector a51 = FloatVector.fromArray(F, c, c5 + l);
        FloatVector a60 = FloatVector.fromArray(F, c, c6);
        FloatVector a61 = FloatVector.fromArray(F, c, c6 + l);
        FloatVector a70 = FloatVector.fromArray(F, c, c7);
        FloatVector a71 = FloatVector.fromArray(F, c, c7 + l);
        for (int k = 0; k < kc; k++) {
            FloatVector w0 = FloatVector.fromArray(F, wp, 2 * l * k);
            FloatVector w1 = FloatVector.fromArray(F, wp, 2 * l * k + l);
            int xk = xo + MR * k;
            FloatVector b;
            b = FloatVector.broadcast(F, xp[xk + 0]); a00 = w0.fma(b, a00); a01 = w1.fma(b, a01);
            b = FloatVector.broadcast(F, xp[xk + 1]); a10 = w0.fma(b, a10); a11 = w1.fma(b, a11);
            b = FloatVector.broadcast(F, xp[xk + 2]); a20 = w0.fma(b, a20); a21 = w1.fma(b, a21);
            b = FloatVector.broadcast(F, xp[xk + 3]); a30 = w0.fma(b, a30); a31 = w1.fma(b, a31);
            b = FloatVector.broadcast(F, xp[xk + 4]); a40 = w0.fma(b, a40); a41 = w1.fma(b, a41);
            b = FloatVector.broadcast(F, xp[xk + 5]); a50 = w0.fma(b, a50); a51 = w1.fma(b, a51);
            b = FloatVector.broadcast(F, xp[xk + 6]); a60 = w0.fma(b, a60); a61 = w1.fma(b, a61);
            b = FloatVector.broadcast(F, xp[xk + 7]); a70 = w0.fma(b, a70); a71 = w1.fma(b, a71);
        }
        a00.intoArray(c, c0); a01.intoArray(c, c0 + l);
        a10.intoArray(c, c1); a11.intoArray(c, c1 + l);
        a20.intoArray(c, c2); a21.intoArray(c, c2 + l);
        a30.intoArray(c, c3); a31.intoArray(c, c3 + l);
        a40.intoArray(c, c4); a41.intoArray(c, c4 + l);
        a50.intoArray(c, c5); a51.intoArray(c, c5 + l);
        a60.intoArray(c, c6); a61.intoArray(c, c6 + l);
        a70.intoArray(c, c7); a71.intoArray(c, c7 + l);
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
