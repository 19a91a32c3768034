package dev.akvq.tensor;

import java.util.Objects;

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
 * <p>Computed as {@link CausalAttention} is, with {@link OnlineSoftmaxTile}'s online softmax and no
 * causal mask: a job is {@link #QUERY_BLOCK} query tokens of one (sequence, head) against that
 * sequence's keys, a block of {@value OnlineSoftmaxTile#KEY_BLOCK} at a time, so no score row longer
 * than a block and no {@code [heads, tokens, tokens]} matrix exists. Jobs go in (sequence, head, query
 * block) order, so a thread packs (transposes) each head's keys once for its consecutive query blocks.
 * A score is the fma chain {@code Σ_d fma(k[j, d], q[d])} in {@code d} order, then the family's
 * scaling, as before the tile; the tile's comment gives the rest of the arithmetic and the NaN policy
 * (a NaN in a query or key makes that row's head NaN; nothing else is touched). Each query's
 * arithmetic is the same whatever its block, thread or the thread count.
 */
public final class BidirectionalAttention {
    private BidirectionalAttention() {}

    /** Query tokens per job: the head's packed key blocks are scored against this many rows at a time. */
    static final int QUERY_BLOCK = 64;

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
        int stride = layout.rowStride(), sequences = starts.length - 1, keyBlocks = (longest + OnlineSoftmaxTile.KEY_BLOCK - 1) / OnlineSoftmaxTile.KEY_BLOCK;
        float queryScale = scaling.where() == Scaling.Where.QUERY ? scaling.factor() : 1f;
        // Jobs in (sequence, head, query block) order: a thread's consecutive jobs share a head's packed keys.
        int[] firstJob = new int[sequences + 1];
        for (int s = 0; s < sequences; s++) {
            firstJob[s + 1] = Math.addExact(firstJob[s], Math.multiplyExact(heads, queryBlocks(starts[s + 1] - starts[s])));
        }
        pool.forRange(firstJob[sequences], (start, end) -> {
            var tile = new OnlineSoftmaxTile(QUERY_BLOCK, headDim, keyBlocks);
            for (int job = start; job < end; job++) {
                int s = sequenceOf(firstJob, job), first = starts[s], tokens = starts[s + 1] - first;
                int blocks = queryBlocks(tokens), head = (job - firstJob[s]) / blocks, block = (job - firstJob[s]) % blocks;
                int t0 = block * QUERY_BLOCK, count = Math.min(QUERY_BLOCK, tokens - t0);
                int qc = layout.queryColumn() + head * headDim;
                for (int i = 0; i < count; i++) {
                    int row = (first + t0 + i) * stride + qc;
                    // CLIP scales the query projection before the product: (q · scale) rounded, then q·k.
                    for (int d = 0; d < headDim; d++) tile.queries[i * headDim + d] = q[row + d] * queryScale;
                    tile.from[i] = 0;
                    tile.to[i] = tokens;
                    tile.outOffset[i] = (first + t0 + i) * width + head * headDim;
                }
                var kv = new OnlineSoftmaxTile.KeyValues((long) s * heads + head, k, v, stride, layout.keyColumn() + head * headDim,
                        layout.valueColumn() + head * headDim, first, tokens, keyMask);
                tile.attend(count, kv, scaling, out, vector);
            }
        });
    }

    private static int queryBlocks(int tokens) {
        return (tokens + QUERY_BLOCK - 1) / QUERY_BLOCK;
    }

    /** The sequence whose jobs include {@code job}: the last {@code s} with {@code firstJob[s] <= job} (empty sequences have none). */
    private static int sequenceOf(int[] firstJob, int job) {
        int lo = 0, hi = firstJob.length - 2;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (firstJob[mid] <= job) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }
}
