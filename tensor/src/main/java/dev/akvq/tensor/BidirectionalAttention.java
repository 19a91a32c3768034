package dev.akvq.tensor;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention without a mask, as a vision tower's encoder runs it (transformers 4.47.1
 * modeling_clip.py {@code CLIPAttention}, eager): for every sequence, head and query token
 * {@code t}, {@code out[t, h] = Σ_j softmax_j(scale · q[t, h] · k[j, h]) · v[j, h]} over the
 * sequence's own tokens only.
 *
 * <p>{@code q}, {@code k}, {@code v} and {@code out} are {@code [sequences · tokens, heads · headDim]}
 * row-major: the projections' output as it is, heads side by side in each row. Each
 * (sequence, head, token) is one job computed whole by one thread with the same arithmetic, so the
 * result does not depend on the thread count or the order the jobs run in.
 *
 * <p>Scores go through {@link DotProduct} and {@link Softmax}; the weighted sum of value rows is,
 * in the vector form, one FMA per lane and value row in row order (the scalar twin does the same
 * per element with {@link Math#fma}), so both forms give identical sums. transformers scales
 * {@code q} before the product; scaling the dot product instead differs by a rounding.
 */
public final class BidirectionalAttention {
    private BidirectionalAttention() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;

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
        pool.forRange(sequences * heads * tokens, (start, end) -> {
            float[] p = new float[tokens];
            for (int job = start; job < end; job++) {
                int s = job / (heads * tokens), h = job / tokens % heads, t = job % tokens;
                int base = s * tokens * width + h * headDim, qAt = base + t * width;
                for (int j = 0; j < tokens; j++) {
                    int kAt = base + j * width;
                    p[j] = scale * (vector ? DotProduct.vector(q, qAt, k, kAt, headDim) : DotProduct.scalar(q, qAt, k, kAt, headDim));
                }
                if (vector) Softmax.vector(p, 0, tokens);
                else Softmax.scalar(p, 0, tokens);
                if (vector) weightedSumVector(p, v, base, width, tokens, headDim, out, qAt);
                else weightedSumScalar(p, v, base, width, tokens, headDim, out, qAt);
            }
        });
    }

    /** {@code out[o + d] = Σ_j p[j] · v[base + j·width + d]}, j in order. */
    static void weightedSumVector(float[] p, float[] v, int base, int width, int tokens, int headDim, float[] out, int o) {
        int d = 0;
        for (int upper = F.loopBound(headDim); d < upper; d += F.length()) {
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < tokens; j++) {
                acc = FloatVector.fromArray(F, v, base + j * width + d).fma(FloatVector.broadcast(F, p[j]), acc);
            }
            acc.intoArray(out, o + d);
        }
        for (; d < headDim; d++) {
            float acc = 0f;
            for (int j = 0; j < tokens; j++) acc = Math.fma(v[base + j * width + d], p[j], acc);
            out[o + d] = acc;
        }
    }

    static void weightedSumScalar(float[] p, float[] v, int base, int width, int tokens, int headDim, float[] out, int o) {
        for (int d = 0; d < headDim; d++) {
            float acc = 0f;
            for (int j = 0; j < tokens; j++) acc = Math.fma(v[base + j * width + d], p[j], acc);
            out[o + d] = acc;
        }
    }
}
