package dev.akvq.quant.kv;

import dev.akvq.quant.Hadamard;
import dev.akvq.tensor.ThreadScratch;

/**
 * The Walsh-Hadamard rotation of keys and values around any store (docs/akvq-vl.md,
 * "Rotation"), applied online, so the weights stay as published and nothing is copied:
 * <ul>
 *   <li>keys: each head's post-RoPE key is stored rotated ({@code k H}) and each query is rotated
 *       once per attention call ({@code q H}); {@code (qH)(kH)ᵀ = q kᵀ}, so the logits are unchanged;</li>
 *   <li>values: each head's value is stored rotated ({@code v H}); attention then yields
 *       {@code Σ p_j v_j H = o H}, and the output is rotated back per query head
 *       ({@code o H H = o}, H is symmetric and orthogonal) before o_proj sees it.</li>
 * </ul>
 * In both cases the outliers of a few channels are spread over all of them before quantization.
 * The cost is one fast transform ({@code d log₂ d} adds) per stored head and per query head, and
 * no memory beyond one row of scratch.
 *
 * <p>The trace views return what the inner store holds: rotated keys and values.
 */
public final class RotatedKeyValueStore extends ForwardingKeyValueStore {
    private final int headDim;
    private final float[] rotatedKeys, rotatedValues;
    /** Per worker thread: the rotated queries of one KV head's group (grown to the largest group seen). */
    private final ThreadScratch rotatedQueries = new ThreadScratch(1);

    public RotatedKeyValueStore(KeyValueStore inner) {
        super(checkPowerOfTwo(inner));
        this.headDim = inner.headDim();
        this.rotatedKeys = new float[inner.kvHeads() * headDim];
        this.rotatedValues = new float[inner.kvHeads() * headDim];
    }

    private static KeyValueStore checkPowerOfTwo(KeyValueStore inner) {
        if (!Hadamard.isPowerOfTwo(inner.headDim())) {
            throw new IllegalArgumentException("--kv-rotation on needs head_dim to be a power of two, got " + inner.headDim()
                    + ". HINT: run with --kv-rotation off");
        }
        return inner;
    }

    /** The store the rotated rows go to. */
    public KeyValueStore inner() {
        return inner;
    }

    @Override
    public void append(float[] keys, int keysOffset, float[] values, int valuesOffset, CachedToken token) {
        System.arraycopy(keys, keysOffset, rotatedKeys, 0, rotatedKeys.length);
        System.arraycopy(values, valuesOffset, rotatedValues, 0, rotatedValues.length);
        Hadamard.transformEach(rotatedKeys, 0, inner.kvHeads(), headDim);
        Hadamard.transformEach(rotatedValues, 0, inner.kvHeads(), headDim);
        inner.append(rotatedKeys, 0, rotatedValues, 0, token);
    }

    /** A rotation is exact up to rounding: the prompt sees what it would see without it, at the inner store's precision. */
    @Override
    public java.util.Optional<dev.akvq.tensor.DType> promptPrecision() {
        return inner.promptPrecision();
    }

    @Override
    public void attend(float[] query, int queryOffset, int kvHead, int from, int to, float scale,
                       float[] probabilities, float[] out, int outOffset) {
        float[] q = scratch(headDim);
        System.arraycopy(query, queryOffset, q, 0, headDim);
        Hadamard.transform(q, 0, headDim);
        inner.attend(q, 0, kvHead, from, to, scale, probabilities, out, outOffset);
        Hadamard.transform(out, outOffset, headDim);
    }

    /** Rotates each of the {@code queryHeads} queries once, the inner store's grouped attention, then each output back. */
    @Override
    public void attendGroup(float[] queries, int queryOffset, int queryHeads, int kvHead, int from, int to, float scale,
                            float[] probabilities, float[] out, int outOffset) {
        float[] q = scratch(queryHeads * headDim);
        System.arraycopy(queries, queryOffset, q, 0, queryHeads * headDim);
        Hadamard.transformEach(q, 0, queryHeads, headDim);
        inner.attendGroup(q, 0, queryHeads, kvHead, from, to, scale, probabilities, out, outOffset);
        Hadamard.transformEach(out, outOffset, queryHeads, headDim);
    }

    private float[] scratch(int floats) {
        return rotatedQueries.get(0, floats);
    }
}
