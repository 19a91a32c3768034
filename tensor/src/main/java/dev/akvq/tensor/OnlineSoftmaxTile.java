package dev.akvq.tensor;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The tile both prompt attentions run ({@link CausalAttention}, {@link BidirectionalAttention}):
 * a block of query rows of one head against that head's keys, {@link #KEY_BLOCK} keys at a time,
 * with an online softmax (flash attention's recurrence: Dao et al. 2022, "FlashAttention",
 * Algorithm 1). Each row keeps a running maximum {@code m}, a running sum {@code l} and an
 * unnormalised output {@code o}; a key block with scores {@code s} updates them as
 * <pre>
 *   m' = max(m, max_j s_j),  c = exp(m − m'),  p_j = exp(s_j − m')
 *   l' = c·l + Σ_j p_j,      o' = c·o + Σ_j p_j v_j
 * </pre>
 * and {@code out = o / l} after the last block, so no score row longer than a block exists.
 *
 * <p>The arithmetic, the same in the vector form and the scalar twin:
 * <ul>
 *   <li>a score is {@code Σ_d fma(k[j, d], q[d])} in {@code d} order over the query row as the
 *       caller packed it (already scaled for {@link BidirectionalAttention.Scaling.Where#QUERY}),
 *       then multiplied or divided by the scaling's factor, as the family's reference does;</li>
 *   <li>a key outside a row's visible range {@code [from, to)}, or marked false in the key mask,
 *       scores {@code −∞} and gets {@code p = 0} exactly;</li>
 *   <li>{@code s − m'} is a float subtraction and its exponential {@link SoftmaxExp}'s (float, within
 *       2 ulp, as torch's CPU softmax takes a float {@code expf} of a float difference), the same
 *       bits in both forms; {@code c} likewise; a block's {@code Σ p_j} is a float sum, a partial sum
 *       per vector lane in key order and then the lanes in order, added to {@code l}, kept in double;</li>
 *   <li>an output channel is {@code o·c}, then {@code fma(v[j, d], p_j, ·)} in {@code j} order, then
 *       one float division by {@code (float) l}.</li>
 * </ul>
 * The two forms therefore give the same bits, whatever the thread, the tile or the JIT's state. A
 * row with no visible key is NaN (softmax over nothing, as torch); a NaN or {@code +∞} score makes
 * its row NaN. Four rows share every key
 * and value load, and the value rows of a block are summed for a group of four rows over the union
 * of their visible keys, so a value outside one row's range but inside another's enters the first
 * as {@code 0 · v} (NaN only if that value is infinite or NaN).
 *
 * <p>One tile is one thread's scratch: the packed queries and per-row ranges the caller fills,
 * the running statistics, and the keys packed transposed ({@code [headDim, KEY_BLOCK]} a block),
 * which stay packed across calls for the same key source so that consecutive query blocks of one
 * head transpose its keys once.
 */
final class OnlineSoftmaxTile {
    private static final VectorSpecies<Float> F = KernelMode.FLOAT;

    /** Keys per block: 64 scores are 4 AVX-512 (8 AVX2) vectors, and a 64 x 128 packed block is 32 KiB (L1). */
    static final int KEY_BLOCK = 64;
    /** Query rows that share each key and value load (two or, on AVX-512, four vectors of accumulators each). */
    static final int ROWS = 4;

    /**
     * One head's keys and values: key {@code j} (0-based within the head's sequence) is
     * {@code k[(first + j) · stride + keyColumn + d]}, its value likewise from {@code v}.
     *
     * @param id      names the source among a call's (sequence and head): packed keys are reused while it stays
     * @param keyMask null, or indexed by {@code first + j}: false marks a padding key no query attends to
     */
    record KeyValues(long id, float[] k, float[] v, int stride, int keyColumn, int valueColumn, int first, int count,
                     boolean[] keyMask) {}

    final int headDim;
    /** Packed query rows {@code [rows, headDim]}, filled by the caller (rows past those in use stay zero). */
    final float[] queries;
    /** Per row: visible keys {@code [from, to)} and where its output row starts in {@code out}. */
    final int[] from, to, outOffset;

    private final float[] max, acc, scores, correction;
    private final double[] sum;
    private final float[] keysT;
    private final long[] packedId;
    private final int[] packedBlock;
    private final int[] masked = new int[KEY_BLOCK];
    private final float[] laneSums = new float[F.length()];

    /**
     * @param rowCapacity most query rows a call uses
     * @param keyBlocks   key blocks kept packed at once (a whole sequence's for reuse across query blocks)
     */
    OnlineSoftmaxTile(int rowCapacity, int headDim, int keyBlocks) {
        int rows = (rowCapacity + ROWS - 1) / ROWS * ROWS;
        this.headDim = headDim;
        queries = new float[rows * headDim];
        from = new int[rows];
        to = new int[rows];
        outOffset = new int[rows];
        max = new float[rows];
        sum = new double[rows];
        acc = new float[rows * headDim];
        scores = new float[ROWS * KEY_BLOCK];
        correction = new float[ROWS];
        int slots = Math.max(1, keyBlocks);
        keysT = new float[slots * headDim * KEY_BLOCK];
        packedId = new long[slots];
        packedBlock = new int[slots];
        Arrays.fill(packedBlock, -1);
    }

    /**
     * Attention of query rows {@code [0, rows)} (packed in {@link #queries}, ranges in {@link #from}
     * and {@link #to}) over {@code kv}; row {@code r}'s result goes to {@code out[outOffset[r] + d]}.
     */
    void attend(int rows, KeyValues kv, BidirectionalAttention.Scaling scaling, float[] out, boolean vector) {
        int padded = (rows + ROWS - 1) / ROWS * ROWS;
        Arrays.fill(queries, rows * headDim, padded * headDim, 0f);
        Arrays.fill(from, rows, padded, 0);
        Arrays.fill(to, rows, padded, 0);
        Arrays.fill(max, 0, padded, Float.NEGATIVE_INFINITY);
        Arrays.fill(sum, 0, padded, 0.0);
        Arrays.fill(acc, 0, padded * headDim, 0f);
        int first = Integer.MAX_VALUE, last = 0;
        for (int r = 0; r < rows; r++) {
            if (from[r] < to[r]) {
                first = Math.min(first, from[r]);
                last = Math.max(last, to[r]);
            }
        }
        for (int kb = first == Integer.MAX_VALUE ? last : first / KEY_BLOCK * KEY_BLOCK; kb < last; kb += KEY_BLOCK) {
            int kn = Math.min(KEY_BLOCK, kv.count() - kb);
            int keys = pack(kv, kb / KEY_BLOCK, kn);
            // Scores are computed for the block's first span keys: kn rounded up to the vector form's step.
            int span = vector ? (kn + 2 * F.length() - 1) / (2 * F.length()) * (2 * F.length()) : kn;
            int maskedCount = 0;
            if (kv.keyMask() != null) {
                for (int j = 0; j < kn; j++) if (!kv.keyMask()[kv.first() + kb + j]) masked[maskedCount++] = j;
            }
            for (int g0 = 0; g0 < padded; g0 += ROWS) {
                int lo = KEY_BLOCK, hi = 0;                  // union of the group's visible keys in this block
                for (int i = 0; i < ROWS; i++) {
                    int a = Math.max(0, from[g0 + i] - kb), b = Math.min(kn, to[g0 + i] - kb);
                    if (a < b) {
                        lo = Math.min(lo, a);
                        hi = Math.max(hi, b);
                    }
                }
                if (lo >= hi) continue;
                if (vector) scoresVector(keys, g0, span);
                else scoresScalar(keys, g0, span);
                for (int i = 0; i < ROWS; i++) {
                    int row = g0 + i, a = Math.max(0, from[row] - kb), b = Math.min(kn, to[row] - kb);
                    softmaxStep(row, i, a, b, span, maskedCount, scaling, vector);
                }
                int vBase = (kv.first() + kb) * kv.stride() + kv.valueColumn();
                if (vector) weightedSumVector(kv.v(), vBase, kv.stride(), lo, hi, g0);
                else weightedSumScalar(kv.v(), vBase, kv.stride(), lo, hi, g0);
            }
        }
        for (int r = 0; r < rows; r++) {
            float total = (float) sum[r];
            for (int d = 0; d < headDim; d++) out[outOffset[r] + d] = acc[r * headDim + d] / total;
        }
    }

    /** The packed block {@code block} of {@code kv} (keys past {@code kn} are zero): its offset in {@link #keysT}. */
    private int pack(KeyValues kv, int block, int kn) {
        int slot = block % packedBlock.length, base = slot * headDim * KEY_BLOCK;
        if (packedBlock[slot] == block && packedId[slot] == kv.id()) return base;
        int column = kv.keyColumn(), stride = kv.stride(), token = kv.first() + block * KEY_BLOCK;
        for (int j = 0; j < KEY_BLOCK; j++) {
            int from = (token + j) * stride + column;
            for (int d = 0; d < headDim; d++) keysT[base + d * KEY_BLOCK + j] = j < kn ? kv.k()[from + d] : 0f;
        }
        packedBlock[slot] = block;
        packedId[slot] = kv.id();
        return base;
    }

    /** {@code scores[i][j] = Σ_d fma(keysT[d][j], q[g0 + i][d])} for four rows, two vectors of keys at a time. */
    private void scoresVector(int keys, int g0, int span) {
        int lanes = F.length(), q0 = g0 * headDim, q1 = q0 + headDim, q2 = q1 + headDim, q3 = q2 + headDim;
        if (4 * lanes == span) {
            scoresWide(keys, q0, q1, q2, q3);
            return;
        }
        for (int c = 0; c < span; c += 2 * lanes) {
            FloatVector s00 = FloatVector.zero(F), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
            for (int d = 0; d < headDim; d++) {
                int at = keys + d * KEY_BLOCK + c;
                FloatVector k0 = FloatVector.fromArray(F, keysT, at), k1 = FloatVector.fromArray(F, keysT, at + lanes);
                FloatVector b0 = FloatVector.broadcast(F, queries[q0 + d]), b1 = FloatVector.broadcast(F, queries[q1 + d]);
                FloatVector b2 = FloatVector.broadcast(F, queries[q2 + d]), b3 = FloatVector.broadcast(F, queries[q3 + d]);
                s00 = k0.fma(b0, s00);
                s01 = k1.fma(b0, s01);
                s10 = k0.fma(b1, s10);
                s11 = k1.fma(b1, s11);
                s20 = k0.fma(b2, s20);
                s21 = k1.fma(b2, s21);
                s30 = k0.fma(b3, s30);
                s31 = k1.fma(b3, s31);
            }
            s00.intoArray(scores, c);
            s01.intoArray(scores, c + lanes);
            s10.intoArray(scores, KEY_BLOCK + c);
            s11.intoArray(scores, KEY_BLOCK + c + lanes);
            s20.intoArray(scores, 2 * KEY_BLOCK + c);
            s21.intoArray(scores, 2 * KEY_BLOCK + c + lanes);
            s30.intoArray(scores, 3 * KEY_BLOCK + c);
            s31.intoArray(scores, 3 * KEY_BLOCK + c + lanes);
        }
    }

    /** {@link #scoresVector} when four vectors span the block (AVX-512): sixteen accumulators, each key load feeds four rows. */
    private void scoresWide(int keys, int q0, int q1, int q2, int q3) {
        int l = F.length();
        FloatVector s00 = FloatVector.zero(F), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        for (int d = 0; d < headDim; d++) {
            int at = keys + d * KEY_BLOCK;
            FloatVector k0 = FloatVector.fromArray(F, keysT, at), k1 = FloatVector.fromArray(F, keysT, at + l);
            FloatVector k2 = FloatVector.fromArray(F, keysT, at + 2 * l), k3 = FloatVector.fromArray(F, keysT, at + 3 * l);
            FloatVector b = FloatVector.broadcast(F, queries[q0 + d]);
            s00 = k0.fma(b, s00); s01 = k1.fma(b, s01); s02 = k2.fma(b, s02); s03 = k3.fma(b, s03);
            b = FloatVector.broadcast(F, queries[q1 + d]);
            s10 = k0.fma(b, s10); s11 = k1.fma(b, s11); s12 = k2.fma(b, s12); s13 = k3.fma(b, s13);
            b = FloatVector.broadcast(F, queries[q2 + d]);
            s20 = k0.fma(b, s20); s21 = k1.fma(b, s21); s22 = k2.fma(b, s22); s23 = k3.fma(b, s23);
            b = FloatVector.broadcast(F, queries[q3 + d]);
            s30 = k0.fma(b, s30); s31 = k1.fma(b, s31); s32 = k2.fma(b, s32); s33 = k3.fma(b, s33);
        }
        int r1 = KEY_BLOCK, r2 = 2 * KEY_BLOCK, r3 = 3 * KEY_BLOCK;
        s00.intoArray(scores, 0); s01.intoArray(scores, l); s02.intoArray(scores, 2 * l); s03.intoArray(scores, 3 * l);
        s10.intoArray(scores, r1); s11.intoArray(scores, r1 + l); s12.intoArray(scores, r1 + 2 * l); s13.intoArray(scores, r1 + 3 * l);
        s20.intoArray(scores, r2); s21.intoArray(scores, r2 + l); s22.intoArray(scores, r2 + 2 * l); s23.intoArray(scores, r2 + 3 * l);
        s30.intoArray(scores, r3); s31.intoArray(scores, r3 + l); s32.intoArray(scores, r3 + 2 * l); s33.intoArray(scores, r3 + 3 * l);
    }

    private void scoresScalar(int keys, int g0, int span) {
        for (int i = 0; i < ROWS; i++) {
            int q = (g0 + i) * headDim;
            for (int j = 0; j < span; j++) {
                float s = 0f;
                for (int d = 0; d < headDim; d++) s = Math.fma(keysT[keys + d * KEY_BLOCK + j], queries[q + d], s);
                scores[i * KEY_BLOCK + j] = s;
            }
        }
    }

    /**
     * Row {@code row}'s (slot {@code i} of the group) update with the block's visible keys {@code [a, b)}:
     * scaling, masking, the new maximum, {@code p} in place of the scores, the sum and the correction.
     */
    private void softmaxStep(int row, int i, int a, int b, int span, int maskedCount, BidirectionalAttention.Scaling scaling,
                             boolean vector) {
        int s0 = i * KEY_BLOCK;
        if (a >= b) {
            Arrays.fill(scores, s0, s0 + span, 0f);
            correction[i] = 1f;
            return;
        }
        float factor = scaling.factor();
        BidirectionalAttention.Scaling.Where where = scaling.where();
        if (vector) {
            for (int c = 0; c < span; c += F.length()) {
                FloatVector s = FloatVector.fromArray(F, scores, s0 + c);
                switch (where) {
                    case SCORE -> s.mul(factor).intoArray(scores, s0 + c);
                    case SCORE_DIVIDED -> s.div(factor).intoArray(scores, s0 + c);
                    case QUERY -> { }
                }
            }
        } else {
            for (int j = 0; j < span; j++) {
                switch (where) {
                    case SCORE -> scores[s0 + j] *= factor;
                    case SCORE_DIVIDED -> scores[s0 + j] /= factor;
                    case QUERY -> { }
                }
            }
        }
        Arrays.fill(scores, s0, s0 + a, Float.NEGATIVE_INFINITY);
        Arrays.fill(scores, s0 + b, s0 + span, Float.NEGATIVE_INFINITY);
        for (int m = 0; m < maskedCount; m++) scores[s0 + masked[m]] = Float.NEGATIVE_INFINITY;
        float blockMax = Float.NEGATIVE_INFINITY;
        if (vector) {
            FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (int c = 0; c < span; c += F.length()) m = m.max(FloatVector.fromArray(F, scores, s0 + c));
            blockMax = m.reduceLanes(VectorOperators.MAX);
        } else {
            for (int j = 0; j < span; j++) blockMax = Math.max(blockMax, scores[s0 + j]);
        }
        if (blockMax == Float.NEGATIVE_INFINITY) {       // every visible key of the block masked
            Arrays.fill(scores, s0, s0 + span, 0f);
            correction[i] = 1f;
            return;
        }
        float oldMax = max[row], newMax = Math.max(oldMax, blockMax);
        // exp(−∞) = 0 drops a row's empty history; a NaN or +∞ maximum makes the row NaN, as in torch.
        correction[i] = SoftmaxExp.scalar(oldMax - newMax);
        // A block's sum: one partial sum per vector lane in key order, then the lanes in order (both forms).
        int lanes = F.length();
        if (vector) {
            FloatVector sums = FloatVector.zero(F);
            for (int c = 0; c < span; c += lanes) {
                FloatVector p = SoftmaxExp.vector(FloatVector.fromArray(F, scores, s0 + c).sub(newMax));
                p.intoArray(scores, s0 + c);
                sums = sums.add(p);
            }
            sums.intoArray(laneSums, 0);
        } else {
            Arrays.fill(laneSums, 0f);
            for (int j = 0; j < span; j++) {
                float p = SoftmaxExp.scalar(scores[s0 + j] - newMax);
                scores[s0 + j] = p;
                laneSums[j % lanes] += p;
            }
        }
        float blockSum = 0f;
        for (int lane = 0; lane < lanes; lane++) blockSum += laneSums[lane];
        sum[row] = sum[row] * correction[i] + blockSum;
        max[row] = newMax;
    }

    /**
     * {@code o[g0 + i][d] = o·c_i + Σ_{j ∈ [lo, hi)} p[i][j] · v[j][d]} for the group's four rows: four
     * vectors of channels at a time where AVX-512's 32 registers hold sixteen accumulators, then two,
     * then one, then one masked vector for the rest. Each width is its own small method, so the JIT
     * compiles (and intrinsifies) each whole whichever widths a head size uses.
     */
    private void weightedSumVector(float[] v, int vBase, int stride, int lo, int hi, int g0) {
        int lanes = F.length(), d = 0;
        if (4 * lanes == KEY_BLOCK) {
            for (; d + 4 * lanes <= headDim; d += 4 * lanes) weightedSumWide(v, vBase, stride, lo, hi, g0, d);
        }
        for (; d + 2 * lanes <= headDim; d += 2 * lanes) weightedSumPair(v, vBase, stride, lo, hi, g0, d);
        for (; d + lanes <= headDim; d += lanes) weightedSumOne(v, vBase, stride, lo, hi, g0, d);
        if (d < headDim) weightedSumMasked(v, vBase, stride, lo, hi, g0, d);
    }

    /** Two vectors of channels from {@code d}: eight accumulators. */
    private void weightedSumPair(float[] v, int vBase, int stride, int lo, int hi, int g0, int d) {
        int lanes = F.length(), a0 = g0 * headDim + d, a1 = a0 + headDim, a2 = a1 + headDim, a3 = a2 + headDim;
        float c0 = correction[0], c1 = correction[1], c2 = correction[2], c3 = correction[3];
        FloatVector o00 = FloatVector.fromArray(F, acc, a0).mul(c0), o01 = FloatVector.fromArray(F, acc, a0 + lanes).mul(c0);
        FloatVector o10 = FloatVector.fromArray(F, acc, a1).mul(c1), o11 = FloatVector.fromArray(F, acc, a1 + lanes).mul(c1);
        FloatVector o20 = FloatVector.fromArray(F, acc, a2).mul(c2), o21 = FloatVector.fromArray(F, acc, a2 + lanes).mul(c2);
        FloatVector o30 = FloatVector.fromArray(F, acc, a3).mul(c3), o31 = FloatVector.fromArray(F, acc, a3 + lanes).mul(c3);
        for (int j = lo; j < hi; j++) {
            int at = vBase + j * stride + d;
            FloatVector v0 = FloatVector.fromArray(F, v, at), v1 = FloatVector.fromArray(F, v, at + lanes);
            FloatVector p = FloatVector.broadcast(F, scores[j]);
            o00 = v0.fma(p, o00);
            o01 = v1.fma(p, o01);
            p = FloatVector.broadcast(F, scores[KEY_BLOCK + j]);
            o10 = v0.fma(p, o10);
            o11 = v1.fma(p, o11);
            p = FloatVector.broadcast(F, scores[2 * KEY_BLOCK + j]);
            o20 = v0.fma(p, o20);
            o21 = v1.fma(p, o21);
            p = FloatVector.broadcast(F, scores[3 * KEY_BLOCK + j]);
            o30 = v0.fma(p, o30);
            o31 = v1.fma(p, o31);
        }
        o00.intoArray(acc, a0);
        o01.intoArray(acc, a0 + lanes);
        o10.intoArray(acc, a1);
        o11.intoArray(acc, a1 + lanes);
        o20.intoArray(acc, a2);
        o21.intoArray(acc, a2 + lanes);
        o30.intoArray(acc, a3);
        o31.intoArray(acc, a3 + lanes);
    }

    /** One vector of channels from {@code d}. */
    private void weightedSumOne(float[] v, int vBase, int stride, int lo, int hi, int g0, int d) {
        int a0 = g0 * headDim + d, a1 = a0 + headDim, a2 = a1 + headDim, a3 = a2 + headDim;
        FloatVector o0 = FloatVector.fromArray(F, acc, a0).mul(correction[0]), o1 = FloatVector.fromArray(F, acc, a1).mul(correction[1]);
        FloatVector o2 = FloatVector.fromArray(F, acc, a2).mul(correction[2]), o3 = FloatVector.fromArray(F, acc, a3).mul(correction[3]);
        for (int j = lo; j < hi; j++) {
            FloatVector x = FloatVector.fromArray(F, v, vBase + j * stride + d);
            o0 = x.fma(FloatVector.broadcast(F, scores[j]), o0);
            o1 = x.fma(FloatVector.broadcast(F, scores[KEY_BLOCK + j]), o1);
            o2 = x.fma(FloatVector.broadcast(F, scores[2 * KEY_BLOCK + j]), o2);
            o3 = x.fma(FloatVector.broadcast(F, scores[3 * KEY_BLOCK + j]), o3);
        }
        o0.intoArray(acc, a0);
        o1.intoArray(acc, a1);
        o2.intoArray(acc, a2);
        o3.intoArray(acc, a3);
    }

    /** Channels {@code [d, headDim)}, fewer than a vector: one masked vector. */
    private void weightedSumMasked(float[] v, int vBase, int stride, int lo, int hi, int g0, int d) {
        VectorMask<Float> m = F.indexInRange(d, headDim);
        int a0 = g0 * headDim + d, a1 = a0 + headDim, a2 = a1 + headDim, a3 = a2 + headDim;
        FloatVector o0 = FloatVector.fromArray(F, acc, a0, m).mul(correction[0]), o1 = FloatVector.fromArray(F, acc, a1, m).mul(correction[1]);
        FloatVector o2 = FloatVector.fromArray(F, acc, a2, m).mul(correction[2]), o3 = FloatVector.fromArray(F, acc, a3, m).mul(correction[3]);
        for (int j = lo; j < hi; j++) {
            FloatVector x = FloatVector.fromArray(F, v, vBase + j * stride + d, m);
            o0 = x.fma(FloatVector.broadcast(F, scores[j]), o0);
            o1 = x.fma(FloatVector.broadcast(F, scores[KEY_BLOCK + j]), o1);
            o2 = x.fma(FloatVector.broadcast(F, scores[2 * KEY_BLOCK + j]), o2);
            o3 = x.fma(FloatVector.broadcast(F, scores[3 * KEY_BLOCK + j]), o3);
        }
        o0.intoArray(acc, a0, m);
        o1.intoArray(acc, a1, m);
        o2.intoArray(acc, a2, m);
        o3.intoArray(acc, a3, m);
    }

    /** Four vectors of channels from {@code d} (AVX-512): sixteen accumulators, each value load feeds four rows. */
    private void weightedSumWide(float[] v, int vBase, int stride, int lo, int hi, int g0, int d) {
        int l = F.length(), a0 = g0 * headDim, a1 = a0 + headDim, a2 = a1 + headDim, a3 = a2 + headDim;
        float c0 = correction[0], c1 = correction[1], c2 = correction[2], c3 = correction[3];
        FloatVector o00 = FloatVector.fromArray(F, acc, a0 + d).mul(c0), o01 = FloatVector.fromArray(F, acc, a0 + d + l).mul(c0);
        FloatVector o02 = FloatVector.fromArray(F, acc, a0 + d + 2 * l).mul(c0), o03 = FloatVector.fromArray(F, acc, a0 + d + 3 * l).mul(c0);
        FloatVector o10 = FloatVector.fromArray(F, acc, a1 + d).mul(c1), o11 = FloatVector.fromArray(F, acc, a1 + d + l).mul(c1);
        FloatVector o12 = FloatVector.fromArray(F, acc, a1 + d + 2 * l).mul(c1), o13 = FloatVector.fromArray(F, acc, a1 + d + 3 * l).mul(c1);
        FloatVector o20 = FloatVector.fromArray(F, acc, a2 + d).mul(c2), o21 = FloatVector.fromArray(F, acc, a2 + d + l).mul(c2);
        FloatVector o22 = FloatVector.fromArray(F, acc, a2 + d + 2 * l).mul(c2), o23 = FloatVector.fromArray(F, acc, a2 + d + 3 * l).mul(c2);
        FloatVector o30 = FloatVector.fromArray(F, acc, a3 + d).mul(c3), o31 = FloatVector.fromArray(F, acc, a3 + d + l).mul(c3);
        FloatVector o32 = FloatVector.fromArray(F, acc, a3 + d + 2 * l).mul(c3), o33 = FloatVector.fromArray(F, acc, a3 + d + 3 * l).mul(c3);
        for (int j = lo; j < hi; j++) {
            int at = vBase + j * stride + d;
            FloatVector v0 = FloatVector.fromArray(F, v, at), v1 = FloatVector.fromArray(F, v, at + l);
            FloatVector v2 = FloatVector.fromArray(F, v, at + 2 * l), v3 = FloatVector.fromArray(F, v, at + 3 * l);
            FloatVector p = FloatVector.broadcast(F, scores[j]);
            o00 = v0.fma(p, o00); o01 = v1.fma(p, o01); o02 = v2.fma(p, o02); o03 = v3.fma(p, o03);
            p = FloatVector.broadcast(F, scores[KEY_BLOCK + j]);
            o10 = v0.fma(p, o10); o11 = v1.fma(p, o11); o12 = v2.fma(p, o12); o13 = v3.fma(p, o13);
            p = FloatVector.broadcast(F, scores[2 * KEY_BLOCK + j]);
            o20 = v0.fma(p, o20); o21 = v1.fma(p, o21); o22 = v2.fma(p, o22); o23 = v3.fma(p, o23);
            p = FloatVector.broadcast(F, scores[3 * KEY_BLOCK + j]);
            o30 = v0.fma(p, o30); o31 = v1.fma(p, o31); o32 = v2.fma(p, o32); o33 = v3.fma(p, o33);
        }
        o00.intoArray(acc, a0 + d); o01.intoArray(acc, a0 + d + l); o02.intoArray(acc, a0 + d + 2 * l); o03.intoArray(acc, a0 + d + 3 * l);
        o10.intoArray(acc, a1 + d); o11.intoArray(acc, a1 + d + l); o12.intoArray(acc, a1 + d + 2 * l); o13.intoArray(acc, a1 + d + 3 * l);
        o20.intoArray(acc, a2 + d); o21.intoArray(acc, a2 + d + l); o22.intoArray(acc, a2 + d + 2 * l); o23.intoArray(acc, a2 + d + 3 * l);
        o30.intoArray(acc, a3 + d); o31.intoArray(acc, a3 + d + l); o32.intoArray(acc, a3 + d + 2 * l); o33.intoArray(acc, a3 + d + 3 * l);
    }

    /** The scalar twin of {@link #weightedSumVector}: the same fma chain per channel. */
    private void weightedSumScalar(float[] v, int vBase, int stride, int lo, int hi, int g0) {
        for (int i = 0; i < ROWS; i++) {
            int a = (g0 + i) * headDim;
            for (int d = 0; d < headDim; d++) {
                float o = acc[a + d] * correction[i];
                for (int j = lo; j < hi; j++) o = Math.fma(v[vBase + j * stride + d], scores[i * KEY_BLOCK + j], o);
                acc[a + d] = o;
            }
        }
    }
}
