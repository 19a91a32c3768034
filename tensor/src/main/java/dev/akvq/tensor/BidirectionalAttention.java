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
                    if (vector) productVector(qs, kt, group, headDim, tokens, p);
                    else productScalar(qs, kt, group, headDim, tokens, p);
                    for (int i = 0; i < group; i++) {
                        if (vector) Softmax.vector(p, i * tokens, tokens);
                        else Softmax.scalar(p, i * tokens, tokens);
                    }
                    if (vector) productVector(p, vh, group, tokens, headDim, o);
                    else productScalar(p, vh, group, tokens, headDim, o);
                    for (int i = 0; i < group; i++) System.arraycopy(o, i * headDim, out, base + (t0 + i) * width, headDim);
                }
            }
        });
    }

    /**
     * {@code c[i·n + col] = Σ_r a[i·k + r] · b[r·n + col]} for the group's rows {@code i < group}:
     * the scores ({@code a} = scaled queries, {@code b} = transposed keys, {@code k = headDim},
     * {@code n = tokens}) and the weighted sums ({@code a} = probabilities, {@code b} = values,
     * {@code k = tokens}, {@code n = headDim}). Every element is the fma chain over {@code r} in order,
     * a lane per column; a full group shares each load of {@code b} between four accumulators.
     */
    static void productVector(float[] a, float[] b, int group, int k, int n, float[] c) {
        int lanes = F.length(), col = 0, upper = F.loopBound(n);
        if (group == QUERIES) {
            for (; col < upper; col += lanes) {
                FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
                for (int r = 0; r < k; r++) {
                    FloatVector row = FloatVector.fromArray(F, b, r * n + col);
                    c0 = row.fma(FloatVector.broadcast(F, a[r]), c0);
                    c1 = row.fma(FloatVector.broadcast(F, a[k + r]), c1);
                    c2 = row.fma(FloatVector.broadcast(F, a[2 * k + r]), c2);
                    c3 = row.fma(FloatVector.broadcast(F, a[3 * k + r]), c3);
                }
                c0.intoArray(c, col);
                c1.intoArray(c, n + col);
                c2.intoArray(c, 2 * n + col);
                c3.intoArray(c, 3 * n + col);
            }
        }
        for (int i = 0; i < group; i++) {
            int cc = col;
            for (; cc < upper; cc += lanes) {
                FloatVector acc = FloatVector.zero(F);
                for (int r = 0; r < k; r++) acc = FloatVector.fromArray(F, b, r * n + cc).fma(FloatVector.broadcast(F, a[i * k + r]), acc);
                acc.intoArray(c, i * n + cc);
            }
            for (; cc < n; cc++) c[i * n + cc] = element(a, i * k, b, cc, k, n);
        }
    }

    static void productScalar(float[] a, float[] b, int group, int k, int n, float[] c) {
        for (int i = 0; i < group; i++) {
            for (int col = 0; col < n; col++) c[i * n + col] = element(a, i * k, b, col, k, n);
        }
    }

    private static float element(float[] a, int aOffset, float[] b, int col, int k, int n) {
        float acc = 0f;
        for (int r = 0; r < k; r++) acc = Math.fma(b[r * n + col], a[aOffset + r], acc);
        return acc;
    }
}
