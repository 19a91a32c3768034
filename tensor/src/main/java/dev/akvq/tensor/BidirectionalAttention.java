package dev.akvq.tensor;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention without a mask, as a vision tower's encoder runs it (transformers 4.47.1
 * modeling_clip.py {@code CLIPAttention}, eager): for every sequence, head and query token
 * {@code t}, {@code out[t, h] = Σ_j softmax_j((scale · q[t, h]) · k[j, h]) · v[j, h]} over the
 * sequence's own tokens only. {@code q} is scaled before the product, as transformers does.
 *
 * <p>{@code q}, {@code k}, {@code v} and {@code out} are {@code [sequences · tokens, heads · headDim]}
 * row-major: the projections' output as it is, heads side by side in each row.
 *
 * <p>Each (sequence, head) is one job: its keys are copied transposed ({@code [headDim, tokens]})
 * and its values contiguous ({@code [tokens, headDim]}), then queries go four at a time. A score
 * is {@code Σ_d fma(q[d], k[j, d])} in {@code d} order, a lane per key; an output element is
 * {@code Σ_j fma(p[j], v[j, d])} in {@code j} order, a lane per {@code d}. Each query's arithmetic
 * is therefore the same whatever its group, thread or the thread count, and the scalar twin does
 * exactly these sums with {@link Math#fma} (only {@link Softmax}'s two forms may differ by an ulp).
 */
public final class BidirectionalAttention {
    private BidirectionalAttention() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;
    /** Queries per group: four accumulators share each key or value load. */
    private static final int QUERIES = 4;

    public static void apply(float[] q, float[] k, float[] v, float[] out, int sequences, int tokens, int heads, int headDim,
                             float scale, WorkerPool pool) {
        apply(q, k, v, out, sequences, tokens, heads, headDim, scale, pool, KernelMode.VECTOR);
    }

    static void apply(float[] q, float[] k, float[] v, float[] out, int sequences, int tokens, int heads, int headDim,
                      float scale, WorkerPool pool, boolean vector) {
        Objects.requireNonNull(pool, "pool");
        if (sequences < 0 || tokens < 1 || heads < 1 || headDim < 1) {
            throw new IllegalArgumentException("BidirectionalAttention: sequences " + sequences + ", tokens " + tokens
                    + ", heads " + heads + ", headDim " + headDim + " must be positive");
        }
        long size = (long) sequences * tokens * heads * headDim;
        for (float[] a : new float[][] {q, k, v, out}) {
            if (a.length < size) {
                throw new IllegalArgumentException("BidirectionalAttention: a buffer holds " + a.length + " floats, ["
                        + sequences + " x " + tokens + ", " + heads + " x " + headDim + "] needs " + size);
            }
        }
        int width = heads * headDim;
        pool.forRange(sequences * heads, (start, end) -> {
            float[] kt = new float[headDim * tokens], vh = new float[tokens * headDim];
            float[] qs = new float[QUERIES * headDim], p = new float[QUERIES * tokens], o = new float[QUERIES * headDim];
            for (int job = start; job < end; job++) {
                int base = job / heads * tokens * width + job % heads * headDim;   // row 0 of this sequence, this head
                for (int j = 0; j < tokens; j++) {
                    for (int d = 0; d < headDim; d++) kt[d * tokens + j] = k[base + j * width + d];
                    System.arraycopy(v, base + j * width, vh, j * headDim, headDim);
                }
                for (int t0 = 0; t0 < tokens; t0 += QUERIES) {
                    int group = Math.min(QUERIES, tokens - t0);
                    for (int i = 0; i < group; i++) {
                        for (int d = 0; d < headDim; d++) qs[i * headDim + d] = q[base + (t0 + i) * width + d] * scale;
                    }
                    if (vector) scoresVector(qs, kt, group, tokens, headDim, p);
                    else scoresScalar(qs, kt, group, tokens, headDim, p);
                    for (int i = 0; i < group; i++) {
                        if (vector) Softmax.vector(p, i * tokens, tokens);
                        else Softmax.scalar(p, i * tokens, tokens);
                    }
                    if (vector) weightedSumVector(p, vh, group, tokens, headDim, o);
                    else weightedSumScalar(p, vh, group, tokens, headDim, o);
                    for (int i = 0; i < group; i++) System.arraycopy(o, i * headDim, out, base + (t0 + i) * width, headDim);
                }
            }
        });
    }

    /** {@code p[i·tokens + j] = Σ_d qs[i·headDim + d] · kt[d·tokens + j]} for the group's queries {@code i}. */
    static void scoresVector(float[] qs, float[] kt, int group, int tokens, int headDim, float[] p) {
        int lanes = F.length(), j = 0;
        if (group == QUERIES) {
            for (int upper = F.loopBound(tokens); j < upper; j += lanes) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int d = 0; d < headDim; d++) {
                    FloatVector key = FloatVector.fromArray(F, kt, d * tokens + j);
                    a0 = key.fma(FloatVector.broadcast(F, qs[d]), a0);
                    a1 = key.fma(FloatVector.broadcast(F, qs[headDim + d]), a1);
                    a2 = key.fma(FloatVector.broadcast(F, qs[2 * headDim + d]), a2);
                    a3 = key.fma(FloatVector.broadcast(F, qs[3 * headDim + d]), a3);
                }
                a0.intoArray(p, j);
                a1.intoArray(p, tokens + j);
                a2.intoArray(p, 2 * tokens + j);
                a3.intoArray(p, 3 * tokens + j);
            }
        }
        for (int i = 0; i < group; i++) {
            int jj = j;
            for (int upper = F.loopBound(tokens); jj < upper; jj += lanes) {
                FloatVector a = FloatVector.zero(F);
                for (int d = 0; d < headDim; d++) {
                    a = FloatVector.fromArray(F, kt, d * tokens + jj).fma(FloatVector.broadcast(F, qs[i * headDim + d]), a);
                }
                a.intoArray(p, i * tokens + jj);
            }
            for (; jj < tokens; jj++) p[i * tokens + jj] = score(qs, i * headDim, kt, jj, tokens, headDim);
        }
    }

    static void scoresScalar(float[] qs, float[] kt, int group, int tokens, int headDim, float[] p) {
        for (int i = 0; i < group; i++) {
            for (int j = 0; j < tokens; j++) p[i * tokens + j] = score(qs, i * headDim, kt, j, tokens, headDim);
        }
    }

    private static float score(float[] qs, int qo, float[] kt, int j, int tokens, int headDim) {
        float acc = 0f;
        for (int d = 0; d < headDim; d++) acc = Math.fma(kt[d * tokens + j], qs[qo + d], acc);
        return acc;
    }

    /** {@code o[i·headDim + d] = Σ_j p[i·tokens + j] · vh[j·headDim + d]}, {@code j} in order. */
    static void weightedSumVector(float[] p, float[] vh, int group, int tokens, int headDim, float[] o) {
        int lanes = F.length(), d = 0;
        if (group == QUERIES) {
            for (int upper = F.loopBound(headDim); d < upper; d += lanes) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int j = 0; j < tokens; j++) {
                    FloatVector value = FloatVector.fromArray(F, vh, j * headDim + d);
                    a0 = value.fma(FloatVector.broadcast(F, p[j]), a0);
                    a1 = value.fma(FloatVector.broadcast(F, p[tokens + j]), a1);
                    a2 = value.fma(FloatVector.broadcast(F, p[2 * tokens + j]), a2);
                    a3 = value.fma(FloatVector.broadcast(F, p[3 * tokens + j]), a3);
                }
                a0.intoArray(o, d);
                a1.intoArray(o, headDim + d);
                a2.intoArray(o, 2 * headDim + d);
                a3.intoArray(o, 3 * headDim + d);
            }
        }
        for (int i = 0; i < group; i++) {
            int dd = d;
            for (int upper = F.loopBound(headDim); dd < upper; dd += lanes) {
                FloatVector a = FloatVector.zero(F);
                for (int j = 0; j < tokens; j++) {
                    a = FloatVector.fromArray(F, vh, j * headDim + dd).fma(FloatVector.broadcast(F, p[i * tokens + j]), a);
                }
                a.intoArray(o, i * headDim + dd);
            }
            for (; dd < headDim; dd++) o[i * headDim + dd] = weighted(p, i * tokens, vh, dd, tokens, headDim);
        }
    }

    static void weightedSumScalar(float[] p, float[] vh, int group, int tokens, int headDim, float[] o) {
        for (int i = 0; i < group; i++) {
            for (int d = 0; d < headDim; d++) o[i * headDim + d] = weighted(p, i * tokens, vh, d, tokens, headDim);
        }
    }

    private static float weighted(float[] p, int po, float[] vh, int d, int tokens, int headDim) {
        float acc = 0f;
        for (int j = 0; j < tokens; j++) acc = Math.fma(vh[j * headDim + d], p[po + j], acc);
        return acc;
    }
}
