package dev.akvq.quant.kv;

import dev.akvq.tensor.DType;
import java.util.Optional;

/**
 * One decoder layer's KV cache for one sequence, and the attention that reads it. The forward pass
 * hands each token's post-RoPE keys and values to {@link #append} and asks {@link #attend} for
 * each query head's output; how keys and values are stored (FP32, FP16, packed 2/4-bit codes,
 * rotated or not) is the store's business, so every cache mode runs in the same loop.
 *
 * <p>Lifecycle of a request: at prefill, {@link #beginPrefill} (with the residual stream entering
 * the layer, from which AKVQ-VL picks pivot tokens), one {@link #append} per prompt token, the
 * prompt's attention, then {@link #endPrefill} (where a quantizing store may compress the prompt
 * it kept unquantized for the prefill's own attention). Each decode step is one append and one
 * attention per head.
 *
 * <p>Key and value rows are {@code [kvHeads * headDim]}, head-major, as the k_proj/v_proj outputs.
 */
public interface KeyValueStore {

    int kvHeads();

    int headDim();

    /** Tokens stored so far. */
    int length();

    /**
     * Called once per request before the prompt's tokens are appended.
     *
     * @param residual the residual stream entering this layer, {@code [tokens, hidden]} row-major
     */
    default void beginPrefill(float[] residual, int tokens, int hidden) {}

    /** Stores one token's keys and values, {@code [kvHeads * headDim]} each, at index {@link #length()}. */
    void append(float[] keys, int keysOffset, float[] values, int valuesOffset, CachedToken token);

    /**
     * The precision in which the prompt's own attention (between {@link #beginPrefill} and
     * {@link #endPrefill}) reads the keys and values it was given: F32 (as appended) or F16
     * (each value rounded to F16, as stored). A forward pass may then compute that attention from
     * its own K/V, rounded alike, as one matrix-matrix kernel instead of through {@link #attend}.
     * Empty (the default) when the prompt reads quantized rows, or when a store does not say.
     */
    default Optional<DType> promptPrecision() {
        return Optional.empty();
    }

    /** Called once the prompt's attention is done, before the first decode step. */
    default void endPrefill() {}

    /**
     * Scaled dot-product attention of one query head over the stored tokens {@code [from, to)}:
     * {@code p = softmax(scale · K q)}, {@code out = Σ_j p_j V_j}. The query is the head's
     * post-RoPE query, unrotated (a rotating store rotates its copy).
     *
     * @param probabilities at least {@code to - from} floats; holds {@code p} on return
     * @param out           receives the head's {@code headDim} outputs at {@code outOffset}
     */
    void attend(float[] query, int queryOffset, int kvHead, int from, int to, float scale,
                float[] probabilities, float[] out, int outOffset);

    /**
     * {@link #attend} for the {@code queryHeads} query heads that share KV head {@code kvHead}
     * (grouped-query attention), in one pass over that head's rows: a store reads (and unpacks)
     * each stored row once for all of them. Head {@code h}'s query is at
     * {@code queryOffset + h·headDim}, its output goes to {@code outOffset + h·headDim} and its
     * probabilities to {@code probabilities[h·(to − from), (h + 1)·(to − from))}; each head's
     * result is the one {@link #attend} gives it. This default calls {@link #attend} per head.
     *
     * @param probabilities at least {@code queryHeads · (to − from)} floats
     */
    default void attendGroup(float[] queries, int queryOffset, int queryHeads, int kvHead, int from, int to, float scale,
                             float[] probabilities, float[] out, int outOffset) {
        checkGroup(queryHeads, from, to, probabilities);
        int n = to - from, headDim = headDim();
        float[] p = new float[n];
        for (int h = 0; h < queryHeads; h++) {
            attend(queries, queryOffset + h * headDim, kvHead, from, to, scale, p, out, outOffset + h * headDim);
            System.arraycopy(p, 0, probabilities, h * n, n);
        }
    }

    /** The check {@link #attendGroup} starts with, besides {@link #checkRange}. */
    static void checkGroup(int queryHeads, int from, int to, float[] probabilities) {
        if (queryHeads < 1) throw new IllegalArgumentException("attendGroup: queryHeads must be >= 1, got " + queryHeads);
        if ((long) queryHeads * (to - from) > probabilities.length) {
            throw new IllegalArgumentException("attendGroup: probabilities hold " + probabilities.length + " floats, "
                    + queryHeads + " heads x " + (to - from) + " tokens need " + (long) queryHeads * (to - from));
        }
    }

    /** The check every store's {@link #attend} starts with: a non-empty range of stored tokens. */
    static void checkRange(int from, int to, int length) {
        if (from < 0 || to > length || from >= to) {
            throw new IllegalArgumentException("attend: tokens [" + from + ", " + to + ") outside the " + length + " stored");
        }
    }

    /** The keys as attention sees them, dequantised, {@code [kvHeads, length, headDim]}: for the trace. */
    float[] keysForTrace();

    /** The values as attention sees them, dequantised, {@code [kvHeads, length, headDim]}: for the trace. */
    float[] valuesForTrace();

    /** Bytes the store holds for its tokens (codes, scales, zero points, full-precision rows). */
    long bytes();

    /**
     * Bytes of per-token bookkeeping the store keeps besides {@link #bytes} (e.g. which segment and
     * slot each token sits in); reported as its own line so bits per value compare honestly
     * ({@link KvFootprint#bookkeepingBytes}).
     */
    default long bookkeepingBytes() {
        return footprint().bookkeepingBytes();
    }

    /**
     * Frees the store's off-heap memory at once (its sequence ended); the store must not be used
     * afterwards. Stores whose memory is all on the heap need not do anything.
     */
    default void close() {}

    /** The bytes by segment and kind, and bits per cached value; a dense store is one segment of rows. */
    default KvFootprint footprint() {
        return new KvFootprint(java.util.List.of(new KvFootprint.Segment("rows", length(), 0, 0, 0, bytes())),
                2L * kvHeads() * length() * headDim());
    }
}
