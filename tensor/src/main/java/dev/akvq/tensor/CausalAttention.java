package dev.akvq.tensor;

/**
 * A prompt's causal self-attention, {@code out_t = Σ_{j∈S(t)} softmax_j(scale · q_t·k_j) v_j} with
 * {@code S(t) = [max(0, t + 1 − window), t]}, computed as blocks of queries against blocks of keys
 * with an online softmax ({@link OnlineSoftmaxTile}, the tile {@link BidirectionalAttention} runs
 * too; flash attention's recurrence, on CPUs as llama.cpp's flash-attention path does). No
 * {@code [tokens, tokens]} score matrix exists: a job is {@link #QUERY_BLOCK} tokens times the
 * query heads of one KV head, scored against blocks of {@link #KEY_BLOCK} keys packed transposed.
 *
 * <p>Layouts are a forward pass's: {@code q, out [tokens, heads · headDim]},
 * {@code k, v [tokens, kvHeads · headDim]}, query head {@code h} reads KV head
 * {@code h / (heads / kvHeads)} (grouped-query attention). The score is {@code q·k}, then times
 * {@code scale}. The result differs from a two-pass softmax by rounding only (the property test
 * bounds it against attention in double). The scalar twin runs the same recurrence with scalar loops.
 */
public final class CausalAttention {
    private CausalAttention() {}

    /** Keys per block ({@link OnlineSoftmaxTile#KEY_BLOCK}). */
    public static final int KEY_BLOCK = OnlineSoftmaxTile.KEY_BLOCK;
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
        int blocks = (s.tokens() + QUERY_BLOCK - 1) / QUERY_BLOCK, group = s.group(), headDim = s.headDim();
        var scaling = BidirectionalAttention.Scaling.score(scale);
        pool.forRange(blocks * s.kvHeads(), (start, end) -> {
            // A KV head's keys stay packed while a thread's jobs stay on that head.
            var tile = new OnlineSoftmaxTile(QUERY_BLOCK * group, headDim, (s.tokens() + KEY_BLOCK - 1) / KEY_BLOCK);
            for (int job = start; job < end; job++) {
                // Causal blocks grow with their index: alternating first and last blocks gives each
                // thread's contiguous share of jobs about the same work.
                int kvHead = job / blocks, order = job % blocks, block = order % 2 == 0 ? order / 2 : blocks - 1 - order / 2;
                int t0 = block * QUERY_BLOCK, t1 = Math.min(s.tokens(), t0 + QUERY_BLOCK), rows = (t1 - t0) * group;
                for (int t = t0; t < t1; t++) {
                    for (int g = 0; g < group; g++) {
                        int row = (t - t0) * group + g, offset = t * s.queryWidth() + (kvHead * group + g) * headDim;
                        System.arraycopy(q, offset, tile.queries, row * headDim, headDim);
                        tile.from[row] = s.firstKey(t);
                        tile.to[row] = t + 1;
                        tile.outOffset[row] = offset;
                    }
                }
                var kv = new OnlineSoftmaxTile.KeyValues(kvHead, k, v, s.keyWidth(), kvHead * headDim, kvHead * headDim, 0,
                        s.tokens(), null);
                tile.attend(rows, kv, scaling, out, vector);
            }
        });
    }

    private static void check(float[] a, int tokens, int width, String name) {
        if ((long) tokens * width > a.length) {
            throw new IllegalArgumentException("CausalAttention: " + name + " holds " + a.length + " floats, " + tokens
                    + " tokens x " + width + " need " + (long) tokens * width);
        }
    }
}
