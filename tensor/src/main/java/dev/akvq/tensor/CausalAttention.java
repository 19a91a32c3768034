package dev.akvq.tensor;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A prompt's causal self-attention, {@code out_t = Σ_{j∈S(t)} softmax_j(scale · q_t·k_j) v_j} with
 * {@code S(t) = [max(0, t + 1 − window), t]}, computed as blocks of queries against blocks of keys
 * with an online softmax (flash attention's recurrence: Dao et al. 2022, "FlashAttention",
 * Algorithm 1; on CPUs as llama.cpp's flash-attention path does). For each query row it keeps a
 * running maximum {@code m}, a running sum {@code l} and an unnormalised output {@code o}; a key block
 * with scores {@code s} updates them as
 * <pre>
 *   m' = max(m, max_j s_j),  c = exp(m − m'),  p_j = exp(s_j − m')
 *   l' = c·l + Σ_j p_j,      o' = c·o + Σ_j p_j v_j
 * </pre>
 * and {@code out = o / l} after the last block. No {@code [tokens, tokens]} score matrix exists: a
 * block of {@link #KEY_BLOCK} keys is packed transposed once and scored against every query row of
 * the block ({@link #QUERY_BLOCK} tokens times the query heads of one KV head), with the scores
 * vectorised across keys and the weighted sum across channels, so the inner loops are FMAs without
 * lane reductions.
 *
 * <p>Layouts are a forward pass's: {@code q, out [tokens, heads · headDim]},
 * {@code k, v [tokens, kvHeads · headDim]}, query head {@code h} reads KV head
 * {@code h / (heads / kvHeads)} (grouped-query attention). Scores and exponentials are float; the
 * result differs from a two-pass softmax by rounding only (the property test bounds it against
 * attention in double). The scalar twin runs the same recurrence with scalar loops.
 */
public final class CausalAttention {
    private CausalAttention() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;
    /** Keys per block: 64 scores are 4 AVX-512 (8 AVX2) vectors, and a 64 x 128 packed block is 32 KiB (L1). */
    public static final int KEY_BLOCK = 64;
    /** Query tokens per job: each packed key block is reused by this many tokens times the group's heads. */
    public static final int QUERY_BLOCK = 16;

    /**
     * The sizes of one attention call.
     *
     * @param tokens  prompt tokens (queries and keys alike)
     * @param window  keys a query sees, itself included (Mistral's sliding window); {@code Integer.MAX_VALUE} for none
     */
    public record Shape(int tokens, int heads, int kvHeads, int headDim, int window) {
        public Shape {
            if (tokens < 0 || heads < 1 || kvHeads < 1 || headDim < 1 || window < 1) {
                throw new IllegalArgumentException("CausalAttention: tokens " + tokens + ", heads " + heads + ", kvHeads "
                        + kvHeads + ", headDim " + headDim + ", window " + window + " (all but tokens must be >= 1)");
            }
            if (heads % kvHeads != 0) {
                throw new IllegalArgumentException("CausalAttention: " + heads + " query heads do not divide into " + kvHeads + " KV heads");
            }
        }

        int queryWidth() {
            return heads * headDim;
        }

        int keyWidth() {
            return kvHeads * headDim;
        }

        int group() {
            return heads / kvHeads;
        }

        /** First key token {@code t} sees. */
        int firstKey(int t) {
            return (int) Math.max(0L, (long) t + 1 - window);
        }
    }

    /** Every query head of every token, the jobs (KV head x query block) split over {@code pool}. */
    public static void attend(float[] q, float[] k, float[] v, float[] out, Shape s, float scale, WorkerPool pool) {
        attend(q, k, v, out, s, scale, pool, KernelMode.VECTOR);
    }

    static void attend(float[] q, float[] k, float[] v, float[] out, Shape s, float scale, WorkerPool pool, boolean vector) {
        check(q, s.tokens(), s.queryWidth(), "q");
        check(k, s.tokens(), s.keyWidth(), "k");
        check(v, s.tokens(), s.keyWidth(), "v");
        check(out, s.tokens(), s.queryWidth(), "out");
        int blocks = (s.tokens() + QUERY_BLOCK - 1) / QUERY_BLOCK;
        pool.forRange(blocks * s.kvHeads(), (start, end) -> {
            Scratch scratch = new Scratch(s);
            for (int job = start; job < end; job++) {
                // Causal blocks grow with their index: alternating first and last blocks gives each
                // thread's contiguous share of jobs about the same work.
                int order = job / s.kvHeads(), block = order % 2 == 0 ? order / 2 : blocks - 1 - order / 2;
                int t0 = block * QUERY_BLOCK, t1 = Math.min(s.tokens(), t0 + QUERY_BLOCK);
                queryBlock(q, k, v, out, s, scale, job % s.kvHeads(), t0, t1, scratch, vector);
            }
        });
    }

    /** One job's buffers: the running statistics of its query rows and one packed key block. */
    private static final class Scratch {
        final float[] max, sum, acc, keysT, scores;

        Scratch(Shape s) {
            int rows = QUERY_BLOCK * s.group();
            max = new float[rows];
            sum = new float[rows];
            acc = new float[rows * s.headDim()];
            keysT = new float[s.headDim() * KEY_BLOCK];
            scores = new float[KEY_BLOCK];
        }
    }

    /** Query tokens {@code [t0, t1)} of the query heads that read KV head {@code kvHead}. */
    private static void queryBlock(float[] q, float[] k, float[] v, float[] out, Shape s, float scale, int kvHead,
                                   int t0, int t1, Scratch w, boolean vector) {
        int group = s.group(), headDim = s.headDim(), rows = (t1 - t0) * group;
        Arrays.fill(w.max, 0, rows, Float.NEGATIVE_INFINITY);
        Arrays.fill(w.sum, 0, rows, 0f);
        Arrays.fill(w.acc, 0, rows * headDim, 0f);
        for (int kb = s.firstKey(t0) / KEY_BLOCK * KEY_BLOCK; kb < t1; kb += KEY_BLOCK) {
            int kn = Math.min(KEY_BLOCK, t1 - kb);
            packKeys(k, s, kvHead, kb, kn, w.keysT);
            for (int t = t0; t < t1; t++) {
                int from = Math.max(0, s.firstKey(t) - kb), to = Math.min(kn, t + 1 - kb);   // visible keys of this block
                if (from >= to) continue;
                for (int g = 0; g < group; g++) {
                    int row = (t - t0) * group + g, head = kvHead * group + g;
                    int qOffset = t * s.queryWidth() + head * headDim;
                    if (vector) scoresVector(q, qOffset, w.keysT, headDim, scale, w.scores);
                    else scoresScalar(q, qOffset, w.keysT, headDim, scale, w.scores);
                    update(w, row, from, to, v, (kb) * s.keyWidth() + kvHead * headDim, s.keyWidth(), headDim, vector);
                }
            }
        }
        for (int t = t0; t < t1; t++) {
            for (int g = 0; g < group; g++) {
                int row = (t - t0) * group + g, o = t * s.queryWidth() + (kvHead * group + g) * headDim;
                float inverse = 1f / w.sum[row];
                for (int d = 0; d < headDim; d++) out[o + d] = w.acc[row * headDim + d] * inverse;
            }
        }
    }

    /** {@code keysT[d · KEY_BLOCK + j] = k[kb + j][kvHead][d]}; keys past {@code kn} are zero. */
    private static void packKeys(float[] k, Shape s, int kvHead, int kb, int kn, float[] keysT) {
        int headDim = s.headDim();
        for (int j = 0; j < KEY_BLOCK; j++) {
            int from = (kb + j) * s.keyWidth() + kvHead * headDim;
            for (int d = 0; d < headDim; d++) keysT[d * KEY_BLOCK + j] = j < kn ? k[from + d] : 0f;
        }
    }

    /** {@code scores[j] = scale · Σ_d q[d] · keysT[d][j]} for the block's keys, vectorised across keys. */
    private static void scoresVector(float[] q, int qOffset, float[] keysT, int headDim, float scale, float[] scores) {
        for (int c = 0; c < KEY_BLOCK; c += F.length()) {
            FloatVector acc = FloatVector.zero(F);
            for (int d = 0; d < headDim; d++) {
                acc = FloatVector.fromArray(F, keysT, d * KEY_BLOCK + c).fma(FloatVector.broadcast(F, q[qOffset + d]), acc);
            }
            acc.mul(scale).intoArray(scores, c);
        }
    }

    private static void scoresScalar(float[] q, int qOffset, float[] keysT, int headDim, float scale, float[] scores) {
        for (int j = 0; j < KEY_BLOCK; j++) {
            float acc = 0f;
            for (int d = 0; d < headDim; d++) acc = Math.fma(keysT[d * KEY_BLOCK + j], q[qOffset + d], acc);
            scores[j] = acc * scale;
        }
    }

    /** The online-softmax step of one query row with the block's visible keys {@code [from, to)}. */
    private static void update(Scratch w, int row, int from, int to, float[] v, int vBase, int vStride, int headDim, boolean vector) {
        float[] scores = w.scores;
        float blockMax = Float.NEGATIVE_INFINITY;
        for (int j = from; j < to; j++) blockMax = Math.max(blockMax, scores[j]);
        float oldMax = w.max[row], newMax = Math.max(oldMax, blockMax);
        // exp(−Inf) = 0 drops the empty history of a row's first block; a NaN or +Inf score makes the row NaN, as in torch.
        float correction = oldMax == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp((double) oldMax - newMax);
        float sum = 0f;
        for (int j = from; j < to; j++) {
            float p = (float) Math.exp((double) scores[j] - newMax);
            scores[j] = p;
            sum += p;
        }
        w.sum[row] = w.sum[row] * correction + sum;
        w.max[row] = newMax;
        int a = row * headDim;
        if (vector) {
            int upper = F.loopBound(headDim);
            for (int d = 0; d < upper; d += F.length()) {
                FloatVector o = FloatVector.fromArray(F, w.acc, a + d).mul(correction);
                for (int j = from; j < to; j++) {
                    o = FloatVector.fromArray(F, v, vBase + j * vStride + d).fma(FloatVector.broadcast(F, scores[j]), o);
                }
                o.intoArray(w.acc, a + d);
            }
            tail(w.acc, a, upper, headDim, correction, scores, from, to, v, vBase, vStride);
        } else {
            tail(w.acc, a, 0, headDim, correction, scores, from, to, v, vBase, vStride);
        }
    }

    /** Channels {@code [d0, headDim)} of the weighted sum: the scalar twin, and the vector form's tail. */
    private static void tail(float[] acc, int a, int d0, int headDim, float correction, float[] p, int from, int to,
                             float[] v, int vBase, int vStride) {
        for (int d = d0; d < headDim; d++) {
            float o = acc[a + d] * correction;
            for (int j = from; j < to; j++) o = Math.fma(v[vBase + j * vStride + d], p[j], o);
            acc[a + d] = o;
        }
    }

    private static void check(float[] a, int tokens, int width, String name) {
        if ((long) tokens * width > a.length) {
            throw new IllegalArgumentException("CausalAttention: " + name + " holds " + a.length + " floats, " + tokens
                    + " tokens x " + width + " need " + (long) tokens * width);
        }
    }
}
