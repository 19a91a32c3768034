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
 *   <li>{@code X} is packed a block of up to {@link #PACK_FLOATS} floats of tokens at a time: for
 *       each group of {@link #MR} tokens, column by column, the group's {@code MR} values of a
 *       column side by side (missing tokens of the last group are zeros);</li>
 *   <li>each thread owns whole panels of {@code NR = 2·lanes} output rows and packs each panel
 *       transposed, column by column, {@code NR} floats (two vectors) per column, into its own
 *       scratch, widening BF16/F16 to float once there;</li>
 *   <li>the micro-kernel keeps an {@code MR x NR} tile of {@code Y} in {@code 2·MR} = 16 vector
 *       registers; per column it loads the panel's two vectors, broadcasts each of the {@code MR}
 *       token values, and does {@code 2·MR} FMAs: no lane reductions in the inner loop.</li>
 * </ul>
 *
 * <p>Same bits as decode. {@link MatrixVector} gives {@code W[o]·x} as: lane {@code i} of one
 * accumulator takes the columns {@code k ≡ i (mod lanes)} below {@code loopBound(in)} in order,
 * one FMA each; {@link LaneSum} adds the lanes in its butterfly order; scalar FMAs add the tail
 * columns. Here both packs store the columns in that order (all {@code k ≡ 0} first, then
 * {@code k ≡ 1}, ..., then the tail), so the micro-kernel run over the {@code i}-th segment from
 * zero yields lane {@code i}'s partial sums for the whole tile; the tile's {@code lanes} partial
 * tiles are added with the butterfly's pairing (elementwise, so still vector adds), and the
 * micro-kernel run over the tail segment finishes each sum. Every {@code Y[t, o]} is therefore
 * {@link MatrixVector}'s result for token {@code t} bit for bit, whatever the thread count, and a
 * prefill agrees exactly with a cached decode (an FP16 KV cache would otherwise turn a float ulp
 * into an FP16 ulp). The cost: the panel spans all of {@code in} ({@code NR·in·4} bytes, 256 KiB at
 * {@code in = 2048}), so it sits in L2 rather than L1.
 *
 * <p>Below {@link #MIN_TOKENS} tokens packing does not pay for itself (every weight is transposed
 * once whatever the token count), and each token goes through {@link MatrixVector} directly. The
 * scalar twin is {@link MatrixVector}'s scalar loop per token.
 */
public final class MatrixMatrix {
    private MatrixMatrix() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;
    /** Tokens per micro-tile: 8 x 2 accumulators + 2 weight vectors + 1 broadcast fit AVX-512's 32 registers. */
    static final int MR = 8;
    /** Output rows per panel and micro-tile: two vectors. */
    static final int NR = 2 * F.length();
    /** Token groups whose lane partial tiles are kept at once: 8 x 16 x 8 x 32 floats = 128 KiB, in L2. */
    static final int GROUPS_PER_BLOCK = 8;
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
            int blockTokens = Math.max(MR, PACK_FLOATS / in / MR * MR);
            float[] xp = TOKEN_PACK.get(0, ((Math.min(tokens, blockTokens) + MR - 1) / MR) * MR * in);
            for (int first = 0; first < tokens; first += blockTokens) {
                multiplyBlock(x, first, Math.min(blockTokens, tokens - first), w, y, xp, pool);
            }
        }
    }

    /**
     * Floats of one packed block of tokens (8 MiB): a long prompt is packed and multiplied a block
     * at a time into a buffer each calling thread keeps, so no copy of the whole input is made per
     * product (at 4000 tokens down_proj's would be 65 MB, allocated straight into the old
     * generation and promoted there seven times a layer), while each packed weight panel still
     * serves {@code 8 MiB / in} tokens (512 at {@code in = 4096}), so its packing stays a small share.
     */
    static final int PACK_FLOATS = 1 << 21;

    private static final ThreadScratch TOKEN_PACK = new ThreadScratch(1);

    /** Tokens {@code [first, first + count)}: packs them into {@code xp}, then every output panel for them. */
    private static void multiplyBlock(float[] x, int first, int count, MatrixView w, float[] y, float[] xp, WorkerPool pool) {
        int in = w.cols(), out = w.rows();
        pool.forRange((count + MR - 1) / MR, (g0, g1) -> packTokens(x, first, count, in, xp, g0, g1));
        pool.forRange((out + NR - 1) / NR, (p0, p1) -> panelsVector(xp, count, w, y, first * out, p0, p1));
    }

    /**
     * Packs token groups {@code [g0, g1)}: token {@code g·MR + r}, column {@code k} goes to
     * {@code xp[g·MR·in + c(k)·MR + r]}, where the packed column {@code c(q·lanes + i) = i·segment + q}
     * below {@code upper = loopBound(in)} ({@code segment = upper / lanes}) and {@code c(k) = k}
     * from there, for the {@code tokens} tokens from row {@code first} of {@code x}. A last group's
     * missing tokens are packed as zeros (the buffer is reused; their results are discarded).
     */
    static void packTokens(float[] x, int first, int tokens, int in, float[] xp, int g0, int g1) {
        int upper = F.loopBound(in), lanes = F.length(), segment = upper / lanes;
        for (int g = g0; g < g1; g++) {
            int base = g * MR * in, valid = Math.min(MR, tokens - g * MR), row = (first + g * MR) * in;
            if (valid < MR) Arrays.fill(xp, base, base + MR * in, 0f);
            // Column k = q·lanes + i goes to (i·segment + q)·MR: q outer keeps the reads in MR cache
            // lines, r inner writes MR consecutive floats.
            for (int q = 0; q < segment; q++) {
                for (int i = 0; i < lanes; i++) {
                    int to = base + (i * segment + q) * MR, from = row + q * lanes + i;
                    for (int r = 0; r < valid; r++) xp[to + r] = x[from + r * in];
                }
            }
            for (int k = upper; k < in; k++) {
                for (int r = 0; r < valid; r++) xp[base + k * MR + r] = x[row + r * in + k];
            }
        }
    }

    /**
     * Output panels {@code [p0, p1)} (rows {@code [p0·NR, min(out, p1·NR))}) for the {@code tokens}
     * packed tokens, written to {@code y} from {@code yFirst}, vector form.
     */
    static void panelsVector(float[] xp, int tokens, MatrixView w, float[] y, int yFirst, int p0, int p1) {
        int in = w.cols(), out = w.rows(), groups = (tokens + MR - 1) / MR, lanes = F.length();
        int upper = F.loopBound(in), segment = upper / lanes, tile = MR * NR;
        PanelScratch scratch = PANEL_SCRATCH.get().fit(in);
        float[] rows = scratch.rows, wp = scratch.wp, edge = scratch.edge, partial = scratch.partial;
        int[] rowStarts = scratch.rowStarts;
        for (int p = p0; p < p1; p++) {
            int o0 = p * NR, nr = Math.min(NR, out - o0);
            packWeights(w, o0, nr, rows, wp, rowStarts);
            for (int gb = 0; gb < groups; gb += GROUPS_PER_BLOCK) {
                int ge = Math.min(groups, gb + GROUPS_PER_BLOCK);
                // Lane i's partial sums for each tile of the block: the micro-kernel over segment i from
                // zero. Segment i of the panel (NR·in/lanes floats) stays in L1 while the block's groups pass.
                for (int i = 0; i < lanes; i++) {
                    for (int g = gb; g < ge; g++) {
                        tileFromZero(xp, g * MR * in + i * segment * MR, wp, i * segment * NR, segment, partial, ((g - gb) * lanes + i) * tile, NR);
                    }
                }
                for (int g = gb; g < ge; g++) {
                    int t0 = g * MR, mr = Math.min(MR, tokens - t0), xo = g * MR * in, at = (g - gb) * lanes * tile;
                    // LaneSum's butterfly, elementwise over the tile: partial j += partial j + h, for h = lanes/2 .. 1.
                    for (int h = lanes / 2; h >= 1; h /= 2) {
                        for (int j = 0; j < h; j++) Add.vector(partial, at + j * tile, partial, at + (j + h) * tile, tile);
                    }
                    // The tail columns, one FMA each, on the lane sums.
                    if (mr == MR && nr == NR) {
                        for (int r = 0; r < MR; r++) System.arraycopy(partial, at + r * NR, y, yFirst + (t0 + r) * out + o0, NR);
                        tile(xp, xo + upper * MR, wp, upper * NR, in - upper, y, yFirst + t0 * out + o0, out);
                    } else {
                        // A partial tile finishes in a copy: padded tokens and rows are discarded.
                        System.arraycopy(partial, at, edge, 0, tile);
                        tile(xp, xo + upper * MR, wp, upper * NR, in - upper, edge, 0, NR);
                        for (int r = 0; r < mr; r++) System.arraycopy(edge, r * NR, y, yFirst + (t0 + r) * out + o0, nr);
                    }
                }
            }
        }
    }

    /**
     * A thread's buffers for {@link #panelsVector}, kept from call to call: a prompt runs seven
     * products a layer, and allocating these each time made about 40% of a 128-token prefill's
     * garbage. Every element is written before it is read (the weight rows and their pack, each
     * partial tile, the edge tile), so stale values from an earlier call never reach a result.
     * Sized by {@code in} alone: {@code 8·NR·in} bytes of rows and pack plus 128 KiB of partial tiles
     * (1.2 MiB at {@code in = 4096}), kept as long as the thread lives.
     */
    private static final class PanelScratch {
        int in = -1;
        float[] rows, wp, edge, partial;
        int[] rowStarts;

        PanelScratch fit(int in) {
            if (in != this.in) {
                int lanes = F.length();
                if (rows == null || rows.length < NR * (in + lanes)) {
                    rows = new float[NR * (in + lanes)];
                    wp = new float[NR * in];
                }
                if (edge == null) {
                    edge = new float[MR * NR];
                    partial = new float[GROUPS_PER_BLOCK * lanes * MR * NR];
                }
                rowStarts = rowStarts(in);
                this.in = in;
            }
            return this;
        }
    }

    private static final ThreadLocal<PanelScratch> PANEL_SCRATCH = ThreadLocal.withInitial(PanelScratch::new);

    /**
     * Packs weight rows {@code [o0, o0 + nr)} into {@code wp}: {@code wp[c(k)·NR + j] = W[o0 + j, k]}
     * ({@code c} as in {@link #packTokens}), rows past {@code nr} zero. The rows are first widened
     * to float in {@code rows} (row stride {@code in + lanes}: a stride of a multiple of 4 KiB would
     * put every row in the same L1 set), then each vector of the pack is gathered from
     * {@code lanes} consecutive rows.
     */
    static void packWeights(MatrixView w, int o0, int nr, float[] rows, float[] wp, int[] rowStarts) {
        int in = w.cols(), upper = F.loopBound(in), lanes = F.length(), segment = upper / lanes, stride = in + lanes;
        for (int j = 0; j < nr; j++) WeightLanes.widen(w.dtype(), w.data(), (long) (o0 + j) * in, in, rows, j * stride, true);
        if (nr < NR) Arrays.fill(rows, nr * stride, NR * stride, 0f);
        // Column k = q·lanes + i of rows 0..NR-1 goes to the NR floats at (i·segment + q)·NR.
        for (int q = 0; q < segment; q++) {
            for (int i = 0; i < lanes; i++) {
                int to = (i * segment + q) * NR, from = q * lanes + i;
                FloatVector.fromArray(F, rows, from, rowStarts, 0).intoArray(wp, to);
                FloatVector.fromArray(F, rows, from + lanes * stride, rowStarts, 0).intoArray(wp, to + lanes);
            }
        }
        for (int k = upper; k < in; k++) {
            for (int j = 0; j < NR; j++) wp[k * NR + j] = rows[j * stride + k];
        }
    }

    /** The gather map of {@link #packWeights}: {@code j·(in + lanes)} for {@code j < lanes}. */
    static int[] rowStarts(int in) {
        int[] starts = new int[F.length()];
        for (int j = 0; j < starts.length; j++) starts[j] = j * (in + F.length());
        return starts;
    }

    /**
     * The micro-kernel: {@code C[r, j] += Σ_k xp[xo + k·MR + r] · wp[k·NR + j]} for an
     * {@code MR x NR} tile of {@code C} at {@code c[co + r·cs + j]}, one FMA per product in
     * {@code k} order, the tile held in registers from its load to its store.
     */
    private static void tile(float[] xp, int xo, float[] wp, int wo, int kc, float[] c, int co, int cs) {
        int l = F.length();
        FloatVector a00 = FloatVector.fromArray(F, c, co + 0 * cs);
        FloatVector a01 = FloatVector.fromArray(F, c, co + 0 * cs + l);
        FloatVector a10 = FloatVector.fromArray(F, c, co + 1 * cs);
        FloatVector a11 = FloatVector.fromArray(F, c, co + 1 * cs + l);
        FloatVector a20 = FloatVector.fromArray(F, c, co + 2 * cs);
        FloatVector a21 = FloatVector.fromArray(F, c, co + 2 * cs + l);
        FloatVector a30 = FloatVector.fromArray(F, c, co + 3 * cs);
        FloatVector a31 = FloatVector.fromArray(F, c, co + 3 * cs + l);
        FloatVector a40 = FloatVector.fromArray(F, c, co + 4 * cs);
        FloatVector a41 = FloatVector.fromArray(F, c, co + 4 * cs + l);
        FloatVector a50 = FloatVector.fromArray(F, c, co + 5 * cs);
        FloatVector a51 = FloatVector.fromArray(F, c, co + 5 * cs + l);
        FloatVector a60 = FloatVector.fromArray(F, c, co + 6 * cs);
        FloatVector a61 = FloatVector.fromArray(F, c, co + 6 * cs + l);
        FloatVector a70 = FloatVector.fromArray(F, c, co + 7 * cs);
        FloatVector a71 = FloatVector.fromArray(F, c, co + 7 * cs + l);
        for (int k = 0; k < kc; k++) {
            FloatVector w0 = FloatVector.fromArray(F, wp, wo + 2 * l * k);
            FloatVector w1 = FloatVector.fromArray(F, wp, wo + 2 * l * k + l);
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
        a00.intoArray(c, co + 0 * cs); a01.intoArray(c, co + 0 * cs + l);
        a10.intoArray(c, co + 1 * cs); a11.intoArray(c, co + 1 * cs + l);
        a20.intoArray(c, co + 2 * cs); a21.intoArray(c, co + 2 * cs + l);
        a30.intoArray(c, co + 3 * cs); a31.intoArray(c, co + 3 * cs + l);
        a40.intoArray(c, co + 4 * cs); a41.intoArray(c, co + 4 * cs + l);
        a50.intoArray(c, co + 5 * cs); a51.intoArray(c, co + 5 * cs + l);
        a60.intoArray(c, co + 6 * cs); a61.intoArray(c, co + 6 * cs + l);
        a70.intoArray(c, co + 7 * cs); a71.intoArray(c, co + 7 * cs + l);
    }

    /** As {@link #tile} with the tile starting from +0 instead of loaded from {@code c} (which is only written). */
    private static void tileFromZero(float[] xp, int xo, float[] wp, int wo, int kc, float[] c, int co, int cs) {
        int l = F.length();
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F);
        FloatVector a11 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F);
        FloatVector a21 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F);
        FloatVector a31 = FloatVector.zero(F);
        FloatVector a40 = FloatVector.zero(F);
        FloatVector a41 = FloatVector.zero(F);
        FloatVector a50 = FloatVector.zero(F);
        FloatVector a51 = FloatVector.zero(F);
        FloatVector a60 = FloatVector.zero(F);
        FloatVector a61 = FloatVector.zero(F);
        FloatVector a70 = FloatVector.zero(F);
        FloatVector a71 = FloatVector.zero(F);
        for (int k = 0; k < kc; k++) {
            FloatVector w0 = FloatVector.fromArray(F, wp, wo + 2 * l * k);
            FloatVector w1 = FloatVector.fromArray(F, wp, wo + 2 * l * k + l);
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
        a00.intoArray(c, co + 0 * cs); a01.intoArray(c, co + 0 * cs + l);
        a10.intoArray(c, co + 1 * cs); a11.intoArray(c, co + 1 * cs + l);
        a20.intoArray(c, co + 2 * cs); a21.intoArray(c, co + 2 * cs + l);
        a30.intoArray(c, co + 3 * cs); a31.intoArray(c, co + 3 * cs + l);
        a40.intoArray(c, co + 4 * cs); a41.intoArray(c, co + 4 * cs + l);
        a50.intoArray(c, co + 5 * cs); a51.intoArray(c, co + 5 * cs + l);
        a60.intoArray(c, co + 6 * cs); a61.intoArray(c, co + 6 * cs + l);
        a70.intoArray(c, co + 7 * cs); a71.intoArray(c, co + 7 * cs + l);
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
