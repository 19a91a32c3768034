package dev.akvq.quant.kv;

import dev.akvq.quant.Hadamard;

/**
 * The Walsh-Hadamard rotation of keys around any store (docs/akvq-vl.md, "Rotation"):
 * each head's post-RoPE key is rotated ({@code k H}) before the inner store sees it, and each
 * query once per attention call ({@code q H}); {@code (qH)(kH)ᵀ = q kᵀ}, so logits are unchanged
 * while the outliers of a few channels are spread over all of them before quantization.
 * Values arrive already rotated: the rotation is folded into v_proj and o_proj at load
 * ({@code LlamaWeights.withValueRotation}), so nothing is undone here.
 *
 * <p>The trace views return what attention sees: rotated keys and values.
 */
public final class RotatedKeyValueStore implements KeyValueStore {
    private final KeyValueStore inner;
    private final int headDim;
    private final float[] rotatedKeys;
    private final ThreadLocal<float[]> rotatedQuery;

    public RotatedKeyValueStore(KeyValueStore inner) {
        if (!Hadamard.isPowerOfTwo(inner.headDim())) {
            throw new IllegalArgumentException("--kv-rotation on needs head_dim to be a power of two, got " + inner.headDim()
                    + ". HINT: run with --kv-rotation off");
        }
        this.inner = inner;
        this.headDim = inner.headDim();
        this.rotatedKeys = new float[inner.kvHeads() * headDim];
        this.rotatedQuery = ThreadLocal.withInitial(() -> new float[headDim]);
    }

    /** The store the rotated rows go to. */
    public KeyValueStore inner() {
        return inner;
    }

    @Override
    public int kvHeads() {
        return inner.kvHeads();
    }

    @Override
    public int headDim() {
        return headDim;
    }

    @Override
    public int length() {
        return inner.length();
    }

    @Override
    public void beginPrefill(float[] residual, int tokens, int hidden) {
        inner.beginPrefill(residual, tokens, hidden);
    }

    @Override
    public void append(float[] keys, int keysOffset, float[] values, int valuesOffset, CachedToken token) {
        System.arraycopy(keys, keysOffset, rotatedKeys, 0, rotatedKeys.length);
        Hadamard.transformEach(rotatedKeys, 0, inner.kvHeads(), headDim);
        inner.append(rotatedKeys, 0, values, valuesOffset, token);
    }

    @Override
    public void endPrefill() {
        inner.endPrefill();
    }

    @Override
    public void attend(float[] query, int queryOffset, int kvHead, int from, int to, float scale,
                       float[] probabilities, float[] out, int outOffset) {
        float[] q = rotatedQuery.get();
        System.arraycopy(query, queryOffset, q, 0, headDim);
        Hadamard.transform(q, 0, headDim);
        inner.attend(q, 0, kvHead, from, to, scale, probabilities, out, outOffset);
    }

    /** Rotates each of the {@code queryHeads} queries once, then the inner store's grouped attention. */
    @Override
    public void attendGroup(float[] queries, int queryOffset, int queryHeads, int kvHead, int from, int to, float scale,
                            float[] probabilities, float[] out, int outOffset) {
        float[] q = new float[queryHeads * headDim];
        System.arraycopy(queries, queryOffset, q, 0, q.length);
        Hadamard.transformEach(q, 0, queryHeads, headDim);
        inner.attendGroup(q, 0, queryHeads, kvHead, from, to, scale, probabilities, out, outOffset);
    }

    @Override
    public float[] keysForTrace() {
        return inner.keysForTrace();
    }

    @Override
    public float[] valuesForTrace() {
        return inner.valuesForTrace();
    }

    @Override
    public long bytes() {
        return inner.bytes();
    }

    @Override
    public KvFootprint footprint() {
        return inner.footprint();
    }
}
