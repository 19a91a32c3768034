package dev.akvq.tensor;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The attention of a vision tower's encoder (CLIP, SigLIP/Idefics3, Qwen2-VL; transformers 4.47.1,
 * eager): every token of a sequence attends to every token of the same sequence, with no causal
 * mask. For each sequence, head and query token {@code t}:
 * {@code out[t, h] = Σ_j softmax_j(score(t, j)) · v[j, h]}, where {@code score} is {@code q·k}
 * scaled as the family's reference does ({@link Scaling}) and {@code −∞} for a key the optional
 * key mask marks as padding (its probability is then exactly 0; transformers adds float32's
 * minimum, which underflows to the same 0).
 *
 * <p>{@code q}, {@code k} and {@code v} are rows of {@code layout.rowStride()} floats, one per token,
 * with each one's heads side by side from its column ({@link Layout}: separate projections, or
 * Qwen2-VL's fused qkv); {@code out} is {@code [tokens, heads · headDim]}. Sequences are
 * consecutive runs of tokens given by their starts (images, tiles or frames of any length).
 *
 * <p>Each (sequence, head) is one job: its keys are copied transposed ({@code [headDim, tokens]})
 * and its values contiguous ({@code [tokens, headDim]}), then queries go four at a time. A score
 * is {@code Σ_d fma(q[d], k[j, d])} in {@code d} order, a lane per key; an output element is
 * {@code Σ_j fma(p[j], v[j, d])} in {@code j} order, a lane per {@code d}. Each query's arithmetic
 * is therefore the same whatever its group, thread or the thread count, and the scalar twin does
 * exactly these sums with {@link Math#fma} (only {@link Softmax}'s two forms may differ by an ulp).
 * A NaN in a query or key makes that row's head NaN; nothing else is touched.
 */
public final class BidirectionalAttention {
    private BidirectionalAttention() {}

    private static final VectorSpecies<Float> F = KernelMode.FLOAT;
    /** Queries per group: four accumulators share each key or value load. */
    private static final int QUERIES = 4;

    /**
     * Where a token's query, key and value heads sit: each buffer holds one row of {@code rowStride}
     * floats per token, and head {@code h} of the query starts at {@code queryColumn + h · headDim}
     * (likewise for keys and values).
     */
    public record Layout(int heads, int headDim, int rowStride, int queryColumn, int keyColumn, int valueColumn) {
        public Layout {
            int width = heads * headDim;
            if (heads < 1 || headDim < 1 || queryColumn < 0 || keyColumn < 0 || valueColumn < 0
                    || Math.max(queryColumn, Math.max(keyColumn, valueColumn)) + width > rowStride) {
                throw new IllegalArgumentException("BidirectionalAttention.Layout: heads " + heads + " x headDim " + headDim
                        + " from columns q " + queryColumn + ", k " + keyColumn + ", v " + valueColumn + " must fit rows of "
                        + rowStride);
            }
        }

        /** q, k and v each in their own {@code [tokens, heads · headDim]} buffer (separate projections). */
        public static Layout separate(int heads, int headDim) {
            return new Layout(heads, headDim, heads * headDim, 0, 0, 0);
        }

        /** One {@code [tokens, 3 · heads · headDim]} buffer holding q, then k, then v (a fused qkv projection). */
        public static Layout fusedQkv(int heads, int headDim) {
            int width = heads * headDim;
            return new Layout(heads, headDim, 3 * width, 0, width, 2 * width);
        }

        public int width() {
            return heads * headDim;
        }
    }

    /** How a family scales its scores, as its reference computes it (the rounding differs between the three). */
    public record Scaling(Where where, float factor) {
        public enum Where {
            /** {@code (q · factor) · k}: CLIP scales the query projection. */
            QUERY,
            /** {@code (q · k) · factor}: SigLIP/Idefics3 scales the scores. */
            SCORE,
            /** {@code (q · k) / factor}: Qwen2-VL divides the scores by √head_dim. */
            SCORE_DIVIDED
        }

        public Scaling {
            if (where == null || !(factor > 0) || Float.isInfinite(factor)) {
                throw new IllegalArgumentException("BidirectionalAttention.Scaling: " + where + " by " + factor);
            }
        }

        public static Scaling query(float factor) {
            return new Scaling(Where.QUERY, factor);
        }

        public static Scaling score(float factor) {
            return new Scaling(Where.SCORE, factor);
        }

        public static Scaling scoreDividedBy(float divisor) {
            return new Scaling(Where.SCORE_DIVIDED, divisor);
        }
    }

    /** The starts of {@code sequences} runs of {@code tokens} tokens, and the end: {@code [0, tokens, 2·tokens, ...]}. */
    public static int[] uniformStarts(int sequences, int tokens) {
        int[] starts = new int[sequences + 1];
        for (int s = 1; s <= sequences; s++) starts[s] = Math.multiplyExact(s, tokens);
        return starts;
    }

    /** Unmasked attention of {@code sequences} equal runs of {@code tokens}, separate q/k/v, the query scaled (CLIP). */
    public static void apply(float[] q, float[] k, float[] v, float[] out, int sequences, int tokens, int heads, int headDim,
                             float scale, WorkerPool pool) {
        apply(q, k, v, out, Layout.separate(heads, headDim), uniformStarts(sequences, tokens), null, Scaling.query(scale), pool);
    }

    /**
     * @param starts  sequence {@code s} is tokens {@code [starts[s], starts[s + 1])}; non-decreasing from 0
     * @param keyMask null, or per token: false marks a padding key no query attends to
     */
    public static void apply(float[] q, float[] k, float[] v, float[] out, Layout layout, int[] starts, boolean[] keyMask,
                             Scaling scaling, WorkerPool pool) {
        apply(q, k, v, out, layout, starts, keyMask, scaling, pool, KernelMode.VECTOR);
    }

    static void apply(float[] q, float[] k, float[] v, float[] out, int sequences, int tokens, int heads, int headDim,
                      float scale, WorkerPool pool, boolean vector) {
        apply(q, k, v, out, Layout.separate(heads, headDim), uniformStarts(sequences, tokens), null, Scaling.query(scale), pool,
                vector);
    }

    static void apply(float[] q, float[] k, float[] v, float[] out, Layout layout, int[] starts, boolean[] keyMask,
                      Scaling scaling, WorkerPool pool, boolean vector) {
        Objects.requireNonNull(pool, "pool");
        if (starts.length < 1 || starts[0] != 0) throw new IllegalArgumentException("BidirectionalAttention: starts must begin at 0");
        int longest = 0;
        for (int s = 0; s + 1 < starts.length; s++) {
            if (starts[s + 1] < starts[s]) {
                throw new IllegalArgumentException("BidirectionalAttention: sequence " + s + " ends before it starts ("
                        + starts[s] + " to " + starts[s + 1] + ")");
            }
            longest = Math.max(longest, starts[s + 1] - starts[s]);
        }
        int tokensTotal = starts[starts.length - 1], heads = layout.heads(), headDim = layout.headDim(), width = layout.width();
        long rows = (long) tokensTotal * layout.rowStride();
        for (float[] a : new float[][] {q, k, v}) {
            if (a.length < rows) {
                throw new IllegalArgumentException("BidirectionalAttention: an input holds " + a.length + " floats, " + tokensTotal
                        + " tokens of " + layout.rowStride() + " need " + rows);
            }
        }
        if (out.length < (long) tokensTotal * width) {
            throw new IllegalArgumentException("BidirectionalAttention: out holds " + out.length + " floats, [" + tokensTotal
                    + ", " + heads + " x " + headDim + "] needs " + (long) tokensTotal * width);
        }
        if (keyMask != null && keyMask.length < tokensTotal) {
            throw new IllegalArgumentException("BidirectionalAttention: key mask of " + keyMask.length + " for " + tokensTotal + " tokens");
        }
        int stride = layout.rowStride(), capacity = longest;
        float queryScale = scaling.where() == Scaling.Where.QUERY ? scaling.factor() : 1f;
        pool.forRange((starts.length - 1) * heads, (start, end) -> {
            float[] kt = new float[headDim * capacity], vh = new float[capacity * headDim];
            float[] qs = new float[QUERIES * headDim], p = new float[QUERIES * capacity], o = new float[QUERIES * headDim];
            for (int job = start; job < end; job++) {
                int first = starts[job / heads], tokens = starts[job / heads + 1] - first, head = job % heads;
                if (tokens == 0) continue;
                int qc = layout.queryColumn() + head * headDim, kc = layout.keyColumn() + head * headDim;
                int vc = layout.valueColumn() + head * headDim;
                for (int j = 0; j < tokens; j++) {
                    int row = (first + j) * stride;
                    for (int d = 0; d < headDim; d++) kt[d * tokens + j] = k[row + kc + d];
                    System.arraycopy(v, row + vc, vh, j * headDim, headDim);
                }
                for (int t0 = 0; t0 < tokens; t0 += QUERIES) {
                    int group = Math.min(QUERIES, tokens - t0);
                    for (int i = 0; i < group; i++) {
                        int row = (first + t0 + i) * stride + qc;
                        for (int d = 0; d < headDim; d++) qs[i * headDim + d] = q[row + d] * queryScale;
                    }
                    if (vector) productVector(qs, kt, group, headDim, tokens, p);
                    else productScalar(qs, kt, group, headDim, tokens, p);
                    for (int i = 0; i < group; i++) {
                        scaleAndMask(p, i * tokens, tokens, scaling, keyMask, first);
                        if (vector) Softmax.vector(p, i * tokens, tokens);
                        else Softmax.scalar(p, i * tokens, tokens);
                    }
                    if (vector) productVector(p, vh, group, tokens, headDim, o);
                    else productScalar(p, vh, group, tokens, headDim, o);
                    for (int i = 0; i < group; i++) System.arraycopy(o, i * headDim, out, (first + t0 + i) * width + head * headDim, headDim);
                }
            }
        });
    }

    /** The score scaling after the product, and {@code −∞} at masked keys. */
    private static void scaleAndMask(float[] p, int offset, int tokens, Scaling scaling, boolean[] keyMask, int first) {
        float f = scaling.factor();
        switch (scaling.where()) {
            case SCORE -> { for (int j = 0; j < tokens; j++) p[offset + j] *= f; }
            case SCORE_DIVIDED -> { for (int j = 0; j < tokens; j++) p[offset + j] /= f; }
            case QUERY -> { }
        }
        if (keyMask != null) {
            for (int j = 0; j < tokens; j++) if (!keyMask[first + j]) p[offset + j] = Float.NEGATIVE_INFINITY;
        }
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
